"""Loading ONNX models into a graph: ``trtlab.load_onnx`` against what a user would do instead.

Usage:

    .venv/bin/python bench/load_onnx.py [--sizes 500 2000 5000] [--repeat 3]

For generated ONNX models of each size (residual CNN blocks: Conv/Relu chains with skip Adds,
unnamed nodes, a symbolic batch dimension, 8 channels so the graph and not the weights is
measured), serialized to bytes, it times:

- ``onnx.load+infer``: ``onnx.load_from_string`` + ``onnx.shape_inference.infer_shapes`` - the
  floor: parsing and shape inference only, no graph to query;
- ``gs.import_onnx``: onnx-graphsurgeon's importer after the same parse + inference (what
  Polygraphy users reach for): a graph of Python objects, no networkx;
- ``gs -> networkx``: the above plus a hand-written networkx DiGraph over gs nodes/tensors,
  roughly what a notebook user writes to get a drawable, queryable graph;
- ``trtlab.load_onnx``: parse, checks, shape inference, networkx graph with payloads;
- ``summary()``: op counts, parameters, FLOPs on the loaded graph.

Timings are the best of ``--repeat`` runs, in milliseconds.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

C = 8


def make_model(n_nodes: int) -> onnx.ModelProto:
    """A residual CNN of exactly ``n_nodes`` nodes: blocks of Conv-Relu-Conv-Relu-Add."""
    rng = np.random.default_rng(0)
    nodes, inits = [], []
    x = skip = "input"
    i = 0
    while len(nodes) < n_nodes:
        w = f"w{i}"
        inits.append(numpy_helper.from_array(rng.standard_normal((C, C, 3, 3)).astype(np.float32), w))
        nodes.append(helper.make_node("Conv", [x, w], [f"c{i}"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        x = f"r{i}"
        if i % 2 == 1:
            nodes.append(helper.make_node("Add", [x, skip], [f"a{i}"]))
            x = skip = f"a{i}"
        i += 1
    nodes = nodes[:n_nodes]
    graph = helper.make_graph(
        nodes, "bench", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", C, 16, 16])],
        [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)], inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def best_ms(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def onnx_infer(blob: bytes):
    return onnx.shape_inference.infer_shapes(onnx.load_from_string(blob))


def gs_import(blob: bytes):
    import onnx_graphsurgeon as gs

    return gs.import_onnx(onnx_infer(blob))


def gs_networkx(blob: bytes):
    import networkx as nx

    graph = gs_import(blob)
    G = nx.DiGraph()
    for k, node in enumerate(graph.nodes):
        node.name = node.name or f"{node.op}_{k}"
        G.add_node(node.name, op=node.op)
    for node in graph.nodes:
        for t in node.inputs:
            for producer in t.inputs:
                G.add_edge(producer.name, node.name, tensor=t.name, shape=t.shape)
    return G


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from trtlab.graph import load_onnx

    print(f"# load_onnx benchmark - python {platform.python_version()}, onnx {onnx.__version__}, "
          f"{platform.machine()}, best of {args.repeat}")
    cols = ["nodes", "onnx.load+infer", "gs.import_onnx", "gs -> networkx", "trtlab.load_onnx", "summary()"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for n in args.sizes:
        blob = make_model(n).SerializeToString()
        g = load_onnx(blob)
        assert len(g) == n, (len(g), n)
        row = [
            best_ms(lambda: onnx_infer(blob), args.repeat),
            best_ms(lambda: gs_import(blob), args.repeat),
            best_ms(lambda: gs_networkx(blob), args.repeat),
            best_ms(lambda: load_onnx(blob), args.repeat),
            best_ms(g.summary, args.repeat),
        ]
        print(f"| {n} | " + " | ".join(f"{v:.0f} ms" for v in row) + " |", flush=True)


if __name__ == "__main__":
    main()
