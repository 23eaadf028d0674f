"""Layer information parse + map at scale: trtlab vs what a user would write otherwise.

Usage:  .venv/bin/python bench/parse_scale.py [--sizes 1000 10000] [--repeat 3] [--clock wall|cpu]

For each size N it generates, in a temporary folder, a ResNet-like ONNX model (blocks of
Conv, Relu, Conv, Add, Relu) and a matching `trtexec --exportLayerInfo` style JSON of N engine
layers (vertical fusions `conv1 + relu1` and `conv2 + add + relu2`, with a reformat layer every
so often, tensors named as in the ONNX model), then times, best of --repeat runs:

- trtlab: `load_layer_info(path)` + `map_fusion(graph, plan)` (the ONNX graph is loaded once,
  outside the timing; its load time is printed separately);
- naive: `json.load` + for each layer, split the name on " + " and find each part in the list of
  ONNX node names (`list.index`: what a quick notebook cell does);
- pandas (TREx-style): `pandas.json_normalize` of the layers, split/explode the names, merge
  with a DataFrame of ONNX nodes.

The baselines only join names (and wrongly attribute the tail of every reformat layer's name,
``... to a + b`` -> ``b``, counted in the last column); trtlab also parses formats, resolves
normalised names, classifies kinds and explains vanished nodes. Prints one table.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from trtlab.engine import load_layer_info
from trtlab.engine.names import parse_layer_name
from trtlab.fusion import map_fusion
from trtlab.fusion._index import parse_name
from trtlab.graph import load_onnx


def make_model(blocks: int) -> onnx.ModelProto:
    w = numpy_helper.from_array(np.ones((8, 8, 1, 1), np.float32), "w")
    nodes = []
    prev = "input"
    for b in range(blocks):
        p = f"block{b}"
        nodes += [
            helper.make_node("Conv", [prev, "w"], [f"{p}/c1"], name=f"{p}/conv1"),
            helper.make_node("Relu", [f"{p}/c1"], [f"{p}/r1"], name=f"{p}/relu1"),
            helper.make_node("Conv", [f"{p}/r1", "w"], [f"{p}/c2"], name=f"{p}/conv2"),
            helper.make_node("Add", [f"{p}/c2", prev], [f"{p}/a"], name=f"{p}/add"),
            helper.make_node("Relu", [f"{p}/a"], [f"{p}/out"], name=f"{p}/relu2"),
        ]
        prev = f"{p}/out"
    g = helper.make_graph(nodes, f"synthetic_{blocks}",
                          [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 8, 16, 16])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 8, 16, 16])], initializer=[w])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _t(name: str) -> dict:
    return {"Name": name, "Location": "Device", "Dimensions": [1, 8, 16, 16], "Format/Datatype": "Row major linear FP16 format"}


def make_layer_info(n_layers: int) -> tuple[dict, int]:
    """Engine layers for ceil(n/2.2) blocks: two fused layers per block, a reformat every 5th block."""
    layers = []
    prev = "input"
    b = 0
    while len(layers) < n_layers:
        p = f"block{b}"
        if b % 5 == 4:
            layers.append({"Name": f"Reformatting CopyNode for Input Tensor 0 to {p}/conv1 + {p}/relu1",
                           "LayerType": "Reformat", "Inputs": [_t(prev)], "Outputs": [_t(f"{p}/reformatted")],
                           "ParameterType": "Reformat", "TacticValue": "0x0"})
            src = f"{p}/reformatted"
        else:
            src = prev
        layers.append({"Name": f"{p}/conv1 + {p}/relu1", "LayerType": "CaskConvolution", "Inputs": [_t(src)],
                       "Outputs": [_t(f"{p}/r1")], "ParameterType": "Convolution",
                       "TacticName": "sm80_xmma_fprop_implicit_gemm", "TacticValue": "0x1"})
        layers.append({"Name": f"{p}/conv2 + {p}/add + {p}/relu2", "LayerType": "CaskConvolution",
                       "Inputs": [_t(f"{p}/r1"), _t(prev)], "Outputs": [_t(f"{p}/out")],
                       "ParameterType": "Convolution", "TacticName": "sm80_xmma_fprop_implicit_gemm",
                       "TacticValue": "0x2"})
        prev = f"{p}/out"
        b += 1
    layers = layers[:n_layers]
    return {"Layers": layers, "Bindings": ["input", prev]}, b


def naive(path: Path, node_names: list[str]) -> int:
    data = json.load(open(path))
    found = 0
    for layer in data["Layers"]:
        for part in layer["Name"].split(" + "):
            try:
                node_names.index(part)
                found += 1
            except ValueError:
                pass
    return found


def pandas_join(path: Path, nodes_df) -> int:
    import pandas as pd

    data = json.load(open(path))
    df = pd.json_normalize(data["Layers"])
    parts = df.assign(part=df["Name"].str.split(" + ", regex=False)).explode("part")
    merged = parts.merge(nodes_df, left_on="part", right_on="node", how="inner")
    return len(merged)


CLOCK = time.perf_counter


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = CLOCK()
        out = fn()
        times.append(CLOCK() - t)
    return min(times), out


def parse_args(description: str) -> argparse.Namespace:
    """--sizes, --repeat and --clock, shared with bench/compare_scale.py; sets the clock ``best`` uses."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: elapsed time; cpu: this process's CPU time (steadier on a busy shared machine)")
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    return args


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])

    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - the table then shows n/a for pandas
        pd = None

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            info, blocks = make_layer_info(n)
            path = Path(tmp) / f"layers_{n}.json"
            path.write_text(json.dumps(info, indent=1))
            model = make_model(blocks)
            t = time.perf_counter()
            graph = load_onnx(model)
            t_onnx = time.perf_counter() - t
            names = list(graph.nx)

            def ours():
                plan = load_layer_info(path)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return map_fusion(graph, plan)

            def names_only():  # the layer-name grammar as the mapping uses it
                parse_layer_name.cache_clear()
                return [parse_name(layer.base_name) for layer in plan.layers]

            def map_only():
                parse_layer_name.cache_clear()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return map_fusion(graph, plan)

            t_parse, plan = best(lambda: load_layer_info(path), args.repeat)
            t_map, _ = best(map_only, args.repeat)
            t_names, _ = best(names_only, args.repeat)
            t_ours, report = best(ours, args.repeat)
            t_naive, found = best(lambda: naive(path, names), args.repeat)
            if pd is not None:
                nodes_df = pd.DataFrame({"node": names})
                t_pd, merged = best(lambda: pandas_join(path, nodes_df), args.repeat)
            else:
                t_pd, merged = float("nan"), None
            mapped = sum(len(r.onnx_nodes) for r in report.layers)
            # the naive split also "finds" the second half of every reformat layer's name
            # ("Reformatting CopyNode for Input Tensor 0 to a + b" -> "b"): wrong attributions
            wrong = found - mapped
            assert merged is None or merged == found
            rows.append((n, len(graph), path.stat().st_size / 1e6, t_onnx, t_parse, t_map, t_names, t_ours, t_naive,
                         t_pd, report.coverage, wrong))

    print(f"machine: {platform.machine()}, {platform.processor() or platform.platform()}, "
          f"python {platform.python_version()}, clock: {args.clock}, best of {args.repeat}")
    head = ("layers", "ONNX nodes", "JSON MB", "load_onnx s", "trtlab parse s", "trtlab map s",
            "(of which name grammar s)", "trtlab parse+map s",
            "naive json+list s", "pandas (TREx-style) s", "trtlab coverage", "baselines' wrong matches")
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---:" for _ in head) + "|")
    for n, nodes, mb, t_onnx, t_parse, t_map, t_names, t_ours, t_naive, t_pd, cov, wrong in rows:
        print(f"| {n:,} | {nodes:,} | {mb:.1f} | {t_onnx:.2f} | {t_parse:.3f} | {t_map:.3f} | {t_names:.3f} | "
              f"{t_ours:.3f} | {t_naive:.3f} | "
              f"{t_pd:.3f} | {100 * cov:.0f}% | {wrong} |")


if __name__ == "__main__":
    main()
