"""Layer-information forms not in the shared fixtures: TensorRT 10 and 11 JSON, LAYER_NAMES_ONLY,
NONE, multiple optimization profiles, repeated names, one-line listings without a log around them.

Key names follow real outputs:
- TensorRT 10 JSON: a trt_engine_info.json excerpt in a public Torch-TensorRT profiling README
  (layers with Format/Datatype, TacticValue, "StreamId": 0, "Metadata": ""), and TREx
  (NVIDIA/TensorRT tools/experimental/trt-engine-explorer/trex/parser.py: Metadata entries
  separated by \\x1E in 8.6 and \\x1F in 10.x).
- TensorRT 11 / RTX: the keys TensorRT for RTX 1.7 prints in its one-line listing (built in
  test_rtx_logs.py: Datatype, Format, Strides, StrideOrder, Constants, StreamId, EventId, and
  "I/O Tensors" entries with IOMode, DataType, Location, IsShapeInferenceIO, ProfileInfo with
  MinShape/OptShape/MaxShape/Format), which public engine-inspector consumers read from the
  JSON under the same names (e.g. "I/O Tensors": [{"Name", "IOMode", "DataType", ...}]).
"""

from __future__ import annotations

import json

import networkx as nx
import pytest

from trtlab import LayerInfoError
from trtlab.engine import load_layer_info, parse_metadata, parse_oneline


def _t10(name, dims, fmt="Row major linear FP16 format"):
    return {"Name": name, "Location": "Device", "Dimensions": dims, "Format/Datatype": fmt}


TRT10 = {
    "Layers": [
        {"Name": "Reformatting CopyNode for Input Tensor 0 to /features/0/Conv + /features/1/Relu",
         "LayerType": "Reformat", "Inputs": [_t10("x", [1, 3, 224, 224])],
         "Outputs": [_t10("Reformatted Input Tensor 0 to /features/0/Conv + /features/1/Relu", [1, 3, 224, 224],
                          "Channel major FP16 format where channel % 4 == 0")],
         "ParameterType": "Reformat", "Origin": "REFORMAT", "TacticValue": "0x00000000000003ea",
         "StreamId": 0, "Metadata": ""},
        {"Name": "/features/0/Conv + /features/1/Relu", "LayerType": "CaskConvolution",
         "Inputs": [_t10("Reformatted Input Tensor 0 to /features/0/Conv + /features/1/Relu", [1, 3, 224, 224],
                         "Channel major FP16 format where channel % 4 == 0")],
         "Outputs": [_t10("/features/1/Relu_output_0", [1, 64, 55, 55], "Channel major FP16 format where channel % 8 == 0")],
         "ParameterType": "Convolution", "TacticName": "sm80_xmma_fprop_implicit_gemm_f16f16", "TacticValue": "0x1",
         "StreamId": 0,
         "Metadata": "[ONNX Layer: /features/0/Conv]\x1f[ONNX Layer: /features/1/Relu]"},
        {"Name": "PWN(/act/Sigmoid, /act/Mul)", "LayerType": "PointWiseV2",
         "Inputs": [_t10("/features/1/Relu_output_0", [1, 64, 55, 55], "Channel major FP16 format where channel % 8 == 0")],
         "Outputs": [_t10("y", [1, 64, 55, 55])],
         "TacticValue": "0x2", "StreamId": 0,
         "Metadata": "[ONNX Layer: /act/Sigmoid | Local Function: SiLU]\x1e[ONNX Layer: /act/Mul | Local Function: SiLU]"},
    ],
    "Bindings": ["x", "y"],
}


def test_trt10_json():
    plan = load_layer_info(json.dumps(TRT10))
    assert (plan.source, plan.verbosity, plan.note) == ("json-10", "detailed", None)
    r, conv, pwn = plan.layers
    assert r.is_reformat and not conv.is_reformat
    assert conv.onnx_nodes_from_metadata == ["/features/0/Conv", "/features/1/Relu"]
    assert pwn.onnx_nodes_from_metadata == ["/act/Sigmoid", "/act/Mul"]
    assert r.onnx_nodes_from_metadata == [] and conv.stream_id == 0
    assert conv.tactic == "sm80_xmma_fprop_implicit_gemm_f16f16" and r.tactic == "0x00000000000003ea"
    assert conv.outputs[0].dtype == "FP16" and "HWC8" in conv.outputs[0].format
    assert list(plan.nx.edges) == [(r.uid, conv.uid), (conv.uid, pwn.uid)]
    assert [(t.name, t.mode, t.dtype) for t in plan.io_tensors] == [("x", "input", "FP16"), ("y", "output", "FP16")]


def _t11(name, dims, dtype="Half", fmt="(Linear) Row major linear format"):
    return {"Name": name, "Dimensions": dims, "Strides": [], "StrideOrder": [], "Datatype": dtype, "Format": fmt}


TRT11 = {
    "Layers": [
        {"Name": "__myl_Move_myl0_0", "LayerType": "kgen", "Inputs": [_t11("images", [-1, 3, 64, 64], "Float")],
         "Constants": [], "Outputs": [_t11("__myln_k_arg__bb1_2_myl0", [-1, 3, 64, 64], "Half", "(NHWC) Channel major format")],
         "TacticName": "__myl_Move_0x73", "StreamId": 0, "Metadata": ""},
        {"Name": "__mye406_myl0_1", "LayerType": "signal", "Inputs": [], "Constants": [], "Outputs": [],
         "TacticName": "", "StreamId": 0, "EventId": 1, "Metadata": ""},
        {"Name": "__myl_ConvAddRelu_myl0_2", "LayerType": "runtime_fusion",
         "Inputs": [_t11("__myln_k_arg__bb1_2_myl0", [-1, 3, 64, 64], "Half", "(NHWC) Channel major format")],
         "Constants": [_t11("__mye351_dconst_myl0", [16, 3, 3, 3])],
         "Outputs": [_t11("logits", [-1, 16, 64, 64], "Float")], "TacticName": "", "StreamId": 0,
         "Metadata": "[ONNX Layer: /stem/conv/Conv]\x1f[ONNX Layer: /stem/act/Relu]"},
    ],
    "I/O Tensors": [
        {"Name": "images", "IOMode": "Input", "DataType": "Float", "Dimensions": [-1, 3, 64, 64], "Location": "Device",
         "IsShapeInferenceIO": False,
         "ProfileInfo": [{"MinShape": [1, 3, 64, 64], "OptShape": [4, 3, 64, 64], "MaxShape": [8, 3, 64, 64],
                          "Format": "Row major linear FP32 format (kLINEAR)"}]},
        {"Name": "logits", "IOMode": "Output", "DataType": "Float", "Dimensions": [-1, 16, 64, 64], "Location": "Device",
         "IsShapeInferenceIO": False, "ProfileInfo": [{"Format": "Row major linear FP32 format (kLINEAR)"}]},
    ],
    "Engine Metadata": {"Multi-Device": "Disabled"},
}


def test_trt11_json():
    plan = load_layer_info(TRT11)
    assert (plan.source, plan.verbosity) == ("json-11", "detailed")
    move, signal, fused = plan.layers
    assert signal.is_sync and not move.is_sync and not signal.is_reformat
    assert move.inputs[0].dtype == "FP32" and move.outputs[0].dtype == "FP16"
    assert move.outputs[0].format == "(NHWC) Channel major format"
    assert fused.onnx_nodes_from_metadata == ["/stem/conv/Conv", "/stem/act/Relu"]
    assert fused.raw["Constants"][0]["Name"] == "__mye351_dconst_myl0"  # constants are not graph inputs
    assert set(plan.nx.edges) == {(move.uid, fused.uid)} and signal.uid in plan.nx
    images, logits = plan.io_tensors
    assert (images.mode, images.dtype, images.location) == ("input", "FP32", "Device")
    assert images.profile == {"min": (1, 3, 64, 64), "opt": (4, 3, 64, 64), "max": (8, 3, 64, 64)}
    assert "kLINEAR" in images.format and logits.mode == "output" and logits.profile is None


def test_names_only_and_none():
    plan = load_layer_info({"Layers": ["Conv_0 + Relu_1", "MaxPool_2"], "Bindings": ["input", "output"]})
    assert (plan.source, plan.verbosity) == ("names-only", "layer_names_only")
    assert "--profilingVerbosity=detailed" in plan.note and "ProfilingVerbosity.DETAILED" in plan.note
    assert [layer.name for layer in plan.layers] == ["Conv_0 + Relu_1", "MaxPool_2"]
    assert plan.nx.number_of_nodes() == 2 and plan.nx.number_of_edges() == 0
    assert [t.mode for t in plan.io_tensors] == ["unknown", "unknown"]
    for none in ({"Layers": [], "Bindings": ["input", "output"]}, {}, "{}"):
        p = load_layer_info(none)
        assert (p.source, p.verbosity, len(p)) == ("none", "none", 0)
        assert "--profilingVerbosity=detailed" in p.note
    # a bare JSON list of names is the layer list itself
    assert len(load_layer_info('["a", "b + c"]')) == 2


def test_profiles_and_repeated_names():
    def layer(name, i, o):
        return {"Name": name, "LayerType": "CaskConvolution", "Inputs": [_t10(i, [1, 4])], "Outputs": [_t10(o, [1, 4])]}

    data = {"Layers": [layer("Conv_0", "x", "a"), layer("Relu_1", "a", "y"),
                       layer("Conv_0 [profile 1]", "x [profile 1]", "a [profile 1]"),
                       layer("Relu_1 [profile 1]", "a [profile 1]", "y [profile 1]"),
                       layer("Relu_1", "y", "z"), layer("Relu_1", "z", "w"), layer("Relu_1#1", "w", "v")],
            "Bindings": ["x", "y", "x [profile 1]", "y [profile 1]"]}
    plan = load_layer_info(data)
    assert [(layer.base_name, layer.profile_index) for layer in plan.layers[:4]] == [
        ("Conv_0", None), ("Relu_1", None), ("Conv_0", 1), ("Relu_1", 1)]
    uids = [layer.uid for layer in plan.layers]
    assert len(set(uids)) == len(uids) and uids[4:] == ["Relu_1#2", "Relu_1#3", "Relu_1#1"]
    assert plan.layer("Relu_1") is plan.layers[1] and plan.layer("Relu_1#3") is plan.layers[5]
    assert plan.layer("Relu_1#1") is plan.layers[6]
    assert nx.number_weakly_connected_components(plan.nx) == 2  # one chain per profile
    with pytest.raises(LayerInfoError, match="Relu_1"):
        plan.layer("Relu_7")


def test_reused_tensor_names_follow_the_latest_writer():
    # Myelin and loops can write one tensor name twice: a reader takes the latest earlier write
    def layer(name, ins, outs):
        return {"Name": name, "LayerType": "kgen", "Inputs": [_t11(n, [1]) for n in ins],
                "Outputs": [_t11(n, [1]) for n in outs]}

    plan = load_layer_info({"Layers": [layer("A", ["x"], ["t"]), layer("B", ["t"], ["t"]), layer("C", ["t"], ["y"]),
                                       layer("D", ["late"], ["z"]), layer("E", [], ["late"])]})
    assert set(plan.nx.edges) == {("A", "B"), ("B", "C"), ("E", "D")}


def test_metadata_forms():
    assert parse_metadata("[ONNX Layer: a]\x1e[ONNX Layer: b]") == ["a", "b"]
    assert parse_metadata("[ONNX Layer: a]\x1f[ONNX Layer: b]\x1f[ONNX Layer: a]") == ["a", "b"]
    assert parse_metadata("[ONNX Layer: /m/x [1]][ONNX Layer: c]") == ["/m/x [1]", "c"]
    assert parse_metadata("[ONNX Layer: /f/Mul | Local Function: Gelu_3]") == ["/f/Mul"]
    assert parse_metadata("") == [] and parse_metadata(None) == [] and parse_metadata("garbage") == []


ONELINE_TRT8 = (
    "Name: Conv_0 + Relu_1, LayerType: CaskConvolution, Inputs: [ { Name: input, Location: Device, "
    "Dimensions: [1,3,8,8], Format/Datatype: Row major linear FP32 }], Outputs: [ { Name: 5, Location: Device, "
    "Dimensions: [1,4,8,8], Format/Datatype: Row major linear FP32 }], ParameterType: Convolution, Kernel: [3,3], "
    "PaddingMode: kEXPLICIT_ROUND_DOWN, PrePadding: [1,1], TacticName: sm80_xmma_fprop, TacticValue: 0x1\n"
    "Name: PWN(PWN(Clip_2), Add_3), LayerType: PointWiseV2, Inputs: [ { Name: 5, Location: Device, "
    "Dimensions: [1,4,8,8], Format/Datatype: Row major linear FP32 }], Outputs: [ { Name: output, Location: Device, "
    "Dimensions: [1,4,8,8], Format/Datatype: Row major linear FP32 }], ParameterType: PointWise, TacticValue: 0x2\n"
)


def test_bare_oneline_listing():
    plan = parse_oneline(ONELINE_TRT8)
    assert (plan.source, plan.verbosity) == ("oneline", "detailed")
    conv, pwn = plan.layers
    assert conv.name == "Conv_0 + Relu_1" and pwn.name == "PWN(PWN(Clip_2), Add_3)"
    assert conv.raw["Kernel"] == [3, 3] and conv.raw["PaddingMode"] == "kEXPLICIT_ROUND_DOWN"
    assert conv.tactic == "sm80_xmma_fprop" and conv.outputs[0].shape == (1, 4, 8, 8)
    assert list(plan.nx.edges) == [(conv.uid, pwn.uid)]
    # the same with a Layers:/Bindings: frame (TensorRT 8 inspector ONELINE output)
    framed = parse_oneline("Layers:\n" + ONELINE_TRT8 + "\nBindings:\ninput\noutput\n")
    assert [(t.name, t.mode) for t in framed.io_tensors] == [("input", "input"), ("output", "output")]
    assert load_layer_info(ONELINE_TRT8).layers[1].name == pwn.name


def test_oneline_names_only_section():
    plan = parse_oneline("some log line\nLayers:\nConv_0 + Relu_1\nMaxPool_2\n\nBindings:\ninput\noutput\n")
    assert plan.verbosity == "layer_names_only" and [layer.name for layer in plan.layers] == ["Conv_0 + Relu_1", "MaxPool_2"]
    assert [t.name for t in plan.io_tensors] == ["input", "output"]


def test_unknown_layer_types_are_kept():
    data = {"Layers": [{"Name": "weird", "LayerType": "FancyNewKernel", "Inputs": [], "Outputs": [],
                        "SomethingNew": {"x": 1}}]}
    (layer,) = load_layer_info(data).layers
    assert layer.layer_type == "FancyNewKernel" and layer.raw["SomethingNew"] == {"x": 1} and not layer.is_reformat


def test_log_with_other_layers_lines_and_two_builds():
    log = ("[I] Total number of Layers:\nsomething else\n"
           "[V] Layers:\nName: old, LayerType: kgen, Inputs: [], Outputs: []\n\n"
           "[V] Layers:\n" + ONELINE_TRT8 + "\n[I] Number of Layers:\n[I] done\n")
    plan = parse_oneline(log)
    assert [layer.name for layer in plan.layers] == ["Conv_0 + Relu_1", "PWN(PWN(Clip_2), Add_3)"]
    assert "2 'Layers:' sections" in plan.note


def test_log_file_path(tmp_path):
    path = tmp_path / "build.log"
    path.write_text("[TRT] [V] Layers:\n" + ONELINE_TRT8)
    assert len(load_layer_info(path)) == 2 and len(load_layer_info(str(path))) == 2
