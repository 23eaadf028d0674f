"""InferenceSession against the CPU doubles of TensorRT (fake_trt) and CUDA (fake_cuda)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import fake_trt
from fake_trt import IDENTITY, PROFILES
from fake_cuda import PINNED_GBPS, FakeDeviceArray
from trtlab.errors import BindingError, BundleError, ConfigError, SessionClosedError
from trtlab.engine import Timing, TimingStats
from trtlab.runtime import BenchmarkResult, InferenceSession, binding_table, random_inputs


def _inputs(batch=4, seed=0):
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((batch, 3, 8, 8)).astype(np.float32),
            "mask": rng.integers(-5, 5, (2, 5)).astype(np.int32)}


# ---------------------------------------------------------------- binding table
def test_binding_table_reads_the_engine(session):
    b = session.bindings
    assert b.names == ["x", "mask", "y", "mask_out"]
    assert [x.name for x in b.inputs] == ["x", "mask"] and [x.name for x in b.outputs] == ["y", "mask_out"]
    x = b["x"]
    assert (x.mode, x.shape, x.dtype, x.location, x.dynamic) == ("input", (-1, 3, 8, 8), "float32", "device", True)
    assert x.profile == ((1, 3, 8, 8), (4, 3, 8, 8), (16, 3, 8, 8))
    assert x.nbytes == 16 * 3 * 8 * 8 * 4            # sized at the profile's max
    assert b["mask"].nbytes == 40 and b["mask"].profile is None and b["mask"].dtype == "int32"
    assert b["y"].nbytes is None                      # known only once the input shape is set
    html = session._repr_html_()
    for name in b.names:
        assert f">{name}<" in html
    assert "1x3x8x8 / 4x3x8x8 / 16x3x8x8" in str(b)
    with pytest.raises(BindingError, match="no I/O tensor named 'nope'"):
        b["nope"]


# ---------------------------------------------------------------- running
def test_run_copies_through_the_engine_and_times_each_phase(session, cuda):
    feeds = _inputs()
    out = session.run(feeds)
    assert np.array_equal(out["y"], feeds["x"]) and out["y"].dtype == np.float32
    assert np.array_equal(out["mask_out"], feeds["mask"])
    t = session.last_timing
    in_bytes = feeds["x"].nbytes + feeds["mask"].nbytes
    # the simulated link moves pinned memory at PINNED_GBPS: events must sit around each phase
    assert t.h2d_ms == pytest.approx(in_bytes / (PINNED_GBPS * 1e9) * 1e3)
    assert t.d2h_ms == pytest.approx(in_bytes / (PINNED_GBPS * 1e9) * 1e3)
    assert t.compute_ms > 0 and t.latency_ms == pytest.approx(t.h2d_ms + t.compute_ms + t.d2h_ms)
    # returned arrays are copies: the next run must not change them
    first = out["y"].copy()
    session.run(_inputs(seed=1))
    assert np.array_equal(out["y"], first)


def test_pinned_staging_copies_from_page_locked_memory_and_pageable_does_not(engine, cuda):
    feeds = _inputs(batch=16)
    for pinned in (True, False):
        with InferenceSession(engine, cuda=cuda, pinned=pinned) as s:
            cuda.htod_pinned.clear()
            cuda.dtoh_pinned.clear()
            out = s.run(feeds)
            assert np.array_equal(out["y"], feeds["x"]) and np.array_equal(out["mask_out"], feeds["mask"])
            # every copy over the link reads (writes) page-locked memory exactly when staging is on
            assert cuda.htod_pinned == [pinned, pinned] and cuda.dtoh_pinned == [pinned, pinned]
            assert (s._slots["x"].host is not None) == pinned
            assert s.last_timing.pinned == pinned and s.last_timing.stage_ms >= 0
            res = s.benchmark(n=3, warmup=1, inputs=feeds, pinned=not pinned)
            assert res.pinned == (not pinned) and s.pinned == pinned      # the override is undone
            assert cuda.htod_pinned[-1] == (not pinned)


def test_inputs_in_the_pinned_buffer_are_not_copied_again(session):
    staged = session.input_buffer("x", (2, 3, 8, 8))
    staged[:] = 3.0
    mask = np.zeros((2, 5), np.int32)
    out = session.run({"x": staged, "mask": mask})
    assert np.all(out["y"] == 3.0)
    # only the mask went through np.copyto; the staged input was used in place
    assert session.input_buffer("x", (2, 3, 8, 8)) is not staged  # a fresh view ...
    assert np.shares_memory(session.input_buffer("x", (2, 3, 8, 8)), staged)  # ... of the same memory


def test_buffers_grow_with_shapes_and_never_shrink(session, cuda):
    session.run(_inputs(batch=2))
    slot = session._slots["x"]
    ptr2, size2 = slot.device.ptr, slot.device.nbytes
    session.run(_inputs(batch=2))
    assert slot.device.ptr == ptr2                       # same shape: same buffer
    session.run(_inputs(batch=8))
    assert slot.device.nbytes == 8 * 3 * 8 * 8 * 4 > size2
    ptr8 = slot.device.ptr
    out = session.run(_inputs(batch=1, seed=3))
    assert slot.device.ptr == ptr8                       # smaller shape reuses the larger buffer
    assert out["y"].shape == (1, 3, 8, 8)
    assert np.array_equal(out["y"], _inputs(batch=1, seed=3)["x"])


def test_set_input_shape_checks_the_profile(session):
    session.set_input_shape("x", (16, 3, 8, 8))
    assert tuple(session.context.get_tensor_shape("y")) == (16, 3, 8, 8)
    with pytest.raises(BindingError, match=r"outside optimization profile 0: min \(1, 3, 8, 8\), max \(16, 3, 8, 8\)"):
        session.set_input_shape("x", (17, 3, 8, 8))
    with pytest.raises(BindingError, match="'y' is not an input"):
        session.set_input_shape("y", (1, 3, 8, 8))
    assert tuple(session.context.get_tensor_shape("y")) == (16, 3, 8, 8)   # unchanged by the refusals


def test_shape_refused_by_tensorrt_is_a_binding_error(session, monkeypatch):
    monkeypatch.setattr(session.context, "set_input_shape", lambda name, shape: False)
    with pytest.raises(BindingError, match="TensorRT refused shape"):
        session.run(_inputs(batch=3))


# ---------------------------------------------------------------- bad inputs leave the session usable
BAD = [
    ({"x": np.zeros((4, 3, 8, 8), np.float32), "mask": np.zeros((2, 5), np.int32), "z": np.zeros(1)},
     r"unknown input name\(s\) \['z'\]; this engine's inputs are \['x', 'mask'\]"),
    ({"x": np.zeros((4, 3, 8, 8), np.float32)}, r"missing input\(s\) \['mask'\]"),
    ({"x": np.zeros((4, 3, 8, 8), np.float64), "mask": np.zeros((2, 5), np.int32)},
     r"input 'x' has dtype float64; the engine expects float32"),
    ({"x": np.zeros((4, 3, 8), np.float32), "mask": np.zeros((2, 5), np.int32)},
     r"input 'x' has rank 3 .* expects rank 4 \(\?, 3, 8, 8\)"),
    ({"x": np.zeros((4, 3, 8, 9), np.float32), "mask": np.zeros((2, 5), np.int32)},
     r"dimension 3 must be 8"),
    ({"x": np.zeros((32, 3, 8, 8), np.float32), "mask": np.zeros((2, 5), np.int32)},
     r"shape \(32, 3, 8, 8\) is outside optimization profile 0"),
    ({"x": np.zeros((4, 3, 8, 16), np.float32)[..., ::2], "mask": np.zeros((2, 5), np.int32)},
     r"input 'x' is not C-contiguous; pass np.ascontiguousarray"),
    ({"x": "not an array", "mask": np.zeros((2, 5), np.int32)}, r"input 'x' is a str"),
]


@pytest.mark.parametrize("feeds,message", BAD, ids=["name", "missing", "dtype", "rank", "static-dim", "profile",
                                                      "non-contiguous", "type"])
def test_bad_inputs_are_clear_errors_and_the_session_stays_usable(session, feeds, message):
    session.run(_inputs(batch=4))
    executions = session.context.executions
    with pytest.raises(BindingError, match=message):
        session.run(feeds)
    assert session.context.executions == executions          # nothing was enqueued
    good = _inputs(batch=5, seed=9)
    assert np.array_equal(session.run(good)["y"], good["x"])


def test_closed_session(engine, cuda):
    s = InferenceSession(engine, cuda=cuda)
    s.run(_inputs())
    s.close()
    s.close()  # twice is fine
    assert s.closed and "closed" in repr(s) and "closed" in s._repr_html_()
    for call in (lambda: s.run(_inputs()), lambda: s.benchmark(2), lambda: s.set_input_shape("x", (1, 3, 8, 8)),
                 lambda: s.profile_layers(n=1), lambda: s.input_buffer("x")):
        with pytest.raises(SessionClosedError, match="create a new one"):
            call()
    assert cuda.used == 0


def test_close_frees_everything(engine, cuda):
    before = cuda.mem_get_info()[0]
    with InferenceSession(engine, cuda=cuda, cuda_graph=True) as s:
        for b in (1, 16, 16, 16, 3):
            s.run(_inputs(batch=b))
        assert cuda.mem_get_info()[0] < before
    assert cuda.mem_get_info()[0] == before and not cuda._pinned


# ---------------------------------------------------------------- device arrays
def test_device_arrays_are_bound_without_a_copy(session, cuda):
    x = FakeDeviceArray(cuda, (4, 3, 8, 8), np.float32)
    data = np.random.default_rng(2).standard_normal((4, 3, 8, 8)).astype(np.float32)
    x.set(data)
    y = FakeDeviceArray(cuda, (4, 3, 8, 8), np.float32)
    before = cuda.htod_calls
    out = session.run({"x": x, "mask": np.ones((2, 5), np.int32)}, outputs={"y": y})
    assert cuda.htod_calls == before + 1                 # only the host mask crossed the bus
    assert out["y"] is y and np.array_equal(y.get(), data)
    assert session.context.get_tensor_address("x") == x.ptr and session._slots["x"].device is None


def test_bad_device_arrays(session, cuda):
    feeds = {"mask": np.ones((2, 5), np.int32)}
    strided = FakeDeviceArray(cuda, (4, 3, 8, 8), np.float32, strides=(768, 256, 32, 8))
    with pytest.raises(BindingError, match="input 'x' is not C-contiguous"):
        session.run(dict(feeds, x=strided))
    with pytest.raises(BindingError, match="dtype float16; the engine expects float32"):
        session.run(dict(feeds, x=FakeDeviceArray(cuda, (4, 3, 8, 8), np.float16)))
    with pytest.raises(BindingError, match=r"output 'y': the device array has shape \(2, 3, 8, 8\)"):
        session.run(dict(feeds, x=np.zeros((4, 3, 8, 8), np.float32)),
                    outputs={"y": FakeDeviceArray(cuda, (2, 3, 8, 8), np.float32)})
    with pytest.raises(BindingError, match="only device arrays"):
        session.run(dict(feeds, x=np.zeros((4, 3, 8, 8), np.float32)), outputs={"y": np.zeros((4, 3, 8, 8), np.float32)})
    with pytest.raises(BindingError, match=r"unknown output name\(s\) \['x'\]"):
        session.run(dict(feeds, x=np.zeros((4, 3, 8, 8), np.float32)), outputs={"x": np.zeros(1)})
    assert session.run(dict(feeds, x=np.ones((4, 3, 8, 8), np.float32)))["y"].sum() == 4 * 3 * 64


# ---------------------------------------------------------------- data-dependent shapes
def test_data_dependent_output_goes_through_the_output_allocator(dds_engine, cuda):
    rng = np.random.default_rng(5)
    with InferenceSession(dds_engine, cuda=cuda) as s:
        assert s.bindings["positive"].nbytes is None
        sizes = []
        for n in (64, 64, 1000, 3):
            v = rng.standard_normal(n).astype(np.float32)
            out = s.run({"v": v})["positive"]
            assert np.array_equal(out, v[v > 0])
            sizes.append(out.size)
        assert len(set(sizes)) > 1
        alloc = s._slots["positive"].allocator
        assert alloc.shape == (sizes[-1],) and alloc.buffer.nbytes >= 4 * max(sizes)   # grown, not shrunk
        none_kept = s.run({"v": -np.ones(10, np.float32)})["positive"]
        assert none_kept.shape == (0,)


# ---------------------------------------------------------------- CUDA graphs
def test_cuda_graph_is_captured_once_and_replayed(engine, cuda):
    with InferenceSession(engine, cuda=cuda, cuda_graph=True) as s:
        used = []
        for i in range(5):
            feeds = _inputs(batch=4, seed=i)
            assert np.array_equal(s.run(feeds)["y"], feeds["x"])   # replays read the new data
            used.append(s.last_timing.cuda_graph)
        assert used == [False, True, True, True, True]
        assert cuda.captures == 1 and cuda.graph_launches == 4
        assert s.context.executions == 2          # the first run and the captured one
        feeds = _inputs(batch=6, seed=9)          # a new shape drops the graph
        assert np.array_equal(s.run(feeds)["y"], feeds["x"]) and not s.last_timing.cuda_graph
        assert s._graph is None


# ---------------------------------------------------------------- benchmark and profile
def test_benchmark_reports_trtexec_metrics(session, output_dir):
    res = session.benchmark(n=20, warmup=3)
    assert isinstance(res, BenchmarkResult) and res.iterations == 20 and res.batch == 4
    assert set(res.records) >= {"latency", "h2d", "compute", "d2h", "enqueue"}
    assert all(len(v) == 20 for v in res.records.values())
    s = res.stats["latency"]
    assert s.min <= s.median <= s.p90 <= s.p95 <= s.p99 <= s.max and res.throughput_qps > 0
    text = str(res)
    for metric in ("Throughput", "Latency", "H2D Latency", "GPU Compute Time", "D2H Latency", "percentile(99%)"):
        assert metric in text
    assert "GPU Compute Time" in res._repr_html_()
    # one timing model: the benchmark's series are an engine Timing, as trtexec --exportTimes reads
    assert isinstance(res.timing, Timing) and len(res.timing) == 20
    assert isinstance(s, TimingStats) and s is res.timing.stats["latency"] and s.count == 20
    assert res.timing.records[0]["latencyMs"] == pytest.approx(res.records["latency"][0])
    assert s.median == pytest.approx(float(np.median(res.records["latency"])))
    for d in (res.plot_split(), res.plot_latency(), res.plot()):
        png = d._repr_png_()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    res.plot().save(output_dir / "runtime_benchmark.png")
    with pytest.raises(ConfigError, match="n must be >= 1"):
        session.benchmark(n=0)


def test_profile_layers_gives_an_engine_profile(session):
    from trtlab.engine import Profile

    prof = session.profile_layers(n=4, warmup=1)
    assert isinstance(prof, Profile) and prof.source == "iprofiler" and prof.count == 4
    names = [layer.name for layer in prof.layers]
    assert names == ["copy x -> y", "copy mask -> mask_out"]
    assert prof.layers[1].average_ms == pytest.approx(0.02) and prof.layers[1].time_ms == pytest.approx(0.08)
    assert sum(layer.percentage for layer in prof.layers) == pytest.approx(100.0)
    assert session.context.profiler is None              # detached: later runs are not profiled
    session.run(random_inputs(session))


def test_random_inputs_match_the_bindings(session):
    feeds = random_inputs(session)
    assert feeds["x"].shape == (4, 3, 8, 8) and feeds["x"].dtype == np.float32   # opt shape
    assert feeds["mask"].shape == (2, 5) and feeds["mask"].dtype == np.int32
    assert random_inputs(session, {"x": (7, 3, 8, 8)})["x"].shape == (7, 3, 8, 8)


# ---------------------------------------------------------------- how engines are given
def test_plan_bytes_paths_and_bad_engines(cuda, memory, tmp_path, monkeypatch):
    import trtlab.runtime.loading as loading

    monkeypatch.setattr(loading, "runtime_module", lambda name: fake_trt)
    plan = fake_trt.plan_bytes(copy.deepcopy(IDENTITY))
    with InferenceSession(plan, cuda=cuda) as s:
        assert s.bindings.names == ["x", "mask", "y", "mask_out"]
        assert np.array_equal(s.run(_inputs())["y"], _inputs()["x"])
    path = tmp_path / "model.plan"
    path.write_bytes(plan)
    # a plan path goes through load_engine's sidecar check: without a sidecar only when trusted
    with pytest.raises(BundleError, match="no sidecar.*unverified.*trusted=True"):
        InferenceSession(str(path), cuda=cuda)
    with InferenceSession(str(path), cuda=cuda, trusted=True) as s:
        assert len(s.bindings) == 4
    import hashlib
    import json

    sidecar = {"format": "trtlab-engine", "plan_bytes": len(plan), "plan_sha256": hashlib.sha256(plan).hexdigest()}
    (tmp_path / "model.plan.json").write_text(json.dumps(sidecar))
    with InferenceSession(str(path), cuda=cuda) as s:
        assert len(s.bindings) == 4
    path.write_bytes(plan + b"\0")
    with pytest.raises(BundleError, match="does not match its sidecar"):
        InferenceSession(str(path), cuda=cuda, trusted=True)

    class Built:  # the BuiltEngine protocol: .plan and .backend.module
        class backend:
            module = "tensorrt"
    Built.plan = plan
    with InferenceSession(Built(), cuda=cuda) as s:
        assert s.output_names == ["y", "mask_out"]
    with pytest.raises(BundleError, match="does not exist"):
        InferenceSession(tmp_path / "missing.plan", cuda=cuda)
    with pytest.raises(BundleError, match="could not deserialize the plan"):
        InferenceSession(b"garbage", cuda=cuda)
    with pytest.raises(BundleError, match="empty"):
        InferenceSession(b"", cuda=cuda)
    with pytest.raises(ConfigError, match="engine of type int is not supported"):
        InferenceSession(42, cuda=cuda)
    with pytest.raises(ConfigError, match="optimization profile 3 does not exist"):
        InferenceSession(plan, cuda=cuda, profile_index=3)
    assert cuda.used == 0 and not cuda._pinned


def test_run_accepts_keywords_and_call(session):
    feeds = _inputs()
    assert np.array_equal(session(**feeds)["y"], feeds["x"])
    assert np.array_equal(session.run(x=feeds["x"], mask=feeds["mask"].tolist())["mask_out"], feeds["mask"])


def test_host_located_shape_tensors_are_bound_in_host_memory(cuda, memory):
    spec = copy.deepcopy(IDENTITY)
    spec["tensors"] += [{"name": "n", "mode": "input", "dtype": "INT32", "shape": [2], "location": "HOST"},
                        {"name": "n_out", "mode": "output", "dtype": "INT32", "shape": [2], "location": "HOST"}]
    spec["host_copies"] = [["n", "n_out"]]
    with InferenceSession(fake_trt.ICudaEngine(spec, memory), cuda=cuda) as s:
        assert s.bindings["n"].location == "host" and s.bindings["n_out"].location == "host"
        feeds = dict(_inputs(), n=np.array([7, 9], np.int32))
        htod = cuda.htod_calls
        out = s.run(feeds)
        assert cuda.htod_calls == htod + 2                   # x and mask only: n stayed on the host
        assert out["n_out"].tolist() == [7, 9] and np.array_equal(out["y"], feeds["x"])
        assert s.context.get_tensor_address("n") == s._slots["n"].host.ptr
        with pytest.raises(BindingError, match="lives in host memory"):
            s.run(dict(feeds, n=FakeDeviceArray(cuda, (2,), np.int32)))
        assert s.run(dict(feeds, n=np.array([1, 2], np.int32)))["n_out"].tolist() == [1, 2]


def test_binding_table_without_a_gpu_from_real_layer_information(fixtures):
    from trtlab.engine import load_layer_info

    plan = load_layer_info(fixtures / "trt-layerinfo" / "resnet18-a100-fp16" / "engine.graph.json")
    table = binding_table(plan)
    assert [(b.name, b.mode, b.shape, b.dtype) for b in table] == [
        ("input.1", "input", (32, 3, 224, 224), "float32"), ("191", "output", (32, 1000), "float32")]
    assert table["input.1"].nbytes == 32 * 3 * 224 * 224 * 4 and "Row major linear" in str(table)


def test_binding_table_of_a_real_tensorrt_for_rtx_build():
    pytest.importorskip("tensorrt_rtx_bindings")
    import trtlab
    from trtlab.builder import BuildConfig, ShapeProfile, build_engine

    built = build_engine(trtlab.bundled_model("resnet18"),
                         BuildConfig(profiles=(ShapeProfile("input.1", (1, 3, 224, 224), (4, 3, 224, 224), (8, 3, 224, 224)),)))
    table = binding_table(built)
    x = table["input.1"]
    assert (x.mode, x.dtype, x.location) == ("input", "float32", "device")
    assert x.profile == ((1, 3, 224, 224), (4, 3, 224, 224), (8, 3, 224, 224)) and x.shape == (-1, 3, 224, 224)
    assert x.nbytes == 8 * 3 * 224 * 224 * 4
    assert table.outputs[0].dtype == "float32"


# ---------------------------------------------------------------- CUDA graphs with the copies
def test_graph_with_copies_replays_copies_without_new_calls(engine, cuda):
    with InferenceSession(engine, cuda=cuda, cuda_graph="with-copies") as s:
        flags, calls = [], []
        for i in range(5):
            feeds = _inputs(batch=4, seed=i)
            out = s.run(feeds)
            assert np.array_equal(out["y"], feeds["x"]) and np.array_equal(out["mask_out"], feeds["mask"])
            flags.append(s.last_timing.graph_copies)
            calls.append(cuda.htod_calls)
        assert flags == [False, True, True, True, True]
        assert cuda.captures == 1 and cuda.graph_launches == 4
        assert calls[2] == calls[3] == calls[4]          # replays enqueue no copy of their own: the graph holds them
        t = s.last_timing
        assert t.h2d_ms == t.d2h_ms == 0 and t.compute_ms > 0 and t.cuda_graph
        feeds = _inputs(batch=7, seed=9)                 # a new shape runs plainly, then is captured again
        assert np.array_equal(s.run(feeds)["y"], feeds["x"]) and not s.last_timing.graph_copies
        assert "with the copies" in s._repr_html_()


def test_graph_with_copies_needs_pinned_staging(engine, cuda):
    with InferenceSession(engine, cuda=cuda, cuda_graph="with-copies", pinned=False) as s:
        for i in range(3):
            feeds = _inputs(seed=i)
            assert np.array_equal(s.run(feeds)["y"], feeds["x"])
        assert not s.last_timing.graph_copies and cuda.captures == 0
    with pytest.raises(ConfigError, match="cuda_graph='always' is not one of"):
        InferenceSession(engine, cuda=cuda, cuda_graph="always")


# ---------------------------------------------------------------- optimization profiles
@pytest.fixture
def profiles_engine(memory):
    return fake_trt.ICudaEngine(copy.deepcopy(PROFILES), memory)


def test_auto_profile_picks_the_profile_holding_the_shape(profiles_engine, cuda):
    rng = np.random.default_rng(1)
    with InferenceSession(profiles_engine, cuda=cuda, profile_index="auto") as s:
        assert s.num_profiles == 2
        seen = []
        for batch in (2, 16, 3, 32, 1):
            x = rng.standard_normal((batch, 4)).astype(np.float32)
            assert np.array_equal(s.run({"x": x})["y"], x)
            seen.append(s.profile_index)
        assert seen == [0, 1, 0, 1, 0]
        assert s.bindings["x"].profile == ((1, 4), (2, 4), (4, 4))
        with pytest.raises(BindingError, match=r"no optimization profile holds the input shapes \{'x': \(6, 4\)\}; "
                                               r"profile 0: x min \(1, 4\), max \(4, 4\); profile 1: x min \(8, 4\)"):
            s.run({"x": np.zeros((6, 4), np.float32)})
        assert np.array_equal(s.run({"x": np.ones((2, 4), np.float32)})["y"], np.ones((2, 4)))


def test_profile_chosen_per_run_or_for_the_session(profiles_engine, cuda):
    with InferenceSession(profiles_engine, cuda=cuda) as s:
        with pytest.raises(BindingError, match=r"shape \(16, 4\) is outside optimization profile 0: .*profile_index='auto'"):
            s.run({"x": np.zeros((16, 4), np.float32)})
        x = np.arange(64, dtype=np.float32).reshape(16, 4)
        assert np.array_equal(s.run({"x": x}, profile=1)["y"], x) and s.profile_index == 1
        assert s.context.active_profile == 1 and s.bindings["x"].profile[0] == (8, 4)
        with pytest.raises(BindingError, match="outside optimization profile 1"):
            s.run({"x": np.zeros((2, 4), np.float32)})
        s.set_profile(0)
        assert np.array_equal(s.run({"x": x[:3]})["y"], x[:3])
        with pytest.raises(ConfigError, match=r"optimization profile 2 does not exist; the engine has 2: 0..1"):
            s.run({"x": x}, profile=2)
    with InferenceSession(profiles_engine, cuda=cuda, profile_index=1) as s:
        assert s.context.active_profile == 1 and np.array_equal(s.run({"x": x})["y"], x)


# ---------------------------------------------------------------- outputs in the caller's kind
def test_outputs_as_framework_arrays_are_bound_not_copied(session, cuda, monkeypatch):
    import trtlab.runtime.feeds as feeds_mod

    made = []

    def fake_empty(kind, shape, dtype, device):
        assert kind == "torch" and device == 0
        made.append(FakeDeviceArray(cuda, shape, dtype))
        return made[-1]

    monkeypatch.setattr(feeds_mod, "empty_device_array", fake_empty)
    feeds = _inputs()
    dtoh = len(cuda.dtoh_pinned)
    out = session.run(feeds, outputs="torch")
    assert [type(v) for v in out.values()] == [FakeDeviceArray, FakeDeviceArray]
    assert np.array_equal(out["y"].get(), feeds["x"]) and np.array_equal(out["mask_out"].get(), feeds["mask"])
    assert session.context.get_tensor_address("y") == made[0].ptr
    assert len(cuda.dtoh_pinned) == dtoh                 # nothing came back to the host
    with pytest.raises(BindingError, match=r"outputs='jax' is not one of \('numpy', 'torch', 'cupy'\)"):
        session.run(feeds, outputs="jax")


def test_dlpack_only_arrays_go_through_cupy(session):
    import importlib.util

    class DlpackOnly:   # a CUDA array that speaks DLPack but not __cuda_array_interface__
        def __dlpack_device__(self):
            return (2, 0)

        def __dlpack__(self, stream=None):
            raise AssertionError("not reached without CuPy")

    class HostDlpack(DlpackOnly):
        def __dlpack_device__(self):
            return (1, 0)

    feeds = _inputs()
    if importlib.util.find_spec("cupy") is None:
        with pytest.raises(BindingError, match="Binding a DLPack-only device array needs cupy"):
            session.run(dict(feeds, x=DlpackOnly()))
    with pytest.raises(BindingError, match="input 'x' is a HostDlpack; pass a numpy array"):
        session.run(dict(feeds, x=HostDlpack()))


def test_an_input_buffer_from_before_a_regrowth_is_copied_again(session):
    old = session.input_buffer("x", (2, 3, 8, 8))
    old[:] = 1.0
    new = session.input_buffer("x", (16, 3, 8, 8))   # grows: a new pinned buffer
    new[:] = 2.0
    # the old array is no longer the staging buffer: its data must be copied in, not assumed there
    assert np.all(session.run({"x": old, "mask": np.zeros((2, 5), np.int32)})["y"] == 1.0)
