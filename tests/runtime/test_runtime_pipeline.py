"""Pipelined runs (lanes of contexts, streams and buffers) against the CPU doubles."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import fake_trt
from trtlab.errors import BindingError, ConfigError
from trtlab.runtime import InferenceSession, PipelineResult
from trtlab.runtime.pipeline import _lane_profiles


def _batches(n, batch=4, seed=0):
    rng = np.random.default_rng(seed)
    return [{"x": rng.standard_normal((batch, 3, 8, 8)).astype(np.float32),
             "mask": rng.integers(-9, 9, (2, 5)).astype(np.int32)} for _ in range(n)]


@pytest.mark.parametrize("lanes", [1, 2, 3])
def test_run_many_gives_each_batch_its_own_outputs_in_order(session, lanes):
    batches = _batches(7)
    out = session.run_many(batches, pipeline=lanes)
    assert len(out) == 7
    for o, b in zip(out, batches):
        assert np.array_equal(o["y"], b["x"]) and np.array_equal(o["mask_out"], b["mask"])
    assert session.run(batches[0])["y"].shape == (4, 3, 8, 8)    # the session itself is untouched


def test_lanes_use_their_own_contexts_and_free_everything(engine, cuda):
    with InferenceSession(engine, cuda=cuda) as s:
        s.run(_batches(1)[0])
        held = cuda.used
        address = s.context.get_tensor_address("x")
        s.run_many(_batches(4), pipeline=2)
        assert cuda.used == held                                  # lane buffers are freed
        assert s.context.get_tensor_address("x") == address       # the session's context keeps its bindings
        assert s.context.executions == 1


def test_benchmark_pipeline_reports_both_runs_and_a_timeline(session):
    res = session.benchmark(n=6, warmup=2, pipeline=2)
    assert isinstance(res, PipelineResult) and res.lanes == 2 and res.batches == 6
    assert res.sequential_qps > 0 and res.pipelined_qps > 0 and res.speedup == pytest.approx(
        res.pipelined_qps / res.sequential_qps)
    assert {s.stream for s in res.sequential} == {0} and {s.stream for s in res.pipelined} == {0, 1}
    assert sorted({s.batch for s in res.pipelined}) == list(range(6))
    for s in res.pipelined:
        assert s.end_ms >= s.start_ms >= 0
    # each batch's phases follow one another on its stream
    for b in range(6):
        h2d, comp, d2h = sorted((s for s in res.pipelined if s.batch == b), key=lambda s: s.start_ms)
        assert (h2d.phase, comp.phase, d2h.phase) == ("h2d", "compute", "d2h")
        assert h2d.end_ms <= comp.start_ms + 1e-9 and comp.end_ms <= d2h.start_ms + 1e-9
    # the double's link moves pinned bytes at a known rate: the H2D span is the bytes over that rate
    from fake_cuda import PINNED_GBPS
    nbytes = 4 * 3 * 8 * 8 * 4 + 2 * 5 * 4
    assert res.phase_means()["h2d"] == pytest.approx(nbytes / (PINNED_GBPS * 1e9) * 1e3)
    assert "batches/s" in str(res) and "Pipelined" in res._repr_html_()
    assert res.plot_timeline()._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pipeline_errors(session, dds_engine, cuda):
    with pytest.raises(ConfigError, match="pass 2 or more lanes"):
        session.benchmark(n=2, pipeline=1)
    with pytest.raises(ConfigError, match="lanes must be >= 1"):
        session.run_many(_batches(2), pipeline=0)
    with pytest.raises(BindingError, match="pipelined batches share one shape"):
        session.run_many(_batches(1) + _batches(1, batch=5))
    with pytest.raises(ConfigError, match="no batches"):
        session.run_many([])
    with pytest.raises(BindingError, match="outside optimization profile 0"):
        session.run_many(_batches(2, batch=17))
    with InferenceSession(dds_engine, cuda=cuda) as s:
        with pytest.raises(ConfigError, match="'positive' is data-dependent"):
            s.run_many([{"v": np.ones(8, np.float32)}])
        assert cuda.used == sum(buf.nbytes for slot in s._slots.values() for buf in [slot.device] if buf)


def test_lanes_take_distinct_profiles_where_the_engine_has_them(memory, cuda):
    spec = copy.deepcopy(fake_trt.PROFILES)
    spec["tensors"][0]["profiles"] = [[[1, 4], [2, 4], [8, 4]], [[1, 4], [4, 4], [8, 4]], [[16, 4], [16, 4], [32, 4]]]
    rng = np.random.default_rng(2)
    batches = [{"x": rng.standard_normal((4, 4)).astype(np.float32)} for _ in range(5)]
    with InferenceSession(fake_trt.ICudaEngine(spec, memory), cuda=cuda) as s:
        out = s.run_many(batches, pipeline=3)
        assert all(np.array_equal(o["y"], b["x"]) for o, b in zip(out, batches))
        assert _lane_profiles(s, {"x": (4, 4)}, 3) == [0, 1, 0]        # profile 2 does not hold batch 4
        with pytest.raises(BindingError, match="outside optimization profile 0"):
            s.run_many([{"x": np.zeros((20, 4), np.float32)}])
    with InferenceSession(fake_trt.ICudaEngine(spec, memory), cuda=cuda, profile_index="auto") as s:
        assert _lane_profiles(s, {"x": (20, 4)}, 2) == [2, 2]
        with pytest.raises(BindingError, match="no optimization profile holds"):
            s.run_many([{"x": np.zeros((12, 4), np.float32)}])
