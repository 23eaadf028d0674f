"""The bundled models in data/: names that line up with real TensorRT output, honest bytes, runnable."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODELS = ["googlenet", "resnet18", "inception_block", "transformer_block"]
MAX_BYTES = 4 * 1024 * 1024


def _load_generator():
    spec = importlib.util.spec_from_file_location("trtlab_data_generate", ROOT / "data" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


def _model(data_dir: Path, name: str) -> onnx.ModelProto:
    return onnx.load(str(data_dir / f"{name}.onnx"))


_REFORMATTER = re.compile(r" (input|output) reformatter \d+$")
_COPYNODE = re.compile(r"^Reformatting CopyNode for (Input|Output) Tensor \d+ to (.*)$")


def layer_leaves(name: str) -> list[str]:
    """ONNX node names in an engine layer name: drop reformatter/copy decorations, split || and +."""
    m = _COPYNODE.match(name)
    if m:
        name = m.group(2)
    name = _REFORMATTER.sub("", name)
    name = re.sub(r" copy$", "", name)
    return [leaf for branch in name.split(" || ") for leaf in branch.split(" + ")]


def test_layer_leaves_splits_the_decorations():
    assert layer_leaves("a/1x1 + a/relu || b + b/relu input reformatter 0") == ["a/1x1", "a/relu", "b", "b/relu"]
    assert layer_leaves("inception_3a/1x1 copy") == ["inception_3a/1x1"]
    assert layer_leaves("Reformatting CopyNode for Output Tensor 0 to Conv_10 + Add_11") == ["Conv_10", "Add_11"]


# ------------------------------------------------------------------ names line up with TensorRT


@pytest.mark.parametrize("profile", ["googlenet-jetson-gpu.profile.json", "googlenet-jetson-gpu.layer_times.json"])
def test_googlenet_has_a_node_for_every_layer_in_the_real_profile(fixtures, data_dir, profile):
    records = json.loads((fixtures / "trt-profiles" / profile).read_text())
    names = [r["name"] for r in records if "name" in r]
    assert len(names) > 60
    for r in records:  # layer_times.json says how many layers each engine layer absorbed
        if "layer_count" in r:
            assert len(layer_leaves(r["name"])) == r["layer_count"], r["name"]
    nodes = {n.name for n in _model(data_dir, "googlenet").graph.node}
    leaves = {leaf for name in names for leaf in layer_leaves(name)}
    assert "inception_3a/relu_5x5_reduce" in leaves
    assert sorted(leaves - nodes) == []


def test_googlenet_is_one_node_per_caffe_layer(fixtures, data_dir):
    text = (fixtures / "caffe" / "googlenet.prototxt").read_text()
    layers = {layer["name"][0]: layer["type"][0] for layer in gen.parse_prototxt(text)["layer"]}
    model = _model(data_dir, "googlenet")
    ops = {n.name: n.op_type for n in model.graph.node}
    expected_op = {"Convolution": "Conv", "ReLU": "Relu", "LRN": "LRN", "Concat": "Concat",
                   "Dropout": "Dropout", "InnerProduct": "Gemm", "Softmax": "Softmax"}
    for name, caffe_type in layers.items():
        if caffe_type == "Input":
            assert [i.name for i in model.graph.input] == [name]
        elif caffe_type == "Pooling":
            assert ops[name] in ("MaxPool", "AveragePool"), name
        else:
            assert ops[name] == expected_op[caffe_type], name
    assert set(ops) - set(layers) == {"loss3/classifier/flatten"}  # the one added node says what it is
    # Caffe pools in ceil mode: with floor, pool1 would give 55x55, not 56x56
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim] for vi in inferred.graph.value_info}
    assert shapes["pool1/3x3_s2"][2:] == [56, 56]
    assert shapes["inception_5b/output"][2:] == [7, 7]
    assert all(a.i == 1 for n in model.graph.node if n.op_type.endswith("Pool") for a in n.attribute
               if a.name == "ceil_mode")


def test_googlenet_in_place_layers_get_their_own_tensor(data_dir):
    model = _model(data_dir, "googlenet")
    relu = next(n for n in model.graph.node if n.name == "conv1/relu_7x7")
    assert list(relu.input) == ["conv1/7x7_s2"] and list(relu.output) == ["conv1/relu_7x7"]
    outputs = [o for n in model.graph.node for o in n.output]
    assert len(outputs) == len(set(outputs))


@pytest.mark.parametrize("engine", ["resnet18-a100-fp32", "resnet18-a100-fp16"])
def test_resnet18_has_the_nodes_and_tensors_of_the_real_engine(fixtures, data_dir, engine):
    info = json.loads((fixtures / "trt-layerinfo" / engine / "engine.graph.json").read_text())
    model = _model(data_dir, "resnet18")
    nodes = {n.name for n in model.graph.node}
    tensors = {t for n in model.graph.node for t in [*n.input, *n.output]}

    checked_nodes = checked_tensors = 0
    for layer in info["Layers"]:
        if layer["LayerType"] in ("Reformat", "NoOp") and layer["Name"].startswith(("Reformatting", "reshape_after_")):
            continue  # inserted by TensorRT: no ONNX node
        for leaf in layer_leaves(layer["Name"]):
            assert leaf in nodes, layer["Name"]
            checked_nodes += 1
        for t in layer["Inputs"] + layer["Outputs"]:
            if t["Name"].startswith("Reformatted ") or t["Name"].endswith("_out_region"):
                continue  # tensors TensorRT made up
            assert t["Name"] in tensors, (layer["Name"], t["Name"])
            checked_tensors += 1
    assert checked_nodes == 48  # every node but Flatten_47, which TensorRT folded into Gemm_48
    assert checked_tensors >= 40
    assert [i.name for i in model.graph.input] == [info["Bindings"][0]]
    assert [o.name for o in model.graph.output] == [info["Bindings"][1]]
    assert sorted(nodes) == sorted(f"{n.op_type}_{i}" for i, n in enumerate(model.graph.node))
    assert not [n for n in model.graph.node if n.op_type == "BatchNormalization"]


def test_resnet18_has_a_symbolic_batch(data_dir):
    model = _model(data_dir, "resnet18")
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [3, 224, 224]


def test_full_width_resnet18_has_resnet18s_parameter_count():
    # torchvision's ResNet-18 has 11,689,512 parameters; folding BN (gamma+beta per channel)
    # into conv biases (one per channel) leaves 11,689,512 - 4,800 = 11,684,712.
    model = gen.generate("resnet18", width=1.0)
    assert sum(int(np.prod(t.dims)) for t in model.graph.initializer) == 11_684_712


# ------------------------------------------------------------------ honest committed bytes


def test_generate_reproduces_the_committed_files_byte_for_byte(fixtures, data_dir, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "data" / "generate.py"), "--out", str(tmp_path)], check=True,
                   capture_output=True, cwd=tmp_path)
    for name in MODELS:
        assert (tmp_path / f"{name}.onnx").read_bytes() == (data_dir / f"{name}.onnx").read_bytes(), name


def test_width_changes_channels_only(fixtures):
    small = gen.generate("googlenet", width=0.25)
    half = gen.generate("googlenet", width=0.5)
    assert [(n.name, n.op_type) for n in small.graph.node] == [(n.name, n.op_type) for n in half.graph.node]
    w_small = {t.name: list(t.dims) for t in small.graph.initializer}
    w_half = {t.name: list(t.dims) for t in half.graph.initializer}
    assert w_small["inception_3a/1x1/weight"] == [16, 48, 1, 1]
    assert w_half["inception_3a/1x1/weight"] == [32, 96, 1, 1]
    assert w_small["conv1/7x7_s2/weight"][2:] == w_half["conv1/7x7_s2/weight"][2:] == [7, 7]
    assert w_half["loss3/classifier/weight"] == [1000, 512]


@pytest.mark.parametrize("name", MODELS)
def test_bundled_model_is_valid_small_and_documented(data_dir, name):
    path = data_dir / f"{name}.onnx"
    assert path.stat().st_size < MAX_BYTES
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    assert "data/generate.py" in model.doc_string
    if name in ("googlenet", "resnet18"):  # the reduced width is stated in the model itself
        assert f"scaled by {gen.DEFAULT_WIDTH:g} of the original" in model.doc_string
    names = [n.name for n in model.graph.node]
    assert all(names) and len(names) == len(set(names))


# ------------------------------------------------------------------ they run


def _run(path: Path, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
    ort = pytest.importorskip("onnxruntime")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def test_googlenet_runs_in_onnxruntime(data_dir):
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    (prob,) = _run(data_dir / "googlenet.onnx", {"data": x})
    assert prob.shape == (1, 1000)
    assert np.all(prob >= 0) and prob.sum() == pytest.approx(1.0, abs=1e-4)


def test_resnet18_runs_with_any_batch_in_onnxruntime(data_dir):
    x = np.random.default_rng(0).standard_normal((3, 3, 224, 224)).astype(np.float32)
    (y,) = _run(data_dir / "resnet18.onnx", {"input.1": x})
    assert y.shape == (3, 1000) and np.isfinite(y).all()
    (y1,) = _run(data_dir / "resnet18.onnx", {"input.1": x[1:2]})
    np.testing.assert_allclose(y1[0], y[1], rtol=1e-4, atol=1e-4)  # samples do not mix
    assert np.abs(y[0] - y[1]).max() > 1e-3  # and different inputs give different outputs


def test_inception_block_runs_and_concats_its_branches(data_dir):
    x = np.random.default_rng(0).standard_normal((1, 192, 28, 28)).astype(np.float32)
    (y,) = _run(data_dir / "inception_block.onnx", {"input": x})
    assert y.shape == (1, 64 + 128 + 32 + 32, 28, 28)
    assert (y >= 0).all() and (y > 0).any()  # every branch ends in a ReLU


def test_transformer_block_runs_and_matches_numpy(data_dir):
    model = _model(data_dir, "transformer_block")
    assert {"LayerNormalization", "Gelu", "Softmax", "MatMul"} <= {n.op_type for n in model.graph.node}
    assert model.opset_import[0].version == 20
    x = np.random.default_rng(0).standard_normal((1, 16, 64)).astype(np.float32)
    (y,) = _run(data_dir / "transformer_block.onnx", {"x": x})
    assert y.shape == (1, 16, 64)
    np.testing.assert_allclose(y, _numpy_transformer(model, x), rtol=1e-4, atol=1e-4)


def _numpy_transformer(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    """The block written out in numpy from its weights, as a reference for what the graph computes."""
    from math import erf, sqrt

    w = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}

    def ln(name, v):
        mu, var = v.mean(-1, keepdims=True), v.var(-1, keepdims=True)
        return (v - mu) / np.sqrt(var + 1e-5) * w[f"{name}/scale"] + w[f"{name}/bias"]

    def lin(name, v):
        return v @ w[f"{name}/weight"] + w[f"{name}/bias"]

    def heads(v):
        return v.reshape(1, 16, 4, 16).transpose(0, 2, 1, 3)

    h = ln("ln_1", x)
    q, k, v = heads(lin("attn/q_proj", h)), heads(lin("attn/k_proj", h)), heads(lin("attn/v_proj", h))
    s = q @ k.transpose(0, 1, 3, 2) / 4.0
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    a = (p @ v).transpose(0, 2, 1, 3).reshape(1, 16, 64)
    h1 = x + lin("attn/out_proj", a)
    m = lin("mlp/fc1", ln("ln_2", h1))
    m = 0.5 * m * (1 + np.vectorize(erf)(m / sqrt(2)))
    return h1 + lin("mlp/fc2", m)


def test_inception_block_has_three_convs_reading_the_same_tensor(data_dir):
    model = _model(data_dir, "inception_block")
    readers = [n for n in model.graph.node if n.op_type == "Conv" and n.input[0] == model.graph.input[0].name]
    assert sorted(n.name for n in readers) == ["inception/1x1", "inception/3x3_reduce", "inception/5x5_reduce"]
    consumers = {i: n for n in model.graph.node for i in n.input}
    for conv in readers:
        assert len(conv.input) == 3  # with bias
        assert consumers[conv.output[0]].op_type == "Relu"
    assert [n.op_type for n in model.graph.node].count("Concat") == 1


@pytest.mark.rtx
@pytest.mark.parametrize("name", MODELS)
def test_tensorrt_for_rtx_parses_the_model(data_dir, name):
    trt = pytest.importorskip("tensorrt_rtx_bindings")
    logger = trt.Logger(trt.Logger.ERROR)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    ok = parser.parse_from_file(str(data_dir / f"{name}.onnx"))
    assert ok, [str(parser.get_error(i)) for i in range(parser.num_errors)]
    assert network.num_layers >= len(_model(data_dir, name).graph.node) // 2


# ------------------------------------------------------------------ the prototxt reader


def test_prototxt_reader_handles_the_text_format():
    text = """
    name: "net"  # a comment
    layer { name: 'a\\'b' type: "Pooling" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
    layer < name: "c" top: "x" top: "y" dims: [1, 2, 3] ratio: 0.5 on: true >
    """
    msg = gen.parse_prototxt(text)
    assert msg["name"] == ["net"]
    first, second = msg["layer"]
    assert first["name"] == ["a'b"]
    assert first["pooling_param"][0] == {"pool": ["MAX"], "kernel_size": [3], "stride": [2]}
    assert second["top"] == ["x", "y"] and second["dims"] == [1, 2, 3] and second["ratio"] == [0.5]
    assert second["on"] == ["true"]


@pytest.mark.parametrize("text", ["layer { name: 'a' ", "layer { name: @ }"])
def test_prototxt_reader_rejects_broken_text_clearly(text):
    from trtlab.errors import ConfigError

    with pytest.raises(ConfigError, match="prototxt"):
        gen.parse_prototxt(text)


def test_generate_script_reports_bad_arguments_without_a_traceback(tmp_path):
    run = subprocess.run([sys.executable, str(ROOT / "data" / "generate.py"), "alexnet", "--out", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert "no model named 'alexnet'; choose from googlenet, resnet18" in run.stderr
    assert "Traceback" not in run.stderr


def test_unknown_caffe_layer_type_is_named():
    from trtlab.errors import ConfigError

    net = gen.parse_prototxt('layer { name: "d" type: "Input" top: "d" input_param { shape { dim: 1 dim: 3 '
                             'dim: 8 dim: 8 } } } layer { name: "s" type: "Sigmoid" bottom: "d" top: "s" }')
    with pytest.raises(ConfigError, match=r"'s' has type 'Sigmoid'.*supported types: Input, Convolution"):
        gen.caffe_to_onnx(net, width=1.0, rng=np.random.default_rng(0), name="n", doc="")
