"""The CUDA memory layer and the session on a real GPU (both backends). Skipped without a driver.

The session runs here over the TensorRT test double whose "kernels" are real
cudaMemcpyAsync device-to-device copies on the session's stream (no TensorRT engine can run on
the Hopper test machine), so buffers, staging, events and CUDA graphs are all real.
"""

from __future__ import annotations

import numpy as np
import pytest

import fake_trt
from trtlab.runtime import DeviceBuffer, Event, HostBuffer, InferenceSession, Stream, get_backend, mem_get_info

pytestmark = pytest.mark.gpu

BACKENDS = ["pycuda", "cuda-python"]
DTYPES = ["float32", "float16", "int8", "uint8", "int32", "int64", "bool", "float64"]
SHAPES = [(1,), (7,), (3, 5), (2, 3, 224, 224), (1, 1000), (4097, 3)]


def _backend(name):
    try:
        return get_backend(name)
    except ImportError as exc:
        pytest.skip(f"{name} not installed: {exc}")


def _random(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype.kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("backend", BACKENDS)
def test_round_trips_are_bit_exact(backend):
    cuda = _backend(backend)
    rng = np.random.default_rng(1234)
    with Stream(cuda) as stream:
        for dtype in DTYPES:
            for shape in SHAPES:
                src = _random(rng, shape, dtype)
                with DeviceBuffer(src.nbytes, cuda) as dev, HostBuffer(src.nbytes, cuda) as pinned:
                    back_pageable = np.full_like(src, 7) if dtype != "bool" else np.zeros_like(src)
                    back_pinned = pinned.view(src.dtype, shape)
                    back_pinned.reshape(-1).view(np.uint8)[:] = 0xAB  # poison
                    dev.copy_from_host(src, stream)                   # pageable -> device
                    dev.copy_to_host(back_pinned, stream)             # device -> pinned
                    stream.synchronize()
                    assert back_pinned.tobytes() == src.tobytes(), (dtype, shape)
                    dev.copy_from_host(pinned, stream, nbytes=src.nbytes)  # pinned -> device
                    dev.copy_to_host(back_pageable, stream)                # device -> pageable
                    stream.synchronize()
                    assert back_pageable.tobytes() == src.tobytes(), (dtype, shape)


@pytest.mark.parametrize("backend", BACKENDS)
def test_thousand_allocate_free_cycles_return_memory(backend):
    cuda = _backend(backend)
    sizes = [1, 4096, 1 << 20, 3 << 20, 17 << 20]
    # settle allocator/context state first, then measure
    with DeviceBuffer(1 << 20, cuda), HostBuffer(1 << 20, cuda), Stream(cuda), Event(cuda):
        pass
    free0, total = mem_get_info(cuda)
    peak_drop = 0
    for i in range(1000):
        n = sizes[i % len(sizes)]
        with DeviceBuffer(n, cuda) as d, HostBuffer(min(n, 1 << 20), cuda):
            assert d.ptr
            if i % 97 == 0:
                peak_drop = max(peak_drop, free0 - mem_get_info(cuda)[0])
    free1, _ = mem_get_info(cuda)
    print(f"{backend}: free before {free0 / 2**20:.1f} MiB, after 1000 cycles {free1 / 2**20:.1f} MiB, "
          f"largest drop while allocated {peak_drop / 2**20:.1f} MiB, total {total / 2**30:.1f} GiB")
    assert peak_drop > 0                      # the measurement sees allocations
    assert free1 == free0                     # and everything came back


def _identity_engine(memory):
    spec = {
        "tensors": [
            {"name": "x", "mode": "input", "dtype": "FLOAT", "shape": [-1, 3, 64, 64],
             "profile": [[1, 3, 64, 64], [8, 3, 64, 64], [32, 3, 64, 64]]},
            {"name": "y", "mode": "output", "dtype": "FLOAT", "shape": [-1, 3, 64, 64]},
        ],
        "copies": [["x", "y"]],
    }
    return fake_trt.ICudaEngine(spec, memory)


class _CudaRtMemory:
    """The test double's kernels as real device-to-device copies on the given stream."""

    def __init__(self):
        from cuda.bindings import runtime as rt

        self.rt = rt

    def copy(self, dst, src, nbytes, stream_handle):
        err, = self.rt.cudaMemcpyAsync(dst, src, nbytes, self.rt.cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream_handle)
        assert int(err) == 0


def _session_scenario(cuda, graph: bool, rng) -> tuple[str, int]:
    """Runs, shape changes, pinned and pageable benchmarks; returns a summary and free memory inside."""
    engine = _identity_engine(_CudaRtMemory())
    with InferenceSession(engine, cuda=cuda, cuda_graph=graph) as s:
        for batch in (8, 8, 8, 2, 32, 32, 32):
            x = rng.standard_normal((batch, 3, 64, 64)).astype(np.float32)
            y = s.run({"x": x})["y"]
            assert np.array_equal(y, x)
            t = s.last_timing
            assert t.h2d_ms > 0 and t.d2h_ms > 0 and t.compute_ms > 0
        if graph:
            assert s.last_timing.cuda_graph          # third run at batch 32 replayed the graph
        pageable = s.benchmark(n=20, warmup=3, pinned=False)
        pinned = s.benchmark(n=20, warmup=3, pinned=True)
        s.benchmark(n=5, warmup=1).plot().close()
        inside = mem_get_info(cuda)[0]
    summary = (f"benchmark at the opt shape (8, 3, 64, 64) fp32 = 384 KiB; H2D median pageable "
               f"{pageable.stats['h2d'].median:.3f} ms, pinned {pinned.stats['h2d'].median:.3f} ms; latency median "
               f"pinned {pinned.stats['latency'].median:.3f} ms, pageable {pageable.stats['latency'].median:.3f} ms")
    return summary, inside


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("graph", [False, True])
def test_session_on_gpu(backend, graph):
    cuda = _backend(backend)
    pytest.importorskip("cuda.bindings")
    rng = np.random.default_rng(7)
    # The first session in a process may leave one-time driver state behind (lazily loaded
    # modules, graph resources: ~2 MiB seen); a leak would grow with every session instead.
    free = [mem_get_info(cuda)[0]]
    summary = ""
    for _ in range(3):
        summary, inside = _session_scenario(cuda, graph, rng)
        assert inside < free[-1]                     # the session really held device memory
        free.append(mem_get_info(cuda)[0])
    print(f"{backend} graph={graph}: {summary}; free MiB before/after sessions: "
          + ", ".join(f"{f / 2**20:.1f}" for f in free))
    assert free[1] == free[2] == free[3]              # no growth from one session to the next
    assert free[0] - free[1] <= 4 << 20              # and the one-time state is small


@pytest.mark.parametrize("backend", BACKENDS)
def test_device_arrays_are_bound_without_copy(backend):
    cuda = _backend(backend)
    torch = pytest.importorskip("torch")
    pytest.importorskip("cuda.bindings")
    engine = _identity_engine(_CudaRtMemory())
    with InferenceSession(engine, cuda=cuda) as s:
        x = torch.randn(4, 3, 64, 64, device="cuda")
        y = torch.empty_like(x)
        torch.cuda.synchronize()
        out = s.run({"x": x}, outputs={"y": y})
        assert out["y"] is y
        assert torch.equal(x, y)
        assert s._slots["x"].device is None      # bound as is: no buffer, no copy
        xt = x.transpose(2, 3)
        with pytest.raises(Exception, match="C-contiguous"):
            s.run({"x": xt})
        assert np.array_equal(s.run({"x": x.cpu().numpy()})["y"], x.cpu().numpy())


# ---------------------------------------------------------------- part 2: pipelines, graphs with copies, profiles, frameworks
def _spec(shape, profiles=None, repeat=1):
    x = {"name": "x", "mode": "input", "dtype": "FLOAT", "shape": [-1, *shape[1:]]}
    if profiles:
        x["profiles"] = profiles
    else:
        x["profile"] = [[1, *shape[1:]], list(shape), [max(32, shape[0]), *shape[1:]]]
    return {"tensors": [x, {"name": "y", "mode": "output", "dtype": "FLOAT", "shape": [-1, *shape[1:]]}],
            "copies": [["x", "y"]], "repeat": repeat}


@pytest.mark.parametrize("backend", BACKENDS)
def test_pipelined_runs_give_the_sequential_outputs(backend):
    cuda = _backend(backend)
    pytest.importorskip("cuda.bindings")
    rng = np.random.default_rng(11)
    engine = fake_trt.ICudaEngine(_spec((8, 3, 64, 64)), _CudaRtMemory())
    batches = [{"x": rng.standard_normal((8, 3, 64, 64)).astype(np.float32)} for _ in range(9)]
    with InferenceSession(engine, cuda=cuda) as s:
        sequential = [s.run(b)["y"] for b in batches]
        for lanes in (1, 2, 3):
            piped = s.run_many(batches, pipeline=lanes)
            assert all(np.array_equal(p["y"], q) for p, q in zip(piped, sequential))
        assert all(np.array_equal(q, b["x"]) for q, b in zip(sequential, batches))


def _overlap(cuda, spec, n=40):
    engine = fake_trt.ICudaEngine(spec, _CudaRtMemory())
    with InferenceSession(engine, cuda=cuda) as s:
        res = s.benchmark(n=n, warmup=4, pipeline=2)
    return res


def _overlapping(res, phase_a: str, phase_b: str) -> bool:
    """Whether some ``phase_a`` span of a lane ran while another ``phase_b`` span of the same lane ran."""
    a_spans = [s for s in res.pipelined if s.phase == phase_a]
    b_spans = [s for s in res.pipelined if s.phase == phase_b]
    return any(a.stream == b.stream and a is not b and a.start_ms < b.end_ms - 1e-6 and b.start_ms < a.end_ms - 1e-6
               for a in a_spans for b in b_spans)


@pytest.mark.parametrize("backend", BACKENDS)
def test_pipeline_overlaps_copies_with_compute(backend, output_dir):
    cuda = _backend(backend)
    pytest.importorskip("cuda.bindings")
    copy_bound = _overlap(cuda, _spec((16, 3, 224, 224)))                 # 9.6 MB each way, one device copy
    compute_bound = _overlap(cuda, _spec((16, 3, 224, 224), repeat=60))   # the same bytes, 60 device copies
    for name, res in (("copy-bound", copy_bound), ("compute-bound", compute_bound)):
        print(f"{backend} {name}: {res}")
        assert {s.stream for s in res.pipelined} == {0, 1} and {s.stream for s in res.sequential} == {0}
        assert len(res.pipelined) == len(res.sequential) == 3 * res.batches
    # one lane's stream never runs two of its phases at once
    assert not _overlapping(copy_bound, "h2d", "h2d") and not _overlapping(compute_bound, "h2d", "compute")
    compute_bound.plot_timeline().save(output_dir / f"pipeline_timeline_{backend}.png")


@pytest.mark.parametrize("backend", BACKENDS)
def test_graph_with_copies_replays_bit_exactly(backend):
    cuda = _backend(backend)
    pytest.importorskip("cuda.bindings")
    rng = np.random.default_rng(3)
    engine = fake_trt.ICudaEngine(_spec((8, 3, 64, 64)), _CudaRtMemory())
    with InferenceSession(engine, cuda=cuda, cuda_graph="with-copies") as g, \
            InferenceSession(engine, cuda=cuda) as plain:
        used = []
        for i in range(6):
            x = rng.standard_normal((8, 3, 64, 64)).astype(np.float32)
            y = g.run({"x": x})["y"]
            assert y.tobytes() == x.tobytes() == plain.run({"x": x})["y"].tobytes()
            used.append(g.last_timing.graph_copies)
        assert used == [False, True, True, True, True, True]
        staged = g.input_buffer("x", (8, 3, 64, 64))
        staged[:] = 5.0
        assert np.all(g.run({"x": staged})["y"] == 5.0) and g.last_timing.graph_copies


@pytest.mark.parametrize("backend", BACKENDS)
def test_profile_switch_mid_session(backend):
    cuda = _backend(backend)
    pytest.importorskip("cuda.bindings")
    spec = _spec((2, 4), profiles=[[[1, 4], [2, 4], [4, 4]], [[8, 4], [16, 4], [32, 4]]])
    engine = fake_trt.ICudaEngine(spec, _CudaRtMemory())
    rng = np.random.default_rng(4)
    with InferenceSession(engine, cuda=cuda, profile_index="auto") as s:
        for batch, profile in ((2, 0), (16, 1), (3, 0), (32, 1)):
            x = rng.standard_normal((batch, 4)).astype(np.float32)
            assert np.array_equal(s.run({"x": x})["y"], x) and s.profile_index == profile
        with pytest.raises(Exception, match="outside optimization profile 0"):
            s.run({"x": np.zeros((16, 4), np.float32)}, profile=0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("framework", ["torch", "cupy"])
def test_framework_arrays_are_bound_without_a_copy(backend, framework):
    cuda = _backend(backend)
    pytest.importorskip("cuda.bindings")
    fw = pytest.importorskip(framework)
    engine = fake_trt.ICudaEngine(_spec((4, 3, 64, 64)), _CudaRtMemory())
    with InferenceSession(engine, cuda=cuda) as s:
        if framework == "torch":
            x = fw.randn(4, 3, 64, 64, device="cuda")
            fw.cuda.synchronize()
            ptr = x.data_ptr()
        else:
            x = fw.random.standard_normal((4, 3, 64, 64), dtype=np.float32)
            fw.cuda.Device().synchronize()
            ptr = x.data.ptr
        out = s.run({"x": x}, outputs=framework)
        y = out["y"]
        assert s.context.get_tensor_address("x") == ptr          # bound as is: the same device pointer
        assert s._slots["x"].device is None and s._slots["y"].device is None
        assert type(y) is type(x) and tuple(y.shape) == (4, 3, 64, 64)
        if framework == "torch":
            assert y.is_cuda and fw.equal(x, y) and s.context.get_tensor_address("y") == y.data_ptr()
        else:
            assert bool((x == y).all()) and s.context.get_tensor_address("y") == y.data.ptr
