"""The mapping rules on small hand-made graphs: evidence order, name normalisation, Myelin
regions, kinds from topology, vanished nodes, profile joins, errors."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from trtlab.engine import load_layer_info, load_profile
from trtlab.errors import ConfigError, MappingError
from trtlab.fusion import map_fusion, op_letter, short_pattern
from trtlab.graph import load_onnx

# small plans naming part of a graph look like "another model": that warning is not under test here
pytestmark = pytest.mark.filterwarnings("ignore:trtlab.map_fusion:UserWarning")


def _graph(nodes, inputs=("x",), outputs=("y",), inits=(), shape=(1, 4)):
    """nodes: (name, op, [inputs], [outputs]); every tensor float [1, 4]."""
    protos = [helper.make_node(op, list(i), list(o), name=name) for name, op, i, o in nodes]
    init = [numpy_helper.from_array(np.ones(shape, np.float32), n) for n in inits]
    g = helper.make_graph(
        protos, "t",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(shape)) for n in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(shape)) for n in outputs],
        initializer=init,
    )
    return load_onnx(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]))


def _plan(*layers):
    """layers: names, or dicts with Name/Metadata/LayerType/Outputs for the detailed JSON form."""
    rows = []
    for layer in layers:
        if isinstance(layer, str):
            layer = {"Name": layer}
        row = {"Name": layer["Name"], "LayerType": layer.get("LayerType", "Unknown"),
               "Inputs": [{"Name": t, "Dimensions": [1, 4], "Format/Datatype": "Row major linear FP32"}
                          for t in layer.get("Inputs", [])],
               "Outputs": [{"Name": t, "Dimensions": [1, 4], "Format/Datatype": layer.get("Format", "Row major linear FP32")}
                           for t in layer.get("Outputs", [])]}
        if "Metadata" in layer:
            row["Metadata"] = "\x1e".join(f"[ONNX Layer: {m}]" for m in layer["Metadata"])
        rows.append(row)
    return load_layer_info({"Layers": rows, "Bindings": []})


CHAIN = [("a", "Relu", ["x"], ["t1"]), ("b", "Sigmoid", ["t1"], ["t2"]), ("c", "Relu", ["t2"], ["y"])]


def test_metadata_beats_the_name_and_names_are_matched_exactly():
    g = _graph(CHAIN)
    report = map_fusion(g, _plan({"Name": "a + b", "Metadata": ["a", "b", "c"]}))
    layer = report.layers[0]
    assert layer.evidence == "metadata" and layer.onnx_nodes == ["a", "b", "c"]
    report = map_fusion(g, _plan("a + b", "c"))
    assert [r.evidence for r in report.layers] == ["name", "name"]
    assert report.layers[0].kind == "vertical" and report.layers[1].kind == "single"


@pytest.mark.parametrize("decorated, node", [
    ("conv/first_myl0_3", "conv/first"),         # Myelin suffix
    ("conv/first copy", "conv/first"),           # copy suffix inside a fused name
    ("conv/first_clone_2", "conv/first"),        # clone suffix
    ("CONV/First", "conv/first"),                # case folded
    ("conv/second_with_a_long_na", "conv/second_with_a_long_name"),  # truncated by older TensorRT
    ("node_of_t1", "conv/first"),                # TensorRT's name for an unnamed node
    ("t2", "conv/second_with_a_long_name"),      # a tensor name: its producer
])
def test_decorated_names_are_normalised(decorated, node):
    g = _graph([("conv/first", "Relu", ["x"], ["t1"]), ("conv/second_with_a_long_name", "Relu", ["t1"], ["t2"]),
                ("tail", "Relu", ["t2"], ["y"])])
    report = map_fusion(g, _plan(f"{decorated} + tail"))
    assert report.layers[0].onnx_nodes == sorted([node, "tail"], key=lambda n: n != node)
    assert report.layers[0].unresolved == []


def test_ambiguous_truncation_is_not_guessed():
    g = _graph([("block/branch_alpha", "Relu", ["x"], ["t1"]), ("block/branch_beta", "Relu", ["x"], ["t2"]),
                ("sum", "Add", ["t1", "t2"], ["y"])])
    report = map_fusion(g, _plan("block/branch_", "sum"), strict=False)
    assert report.layers[0].onnx_nodes == [] and report.layers[0].unresolved == ["block/branch_"]
    assert report.unmatched == ["block/branch_"]


def _attention():
    # x -> q, k, v (siblings); scores = q.k; p = softmax; ctx = p.v; out = ctx + x; then a tail relu
    return _graph([
        ("q", "MatMul", ["x", "wq"], ["tq"]), ("k", "MatMul", ["x", "wk"], ["tk"]), ("v", "MatMul", ["x", "wv"], ["tv"]),
        ("scores", "Mul", ["tq", "tk"], ["ts"]), ("softmax", "Softmax", ["ts"], ["tp"]),
        ("ctx", "Mul", ["tp", "tv"], ["tc"]), ("add", "Add", ["tc", "x"], ["to"]), ("tail", "Relu", ["to"], ["y"]),
    ], inits=("wq", "wk", "wv"), shape=(4, 4))


def test_foreign_node_region_is_expanded_between_first_and_last():
    g = _attention()
    report = map_fusion(g, _plan("{ForeignNode[q...add]}", "tail"))
    region = report.layers[0]
    assert region.kind == "myelin" and region.evidence == "name"
    # k and v are not on a q->add path, but lie between them and feed the region
    assert set(region.onnx_nodes) == {"q", "k", "v", "scores", "softmax", "ctx", "add"}
    assert report.coverage == 1.0


def test_foreign_node_region_leaves_nodes_other_layers_name():
    g = _attention()
    report = map_fusion(g, _plan("v", "{ForeignNode[q...add]}", "tail"))
    assert report.layers[0].onnx_nodes == ["v"]
    assert "v" not in report.layers[1].onnx_nodes and len(report.layers_of("v")) == 1


@pytest.mark.parametrize("metadata, kind, groups", [
    (["a", "b", "c"], "vertical", 1),                        # a chain
    (["q", "k", "v"], "horizontal", 3),                      # siblings reading x
    (["q", "softmax"], "myelin", 1),                         # apart, no shared input, made by Myelin
])
def test_kind_from_topology_when_the_name_says_nothing(metadata, kind, groups):
    g = _attention() if "q" in metadata else _graph(
        [("a", "Conv", ["x", "w"], ["t1"]), ("b", "Relu", ["t1"], ["t2"]), ("c", "MaxPool", ["t2"], ["y"])], inits=("w",))
    report = map_fusion(g, _plan({"Name": "__myl_Opaque_myl0_1", "Metadata": metadata, "LayerType": "gemm"}),
                        strict=False)
    layer = report.layers[0]
    assert layer.kind == kind and len(layer.groups) == groups


def test_elementwise_only_is_pointwise_and_other_myelin_shapes_are_myelin():
    g = _attention()
    pw = map_fusion(g, _plan({"Name": "__myl_MulAdd_myl0_2", "Metadata": ["ctx", "add", "tail"]}), strict=False)
    assert pw.layers[0].kind == "pointwise"
    my = map_fusion(g, _plan({"Name": "__myl_Big_myl0_3", "LayerType": "kgen",
                              "Metadata": ["q", "k", "scores", "softmax"]}), strict=False)
    assert my.layers[0].kind == "myelin"


def test_opaque_layer_maps_through_its_output_tensors():
    g = _graph(CHAIN)
    report = map_fusion(g, _plan({"Name": "__myl_Fused_myl0_0", "LayerType": "kgen", "Outputs": ["t2"]}, "c"))
    assert report.layers[0].evidence == "tensor" and report.layers[0].onnx_nodes == ["b"]


def test_inserted_layers_are_reformat_and_absorb_nothing():
    g = _graph(CHAIN)
    report = map_fusion(g, _plan(
        "Reformatting CopyNode for Input Tensor 0 to a + b", "a + b", "b output reformatter 0", "c",
        {"Name": "reshape_after_c", "LayerType": "NoOp", "Outputs": ["y"]},
        {"Name": "__myl_Tran_myl0_5", "LayerType": "kgen", "Outputs": ["y"]},
    ))
    kinds = [r.kind for r in report.layers]
    assert kinds == ["reformat", "vertical", "reformat", "single", "reformat", "reformat"]
    assert report.layers[0].target == "a + b" and report.layers[4].target == "c"
    assert all(not r.onnx_nodes for r in report.by_kind("reformat"))
    assert len(report.layers_of("c")) == 1


def test_vanished_nodes_get_reasons():
    g = _graph([
        ("const", "Constant", [], ["k"]),
        ("folded", "Add", ["k", "w"], ["kw"]),              # constant inputs only: folded at build time
        ("conv", "Conv", ["x", "w4"], ["c"]),
        ("bn", "BatchNormalization", ["c", "s", "b", "m", "var"], ["n"]),
        ("id", "Identity", ["n"], ["n2"]),
        ("use", "Add", ["n2", "kw"], ["u"]),
        ("flat", "Flatten", ["u"], ["f"]),
        ("relu", "Relu", ["f"], ["y"]),
        ("dead", "Sigmoid", ["x"], ["unused"]),            # reaches no output
        ("lost", "Tanh", ["x"], ["y2"]),                   # a real op no layer names
    ], outputs=("y", "y2"), inits=("w", "w4", "s", "b", "m", "var"))
    report = map_fusion(g, _plan("conv", "use", "relu"), strict=False)
    reasons = {v.name: v.reason for v in report.vanished}
    assert reasons == {"const": "constant-folded", "folded": "constant-folded", "bn": "folded into weights",
                       "id": "eliminated", "flat": "merged", "dead": "eliminated"}
    assert report.unaccounted == ["lost"]
    assert 0.8 < report.coverage < 1.0
    assert "folded" not in report.compute_nodes and "const" not in report.compute_nodes


def test_profile_times_join_by_name_in_order_for_repeated_names(tmp_path):
    g = _graph(CHAIN)
    profile = tmp_path / "p.json"
    profile.write_text('[{"count": 10}, {"name": "a", "timeMs": 1.0, "averageMs": 0.1, "percentage": 20},'
                       '{"name": "b + c", "timeMs": 3.0, "averageMs": 0.3, "percentage": 60},'
                       '{"name": "a", "timeMs": 1.0, "averageMs": 0.1, "percentage": 20}]')
    report = map_fusion(g, load_profile(profile))
    assert [r.time_ms for r in report.layers] == [0.1, 0.3, 0.1]
    assert [r.share for r in report.layers] == pytest.approx([0.2, 0.6, 0.2])
    assert [r.uid for r in report.layers][2] != report.layers[0].uid
    plan = _plan("a", "b + c", "extra")
    r2 = map_fusion(g, plan, load_profile(profile), strict=False)
    assert r2.layers[2].time_ms is None and r2.profile_unmatched == ["a"]


def test_short_labels():
    assert short_pattern([["Conv", "BatchNormalization", "Relu"]]) == "CBR"
    assert short_pattern([["Conv", "Relu"], ["Conv", "Relu"]]) == "CR||CR"
    assert op_letter("Add") == "A" and op_letter("HardSwish") == "HS" and op_letter("Gemm") == "FC"


def test_bad_inputs_give_trtlab_errors():
    g = _graph(CHAIN)
    with pytest.raises(MappingError, match="OnnxGraph"):
        map_fusion(42, _plan("a"))
    with pytest.raises(MappingError, match="EnginePlan"):
        map_fusion(g, 3.5)
    with pytest.raises(MappingError, match="profile="):
        map_fusion(g, _plan("a"), profile=object())
    report = map_fusion(g, _plan("a + b", "c"))
    with pytest.raises(MappingError, match="Close names"):
        report.layer("a + bb")
    with pytest.raises(MappingError, match="out of range"):
        report.layer(7)
    with pytest.raises(MappingError, match="not a node"):
        report.layer_of("zzz")
    with pytest.raises(MappingError, match="fusion kind"):
        report.by_kind("diagonal")
    with pytest.raises(ConfigError, match="mode="):
        report.draw(mode="3d")
    with pytest.raises(ConfigError, match="focus"):
        report.draw(focus="([")
    with pytest.raises(ConfigError, match="highlight"):
        report.draw(highlight="nope")
    assert report.layer_of("a").name == "a + b" and report.layer(-1).name == "c"


def test_empty_plan_is_not_a_mismatch_but_covers_nothing():
    g = _graph(CHAIN)
    report = map_fusion(g, load_layer_info({"Layers": [], "Bindings": []}))
    assert report.layers == [] and report.coverage == 0.0 and not report.is_mismatch
    assert report.unaccounted == ["a", "b", "c"]


def test_engines_with_several_profiles_map_every_copy_and_draw_the_first():
    g = _graph(CHAIN)
    names = ["a + b", "c", "Reformatting CopyNode for Input Tensor 0 to c"]
    plan = _plan(*names, *[f"{n} [profile 1]" for n in names])
    report = map_fusion(g, plan)
    assert [r.profile_index for r in report.layers] == [None, None, None, 1, 1, 1]
    assert [r.name for r in report.layers_of("c")] == ["c", "c [profile 1]"]
    assert report.layer_of("a").name == "a + b" and report.coverage == 1.0
    from trtlab.draw import engine_graph

    E = engine_graph(report)
    drawn = {i for i in E if isinstance(i, int)}
    assert drawn == {0, 1, 2}
    assert set(E.pred[1]) == {2} and set(E.pred[2]) == {0}  # the reformat sits before "c"
    report.draw().close()


def test_unexpected_failures_inside_become_mapping_errors(monkeypatch):
    import trtlab.fusion.mapping as mapping

    def broken(*a, **k):
        raise KeyError("boom")

    monkeypatch.setattr(mapping, "vanished_nodes", broken)
    with pytest.raises(MappingError, match="KeyError") as info:
        map_fusion(_graph(CHAIN), _plan("a + b", "c"))
    assert isinstance(info.value.__cause__, KeyError)


def test_any_layer_names_map_without_crashing_and_only_onto_real_nodes():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    g = _attention()
    nodes = list(g.nx)
    word = st.one_of(st.sampled_from(nodes), st.text(min_size=0, max_size=12))
    decorated = st.tuples(word, st.sampled_from(["", "_myl0_3", " copy", "_clone_1", " [profile 2]", "(", "]"]))
    name = st.lists(st.tuples(decorated, st.sampled_from([" + ", " || ", ", "])), min_size=1, max_size=5).map(
        lambda parts: "".join(w + d + sep for (w, d), sep in parts)[:-2].strip() or "x")
    wrapped = st.one_of(name, name.map(lambda n: f"PWN({n})"), name.map(lambda n: "{ForeignNode[" + n + "...add]}"))

    @hypothesis.settings(max_examples=150, deadline=None)
    @hypothesis.given(st.lists(wrapped, min_size=0, max_size=6))
    def check(names):
        report = map_fusion(g, load_layer_info({"Layers": names, "Bindings": []}))
        assert len(report.layers) == len(names)
        for r in report.layers:
            assert set(r.onnx_nodes) <= set(nodes)
            assert r.kind in ("vertical", "horizontal", "pointwise", "myelin", "reformat", "single", "sync")
        assert 0.0 <= report.coverage <= 1.0

    check()


def test_quantized_model_qdq_nodes_are_mapped_or_explained():
    # a QAT-style graph: activation Q/DQ pairs, a weight quantized by Q/DQ, Conv + Relu
    nodes = [
        ("QuantizeLinear_0", "QuantizeLinear", ["x", "s", "zp"], ["xq"]),
        ("DequantizeLinear_1", "DequantizeLinear", ["xq", "s", "zp"], ["xdq"]),
        ("QuantizeLinear_2", "QuantizeLinear", ["w", "s", "zp"], ["wq"]),
        ("DequantizeLinear_3", "DequantizeLinear", ["wq", "s", "zp"], ["wdq"]),
        ("Conv_4", "Conv", ["xdq", "wdq"], ["c"]),
        ("Relu_5", "Relu", ["c"], ["r"]),
        ("QuantizeLinear_6", "QuantizeLinear", ["r", "s", "zp"], ["rq"]),
        ("DequantizeLinear_7", "DequantizeLinear", ["rq", "s", "zp"], ["y"]),
    ]
    protos = [helper.make_node(op, i, o, name=n) for n, op, i, o in nodes]
    inits = [numpy_helper.from_array(np.ones((4, 4, 1, 1), np.float32), "w"),
             numpy_helper.from_array(np.array(0.1, np.float32), "s"), numpy_helper.from_array(np.array(0, np.int8), "zp")]
    g = load_onnx(helper.make_model(helper.make_graph(
        protos, "qat", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 2, 2])], initializer=inits),
        opset_imports=[helper.make_opsetid("", 17)]))
    int8 = "Thirty-two wide channel vectorized row major Int8 format"
    report = map_fusion(g, _plan(
        {"Name": "QuantizeLinear_0", "LayerType": "Reformat", "Outputs": ["xq"], "Format": int8},
        {"Name": "w + QuantizeLinear_2 + Conv_4 + Relu_5 + QuantizeLinear_6", "Outputs": ["rq"], "Format": int8},
        {"Name": "DequantizeLinear_7", "LayerType": "Reformat", "Outputs": ["y"]},
    ))
    assert not report.is_mismatch and report.coverage == 1.0 and report.unaccounted == []
    conv = report.layers[1]
    assert conv.kind == "vertical" and conv.precision == "INT8"
    assert conv.onnx_nodes == ["QuantizeLinear_2", "Conv_4", "Relu_5", "QuantizeLinear_6"]
    assert conv.unresolved == ["w"] and conv.qdq == []  # "w" is the weight initializer, not a node
    assert report.missing_qdq == []
    assert [r.onnx_nodes for r in (report.layers[0], report.layers[2])] == [["QuantizeLinear_0"], ["DequantizeLinear_7"]]
    reasons = {v.name: v.reason for v in report.vanished}
    assert reasons == {"DequantizeLinear_1": "folded into INT8 kernels", "DequantizeLinear_3": "constant-folded"}


def test_horizontal_name_with_metadata_keeps_its_branches():
    g = _attention()
    report = map_fusion(g, _plan({"Name": "q || k || v", "Metadata": ["q", "k", "v"]}))
    layer = report.layers[0]
    assert layer.evidence == "metadata" and layer.kind == "horizontal"
    assert layer.groups == [["q"], ["k"], ["v"]] and layer.short == "MM||MM||MM"


def test_fast_name_path_agrees_with_the_grammar(resnet18, layerinfo, googlenet_profile, fixtures):
    """The fast path for plain "a + b" names must give exactly what parse_layer_name gives."""
    import json

    from trtlab.engine.names import parse_layer_name
    from trtlab.fusion._index import parse_name as _parse_name

    names = [p.name for p in googlenet_profile.layers]
    for folder in ("resnet18-a100-fp32", "resnet18-a100-fp16", "resnet18-qat-a100-int8", "mobilenet-qat-titanrtx-int8"):
        names += [x["Name"] for x in json.loads(layerinfo(folder).read_text())["Layers"]]
    names += ["a + b", "a +  + b", " a + b", "a + b ", "x", "a+b", "a + b copy", "copied_a + b", "a + PWN(b)",
              "a || b", "a + b [profile 1]", "a/1x1 + a/relu"]
    for n in names:
        fast, full = _parse_name(n), parse_layer_name(n)
        assert (fast.kind, fast.leaves(), fast.ranges()) == (full.kind, full.leaves(), full.ranges()), n


def _region_graph():
    # a transformer-like region whose Myelin name starts at a weight and ends at a fused name
    return _graph([
        ("q", "MatMul", ["x", "a.weight"], ["tq"]), ("k", "MatMul", ["x", "wk"], ["tk"]),
        ("v", "MatMul", ["x", "wv"], ["tv"]), ("scores", "Mul", ["tq", "tk"], ["ts"]),
        ("softmax", "Softmax", ["ts"], ["tp"]), ("ctx", "Mul", ["tp", "tv"], ["tc"]),
        ("x/Reshape_2", "Transpose", ["tc"], ["r2"]), ("x/Transpose_1", "Transpose", ["r2"], ["t1"]),
        ("x/Reshape_3", "Transpose", ["t1"], ["r3"]), ("tail", "Relu", ["r3"], ["y"]),
    ], inits=("a.weight", "wk", "wv"), shape=(4, 4))


def test_foreign_node_whose_ends_are_fused_names_takes_every_node_between():
    # the form TensorRT 8.6 writes: {ForeignNode[a.weight + (Unnamed Layer* 109) [Shuffle]...x/Reshape_2 + ...]}
    g = _region_graph()
    name = "{ForeignNode[a.weight + (Unnamed Layer* 109) [Shuffle]...x/Reshape_2 + x/Transpose_1 + x/Reshape_3]}"
    report = map_fusion(g, _plan(name, "tail"))
    region = report.layers[0]
    assert region.kind == "myelin" and region.evidence == "name"
    assert region.onnx_nodes == ["q", "k", "v", "scores", "softmax", "ctx", "x/Reshape_2", "x/Transpose_1",
                                 "x/Reshape_3"]
    assert report.coverage == 1.0 and report.unmatched == []
    # the same region named by plain ends gives the same nodes
    plain = map_fusion(g, _plan("{ForeignNode[q...x/Reshape_3]}", "tail"))
    assert plain.layers[0].onnx_nodes == region.onnx_nodes
    # TensorRT 10 verbose logs end regions at ONNX-parser helpers no model has
    # ({ForeignNode[gemm2.bias + ONNXTRT_Broadcast_4...ONNXTRT_castHelper_9]}): the layer's output
    # tensor gives the last node
    helper_end = map_fusion(g, _plan({"Name": "{ForeignNode[a.weight + ONNXTRT_Broadcast_4...ONNXTRT_castHelper_9]}",
                                      "LayerType": "Myelin", "Inputs": ["x"], "Outputs": ["r3"]}, "tail"))
    assert helper_end.layers[0].onnx_nodes == region.onnx_nodes
    # both ends unknown: the layer's input and output tensors bound the region
    unknown = map_fusion(g, _plan({"Name": "{ForeignNode[ONNXTRT_Broadcast_1...ONNXTRT_castHelper_9]}",
                                   "LayerType": "Myelin", "Inputs": ["x"], "Outputs": ["r3"]}, "tail"))
    assert unknown.layers[0].onnx_nodes == region.onnx_nodes


def test_noop_layer_with_metadata_is_the_users_node_not_a_reformat():
    # key names as TensorRT 8.6/10 write them (LayerType "NoOp", "Metadata" with [ONNX Layer: ...], as in
    # ../shared/fixtures/trt10/resnet18-rtx3060-fp16/engine.graph.json)
    g = _graph([("a", "Relu", ["x"], ["t1"]), ("/Flatten", "Flatten", ["t1"], ["t2"]), ("c", "Relu", ["t2"], ["y"])])

    def layer(name, ltype, metadata, ins, outs):
        t = [{"Name": n, "Location": "Device", "Dimensions": [1, 4], "Format/Datatype": "Row major linear FP32 format"}
             for n in (ins, outs)]
        return {"Name": name, "LayerType": ltype, "Inputs": [t[0]], "Outputs": [t[1]],
                "TacticValue": "0x0000000000000000", "StreamId": 0, "Metadata": metadata}

    plan = load_layer_info({"Layers": [
        layer("a", "CaskPointwise", "[ONNX Layer: a]", "x", "t1"),
        layer("/Flatten", "NoOp", "[ONNX Layer: /Flatten]", "t1", "t2"),
        layer("Reformatting CopyNode for Input Tensor 0 to c", "NoOp", "", "t2", "t2r"),
        layer("c", "CaskPointwise", "[ONNX Layer: c]", "t2r", "y"),
    ], "Bindings": ["x", "y"]})
    noop, copy = plan.layers[1], plan.layers[2]
    assert noop.is_noop and not noop.is_reformat and noop.kind == "noop"
    assert copy.is_reformat and not copy.is_noop and copy.kind == "reformat"
    report = map_fusion(g, plan)
    assert [r.kind for r in report.layers] == ["single", "noop", "reformat", "single"]
    assert report.layers[1].onnx_nodes == ["/Flatten"] and report.layers[1].evidence == "metadata"
    counts = report.counts()
    assert (counts.noop, counts.reformat, counts.compute) == (1, 1, 2)
    assert counts.sentence() == ("4 engine layers: 2 compute, 1 reformat inserted by TensorRT (format conversions "
                                 "and copies), 1 of the network's own nodes run as a no-op (no kernel)")


def test_int8_tactics_give_the_compute_precision_of_fused_layers():
    # key names of TensorRT 8.x layer information (TacticName, Format/Datatype), as in the QAT fixtures
    g = _graph(CHAIN)

    def tensor(name, fmt):
        return {"Name": name, "Location": "Device", "Dimensions": [1, 4], "Format/Datatype": fmt}

    i8 = "Thirty-two wide channel vectorized row major Int8 format"
    plan = load_layer_info({"Layers": [
        {"Name": "a + b", "LayerType": "CaskConvolution", "Inputs": [tensor("x", i8)],
         "Outputs": [tensor("t2", "Thirty-two wide channel vectorized row major FP16 format")],
         "TacticName": "sm80_xmma_fprop_implicit_gemm_interleaved_i8f16_i8i32_f32_nchw_vect_c_32kcrs_vect_c_32_nchw"},
        {"Name": "c", "LayerType": "CaskConvolution", "Inputs": [tensor("t2", "Row major linear FP16 format")],
         "Outputs": [tensor("y", "Row major linear FP32 format")],
         "TacticName": "sm80_xmma_fprop_implicit_gemm_f16f16_f16f32_f32_nhwckrsc_nhwc"},
    ], "Bindings": ["x", "y"]})
    report = map_fusion(g, plan)
    ab, c = report.layers
    assert (ab.compute_precision, ab.precision) == ("INT8", "FP16")
    assert (c.compute_precision, c.precision) == ("FP16", "FP32")
    summary = report.precision_summary()
    assert summary.counts == {"INT8": 1, "FP16": 1}
    assert summary.by_type == {"Relu": {"INT8": 1, "FP16": 1}, "Sigmoid": {"INT8": 1}}
    assert summary.layers["INT8"] == ("a + b",)
    assert "computes in" in report.summary().as_dict()


def test_node_names_with_newline_or_nul_are_reported_and_found_by_tensor():
    # TensorRT cuts names at NUL ("bad\x00name" becomes "bad"): the layer is found through its tensor
    g = _graph([("a", "Relu", ["x"], ["t1"]), ("bad\x00name", "Sigmoid", ["t1"], ["t2"]),
                ("two\nlines", "Relu", ["t2"], ["y"])])
    plan = _plan("a", {"Name": "bad", "LayerType": "PointWiseV2", "Inputs": ["t1"], "Outputs": ["t2"]},
                 {"Name": "two\nlines", "LayerType": "PointWiseV2", "Inputs": ["t2"], "Outputs": ["y"]})
    with pytest.warns(UserWarning, match=r"node 1 \('bad\\x00name'\).*node 2 \('two\\nlines'\).*by tensor"):
        report = map_fusion(g, plan)
    assert report.layers[1].onnx_nodes == ["bad\x00name"] and report.layers[1].evidence == "tensor"
    assert report.layers[2].onnx_nodes == ["two\nlines"]
    assert report.coverage == 1.0
