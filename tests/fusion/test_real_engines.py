"""map_fusion on real TensorRT output (shared fixtures) and the bundled models."""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter

import pytest

from trtlab.engine import load_layer_info, load_profile
from trtlab.errors import MappingError
from trtlab.fusion import map_fusion

RESNET = ("resnet18-a100-fp32", "resnet18-a100-fp16")


def _names(path) -> list[str]:
    return [layer["Name"] for layer in json.loads(path.read_text())["Layers"]]


@pytest.mark.parametrize("folder", RESNET)
def test_resnet18_every_conv_relu_add_in_exactly_one_layer(resnet18, layerinfo, folder):
    plan = load_layer_info(layerinfo(folder))
    report = map_fusion(resnet18, plan, load_profile(layerinfo(folder, "profile")))
    assert not report.is_mismatch
    assert report.coverage == 1.0 and report.unaccounted == [] and report.unmatched == []
    nodes = [n for n in resnet18.nx if resnet18.node(n).op_type in ("Conv", "Relu", "Add")]
    assert len(nodes) == 20 + 17 + 8  # ResNet-18: 20 convolutions (3 downsample), 17 ReLUs, 8 residual adds
    for n in nodes:
        layers = report.layers_of(n)
        assert len(layers) == 1, (n, [r.name for r in layers])
        # and the layer's name really names this node
        assert n in re.split(r" \+ ", layers[0].name)
    fused = report.layer("Conv_5 + Add_6 + Relu_7")
    assert fused.kind == "vertical"
    assert fused.onnx_nodes == ["Conv_5", "Add_6", "Relu_7"]
    assert fused.op_types == ["Conv", "Add", "Relu"] and fused.short == "CAR"
    assert fused.evidence == "name"


def test_resnet18_fp32_reformat_layers_and_times(resnet18, layerinfo):
    path = layerinfo("resnet18-a100-fp32")
    report = map_fusion(resnet18, load_layer_info(path), load_profile(layerinfo("resnet18-a100-fp32", "profile")))
    names = _names(path)
    assert [r.name for r in report.layers] == names  # one row per engine layer, engine order
    expected = {n for n in names if n.startswith("Reformatting CopyNode")} | {"reshape_after_Gemm_48"}
    assert {r.name for r in report.by_kind("reformat")} == expected
    # Flatten_47 has no engine layer: TensorRT merged it (the FC layer reads 4-D input)
    assert [(v.name, v.reason) for v in report.vanished] == [("Flatten_47", "merged")]
    profile = json.loads(layerinfo("resnet18-a100-fp32", "profile").read_text())[1:]
    by_name = {p["name"]: p for p in profile}
    for r in report.layers:
        assert r.time_ms == pytest.approx(by_name[r.name]["averageMs"])
        assert r.share == pytest.approx(by_name[r.name]["percentage"] / 100)
    assert report.total_ms == pytest.approx(sum(p["averageMs"] for p in profile))
    conv = report.layer("Conv_0 + Relu_1")
    assert conv.precision == "FP32" and conv.tactic and conv.short == "CR"
    summary = report.summary().as_dict()
    counts = report.counts()
    assert (counts.total, counts.reformat, counts.compute) == (32, len(expected), 32 - len(expected))
    assert summary["engine layers"] == counts.sentence()
    assert summary["engine layers"].startswith(f"32 engine layers: {32 - len(expected)} compute, {len(expected)} reformats")
    assert "100.0%" in summary["coverage"]


def test_resnet18_fp16_has_more_reformats_and_fp16_layers(resnet18, layerinfo):
    fp32 = map_fusion(resnet18, load_layer_info(layerinfo("resnet18-a100-fp32")))
    fp16 = map_fusion(resnet18, load_layer_info(layerinfo("resnet18-a100-fp16")))
    assert len(fp16.by_kind("reformat")) > len(fp32.by_kind("reformat"))
    precisions = Counter(r.precision for r in fp16.layers if r.kind != "reformat")
    assert precisions["FP16"] >= 17
    assert Counter(r.kind for r in fp16.layers if r.kind != "reformat") == Counter(
        r.kind for r in fp32.layers if r.kind != "reformat")


def test_resnet18_int8_qdq_names_are_reported_not_crashing(resnet18, layerinfo):
    path = layerinfo("resnet18-qat-a100-int8")
    with pytest.warns(UserWarning, match="another model"):
        report = map_fusion(resnet18, load_layer_info(path), load_profile(layerinfo("resnet18-qat-a100-int8", "profile")))
    qdq = sorted({m for n in _names(path) for m in re.findall(r"QuantizeLinear_\d+", n)})
    assert sorted(report.missing_qdq) == qdq and len(qdq) > 20
    # the QAT export numbers its nodes differently (Conv_9 where the float model has Conv_0):
    # this is another ONNX graph, and the report says so instead of drawing a half-empty picture
    assert report.is_mismatch
    assert "Q/DQ" in report.mismatch_reason
    assert "Q/DQ names not in this model" in str(report.summary())
    assert report.layer("conv1.weight + QuantizeLinear_7 + Conv_9").qdq == ["QuantizeLinear_7"]
    with pytest.raises(MappingError, match="quantized"):
        map_fusion(resnet18, load_layer_info(path), strict=True)


def test_googlenet_nine_horizontal_fusions_of_three_cr_pairs(googlenet, googlenet_profile):
    report = map_fusion(googlenet, googlenet_profile)
    assert not report.is_mismatch and report.coverage == 1.0
    horizontal = report.by_kind("horizontal")
    blocks = sorted({r.onnx_nodes[0].split("/")[0] for r in horizontal})
    assert blocks == ["inception_3a", "inception_3b", "inception_4a", "inception_4b", "inception_4c",
                      "inception_4d", "inception_4e", "inception_5a", "inception_5b"]
    for r in horizontal:
        block = r.onnx_nodes[0].split("/")[0]
        assert len(r.onnx_nodes) == 6 and r.short == "CR||CR||CR"
        assert len(r.groups) == 3
        for branch in r.groups:
            assert [googlenet.node(n).op_type for n in branch] == ["Conv", "Relu"]
            assert all(n.startswith(block + "/") for n in branch)
        # the three 1x1 convolutions read the same tensor
        convs = [b[0] for b in r.groups]
        assert len({googlenet.node(c).inputs[0] for c in convs}) == 1
        assert {c.split("/")[1] for c in convs} == {"1x1", "3x3_reduce", "5x5_reduce"}
    for n in googlenet.nx:
        if googlenet.node(n).op_type in ("Conv", "Relu"):
            assert len(report.layers_of(n)) == 1, n
    reasons = {v.name: v.reason for v in report.vanished}
    assert reasons["pool5/drop_7x7_s1"] == "eliminated"
    assert all(reasons[f"{b}/output"] == "eliminated" for b in blocks)  # concat written in place
    copies = [r for r in report.by_kind("reformat") if r.name.endswith(" copy")]
    assert len(copies) == 9 and all(r.short == "copy" for r in copies)
    # the profile's times are on the rows, and shares add up to the whole
    assert sum(r.share for r in report.layers) == pytest.approx(1.0, abs=1e-3)


def test_googlenet_layer_times_file_maps_too(googlenet, fixtures):
    prof = load_profile(fixtures / "trt-profiles" / "googlenet-jetson-gpu.layer_times.json")
    report = map_fusion(googlenet, prof)
    assert report.coverage == 1.0 and len(report.by_kind("horizontal")) == 9
    assert all(r.time_ms is not None for r in report.layers)


def test_layer_info_of_another_model_is_a_clear_mismatch(googlenet, resnet18, layerinfo, googlenet_profile):
    plan = load_layer_info(layerinfo("resnet18-a100-fp32"))
    with pytest.warns(UserWarning, match="belongs to another model"):
        report = map_fusion(googlenet, plan)
    assert report.is_mismatch
    assert report.coverage < 0.2 and len(report.unmatched) == 23
    assert "Conv_0 + Relu_1" in report.unmatched
    assert "belongs to another model" in report.mismatch_reason
    assert "Mismatch" in report._repr_html_() and "MISMATCH" in repr(report)
    with pytest.raises(MappingError, match=r"only 0 of 23 engine layers"):
        map_fusion(googlenet, plan, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other = map_fusion(resnet18, googlenet_profile)
    assert other.is_mismatch and other.coverage == 0.0


def test_paths_are_accepted(layerinfo, fixtures):
    import trtlab

    report = map_fusion(trtlab.bundled_model("resnet18"), layerinfo("resnet18-a100-fp32"),
                        layerinfo("resnet18-a100-fp32", "profile"))
    assert report.coverage == 1.0 and report.layers[0].time_ms is not None
    # a profile path given as the plan: its names drive the mapping
    g = map_fusion(trtlab.bundled_model("googlenet"), fixtures / "trt-profiles" / "googlenet-jetson-gpu.profile.json")
    assert len(g.by_kind("horizontal")) == 9


def test_to_dataframe_and_html(resnet18, layerinfo):
    pytest.importorskip("pandas")
    report = map_fusion(resnet18, layerinfo("resnet18-a100-fp32"), layerinfo("resnet18-a100-fp32", "profile"))
    df = report.to_dataframe()
    assert len(df) == 32 and {"name", "kind", "short", "onnx_nodes", "time_ms", "share", "precision"} <= set(df.columns)
    assert df.loc[4, "name"] == "Conv_5 + Add_6 + Relu_7" and df.loc[4, "n_onnx"] == 3
    html = report._repr_html_()
    assert "Conv_5 + Add_6 + Relu_7" in html and "CAR" in html and "<table>" in html


def test_mobilenet_int8_names_keep_their_kinds_even_against_another_model(resnet18, layerinfo):
    path = layerinfo("mobilenet-qat-titanrtx-int8")
    with pytest.warns(UserWarning, match="another model"):
        report = map_fusion(resnet18, load_layer_info(path))
    names = _names(path)
    pwn = [r for r in report.layers if "PWN(" in r.name]
    assert len(pwn) == sum("PWN(" in n for n in names) > 30
    assert all(r.kind == "vertical" for r in pwn)  # "w + Q + Conv + PWN(Clip)" is a vertical chain
    assert report.layer("QuantizeLinear_2").qdq == ["QuantizeLinear_2"]
    assert all(r.kind == "reformat" for r in report.layers if r.name.startswith("Reformatting CopyNode"))
    assert report.is_mismatch and len(report.missing_qdq) > 50


def test_trt10_resnet18_maps_onto_the_torchvision_export(fixtures):
    """TensorRT 10.4 layer information of torchvision's ResNet-18 against the same network exported
    with today's exporter: every compute node is accounted for and every engine layer is explained."""
    import onnx

    onnx_path = fixtures / "onnx-torchvision" / "resnet18.onnx"
    plan = load_layer_info(fixtures / "trt10" / "resnet18-rtx3060-fp16" / "engine.graph.json")
    assert plan.source == "json-10"  # Myelin kernels (kgen, shape_call) are layers of their own
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no mismatch warning
        report = map_fusion(onnx_path, plan, fixtures / "trt10" / "resnet18-rtx3060-fp16" / "engine.profile.json")
    assert report.coverage == 1.0 and report.unaccounted == [] and not report.is_mismatch
    assert report.unmatched == []  # no unexplained engine layer
    # the Myelin placeholder is internal, with its explanation; the two copies are reformats
    internal = report.by_kind("internal")
    assert [r.name for r in internal] == ["dummy_shape_call__mye548_0_myl24_0"] and "shape" in internal[0].note
    assert {r.name for r in report.by_kind("reformat")} == {
        r.name for r in report.layers if r.name.startswith("Reformatting CopyNode")}
    counts = report.counts()
    assert counts == plan.counts()  # the plan and the report count the same way
    assert (counts.total, counts.reformat, counts.internal) == (26, 2, 1) and counts.compute == 23
    assert report.counts().sentence().startswith("26 engine layers: 23 compute, 2 reformats")
    # every Conv, Relu and Add node of the model is in a layer running FP16 kernels
    model = onnx.load(str(onnx_path))
    ops = {}
    for n in model.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    precisions = report.precision_summary()
    assert precisions.by_type["Conv"] == {"FP16": ops["Conv"]}
    assert precisions.by_type["Relu"] == {"FP16": ops["Relu"]} and precisions.by_type["Add"] == {"FP16": ops["Add"]}
    assert precisions.counts == {"FP16": 23}
    assert report.layer("/conv1/Conv + /relu/Relu").compute_precision == "FP16"


@pytest.mark.parametrize("folder", ["resnet18-a100-fp32", "resnet18-a100-fp16", "resnet18-qat-a100-int8",
                                    "mobilenet-qat-titanrtx-int8"])
def test_plan_and_report_count_alike(resnet18, layerinfo, folder):
    plan = load_layer_info(layerinfo(folder))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the QAT engines come from another export of the model
        report = map_fusion(resnet18, plan)
    counts = report.counts()
    assert counts == plan.counts()
    assert counts.reformat == sum(layer.is_reformat for layer in plan.layers)
    assert counts.compute + counts.reformat == len(plan) and repr(report).startswith(f"FusionReport({counts.sentence()}")
