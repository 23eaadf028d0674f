"""Engine comparison at scale: compare_engines vs pairing layers by name with pandas.

Usage:  .venv/bin/python bench/compare_scale.py [--sizes 1000 10000] [--repeat 3] [--clock wall|cpu]

For each size N it makes, with bench/parse_scale.py's generator, a ResNet-like ONNX model and two
engines of N layers each: A as generated (FP16), B the same network in INT8 where every 4th block
is fused differently (``conv2`` alone, ``add + relu2`` a layer of its own, as TensorRT does when
the Add cannot fuse). Then it times, best of --repeat runs, on plans already loaded:

- trtlab, ONNX: ``compare_engines(plan_a, plan_b, graph)`` (both plans mapped onto the ONNX model,
  then paired through their nodes);
- trtlab, names only: ``compare_engines(plan_a, plan_b)`` (node names read from the layer names);
- pandas by name (what a notebook does otherwise, TREx-style): a DataFrame per plan, outer merge on
  the layer name.

The name join pairs only layers whose names are identical, so it misses every group whose fusion
changed; the last columns count the ONNX node groups each one pairs (both engines present).
"""

from __future__ import annotations

import platform

from parse_scale import best, make_layer_info, make_model, parse_args  # beside this script: python puts bench/ on sys.path

from trtlab.engine import load_layer_info
from trtlab.fusion import compare_engines
from trtlab.graph import load_onnx

INT8 = "Thirty-two wide channel vectorized row major Int8 format"


def int8_variant(info: dict) -> dict:
    """The same engine in INT8, with the Add of every 4th block split off its convolution."""
    layers = []
    for layer in info["Layers"]:
        layer = {**layer, "Inputs": [{**t, "Format/Datatype": INT8} for t in layer["Inputs"]],
                 "Outputs": [{**t, "Format/Datatype": INT8} for t in layer["Outputs"]]}
        name = layer["Name"]
        block = name.split("/", 1)[0]
        if name.endswith("/relu2") and " + " in name and block[5:].isdigit() and int(block[5:]) % 4 == 0:
            conv_out = {**layer["Outputs"][0], "Name": f"{block}/c2"}
            layers.append({**layer, "Name": f"{block}/conv2", "Inputs": layer["Inputs"][:1], "Outputs": [conv_out]})
            layers.append({**layer, "Name": f"{block}/add + {block}/relu2", "LayerType": "ElementWise",
                           "ParameterType": "ElementWise", "Inputs": [conv_out, layer["Inputs"][1]]})
        else:
            layers.append(layer)
    return {**info, "Layers": layers}


def by_name(a, b) -> int:
    import pandas as pd

    da = pd.DataFrame({"name": [layer.name for layer in a.layers], "type_a": [layer.layer_type for layer in a.layers]})
    db = pd.DataFrame({"name": [layer.name for layer in b.layers], "type_b": [layer.layer_type for layer in b.layers]})
    merged = da.merge(db, on="name", how="outer")
    return int((merged.type_a.notna() & merged.type_b.notna()).sum())


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    print(f"# {platform.processor() or platform.machine()}, Python {platform.python_version()}, {args.clock} clock, "
          f"best of {args.repeat}")
    print(f"{'layers A/B':>12} {'trtlab ONNX s':>14} {'trtlab names s':>15} {'pandas names s':>15} "
          f"{'paired ONNX':>12} {'paired names':>13} {'paired pandas':>14} {'fusion changed':>15}")
    for n in args.sizes:
        info, blocks = make_layer_info(n)
        plan_a, plan_b = load_layer_info(info), load_layer_info(int8_variant(info))
        graph = load_onnx(make_model(blocks))
        t_onnx, cmp = best(lambda: compare_engines(plan_a, plan_b, graph), args.repeat)
        t_names, cmp_names = best(lambda: compare_engines(plan_a, plan_b), args.repeat)
        t_pd, pd_pairs = best(lambda: by_name(plan_a, plan_b), args.repeat)
        paired = sum(1 for r in cmp.rows if r.layers_a and r.layers_b)
        paired_names = sum(1 for r in cmp_names.rows if r.layers_a and r.layers_b)
        sizes = f"{len(plan_a)}/{len(plan_b)}"
        print(f"{sizes:>12} {t_onnx:14.3f} {t_names:15.3f} {t_pd:15.3f} {paired:12d} "
              f"{paired_names:13d} {pd_pairs:14d} {len(cmp.changed('fusion')):15d}")


if __name__ == "__main__":
    main()
