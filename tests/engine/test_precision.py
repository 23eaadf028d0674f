"""Compute precision of engine layers: which layers really run INT8, on the real QAT engines."""

from __future__ import annotations

import json

import pytest

from trtlab.engine import load_layer_info, tactic_precision

QAT = ["resnet18-qat-a100-int8", "mobilenet-qat-titanrtx-int8"]


def _int8_kernel(tactic: str) -> bool:
    """INT8 convolution kernels as TensorRT names them (independent of trtlab's own token table):
    xmma ``i8i8``/``i8f16``/``i8f32``, cuDNN ``int8x4`` and ``i8816 ... int8``."""
    t = tactic.lower()
    return any(w in t for w in ("_i8i8_", "_i8f16_", "_i8f32_", "int8x4", "cudnn_int8"))


@pytest.mark.parametrize("folder", QAT)
def test_int8_convolutions_writing_fp16_or_fp32_compute_in_int8(fixtures, folder):
    path = fixtures / "trt-layerinfo" / folder / "engine.graph.json"
    raw = {r["Name"]: r for r in json.loads(path.read_text())["Layers"]}
    plan = load_layer_info(path)
    int8_convs = [layer for layer in plan.layers if _int8_kernel(layer.tactic or "")]
    assert int8_convs and all(layer.layer_type == "CaskConvolution" for layer in int8_convs)
    for layer in int8_convs:
        assert layer.compute_precision == "INT8", layer.name
        assert layer.compute_precision_source == "tactic"
        assert layer.input_precisions[0] == "INT8"  # the data input is INT8; a residual input may be FP16
        assert layer.output_precision.lower() in raw[layer.name]["Outputs"][0]["Format/Datatype"].lower()
    # the layers the old output-type view reported as FP16/FP32 although they run INT8 kernels
    widened = [layer for layer in int8_convs if layer.output_precision in ("FP16", "FP32")]
    assert widened and all(layer.precision == layer.output_precision != layer.compute_precision for layer in widened)
    expected = sum(1 for r in raw.values() if _int8_kernel(r.get("TacticName") or "")
                   and any(w in r["Outputs"][0]["Format/Datatype"] for w in ("FP16", "FP32")))
    assert len(widened) == expected


def test_widened_int8_layers_across_both_qat_engines(fixtures):
    plans = [load_layer_info(fixtures / "trt-layerinfo" / f / "engine.graph.json") for f in QAT]
    widened = [layer for plan in plans for layer in plan.layers
               if layer.compute_precision == "INT8" and layer.output_precision in ("FP16", "FP32")]
    # 13 in the ResNet-18 engine (i8f16/i8f32/int8x4) and 17 in MobileNet (i8816 ... int8, i8f32),
    # counted from the file by hand; a Q layer (Reformat FP->INT8) computes in float and is not among them
    assert len(widened) == 30
    assert all(layer.layer_type == "CaskConvolution" for layer in widened)


@pytest.mark.parametrize("folder", QAT)
def test_precision_summary_says_which_layers_run_int8(fixtures, folder):
    plan = load_layer_info(fixtures / "trt-layerinfo" / folder / "engine.graph.json")
    summary = plan.precision_summary()
    computing = [layer for layer in plan.layers if not layer.kind.is_inserted]
    assert sum(summary.counts.values()) == len(computing)
    assert set(summary.layers["INT8"]) == {layer.name for layer in computing if layer.compute_precision == "INT8"}
    assert summary.by_type["CaskConvolution"]["INT8"] == sum(
        1 for layer in computing if layer.layer_type == "CaskConvolution" and layer.compute_precision == "INT8")
    assert summary.sentence().startswith(f"{len(computing)} computing layers run in: ")
    fell_back = summary.other_than("INT8")
    assert set(fell_back) == {layer.name for layer in computing if layer.compute_precision != "INT8"}
    assert fell_back and len(fell_back) + len(summary.layers["INT8"]) == len(computing)
    assert "INT8" in str(summary) and "<table" in summary._repr_html_()


def test_fp16_and_fp32_engines(fixtures):
    fp32 = load_layer_info(fixtures / "trt-layerinfo" / "resnet18-a100-fp32" / "engine.graph.json")
    assert set(fp32.precision_summary().counts) == {"FP32"}
    trt10 = load_layer_info(fixtures / "trt10" / "resnet18-rtx3060-fp16" / "engine.graph.json")
    convs = [layer for layer in trt10.layers if layer.layer_type == "CaskConvolution"]
    assert len(convs) == 20 and {layer.compute_precision for layer in convs} == {"FP16"}


@pytest.mark.parametrize("tactic, expected", [
    # names as they appear in the shared fixtures and in TensorRT build logs
    ("sm80_xmma_fprop_implicit_gemm_interleaved_i8f16_i8i32_f32_nchw_vect_c_32kcrs_vect_c_32_nchw", "INT8"),
    ("sm80_xmma_fprop_implicit_gemm_interleaved_i8f32_i8i32_f32_nchw_vect_c_32kcrs", "INT8"),
    ("ampere_fp32_icudnn_int8x4_128x64_relu_medium_nn_v1", "INT8"),
    ("turing_fp16_i8816cudnn_int8_128x128_ldg16_relu_small_nt_v1", "INT8"),
    ("sm80_xmma_fprop_implicit_gemm_f16f16_f16f16_f16_nhwckrsc_nhwc_tilesize128x128x64", "FP16"),
    ("volta_h884cudnn_256x128_ldg8_relu_exp_small_nhwc_tn_v1", "FP16"),
    ("ampere_scudnn_128x64_relu_small_nn_v1", "FP32"),
    ("sm80_xmma_gemm_f32f32_tf32f32_f32_nn_n_tilesize128x128x16_stage4", "FP32"),
    ("sm50_xmma_cublas_gemvx_f32f32_f32_f32_tn_n_int32_unit_n", "FP32"),
    ("__myl_MulSum_0xf51780477f7b66bae3896079c053d676", None),
    ("0x00000000000003ea", None),
    (None, None),
])
def test_tactic_names(tactic, expected):
    assert tactic_precision(tactic) == expected
