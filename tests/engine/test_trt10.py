"""TensorRT 10 and 11 layer information: the real trtexec 10.16 one-line log and JSON, and hand-made
inputs that use the key names real TensorRT writes (each says where its key names come from)."""

from __future__ import annotations

import json

import pytest

from trtlab.engine import load_layer_info, parse_oneline

MNIST = "trt10/mnist-trtexec-10.16"


@pytest.fixture(scope="module")
def log_text(fixtures):
    return (fixtures / MNIST / "trtexec-dumpLayerInfo.log").read_text()


def _listing(log_text: str) -> list[str]:
    """The 9 layer lines of the real log, read with nothing but str.split (not trtlab)."""
    lines = log_text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.endswith("[I] Layers:")) + 1
    end = lines.index("", start)
    return lines[start:end]


def test_trtexec_dump_layer_info_reads_nine_layers_with_metadata(fixtures, log_text):
    plan = load_layer_info(fixtures / MNIST / "trtexec-dumpLayerInfo.log")
    listing = _listing(log_text)
    assert len(listing) == 9 and len(plan) == 9
    assert [layer.name for layer in plan.layers] == [line[6:line.index(", LayerType: ")] for line in listing]
    for layer, line in zip(plan.layers, listing):
        meta = line.partition(", Metadata:")[2]
        names = [m.split("]")[0] for m in meta.split("[ONNX Layer: ")[1:]]
        assert layer.onnx_nodes_from_metadata == names
    assert plan.layers[0].onnx_nodes_from_metadata == ["node_conv2d", "node_relu"]
    assert "\x1e" in listing[0]  # the separator str.splitlines would have cut the line at
    # Myelin kernels have layer types of their own
    assert [layer.layer_type for layer in plan.layers[4:]] == ["gemm", "kgen", "kgen", "kgen", "kgen"]
    # the Bindings block ends where trtexec's log lines start again
    assert [(t.name, t.mode) for t in plan.io_tensors] == [("x", "input"), ("y", "output"), ("z", "output")]
    assert plan.layers[0].weight_bytes == (800 + 32) * 4  # Weights/Bias {"Type": "Float", "Count": N}


def test_json_of_the_same_network_reads_myelin_kernels_with_unit_separator_metadata(fixtures):
    path = fixtures / MNIST / "engine.graph.json"
    raw = json.loads(path.read_text())["Layers"]
    plan = load_layer_info(path)
    assert plan.source == "json-10"
    myelin = [layer for layer in plan.layers if layer.layer_type in ("kgen", "gemm")]
    assert len(myelin) == 5
    joined = [r for r in raw if "\x1f" in (r.get("Metadata") or "")]
    assert joined  # the file joins the names of Myelin kernels with \u001f
    for r in joined:
        layer = plan.layer(r["Name"])
        assert layer.onnx_nodes_from_metadata == [m.strip("[]").replace("ONNX Layer: ", "")
                                                  for m in r["Metadata"].split("\x1f")]
    assert plan.layer("__myl_AddMaxrSubExpSum_myl4_2").onnx_nodes_from_metadata == ["node_linear_1", "node_softmax"]
    # the one-line log of another build of the same network names the same layers
    one = load_layer_info(fixtures / MNIST / "trtexec-dumpLayerInfo.log")
    assert [layer.name for layer in one.layers] == [layer.name for layer in plan.layers]
    assert [layer.onnx_nodes_from_metadata for layer in one.layers] == [
        layer.onnx_nodes_from_metadata for layer in plan.layers]


def test_two_profile_oneline_form_reads_every_copy_grouped_by_profile(log_text):
    # the inspector's ONELINE text of an engine with two optimization profiles lists every layer again,
    # its name and tensors suffixed " [profile 1]" (the real lines of the 10.16 log, copied that way)
    listing = _listing(log_text)
    names = [line[6:line.index(", LayerType: ")] for line in listing]
    second = []
    for line, name in zip(listing, names):
        second.append(line.replace(f"Name: {name}, ", f"Name: {name} [profile 1], ", 1))
    text = "\n".join(["Layers:", *listing, *second, "", "Bindings:", "x", "y", "z",
                      "x [profile 1]", "y [profile 1]", "z [profile 1]"])
    plan = parse_oneline(text)
    assert len(plan) == 18
    groups = plan.by_profile()
    assert list(groups) == [None, 1] and [len(v) for v in groups.values()] == [9, 9]
    assert [layer.base_name for layer in groups[1]] == names
    assert all(layer.onnx_nodes_from_metadata for layer in groups[1][:8])
    assert plan.profiles == [None, 1]


def test_a_newline_inside_a_name_keeps_the_layer_and_warns(log_text):
    listing = _listing(log_text)
    cut = listing[1].replace("Name: node_max_pool2d,", "Name: node_max\npool2d,", 1)
    text = "\n".join(["Layers:", listing[0], cut, *listing[2:], ""])
    with pytest.warns(UserWarning, match="newline"):
        plan = parse_oneline(text)
    assert len(plan) == 9 and plan.layers[1].name == "node_max\npool2d"
    assert plan.layers[1].layer_type == "CaskPooling"


def _t11(name, dims):
    # tensor keys of TensorRT 11 / TensorRT for RTX inspector JSON (tests/engine/test_formats.py, TRT11)
    return {"Name": name, "Dimensions": dims, "Strides": [], "StrideOrder": [], "Datatype": "Half",
            "Format": "(Linear) Row major linear format"}


def _t8(name, dims):
    # tensor keys of TensorRT 8.x/10.x (../shared/fixtures/trt-layerinfo and trt10 engine.graph.json)
    return {"Name": name, "Location": "Device", "Dimensions": dims, "Format/Datatype": "Row major linear FP16 format"}


def _layer(tensor, **extra):
    return {"Name": "conv", "LayerType": "CaskConvolution", "Inputs": [tensor("x", [1, 4])],
            "Outputs": [tensor("y", [1, 4])], "TacticName": "sm80_xmma_fprop_implicit_gemm_f16f16", **extra}


@pytest.mark.parametrize("doc, version", [
    # TensorRT 8.6 writes StreamId and Metadata (joined with \x1e) too: still 8.x
    ({"Layers": [_layer(_t8, StreamId=0, Metadata="[ONNX Layer: a]\x1e[ONNX Layer: b]")], "Bindings": ["x", "y"]},
     "json-8"),
    # Myelin kernels as layers (LayerType kgen/shape_call) and \x1f-joined Metadata: 10.x
    ({"Layers": [_layer(_t8, StreamId=0, LayerType="kgen")], "Bindings": ["x", "y"]}, "json-10"),
    ({"Layers": [_layer(_t8, StreamId=0, Metadata="[ONNX Layer: a]\x1f[ONNX Layer: b]")], "Bindings": []}, "json-10"),
    # TensorRT 11 keys, one at a time
    ({"Layers": [_layer(_t8)], "I/O Tensors": [{"Name": "x", "IOMode": "Input", "Dimensions": [1, 4],
                                                "ProfileInfo": [{"MinShape": [1, 4], "OptShape": [1, 4],
                                                                 "MaxShape": [1, 4]}]}]}, "json-11"),
    ({"Layers": [_layer(_t8)], "Bindings": [], "Engine Metadata": {"Multi-Device": "Disabled"}}, "json-11"),
    ({"Layers": [_layer(_t8, Constants=[_t11("w", [4, 4])])], "Bindings": []}, "json-11"),
    ({"Layers": [_layer(_t11)], "Bindings": []}, "json-11"),
    ({"Layers": [_layer(_t8, LayerType="custom_layer")], "Bindings": []}, "json-11"),
])
def test_version_label_from_the_set_of_keys(doc, version):
    assert load_layer_info(doc).source == version


def test_trt11_constants_count_as_weight_bytes():
    plan = load_layer_info({"Layers": [_layer(_t11, Constants=[_t11("w", [16, 3, 3, 3])])],
                            "I/O Tensors": []})
    layer = plan.layers[0]
    assert layer.constants[0].name == "w" and layer.weight_bytes == 16 * 3 * 3 * 3 * 2
    assert layer.input_bytes == 4 * 2 and layer.output_bytes == 4 * 2


def test_byte_sizes_and_dataframe_of_the_resnet18_trt10_plan(fixtures):
    pytest.importorskip("pandas")
    path = fixtures / "trt10" / "resnet18-rtx3060-fp16" / "engine.graph.json"
    raw = json.loads(path.read_text())["Layers"]
    plan = load_layer_info(path)
    conv = plan.layer("/conv1/Conv + /relu/Relu")
    # Weights {"Type": "Half", "Count": 9408} (64x3x7x7) and Bias {"Type": "Half", "Count": 64}
    assert conv.weight_bytes == (64 * 3 * 7 * 7 + 64) * 2
    assert conv.output_bytes == 64 * 112 * 112 * 2  # FP16 [1, 64, 112, 112]
    total_weights = sum((r["Weights"]["Count"] + r.get("Bias", {}).get("Count", 0)) * 2
                        for r in raw if "Weights" in r and r["Weights"]["Type"] == "Half")
    assert sum(layer.weight_bytes or 0 for layer in plan.layers) == total_weights
    df = plan.to_dataframe()
    assert len(df) == len(plan) == 26 and df.index.name == "index"
    assert {"kind", "compute_precision", "output_precision", "weight_bytes", "output_bytes"} <= set(df.columns)
    assert (df["kind"] == "reformat").sum() == 2 and (df["kind"] == "internal").sum() == 1
    assert df.loc[1, "weight_bytes"] == conv.weight_bytes and df.loc[1, "compute_precision"] == "FP16"


def test_listing_lines_with_the_log_prefix_read_the_same(fixtures, log_text):
    # trtexec prints "[I] Layers:" and then bare lines; a logger that prefixes every line gives the same layers
    listing = _listing(log_text)
    prefixed = [f"[07/07/2026-02:11:{i:02d}] [I] {line}" for i, line in enumerate(listing)]
    text = "\n".join(["[07/07/2026-02:11:38] [I] Layers:", *prefixed, "", "[07/07/2026-02:11:38] [I] Bindings:",
                      "[07/07/2026-02:11:38] [I] x"])
    plan = parse_oneline(text)
    bare = load_layer_info(fixtures / MNIST / "trtexec-dumpLayerInfo.log")
    assert [layer.name for layer in plan.layers] == [layer.name for layer in bare.layers]
    assert [layer.onnx_nodes_from_metadata for layer in plan.layers] == [
        layer.onnx_nodes_from_metadata for layer in bare.layers]
