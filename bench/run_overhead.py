"""What ``InferenceSession.run`` adds over the bare work it enqueues, on a real GPU.

The engine is the TensorRT test double of tests/runtime (its "kernels" are real
``cudaMemcpyAsync`` device-to-device copies), so every run does real CUDA work: host→device
copies, the engine's enqueue, device→host copies, a stream synchronize. The *bare* loop is what
a user would write by hand with the same CUDA library (pycuda or cuda-python): the same copies
from/to pinned buffers on one stream, ``execute_async_v3`` on a second execution context with
addresses bound once, and a synchronize. The session loop is ``session.run(...)``.

Rows: 1, 4 and 16 inputs (1 KiB float32 each, one output per input); inputs as numpy arrays
(staged into pinned buffers by the session), as the session's own pinned buffers
(``session.input_buffer``), or as device arrays (bound by pointer; outputs bound too: the bare
loop then has no copies); without CUDA graphs, with the enqueue captured (``cuda_graph=True``)
and with the copies captured too (``cuda_graph="with-copies"``). Each cell: median and p99 of
per-run host wall time over ``--runs`` runs (after warm-up), bare and session measured in
alternating blocks in one process. Needs an NVIDIA GPU.

    python bench/run_overhead.py --runs 2000 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "runtime"))

import fake_trt  # noqa: E402  (the test double of TensorRT, with real device copies below)
from trtlab.runtime import InferenceSession, get_backend  # noqa: E402
from trtlab.runtime.cuda import DeviceBuffer, HostBuffer, Stream  # noqa: E402

ELEMENTS = 256   # float32 per tensor: 1 KiB


class CudaRtMemory:
    """The double's kernels as real cudaMemcpyAsync device-to-device copies."""

    def __init__(self):
        from cuda.bindings import runtime as rt

        self.rt = rt
        self.kind = rt.cudaMemcpyKind.cudaMemcpyDeviceToDevice

    def copy(self, dst, src, nbytes, stream_handle):
        err, = self.rt.cudaMemcpyAsync(dst, src, nbytes, self.kind, stream_handle)
        if int(err):
            raise RuntimeError(f"cudaMemcpyAsync failed: {err}")


class DeviceArray:
    """A float32 device array with ``__cuda_array_interface__`` (what torch/CuPy expose)."""

    def __init__(self, n, cuda):
        self.buf = DeviceBuffer(n * 4, cuda)
        self.shape = (n,)

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": "<f4", "data": (self.buf.ptr, False), "version": 3, "strides": None}


def engine(n_inputs: int):
    spec = {"tensors": [{"name": f"x{i}", "mode": "input", "dtype": "FLOAT", "shape": [ELEMENTS]} for i in range(n_inputs)]
            + [{"name": f"y{i}", "mode": "output", "dtype": "FLOAT", "shape": [ELEMENTS]} for i in range(n_inputs)],
            "copies": [[f"x{i}", f"y{i}"] for i in range(n_inputs)]}
    return fake_trt.ICudaEngine(spec, CudaRtMemory())


def bare_loop(backend_name: str, cuda, cuda_engine, n_inputs: int, copies: bool):
    """The hand-written equivalent: raw library calls, addresses bound once."""
    context = cuda_engine.create_execution_context()
    stream = Stream(cuda)
    nbytes = ELEMENTS * 4
    dev = {f"{p}{i}": DeviceBuffer(nbytes, cuda) for p in "xy" for i in range(n_inputs)}
    host = {k: HostBuffer(nbytes, cuda) for k in dev}
    for k, d in dev.items():
        context.set_tensor_address(k, d.ptr)
    handle = stream.handle
    ins = [(dev[f"x{i}"].ptr, host[f"x{i}"]) for i in range(n_inputs)]
    outs = [(dev[f"y{i}"].ptr, host[f"y{i}"]) for i in range(n_inputs)]
    if backend_name == "pycuda":
        import pycuda.driver as drv

        raw = stream.raw
        ins = [(p, h.bytes) for p, h in ins]
        outs = [(p, h.bytes) for p, h in outs]

        def step():
            if copies:
                for p, a in ins:
                    drv.memcpy_htod_async(p, a, raw)
            context.execute_async_v3(handle)
            if copies:
                for p, a in outs:
                    drv.memcpy_dtoh_async(a, p, raw)
            raw.synchronize()
    else:
        from cuda.bindings import runtime as rt

        h2d, d2h = rt.cudaMemcpyKind.cudaMemcpyHostToDevice, rt.cudaMemcpyKind.cudaMemcpyDeviceToHost
        ins = [(p, h.ptr) for p, h in ins]
        outs = [(p, h.ptr) for p, h in outs]
        raw = stream.raw

        def step():
            if copies:
                for p, a in ins:
                    rt.cudaMemcpyAsync(p, a, nbytes, h2d, raw)
            context.execute_async_v3(handle)
            if copies:
                for p, a in outs:
                    rt.cudaMemcpyAsync(a, p, nbytes, d2h, raw)
            rt.cudaStreamSynchronize(raw)
    keep = (stream, dev, host, context)
    return step, keep


def session_loop(cuda, cuda_engine, n_inputs: int, mode: str, graph):
    s = InferenceSession(cuda_engine, cuda=cuda, cuda_graph=graph)
    rng = np.random.default_rng(0)
    feeds = {f"x{i}": rng.standard_normal(ELEMENTS).astype(np.float32) for i in range(n_inputs)}
    outputs = None
    if mode == "pinned":
        for k, v in list(feeds.items()):
            buf = s.input_buffer(k)
            buf[:] = v
            feeds[k] = buf
    elif mode == "device":
        feeds = {k: DeviceArray(ELEMENTS, cuda) for k in feeds}
        outputs = {f"y{i}": DeviceArray(ELEMENTS, cuda) for i in range(n_inputs)}

    def step():
        s.run(feeds, outputs, copy=False)
    return step, s


def timed(step, runs: int) -> np.ndarray:
    out = np.empty(runs)
    clock = time.perf_counter_ns
    for i in range(runs):
        t = clock()
        step()
        out[i] = clock() - t
    return out / 1e3   # µs


def measure(bare, sess, runs: int, warmup: int, blocks: int = 5):
    for _ in range(warmup):
        bare()
        sess()
    b, s = [], []
    for _ in range(blocks):
        b.append(timed(bare, runs // blocks))
        s.append(timed(sess, runs // blocks))
    return np.concatenate(b), np.concatenate(s)


GRAPHS = {False: "off", True: "enqueue", "with-copies": "with copies"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--inputs", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--backends", nargs="+", default=["pycuda", "cuda-python"])
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    cases = [("numpy", False), ("pinned", False), ("device", False), ("numpy", True), ("pinned", True),
             ("device", True), ("pinned", "with-copies")]
    rows = []
    print(f"InferenceSession.run over the bare work, {args.runs} runs per cell (µs of host wall time per run; "
          f"inputs {ELEMENTS * 4} B float32 each; copy=False)")
    print("| backend | inputs | given as | CUDA graph | bare median | run median | added median | bare p99 | run p99 | added p99 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for backend in args.backends:
        cuda = get_backend(backend)
        for n in args.inputs:
            eng = engine(n)
            for mode, graph in cases:
                bare, keep = bare_loop(backend, cuda, eng, n, copies=mode != "device")
                sess, s = session_loop(cuda, eng, n, mode, graph)
                b, r = measure(bare, sess, args.runs, args.warmup)
                row = dict(backend=backend, inputs=n, mode=mode, graph=GRAPHS[graph],
                           bare_median=float(np.median(b)), run_median=float(np.median(r)),
                           bare_p99=float(np.percentile(b, 99)), run_p99=float(np.percentile(r, 99)))
                row["added_median"] = row["run_median"] - row["bare_median"]
                row["added_p99"] = row["run_p99"] - row["bare_p99"]
                rows.append(row)
                print(f"| {backend} | {n} | {mode} | {row['graph']} | {row['bare_median']:.1f} | {row['run_median']:.1f} | "
                      f"{row['added_median']:+.1f} | {row['bare_p99']:.1f} | {row['run_p99']:.1f} | {row['added_p99']:+.1f} |",
                      flush=True)
                s.close()
                del keep
    pinned = [r for r in rows if r["mode"] == "pinned" and r["graph"] == "off"]
    worst = max(pinned, key=lambda r: r["added_median"])
    ok = all(r["added_median"] <= 15.0 for r in pinned if r["inputs"] == 1)
    print(f"largest added median with the session's pinned buffers (no graph): {worst['added_median']:.1f} µs "
          f"({worst['backend']}, {worst['inputs']} inputs)")
    print(f"VERDICT: run adds <= 15 µs per run with pinned buffers, 1 input, both backends: {'PASS' if ok else 'FAIL'}")
    if args.json:
        args.json.write_text(json.dumps({"runs": args.runs, "rows": rows, "pass": ok}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
