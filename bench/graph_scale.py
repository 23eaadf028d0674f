"""Graph drawing at scale: trtlab (matplotlib, no Graphviz) against Graphviz ``dot``.

Set-up (once, as root; Debian/Ubuntu):

    apt-get install -y graphviz

Usage:

    .venv/bin/python bench/graph_scale.py [--sizes 500 2000 5000] [--repeat 3] [--dot-timeout 600]

For generated ONNX models of each size, shaped like real CNNs (inception blocks with four
branches joined by a Concat, residual blocks with a skip Add), built with ``onnx.helper``, it
times, in one run:

- ``load``: ``trtlab.load_onnx`` of the serialized model (parse, shape inference, graph);
- ``layout``: ``trtlab.draw.compute_layout`` of all nodes (layers, crossing reduction, coordinates);
- ``draw all``: ``draw_onnx_graph(g, overview="markers")`` rendered to PNG bytes, every node
  drawn (layout included);
- ``trtlab total``: load + draw all;
- ``g.draw()``: what a notebook shows by default (an overview above 300 nodes), to PNG;
- ``dot -Tplain``: Graphviz laying out the same graph (DOT written beforehand, not timed;
  ``-Tplain`` does the layout and writes coordinates, without rendering a picture).

Timings are the best of ``--repeat`` runs (dot: one run, it is slow).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

C = 8  # channels everywhere: keeps the weights tiny so the graph, not the data, is measured


class _Builder:
    def __init__(self, seed: int = 0):
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rng = np.random.default_rng(seed)

    def _w(self, name: str, shape) -> str:
        self.inits.append(numpy_helper.from_array(self.rng.standard_normal(shape).astype(np.float32) * 0.1, name))
        return name

    def node(self, op: str, name: str, inputs: list[str], **attrs) -> str:
        out = name + ":0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def conv(self, name: str, x: str, cin: int, cout: int, k: int) -> str:
        w = self._w(name + ".w", (cout, cin, k, k))
        b = self._w(name + ".b", (cout,))
        return self.node("Conv", name, [x, w, b], kernel_shape=[k, k], pads=[k // 2] * 4)

    def bn(self, name: str, x: str, c: int) -> str:
        ins = [x] + [self._w(f"{name}.{p}", (c,)) for p in ("scale", "bias", "mean")]
        self.inits.append(numpy_helper.from_array(np.ones(c, np.float32), f"{name}.var"))
        return self.node("BatchNormalization", name, ins + [f"{name}.var"])

    def inception(self, p: str, x: str) -> str:
        q = C // 4
        b1 = self.node("Relu", f"{p}/relu_1x1", [self.conv(f"{p}/1x1", x, C, q, 1)])
        r2 = self.node("Relu", f"{p}/relu_3x3_reduce", [self.conv(f"{p}/3x3_reduce", x, C, q, 1)])
        b2 = self.node("Relu", f"{p}/relu_3x3", [self.conv(f"{p}/3x3", r2, q, q, 3)])
        r3 = self.node("Relu", f"{p}/relu_5x5_reduce", [self.conv(f"{p}/5x5_reduce", x, C, q, 1)])
        b3 = self.node("Relu", f"{p}/relu_5x5", [self.conv(f"{p}/5x5", r3, q, q, 3)])
        pool = self.node("MaxPool", f"{p}/pool", [x], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])
        b4 = self.node("Relu", f"{p}/relu_pool_proj", [self.conv(f"{p}/pool_proj", pool, C, q, 1)])
        return self.node("Concat", f"{p}/output", [b1, b2, b3, b4], axis=1)  # 14 nodes

    def residual(self, p: str, x: str) -> str:
        y = self.node("Relu", f"{p}/relu1", [self.bn(f"{p}/bn1", self.conv(f"{p}/conv1", x, C, C, 3), C)])
        y = self.bn(f"{p}/bn2", self.conv(f"{p}/conv2", y, C, C, 3), C)
        return self.node("Relu", f"{p}/relu2", [self.node("Add", f"{p}/add", [y, x])])  # 7 nodes


def make_model(n_nodes: int, seed: int = 0, names: str = "blocks") -> onnx.ModelProto:
    """A CNN-like ONNX model with exactly ``n_nodes`` nodes (n_nodes >= 30).

    Stem (Conv+Relu), then stages of inception and residual blocks (``stage{s}/inc{i}/...``,
    ``stage{s}/res{i}/...``), padded with Relu nodes, then a head (GlobalAveragePool, Flatten,
    Gemm). ``names="flat"`` gives names without the ``a/b`` structure (``Conv_17``).
    """
    if n_nodes < 30:
        raise ValueError(f"n_nodes={n_nodes} is too small; use at least 30")
    b = _Builder(seed)
    x = b.node("Relu", "stem/relu", [b.conv("stem/conv", "input", 3, C, 3)])
    budget = n_nodes - 2 - 3
    i = 0
    while budget >= 14 + 7:
        stage = i // 8
        x = b.inception(f"stage{stage}/inc{i}", x)
        x = b.residual(f"stage{stage}/res{i}", x)
        budget -= 21
        i += 1
    for k in range(budget):
        x = b.node("Relu", f"tail/relu{k}", [x])
    x = b.node("GlobalAveragePool", "head/gap", [x])
    x = b.node("Flatten", "head/flatten", [x])
    w = b._w("head/fc.w", (10, C))
    bias = b._w("head/fc.b", (10,))
    b.node("Gemm", "head/fc", [x, w, bias], transB=1)
    if names == "flat":
        for k, n in enumerate(b.nodes):
            n.name = f"{n.op_type}_{k}"
    graph = helper.make_graph(
        b.nodes, f"generated_{n_nodes}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info(b.nodes[-1].output[0], TensorProto.FLOAT, [1, 10])],
        initializer=b.inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    assert len(model.graph.node) == n_nodes
    return model


def write_dot(G, path: Path) -> None:
    """The graph in DOT, labelled like trtlab's boxes (op type / name), top to bottom."""
    ids = {v: f"n{i}" for i, v in enumerate(G.nodes)}
    lines = ["digraph G {", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fontsize=10];']
    for v in G.nodes:
        info = G.nodes[v].get("info")
        op = getattr(info, "op_type", "?")
        label = f"{op}\\n{v}".replace('"', '\\"')
        lines.append(f'  {ids[v]} [label="{label}"];')
    for u, v in G.edges:
        lines.append(f"  {ids[u]} -> {ids[v]};")
    lines.append("}")
    path.write_text("\n".join(lines))


def _best(fn, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dot-timeout", type=float, default=600.0)
    args = ap.parse_args(argv)

    import trtlab
    from trtlab.draw import compute_layout, draw_onnx_graph

    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz `dot` not found: install it with `apt-get install -y graphviz` (Debian/Ubuntu) "
              "or `brew install graphviz`; the dot column is left empty.", file=sys.stderr)
    dot_version = ""
    if dot:
        dot_version = subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()

    print(f"# graph drawing at scale — {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"# command: python bench/graph_scale.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    if dot_version:
        print(f"# {dot_version}")
    header = ["nodes", "edges", "load", "layout", "draw all (PNG)", "trtlab total", "g.draw() (PNG)",
              "dot -Tplain", "total / dot"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            data = make_model(n).SerializeToString()
            t_load, g = _best(lambda: trtlab.load_onnx(data), args.repeat)
            t_layout, _ = _best(lambda: compute_layout(g.nx, "TB"), args.repeat)

            def draw_all():
                d = draw_onnx_graph(g, overview="markers")
                png = d.to_png()
                d.close()
                return png

            def draw_default():
                d = g.draw()
                png = d.to_png()
                d.close()
                return png

            t_draw, _ = _best(draw_all, args.repeat)
            t_default, _ = _best(draw_default, args.repeat)
            total = t_load + t_draw
            t_dot = None
            if dot:
                dot_file = Path(tmp) / f"g{n}.dot"
                write_dot(g.nx, dot_file)
                t = time.perf_counter()
                try:
                    subprocess.run([dot, "-Tplain", "-o", os.devnull, str(dot_file)], check=True,
                                   timeout=args.dot_timeout, capture_output=True)
                    t_dot = time.perf_counter() - t
                except subprocess.TimeoutExpired:
                    t_dot = float("inf")
            rows.append([
                f"{len(g):,}", f"{g.nx.number_of_edges():,}", f"{t_load:.2f} s", f"{t_layout:.2f} s",
                f"{t_draw:.2f} s", f"{total:.2f} s", f"{t_default:.2f} s",
                "—" if t_dot is None else (f"> {args.dot_timeout:.0f} s" if t_dot == float("inf") else f"{t_dot:.2f} s"),
                "—" if not t_dot or t_dot == float("inf") else f"{total / t_dot:.2f}",
            ])
            print(f"# done {n}", file=sys.stderr, flush=True)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
