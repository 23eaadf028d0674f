"""Lints on real engines (A100 ResNet-18 FP32/FP16, ResNet-18 and MobileNet Q/DQ engines) and on
hand-made layer information written with TensorRT's own JSON keys."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from trtlab.engine import load_layer_info, load_profile
from trtlab.errors import MappingError
from trtlab.fusion import Lints, lint, map_fusion
from trtlab.graph import load_onnx

A100 = "trt-layerinfo"


def _files(fixtures, folder):
    base = fixtures / A100 / folder
    return base / "engine.graph.json", base / "engine.profile.json"


@pytest.fixture(scope="module")
def qat_resnet(fixtures):
    return lint(*_files(fixtures, "resnet18-qat-a100-int8"))


# ----------------------------------------------------------------------------- reformat time
def test_fp16_engine_input_conversion_is_the_reformat_over_five_percent(fixtures, resnet18):
    graph, profile = _files(fixtures, "resnet18-a100-fp16")
    report = map_fusion(resnet18, graph, profile)
    found = report.lints().by_code("reformat-time")
    times = load_profile(profile)
    total = times.total_ms
    reformats = [r for r in report.layers if r.kind == "reformat"]
    over = [r.name for r in reformats if r.time_ms / total > 0.05]
    assert over == ["Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1"]
    assert [f.layer for f in found if f.severity == "warning"] == over
    assert "FP32" in found[0].evidence and "FP16" in found[0].evidence  # what the layer converts
    # all 13 reformats together: one summary row with their share of the time
    (together,) = [f for f in found if f.severity == "info"]
    share = sum(r.time_ms for r in reformats) / total
    assert f"{share:.1%}" in together.finding and together.layer == "(13 reformat layers)"


def test_reformat_threshold_is_a_parameter(fixtures, resnet18):
    report = map_fusion(resnet18, *_files(fixtures, "resnet18-a100-fp32"))
    assert report.lints().by_code("reformat-time") == []  # the largest FP32 reformat takes 2.1%
    found = report.lints(reformat_pct=2.0).by_code("reformat-time")
    assert [f.layer for f in found if f.severity == "warning"] == ["Reformatting CopyNode for Output Tensor 0 to MaxPool_2"]


def test_without_a_profile_reformat_time_is_not_checked_and_says_so(fixtures):
    found = lint(_files(fixtures, "resnet18-a100-fp16")[0])
    assert "reformat-time" not in found.checked and "profile" in found.skipped["reformat-time"]
    assert "not checked" in repr(found)


# ----------------------------------------------------------------------------- INT8 engines
def test_qat_resnet_layers_left_in_float_next_to_qdq(qat_resnet, fixtures):
    found = {f.layer: f for f in qat_resnet.by_code("int8-fallback")}
    assert set(found) == {"MaxPool_12", "GlobalAveragePool_246"}
    # the two are exactly the computing layers of the engine that neither run INT8 nor quantize
    plan = load_layer_info(_files(fixtures, "resnet18-qat-a100-int8")[0])
    float_layers = {layer.name for layer in plan.layers
                    if layer.kind not in ("reformat", "sync", "internal") and layer.origin != "QDQ"
                    and layer.compute_precision != "INT8"}
    assert float_layers == set(found)
    assert "computes in FP32" in found["MaxPool_12"].evidence
    assert "'QuantizeLinear_15' (a quantize layer)" in found["MaxPool_12"].evidence
    assert "(INT8, writes FP32)" in found["MaxPool_12"].evidence  # conv1 writes FP32 for the pool
    assert all(f.severity == "warning" and "Q/DQ" in f.what_to_try for f in found.values())


def test_qat_resnet_quantize_layers_that_did_not_fold(qat_resnet):
    found = qat_resnet.by_code("qdq-unfolded")
    assert len(found) == 10 and all(f.layer.startswith("QuantizeLinear_") for f in found)
    # the network input has to be quantized once: reported, but as information
    (first,) = [f for f in found if f.severity == "info"]
    assert first.layer == "QuantizeLinear_2" and "FP32" in first.evidence and "INT8" in first.evidence
    # seven follow a convolution that fused a residual Add without Q/DQ on its skip input
    residual = [f.layer for f in found if "residual Add" in f.what_to_try and "fuses a residual Add" in f.what_to_try]
    assert residual == ["QuantizeLinear_40", "QuantizeLinear_65", "QuantizeLinear_101", "QuantizeLinear_126",
                        "QuantizeLinear_162", "QuantizeLinear_187", "QuantizeLinear_223"]
    # two follow the pooling layers left in float
    after_float = [f.layer for f in found if "int8-fallback finding" in f.what_to_try]
    assert after_float == ["QuantizeLinear_15", "QuantizeLinear_250"]


def test_qat_resnet_channels_only_the_rgb_input(qat_resnet):
    (found,) = qat_resnet.by_code("channels")
    assert found.layer == "conv1.weight + QuantizeLinear_7 + Conv_9" and found.severity == "info"
    assert "input channels 3" in found.evidence and "first layer" in found.what_to_try


def test_mobilenet_int8_channels_not_multiples_of_16(fixtures):
    graph = fixtures / A100 / "mobilenet-qat-titanrtx-int8" / "engine.graph.json"
    found = {f.layer: f for f in lint(graph).by_code("channels")}
    plan = load_layer_info(graph)
    expected = set()
    for layer in plan.layers:
        raw = layer.raw
        if raw.get("ParameterType") != "Convolution" or raw.get("Groups") != 1 or "Gemm" in layer.name:
            continue
        if layer.inputs[0].shape[1] % 16 or raw["OutMaps"] % 16:
            expected.add(layer.name)
    assert set(found) == expected and len(expected) >= 5  # the 24-channel bottlenecks and the RGB input
    assert all("24" in f.evidence for name, f in found.items() if "features.0.0" not in name)
    # depthwise convolutions (Groups == channels) are never reported
    assert not any(plan.layer(name).raw.get("Groups", 1) > 1 for name in found)


# ----------------------------------------------------------------------------- hand-made inputs
def _t(name, dims, fmt):
    return {"Name": name, "Location": "Device", "Dimensions": dims, "Format/Datatype": fmt}


INT8_CHW32 = "Thirty-two wide channel vectorized row major Int8 format"
FP16_HWC8 = "Channel major FP16 format where channel % 8 == 0"
FP32_LINEAR = "Row major linear FP32"


def _plan(layers):
    return load_layer_info({"Layers": layers, "Bindings": ["x", "y"]})


def test_dequantize_and_qdq_pairs_left_as_layers():
    plan = _plan([
        {"Name": "QuantizeLinear_1", "LayerType": "Reformat", "ParameterType": "Reformat", "Origin": "QDQ",
         "Inputs": [_t("x", [1, 32, 8, 8], FP32_LINEAR)], "Outputs": [_t("q", [1, 32, 8, 8], INT8_CHW32)]},
        {"Name": "w.weight + QuantizeLinear_3 + Conv_5", "LayerType": "CaskConvolution", "ParameterType": "Convolution",
         "Kernel": [3, 3], "OutMaps": 32, "Groups": 1, "TacticName": "sm80_xmma_fprop_implicit_gemm_interleaved_i8i8_i8i32_f32",
         "Inputs": [_t("q", [1, 32, 8, 8], INT8_CHW32)], "Outputs": [_t("c", [1, 32, 8, 8], INT8_CHW32)]},
        {"Name": "DequantizeLinear_6", "LayerType": "Reformat", "ParameterType": "Reformat", "Origin": "QDQ",
         "Inputs": [_t("c", [1, 32, 8, 8], INT8_CHW32)], "Outputs": [_t("d", [1, 32, 8, 8], FP32_LINEAR)]},
        {"Name": "Softmax_7", "LayerType": "CudaSoftMax", "ParameterType": "SoftMax",
         "Inputs": [_t("d", [1, 32, 8, 8], FP32_LINEAR)], "Outputs": [_t("s", [1, 32, 8, 8], FP32_LINEAR)]},
        {"Name": "QuantizeLinear_8 + DequantizeLinear_9", "LayerType": "Scale", "ParameterType": "Scale",
         "Inputs": [_t("s", [1, 32, 8, 8], FP32_LINEAR)], "Outputs": [_t("y", [1, 32, 8, 8], FP32_LINEAR)]},
    ])
    found = lint(plan)
    unfolded = {f.layer: f for f in found.by_code("qdq-unfolded")}
    assert unfolded["DequantizeLinear_6"].finding == "a DequantizeLinear runs as a layer of its own"
    assert "quantizes and dequantizes again" in unfolded["QuantizeLinear_8 + DequantizeLinear_9"].finding
    assert unfolded["QuantizeLinear_1"].severity == "info"  # quantizes the network input
    # the softmax between a dequantize and a Q/DQ pair stays in FP32
    (fallback,) = found.by_code("int8-fallback")
    assert fallback.layer == "Softmax_7" and "'DequantizeLinear_6' (a dequantize layer)" in fallback.evidence
    assert found.by_code("channels") == []  # 32 channels suit INT8


def test_fp16_convolution_channels_from_tensor_shapes_and_from_onnx_weights():
    conv = {"Name": "conv + relu", "LayerType": "CaskConvolution", "ParameterType": "Convolution", "Kernel": [3, 3],
            "OutMaps": 60, "Groups": 1, "TacticName": "sm80_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc",
            "Inputs": [_t("x", [1, 30, 8, 8], FP16_HWC8)], "Outputs": [_t("y", [1, 60, 8, 8], FP16_HWC8)],
            "Metadata": "[ONNX Layer: conv]\u001e[ONNX Layer: relu]", "StreamId": 0}
    depthwise = {"Name": "dw", "LayerType": "CudaDepthwiseConvolution", "ParameterType": "Convolution",
                 "Kernel": [3, 3], "OutMaps": 60, "Groups": 60, "Inputs": [_t("y", [1, 60, 8, 8], FP16_HWC8)],
                 "Outputs": [_t("z", [1, 60, 8, 8], FP16_HWC8)], "Metadata": "[ONNX Layer: dw]", "StreamId": 0}
    plan = _plan([conv, depthwise])
    (found,) = lint(plan).by_code("channels")
    assert found.layer == "conv + relu" and found.severity == "warning"
    assert "input channels 30 (padded to 32" in found.evidence and "output channels 60 (padded to 64" in found.evidence
    assert "tensor shapes" in found.evidence and "multiples of 8" in found.what_to_try

    # the same engine mapped onto its ONNX model: the channels come from the convolution's weights
    w = numpy_helper.from_array(np.zeros((60, 30, 3, 3), np.float32), "w")
    wd = numpy_helper.from_array(np.zeros((60, 1, 3, 3), np.float32), "wd")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["y"], name="relu"),
             helper.make_node("Conv", ["y", "wd"], ["z"], name="dw", group=60, pads=[1, 1, 1, 1])]
    model = helper.make_model(helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 30, 8, 8])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 60, 8, 8])], [w, wd]),
        opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    report = map_fusion(load_onnx(model), plan)
    (found,) = report.lints().by_code("channels")
    assert found.layer == "conv + relu" and "weights of ONNX node conv" in found.evidence


def test_lints_table_displays(qat_resnet):
    html = qat_resnet._repr_html_()
    assert "MaxPool_12" in html and "what to try" in html and qat_resnet.summary() in html
    assert str(qat_resnet).count("[warning]") == sum(f.severity == "warning" for f in qat_resnet)
    df = qat_resnet.to_dataframe()
    assert list(df.columns)[:3] == ["severity", "code", "layer"] and len(df) == len(qat_resnet)
    assert isinstance(qat_resnet, Lints) and qat_resnet[0].layer == "QuantizeLinear_2"  # engine order


@pytest.mark.parametrize("call, words", [
    (lambda p: lint(p, reformat_pct=150), "between 0 and 100"),
    (lambda p: lint(p, reformat_pct="5"), "between 0 and 100"),
    (lambda p: lint(3.5), "not a float"),
    (lambda p: lint(p).by_code("slow"), "not one of reformat-time"),
])
def test_bad_input_says_what_is_allowed(fixtures, call, words):
    with pytest.raises(MappingError, match=words):
        call(_files(fixtures, "resnet18-a100-fp16")[0])
