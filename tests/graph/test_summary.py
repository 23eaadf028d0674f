"""GraphSummary: op counts, parameters, FLOPs checked by hand against the models' attributes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from trtlab.errors import ConfigError
from trtlab.graph import GraphSummary, load_onnx, node_flops


def _attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def test_conv_flops_match_a_hand_computation(fixtures: Path):
    path = fixtures / "onnx" / "conv.onnx"
    raw = onnx.load(str(path))
    (node,) = raw.graph.node
    (w,) = raw.graph.initializer
    n, cin, h, wd = (d.dim_value for d in raw.graph.input[0].type.tensor_type.shape.dim)
    cout, cin_per_group, kh, kw = w.dims
    group = _attr(node, "group", 1)
    assert cin_per_group * group == cin
    pads = _attr(node, "pads", [0, 0, 0, 0])
    strides = _attr(node, "strides", [1, 1])
    dil = _attr(node, "dilations", [1, 1])
    hout = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    wout = (wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    expected = 2 * cout * (cin // group) * kh * kw * hout * wout * n  # the brief's formula
    assert expected == 2 * 4 * 16 * 4 * 4 * 5 * 5 * 1

    g = load_onnx(path)
    assert node_flops(g, "conv") == expected
    s = g.summary()
    assert s.flops == expected and s.flops_unknown == []
    assert s.rows == [("Conv", 1, math.prod(w.dims), expected)]
    assert s.params == math.prod(w.dims)


def test_gemm_and_matmul_flops(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "matmul_2layer.onnx")
    # /0/MatMul: [2, 8] x [8, 16] -> M=2, K=8, N=16 ; /1/Gemm (transB=1): [2, 16] x [8, 16]^T -> M=2, K=16, N=8
    assert node_flops(g, "/0/MatMul") == 2 * 2 * 16 * 8
    assert node_flops(g, "/1/Gemm") == 2 * 2 * 8 * 16
    s = g.summary()
    assert s.flops == 2 * 2 * 16 * 8 + 2 * 2 * 8 * 16
    assert s.params == 8 * 16 + 8 * 16 + 8
    assert s.op_counts == {"MatMul": 1, "Gemm": 1}


def test_gemm_transa_and_batched_matmul():
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [5, 3])  # transA: A is K x M
    b = numpy_helper.from_array(np.ones((5, 7), np.float32), "b")
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 2, 3, 6])
    y = numpy_helper.from_array(np.ones((6, 9), np.float32), "y")
    nodes = [helper.make_node("Gemm", ["a", "b"], ["c"], name="gemm", transA=1),
             helper.make_node("MatMul", ["x", "y"], ["z"], name="bmm")]
    outs = [helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in ("c", "z")]
    m = helper.make_model(helper.make_graph(nodes, "g", [a, x], outs, [b, y]), opset_imports=[helper.make_opsetid("", 17)])
    g = load_onnx(m)
    assert node_flops(g, "gemm") == 2 * 3 * 7 * 5  # M=3, N=7, K=5
    assert node_flops(g, "bmm") == 2 * (4 * 2) * 3 * 9 * 6  # batch 8, M=3, N=9, K=6


def test_flops_unknown_with_dynamic_batch(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "residual_block.onnx")
    s = g.summary()
    assert s.flops is None
    assert s.flops_unknown == ["Conv_0", "Conv_4", "Conv_5", "Conv_9", "Conv_12"]
    assert node_flops(g, "Relu_2") is None


def test_grouped_conv_flops():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8, 10, 10])
    w = numpy_helper.from_array(np.ones((8, 2, 3, 3), np.float32), "w")  # group 4: Cin/g = 2
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="dw", group=4, pads=[1, 1, 1, 1], strides=[2, 2])
    m = helper.make_model(helper.make_graph([node], "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w]),
                          opset_imports=[helper.make_opsetid("", 17)])
    g = load_onnx(m)
    assert g.tensor("y").shape == (2, 8, 5, 5)
    assert node_flops(g, "dw") == 2 * 8 * (8 // 4) * 3 * 3 * 5 * 5 * 2


def test_summary_counts_and_params(fixtures: Path):
    path = fixtures / "onnx" / "residual_block.onnx"
    raw = onnx.load(str(path))
    s = load_onnx(path).summary()
    assert isinstance(s, GraphSummary)
    assert (s.num_nodes, s.num_edges, s.num_inputs, s.num_outputs) == (15, 15, 1, 1)
    assert s.op_counts == {"Conv": 5, "BatchNormalization": 5, "Relu": 3, "MaxPool": 1, "Sum": 1}
    assert s.params == sum(math.prod(t.dims) for t in raw.graph.initializer)
    assert sum(r[1] for r in s.rows) == 15 and sum(r[2] for r in s.rows) == s.params
    assert [r[0] for r in s.rows][:2] == ["Conv", "BatchNormalization"]


def test_summary_text_and_html(fixtures: Path):
    s = load_onnx(fixtures / "onnx" / "conv.onnx").summary()
    text = str(s)
    lines = text.splitlines()
    assert "nodes 1" in lines[0] and "parameters 1,024" in lines[0] and "51,200" in lines[0]
    assert lines[1].split() == ["op", "type", "count", "params", "FLOPs"]
    assert lines[3].split()[:3] == ["Conv", "1", "1,024"]
    html = s._repr_html_()
    assert html.count("<tr>") == 2 and "<th>FLOPs</th>" in html and "1,024" in html
    # names are escaped
    g = load_onnx(fixtures / "onnx" / "identity.onnx")
    g.name = "<script>"
    assert "<script>" not in g.summary()._repr_html_()


def test_subgraph_params_count_in_total(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "bad_graph_conditionally_invalid.onnx")
    # z (1x2) is an initializer of the main graph; the branches' Constants feed no node there
    assert g.summary().params == 2
    assert g.summary().num_subgraphs == 2


@pytest.mark.parametrize("stem", ["attention", "multi_output", "loop", "custom_op_node"])
def test_summary_never_fails_on_fixtures(fixtures: Path, stem: str):
    s = load_onnx(fixtures / "onnx" / f"{stem}.onnx").summary()
    assert s.num_nodes == len(onnx.load(str(fixtures / "onnx" / f"{stem}.onnx")).graph.node)
    assert str(s) and s._repr_html_()


def test_symbolic_dims_can_be_given_values():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", pads=[1, 1, 1, 1])
    m = helper.make_model(helper.make_graph([node], "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w]),
                          opset_imports=[helper.make_opsetid("", 17)])
    g = load_onnx(m)
    assert g.tensor("y").shape == ("N", 4, 8, 8)
    s = g.summary()
    assert s.flops is None and s.symbolic_dims == ["N"]
    assert "summary(dims={'N': 1})" in str(s)
    per_image = 2 * 4 * 3 * 3 * 3 * 8 * 8
    assert g.summary(dims={"N": 1}).flops == per_image
    s5 = g.summary(dims={"N": 5})
    assert s5.flops == 5 * per_image and s5.symbolic_dims == [] and "with N=5" in str(s5)
    assert node_flops(g, "conv", dims={"N": 2}) == 2 * per_image
    for bad in ({"N": 0}, {"N": "1"}, ["N", 1]):
        with pytest.raises(ConfigError, match="dims must map"):
            g.summary(dims=bad)
