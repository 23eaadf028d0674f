"""Pipelined inference on a real GPU: batches per second with one lane and with overlapping lanes.

``session.benchmark(n, pipeline=k)`` runs the same ``n`` batches through one execution context
(H2D, compute, D2H one after another) and through ``k`` lanes (contexts with their own stream
and buffers), so one batch's copies run beside another's compute. The engine is the TensorRT
test double of tests/runtime with real device-to-device copies as its kernels: *copy-bound*
(one device copy per batch, the PCIe copies dominate) and *compute-bound* (``--repeat`` device
copies per batch). Prints a table; ``--png`` saves the compute-bound timeline of the first
backend. Needs an NVIDIA GPU.

    python bench/pipeline_overlap.py --batches 200 [--png timeline.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "runtime"))
sys.path.insert(0, str(ROOT / "bench"))

import fake_trt  # noqa: E402
from run_overhead import CudaRtMemory  # noqa: E402
from trtlab.runtime import InferenceSession, get_backend  # noqa: E402


def spec(shape, repeat: int) -> dict:
    return {"tensors": [{"name": "x", "mode": "input", "dtype": "FLOAT", "shape": list(shape)},
                        {"name": "y", "mode": "output", "dtype": "FLOAT", "shape": list(shape)}],
            "copies": [["x", "y"]], "repeat": repeat}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", type=int, default=200)
    ap.add_argument("--lanes", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--repeat", type=int, default=60)
    ap.add_argument("--backends", nargs="+", default=["pycuda", "cuda-python"])
    ap.add_argument("--png", type=Path, default=None)
    args = ap.parse_args(argv)
    shape = (16, 3, 224, 224)
    mb = int(np.prod(shape)) * 4 / 1e6
    print(f"Pipelined inference, {args.batches} batches of {shape} float32 ({mb:.1f} MB in, {mb:.1f} MB out)")
    print("| backend | engine | H2D ms | compute ms | D2H ms | lanes | sequential batches/s | pipelined batches/s | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    saved = False
    for backend in args.backends:
        cuda = get_backend(backend)
        for name, repeat in (("copy-bound", 1), ("compute-bound", args.repeat)):
            engine = fake_trt.ICudaEngine(spec(shape, repeat), CudaRtMemory())
            with InferenceSession(engine, cuda=cuda) as s:
                for lanes in args.lanes:
                    res = s.benchmark(n=args.batches, warmup=5, pipeline=lanes)
                    m = res.phase_means()
                    print(f"| {backend} | {name} | {m['h2d']:.3f} | {m['compute']:.3f} | {m['d2h']:.3f} | {lanes} | "
                          f"{res.sequential_qps:.0f} | {res.pipelined_qps:.0f} | x{res.speedup:.2f} |", flush=True)
                    if args.png and not saved and name == "compute-bound" and lanes == 2:
                        res.plot_timeline(batches=6).save(args.png)
                        saved = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
