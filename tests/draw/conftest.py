"""Real graphs for the drawing tests: ONNX fixtures, GoogLeNet from its Caffe prototxt, and the
benchmark's generated CNN-shaped models."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Caffe layer type -> ONNX op type, so the prototxt graph is coloured like an ONNX one
_CAFFE_OPS = {
    "Convolution": "Conv", "ReLU": "Relu", "LRN": "LRN", "Concat": "Concat", "InnerProduct": "Gemm",
    "Dropout": "Dropout", "Softmax": "Softmax",
}


def googlenet_from_prototxt(path: Path) -> nx.DiGraph:
    """The BVLC GoogLeNet deploy prototxt as a DAG: one node per layer (named as in the file,
    ``op_type`` attribute), an edge from the layer that last wrote a blob to each reader."""
    layers, depth, cur = [], 0, None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if depth == 0 and line.startswith("layer"):
            cur = {"bottom": [], "top": []}
        if depth == 1 and cur is not None and ":" in line:
            key, _, value = line.partition(":")
            value = value.strip().strip('"')
            if key in ("name", "type"):
                cur[key] = value
            elif key in ("bottom", "top"):
                cur[key].append(value)
        if depth == 2 and cur is not None and line.startswith("pool:"):
            cur["pool"] = line.split(":")[1].strip()
        depth += line.count("{") - line.count("}")
        if depth == 0 and cur is not None and "}" in line:
            layers.append(cur)
            cur = None
    G = nx.DiGraph()
    writer: dict[str, str] = {}
    for layer in layers:
        if layer["type"] == "Input":
            continue
        op = _CAFFE_OPS.get(layer["type"], layer["type"])
        if layer["type"] == "Pooling":
            op = "AveragePool" if layer.get("pool") == "AVE" else "MaxPool"
        G.add_node(layer["name"], op_type=op)
        for blob in layer["bottom"]:
            if blob in writer:
                G.add_edge(writer[blob], layer["name"])
        for blob in layer["top"]:
            writer[blob] = layer["name"]
    return G


@pytest.fixture(scope="session")
def googlenet(fixtures) -> nx.DiGraph:
    return googlenet_from_prototxt(fixtures / "caffe" / "googlenet.prototxt")


@pytest.fixture(scope="session")
def graph_scale():
    """The benchmark module (its ``make_model`` builds CNN-shaped ONNX models of any size)."""
    spec = importlib.util.spec_from_file_location("graph_scale", ROOT / "bench" / "graph_scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def residual_block(fixtures):
    import trtlab

    return trtlab.load_onnx(fixtures / "onnx" / "residual_block.onnx")
