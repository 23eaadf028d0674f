"""Measuring a session: trtexec-style benchmarks, pipelined throughput, per-layer profiles.

The functions take an :class:`~trtlab.runtime.InferenceSession` as first argument and are its
methods ``benchmark`` and ``profile_layers``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..engine.profile import LayerTime, Profile
from ..errors import ConfigError
from .inputs import random_inputs
from .loading import make_profiler
from .pipeline import PipelineResult, benchmark_pipeline
from .timing import BenchmarkResult

if TYPE_CHECKING:
    from .session import InferenceSession

__all__ = ["benchmark", "profile_layers"]


def benchmark(session: "InferenceSession", n: int = 100, warmup: int = 10, inputs: Mapping[str, Any] | None = None, *,
              pinned: bool | None = None, seed: int = 0, pipeline: int | None = None) -> BenchmarkResult | PipelineResult:
    """Run ``warmup`` + ``n`` times and report trtexec's metrics.

    Throughput, latency (H2D + GPU compute + D2H), H2D latency, GPU compute time, D2H latency
    and enqueue time, each with min/mean/median/p90/p95/p99/max. ``pinned`` overrides the
    session's staging for this benchmark (compare pinned with pageable host memory).
    ``inputs`` default to random arrays at each dynamic input's opt shape.

    ``pipeline=k`` (k >= 2) instead runs ``n`` batches through one lane and through ``k``
    overlapping lanes (execution contexts with their own streams and buffers) and returns a
    :class:`~trtlab.runtime.PipelineResult`: both throughputs and a timeline of every copy and
    compute phase.
    """
    session._check_open()
    if int(n) < 1 or int(warmup) < 0:
        raise ConfigError(f"benchmark(n={n}, warmup={warmup}): n must be >= 1 and warmup >= 0")
    if inputs is None:
        inputs = random_inputs(session, seed=seed)
    if pipeline is not None:
        if int(pipeline) < 2:
            raise ConfigError(f"pipeline={pipeline}: pass 2 or more lanes (or leave it out for the plain benchmark)")
        return benchmark_pipeline(session, [inputs] * int(n), int(pipeline), int(warmup))
    saved = session.pinned
    if pinned is not None:
        session.pinned = bool(pinned)
    try:
        rec, used_graph, elapsed = _timed_runs(session, inputs, int(n), int(warmup))
    finally:
        session.pinned = saved
    first = session.bindings.inputs[0] if session.bindings.inputs else None
    batch = int(np.shape(inputs[first.name])[0]) if first is not None and np.ndim(inputs[first.name]) else None
    return BenchmarkResult(dict(rec), throughput_qps=int(n) / elapsed, iterations=int(n), warmup=int(warmup),
                           pinned=session.pinned if pinned is None else bool(pinned), cuda_graph=used_graph, batch=batch)


def _timed_runs(session, inputs, n: int, warmup: int) -> tuple[dict[str, list[float]], bool, float]:
    for _ in range(warmup):
        session.run(inputs, copy=False)
    rec: dict[str, list[float]] = defaultdict(list)
    start = time.perf_counter()
    used_graph = False
    for _ in range(n):
        session.run(inputs, copy=False)
        t = session.last_timing
        used_graph |= t.cuda_graph
        rec["latency"].append(t.latency_ms)
        rec["h2d"].append(t.h2d_ms)
        rec["compute"].append(t.compute_ms)
        rec["d2h"].append(t.d2h_ms)
        rec["enqueue"].append(t.wall_ms)
        rec["stage"].append(t.stage_ms)
    return rec, used_graph, time.perf_counter() - start


def profile_layers(session: "InferenceSession", inputs: Mapping[str, Any] | None = None, n: int = 10,
                   warmup: int = 2, *, seed: int = 0) -> Profile:
    """Measure each engine layer with TensorRT's ``IProfiler`` over ``n`` runs.

    Returns a :class:`trtlab.engine.Profile` (``source="iprofiler"``), the structure the
    trtexec profile parser produces, so ``map_fusion(graph, plan, profile)`` shows measured
    time per fused layer.
    """
    session._check_open()
    if inputs is None:
        inputs = random_inputs(session, seed=seed)
    for _ in range(int(warmup)):
        session.run(inputs, copy=False)
    session._drop_graph()
    profiler = session._profiler = make_profiler(session.trt)
    context = session.context
    context.profiler = profiler
    try:
        for _ in range(int(n)):
            session.run(inputs, copy=False)
            if not context.enqueue_emits_profile:
                context.report_to_profiler()
    finally:
        profiler.enabled = False
        try:
            context.profiler = None
            session._profiler = None
        except TypeError:  # a binding that cannot unset it: keep CUDA graphs off from now on
            pass
    return _layer_profile(profiler, int(n))


def _layer_profile(profiler, n: int) -> Profile:
    total = sum(sum(v) for v in profiler.times.values()) or 1.0
    layers = []
    for name in profiler.order:
        t = np.asarray(profiler.times[name])
        layers.append(LayerTime(name=name, time_ms=float(t.sum()), average_ms=float(t.mean()),
                                median_ms=float(np.median(t)), percentage=100.0 * float(t.sum()) / total))
    return Profile(layers=layers, count=n, source="iprofiler")
