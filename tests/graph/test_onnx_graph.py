"""The graph data model: names, nodes, edges, weights, subgraphs, validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from trtlab.errors import ConfigError, ModelLoadError
from trtlab.graph import OnnxGraph, TensorInfo, load_onnx

OPSET = [helper.make_opsetid("", 17)]


def _model(nodes, inputs, outputs, inits=(), name="g") -> onnx.ModelProto:
    return helper.make_model(helper.make_graph(nodes, name, inputs, outputs, list(inits)), opset_imports=OPSET)


def _vi(name, shape=None, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


# --------------------------------------------------------------------------- names
def test_generated_names_for_unnamed_and_duplicate_nodes_are_stable(fixtures: Path):
    dup = fixtures / "onnx" / "bad_graph_with_duplicate_node_names.onnx"
    a, b = load_onnx(dup), load_onnx(dup.read_bytes())
    assert a.topological_order() == b.topological_order() == ["identical", "identical__1"]
    assert [a.node(n).onnx_name for n in a.topological_order()] == ["identical", "identical"]
    assert any("duplicate node names" in w for w in a.warnings)

    rb = fixtures / "onnx" / "residual_block.onnx"
    names = load_onnx(rb).topological_order()
    assert names == load_onnx(rb).topological_order()
    assert names[:4] == ["Conv_0", "BatchNormalization_1", "Relu_2", "MaxPool_3"]
    assert names[-1] == "Sum_14"
    assert all(load_onnx(rb).node(n).onnx_name == "" for n in names)


def test_generated_names_never_collide_with_real_ones():
    # a node really called "Relu_1" sits after an unnamed Relu at index 1, and a "dup" appears 3 times
    # while a real node is already named "dup__1"
    x = _vi("x", [1])
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="dup"),
        helper.make_node("Relu", ["a"], ["b"]),  # index 1 -> would be Relu_1
        helper.make_node("Relu", ["b"], ["c"], name="Relu_1"),
        helper.make_node("Relu", ["c"], ["d"], name="dup"),
        helper.make_node("Relu", ["d"], ["e"], name="dup__1"),
        helper.make_node("Relu", ["e"], ["f"], name="dup"),
    ]
    g = load_onnx(_model(nodes, [x], [_vi("f")]))
    order = g.topological_order()
    assert order == ["dup", "Relu_1__1", "Relu_1", "dup__2", "dup__1", "dup__3"]
    assert len(set(order)) == 6
    # and the same again: generated names depend only on the file
    assert load_onnx(_model(nodes, [x], [_vi("f")])).topological_order() == order


# --------------------------------------------------------------------------- nodes, edges, weights
def test_nodes_edges_and_weights_of_residual_block(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "residual_block.onnx")
    conv = g.node("Conv_0")
    assert conv.op_type == "Conv" and conv.domain == "" and conv.index == 0
    assert conv.weights == ["gpu_0/conv1_w_0"] and conv.params == 64 * 3 * 7 * 7
    assert conv.attributes == {"pads": [3, 3, 3, 3], "kernel_shape": [7, 7], "strides": [2, 2]}
    assert conv.is_graph_input_consumer and not conv.is_graph_output_producer
    assert g.node("Sum_14").is_graph_output_producer
    bn = g.node("BatchNormalization_1")
    assert bn.params == 4 * 64 and len(bn.weights) == 4
    assert isinstance(bn.attributes["epsilon"], float)
    # edges: one per (producer, consumer), carrying the inferred tensor
    (t,) = g.nx.edges["MaxPool_3", "Conv_5"]["tensors"]
    assert t == TensorInfo("gpu_0/pool1_1", (None, 64, 56, 56), "float32")
    assert g.producer("gpu_0/pool1_1") == "MaxPool_3"
    assert g.consumers("gpu_0/pool1_1") == ["Conv_4", "Conv_5"]
    assert g.producer("gpu_0/conv1_w_0") is None and g.consumers("gpu_0/conv1_w_0") == ["Conv_0"]
    # inputs/outputs: the batch dim is -1 in the file, i.e. unknown
    assert g.inputs == [TensorInfo("gpu_0/data_0", (None, 3, 224, 224), "float32")]
    assert [t.name for t in g.outputs] == ["gpu_0/res2_0_branch2c_bn_2"]
    assert g.initializers["gpu_0/conv1_w_0"] == (64, 3, 7, 7) and len(g.initializers) == 25
    assert g.nx.number_of_edges() == 15


def test_node_reading_a_tensor_twice_gives_one_edge_and_one_consumer(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "attention_same_qkv.onnx")
    assert g.consumers("q") == ["mm1_1", "mm2_1"]
    assert g.node("mm1_1").inputs == ["q", "q"]
    assert g.nx.edges["mm1_1", "sm_1"]["tensors"][0].name == "attention_1_mm1_out"


def test_symbolic_dims_stay_strings(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "dim_param.onnx")
    assert g.inputs[0] == TensorInfo("Input:0", ("dim0", 16, 128), "float32")
    assert g.outputs[0].shape == ("dim0", 16, 128)
    d = load_onnx(fixtures / "onnx" / "dynamic_identity.onnx")
    assert d.inputs[0].shape == (1, 2, "height", "width")
    assert not d.inputs[0].is_static and d.inputs[0].shape_str() == "1x2xheightxwidth"


def test_custom_op_node_keeps_its_domain(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "custom_op_node.onnx")
    (name,) = g.topological_order()
    info = g.node(name)
    assert (info.op_type, info.domain) == ("NegPos", "ai.onnx.contrib")
    assert info.qualified_op == "ai.onnx.contrib::NegPos"
    assert name == "NegPos_0" and info.outputs == ["out0", "out1"]
    assert g.outputs[0] == TensorInfo("out0", (2, 2), "float32")  # declared shapes kept
    assert any("ai.onnx.contrib" in w for w in g.warnings)


def test_constant_outputs_are_weights_of_their_consumer():
    x = _vi("x", [2, 3])
    const = helper.make_node("Constant", [], ["k"], name="const",
                             value=numpy_helper.from_array(np.ones((2, 3), np.float32)))
    nodes = [const, helper.make_node("Mul", ["x", "k"], ["y"], name="mul"),
             helper.make_node("Add", ["y", "k"], ["z"], name="add")]
    g = load_onnx(_model(nodes, [x], [_vi("z")]))
    assert len(g) == 3  # the Constant stays a node (node count = ONNX node count) ...
    assert g.node("mul").weights == ["k"] and g.node("mul").params == 6  # ... and is summarized on readers
    assert g.nx.has_edge("const", "mul")
    assert g.summary().params == 6  # shared weight counted once
    np.testing.assert_array_equal(g.node("const").attributes["value"], np.ones((2, 3), np.float32))


def test_initializers_listed_as_inputs_are_weights_not_inputs(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "loop.onnx")
    assert [t.name for t in g.inputs] == ["input_0"]
    assert g.node("while_cond_158_while_Less").weights == ["const_fold_opt__17"]


def test_attributes_are_plain_python(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "matmul_2layer.onnx")
    attrs = g.node("/1/Gemm").attributes
    assert attrs == {"alpha": 1.0, "beta": 1.0, "transB": 1}
    m = load_onnx(fixtures / "onnx" / "multi_output.onnx")
    assert m.node("onnx_graphsurgeon_node_4").attributes == {"axis": 0, "split": [2, 2]}  # 4x5 -> 2x5, 2x5
    x = _vi("x", [2])
    node = helper.make_node("Cast", ["x"], ["y"], name="c", to=TensorProto.INT64)
    node.attribute.append(helper.make_attribute("mode", "fast"))
    node.attribute.append(helper.make_attribute("tags", ["a", "b"]))
    info = load_onnx(_model([node], [x], [_vi("y", dtype=TensorProto.INT64)])).node("c")
    assert info.attributes == {"to": 7, "mode": "fast", "tags": ["a", "b"]}


def test_dtype_names():
    inputs = [_vi("a", [1], TensorProto.FLOAT16), _vi("b", [1], TensorProto.BFLOAT16),
              _vi("c", [1], TensorProto.INT8), _vi("d", [1], TensorProto.BOOL), _vi("e", [1], TensorProto.STRING)]
    nodes = [helper.make_node("Identity", [t.name], [t.name + "_o"]) for t in inputs]
    g = load_onnx(_model(nodes, inputs, [_vi(t.name + "_o", None, t.type.tensor_type.elem_type) for t in inputs]))
    assert [t.dtype for t in g.inputs] == ["float16", "bfloat16", "int8", "bool", "string"]


# --------------------------------------------------------------------------- subgraphs
def test_loop_body_is_a_subgraph(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "loop.onnx")
    loop = g.node("while_loop")
    assert list(loop.subgraphs) == ["body"]
    body = loop.subgraphs["body"]
    assert isinstance(body, OnnxGraph) and "body" not in loop.attributes
    raw = onnx.load(str(fixtures / "onnx" / "loop.onnx"))
    raw_body = next(a.g for a in raw.graph.node[3].attribute if a.name == "body")
    assert len(body) == len(raw_body.node) == 4
    assert body.name == "while_body"
    assert [t.name for t in body.inputs] == [i.name for i in raw_body.input]
    assert body.topological_order() == [n.name for n in raw_body.node]
    assert body.node("while_Add").weights == [] and body.nx.number_of_edges() == 3
    assert g.summary().num_subgraphs == 1


def test_if_branches_and_outer_scope_reads():
    # the then-branch reads 'x2' from the outer graph: the If gets an implicit input and an edge
    x = _vi("x", [2])
    cond = _vi("cond", [], TensorProto.BOOL)
    then_g = helper.make_graph([helper.make_node("Neg", ["x2"], ["t"], name="neg")], "then", [], [_vi("t", [2])])
    else_g = helper.make_graph([helper.make_node("Abs", ["x"], ["e"], name="abs")], "else", [], [_vi("e", [2])])
    nodes = [
        helper.make_node("Mul", ["x", "x"], ["x2"], name="square"),
        helper.make_node("If", ["cond"], ["r"], name="if", then_branch=then_g, else_branch=else_g),
    ]
    g = load_onnx(_model(nodes, [x, cond], [_vi("r")]))
    info = g.node("if")
    assert set(info.subgraphs) == {"then_branch", "else_branch"}
    assert sorted(info.implicit_inputs) == ["x", "x2"]
    assert g.nx.has_edge("square", "if")
    assert info.is_graph_input_consumer  # it reads x (through the else branch) and cond
    then = info.subgraphs["then_branch"]
    assert then.outer_inputs == ["x2"] and then.dangling == {}
    assert then.nx.number_of_edges() == 0 and then.node("neg").inputs == ["x2"]
    assert g.consumers("x2") == ["if"]
    assert g.warnings == []


def test_conditionally_invalid_graph_loads_with_both_branches(fixtures: Path):
    # valid structure; only one branch's shape breaks the MatMul, so it is a graph to look at
    g = load_onnx(fixtures / "onnx" / "bad_graph_conditionally_invalid.onnx")
    assert g.topological_order() == ["If_Node", "MatMul"]
    assert set(g.node("If_Node").subgraphs) == {"then_branch", "else_branch"}
    assert g.node("MatMul").weights == ["z"]


# --------------------------------------------------------------------------- validation
def test_other_bad_fixture_graphs_load_with_warnings(fixtures: Path):
    dup_input = load_onnx(fixtures / "onnx" / "bad_graph_with_dup_value_info.onnx")
    assert [t.name for t in dup_input.inputs] == ["inp"]
    assert any("declared twice" in w for w in dup_input.warnings)
    no_name = load_onnx(fixtures / "onnx" / "bad_graph_with_no_name.onnx")
    assert no_name.name == "bad_graph_with_no_name"  # falls back to the file's stem


def test_cycle_is_an_error_naming_a_node_on_it():
    x = _vi("x", [1])
    nodes = [
        helper.make_node("Add", ["x", "c"], ["a"], name="first"),
        helper.make_node("Relu", ["a"], ["b"], name="second"),
        helper.make_node("Relu", ["b"], ["c"], name="third"),
        helper.make_node("Relu", ["b"], ["out"], name="outside"),
    ]
    with pytest.raises(ModelLoadError, match="cycle") as exc:
        load_onnx(_model(nodes, [x], [_vi("out")]))
    msg = str(exc.value)
    assert "'first'" in msg and "'second'" in msg and "'third'" in msg and "'outside'" not in msg
    selfloop = [helper.make_node("Add", ["x", "s"], ["s"], name="me")]
    with pytest.raises(ModelLoadError, match="cycle through node 'me'"):
        load_onnx(_model(selfloop, [x], [_vi("s")]))


def test_tensor_produced_twice_is_an_error():
    x = _vi("x", [1])
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="a"), helper.make_node("Neg", ["x"], ["y"], name="b")]
    with pytest.raises(ModelLoadError, match="'y' is produced by two nodes, 'a' and 'b'"):
        load_onnx(_model(nodes, [x], [_vi("y")]))
    shadow = [helper.make_node("Relu", ["x"], ["x"], name="c")]
    with pytest.raises(ModelLoadError, match="also a graph input"):
        load_onnx(_model(shadow, [x], [_vi("x")]))


def test_dangling_tensors_are_marked_not_fatal():
    x = _vi("x", [1])
    nodes = [helper.make_node("Add", ["x", "ghost"], ["y"], name="add"), helper.make_node("Relu", ["y"], ["z"], name="r")]
    g = load_onnx(_model(nodes, [x], [_vi("z")]))
    assert g.dangling == {"ghost": ["add"]}
    assert any("'ghost'" in w and "dangling" in w for w in g.warnings)
    assert len(g) == 2 and g.nx.has_edge("add", "r")
    assert g.consumers("ghost") == ["add"] and g.tensor("ghost") == TensorInfo("ghost")


def test_optional_empty_inputs_are_kept_but_not_edges():
    x = _vi("x", [1, 2, 4])
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], name="resize", mode="nearest")
    scales = numpy_helper.from_array(np.array([1, 1, 2], np.float32), "scales")
    g = load_onnx(_model([node], [x], [_vi("y")], inits=[scales]))
    info = g.node("resize")
    assert info.inputs == ["x", "", "scales"] and info.weights == ["scales"]
    assert g.tensor("y").shape == (1, 2, 8)
    assert g.dangling == {} and g.warnings == []


def test_unknown_node_and_tensor_names_are_clear_errors(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "residual_block.onnx")
    with pytest.raises(ConfigError, match="no node named 'Conv_00'.*Did you mean 'Conv_0'"):
        g.node("Conv_00")
    with pytest.raises(ConfigError, match="no tensor named 'nope'"):
        g.tensor("nope")
    assert g.producer("nope") is None and g.consumers("nope") == []


def test_topological_order_follows_edges_even_if_the_file_is_unsorted():
    x = _vi("x", [1])
    nodes = [helper.make_node("Relu", ["a"], ["b"], name="second"), helper.make_node("Neg", ["x"], ["a"], name="first")]
    g = load_onnx(_model(nodes, [x], [_vi("b")]))
    assert g.topological_order() == ["first", "second"]
    assert [n.name for n in g.nodes] == ["first", "second"] and list(g) == ["first", "second"]


def test_scan_body_is_a_subgraph():
    # Scan summing the rows of x: state s, scanned input row, outputs final s and every partial sum
    body = helper.make_graph(
        [helper.make_node("Add", ["s_in", "row"], ["s_out"], name="acc"),
         helper.make_node("Identity", ["s_out"], ["partial"], name="copy")],
        "scan_body",
        [_vi("s_in", [3]), _vi("row", [3])],
        [_vi("s_out", [3]), _vi("partial", [3])],
    )
    nodes = [helper.make_node("Scan", ["s0", "x"], ["s", "partials"], name="scan", body=body, num_scan_inputs=1)]
    g = load_onnx(_model(nodes, [_vi("s0", [3]), _vi("x", [4, 3])], [_vi("s"), _vi("partials")]))
    scan = g.node("scan")
    assert list(scan.subgraphs) == ["body"] and scan.attributes == {"num_scan_inputs": 1}
    inner = scan.subgraphs["body"]
    assert inner.topological_order() == ["acc", "copy"] and inner.nx.has_edge("acc", "copy")
    assert g.tensor("partials").shape == (4, 3)  # shape inference went through the body
