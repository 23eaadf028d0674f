"""Run timings (CUDA events around each phase) and trtexec-style benchmark statistics.

A benchmark's per-iteration series and their statistics are a :class:`trtlab.engine.Timing`
(the model ``trtexec --exportTimes`` files are read into), so measured and loaded timings
compare metric by metric.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from ..draw import plots
from ..engine.profile import Timing, TimingStats

__all__ = ["BenchmarkResult", "RunTiming", "TimingStats", "timing_of"]


@dataclass(frozen=True)
class RunTiming:
    """Milliseconds spent in one :meth:`InferenceSession.run`.

    ``h2d_ms``, ``compute_ms`` and ``d2h_ms`` come from CUDA events recorded on the session's
    stream around each phase; ``stage_ms`` is host time copying inputs into the pinned staging
    buffers (0 when inputs already live there or on the device); ``wall_ms`` is the host's
    clock around the whole call.
    """

    h2d_ms: float
    compute_ms: float
    d2h_ms: float
    stage_ms: float = 0.0
    wall_ms: float = 0.0
    pinned: bool = True
    cuda_graph: bool = False
    graph_copies: bool = False     # one graph held the copies too: all its time is in compute_ms

    @property
    def latency_ms(self) -> float:
        """trtexec's "Latency": H2D + GPU compute + D2H."""
        return self.h2d_ms + self.compute_ms + self.d2h_ms

    @property
    def copy_share(self) -> float:
        """Fraction of the latency spent copying (H2D + D2H)."""
        lat = self.latency_ms
        return (self.h2d_ms + self.d2h_ms) / lat if lat > 0 else 0.0

    def _repr_html_(self) -> str:
        rows = [("host → device", self.h2d_ms), ("GPU compute", self.compute_ms), ("device → host", self.d2h_ms),
                ("latency", self.latency_ms), ("staging (host copy)", self.stage_ms), ("wall clock", self.wall_ms)]
        body = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v:.4f} ms</td></tr>" for k, v in rows)
        return f"<table><caption>Last run ({'pinned' if self.pinned else 'pageable'} staging)</caption>{body}</table>"


_METRICS = (
    ("latency", "Latency", "ms"),
    ("h2d", "H2D Latency", "ms"),
    ("compute", "GPU Compute Time", "ms"),
    ("d2h", "D2H Latency", "ms"),
    ("enqueue", "Enqueue Time", "ms"),
    ("stage", "Staging (host copy)", "ms"),
)


@dataclass
class BenchmarkResult:
    """What :meth:`InferenceSession.benchmark` measured, with trtexec's metric names.

    ``records`` maps metric → per-iteration values (ms): ``latency`` (H2D + compute + D2H),
    ``h2d``, ``compute``, ``d2h``, ``enqueue`` (host time of the call), ``stage``; ``timing``
    is the same as a :class:`trtlab.engine.Timing` and ``stats`` its :class:`TimingStats`.
    ``throughput_qps`` is iterations per second of wall-clock time over the timed loop.
    """

    records: dict[str, np.ndarray]
    throughput_qps: float
    iterations: int
    warmup: int
    pinned: bool
    cuda_graph: bool = False
    batch: int | None = None
    note: str | None = None
    timing: Timing = field(init=False, repr=False)
    stats: dict[str, TimingStats] = field(init=False)

    def __post_init__(self) -> None:
        self.records = {k: np.asarray(v, dtype=np.float64) for k, v in self.records.items()}
        self.timing = timing_of(self.records)
        self.stats = self.timing.stats

    def rows(self) -> list[tuple[str, str]]:
        out = [("Throughput", f"{self.throughput_qps:.2f} qps")]
        for key, label, unit in _METRICS:
            s = self.stats.get(key)
            if s is None:
                continue
            out.append((label, "min = {:.5f} {u}, max = {:.5f} {u}, mean = {:.5f} {u}, median = {:.5f} {u}, "
                               "percentile(90%) = {:.5f} {u}, percentile(95%) = {:.5f} {u}, percentile(99%) = {:.5f} {u}"
                        .format(s.min, s.max, s.mean, s.median, s.p90, s.p95, s.p99, u=unit)))
        return out

    def __str__(self) -> str:
        head = f"=== Performance summary ({self.iterations} iterations after {self.warmup} warm-up, " \
               f"{'pinned' if self.pinned else 'pageable'} staging{', CUDA graph' if self.cuda_graph else ''}) ==="
        return "\n".join([head] + [f"{k}: {v}" for k, v in self.rows()] + ([self.note] if self.note else []))

    def _repr_html_(self) -> str:
        head = "<tr><th>metric</th><th>min</th><th>mean</th><th>median</th><th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>"
        body = f"<tr><th style='text-align:left'>Throughput</th><td colspan='7'>{self.throughput_qps:.2f} qps</td></tr>"
        for key, label, _ in _METRICS:
            s = self.stats.get(key)
            if s is None:
                continue
            cells = "".join(f"<td>{x:.4f}</td>" for x in (s.min, s.mean, s.median, s.p90, s.p95, s.p99, s.max))
            body += f"<tr><th style='text-align:left'>{html.escape(label)} (ms)</th>{cells}</tr>"
        cap = (f"Benchmark: {self.iterations} iterations, {self.warmup} warm-up, "
               f"{'pinned' if self.pinned else 'pageable'} staging{', CUDA graph' if self.cuda_graph else ''}")
        note = f"<p><i>{html.escape(self.note)}</i></p>" if self.note else ""
        return f"<table><caption>{html.escape(cap)}</caption>{head}{body}</table>{note}"

    # ------------------------------------------------------------------ plots (drawn by trtlab.draw.plots)
    def plot_split(self, ax=None):
        """Stacked bar of mean H2D / compute / D2H time: where a run's latency goes."""
        return plots.io_split(self.stats["h2d"].mean, self.stats["compute"].mean, self.stats["d2h"].mean, ax=ax,
                              title="Where a run's latency goes", xlabel="mean time per run (ms)")

    def plot_latency(self, ax=None):
        """Latency and GPU compute time of every timed iteration (spot warm-up effects, jitter)."""
        return plots.latency_over_iterations(self.records["latency"], self.records["compute"], ax=ax)

    def plot(self):
        """Both plots in one figure."""
        return plots.benchmark_plots(self.stats["h2d"].mean, self.stats["compute"].mean, self.stats["d2h"].mean,
                                     self.records["latency"], self.records["compute"])


# the per-iteration record keys of ``trtexec --exportTimes`` for each series
_EXPORT_KEYS = {"latency": "latencyMs", "h2d": "h2dMs", "compute": "computeMs", "d2h": "d2hMs",
                "enqueue": "enqueueMs", "stage": "stageMs"}


def timing_of(series: dict[str, np.ndarray]) -> Timing:
    """Per-iteration series (ms) as a :class:`trtlab.engine.Timing` with trtexec-style records."""
    keys = [k for k in _EXPORT_KEYS if k in series]
    n = min((len(series[k]) for k in keys), default=0)
    records = [{_EXPORT_KEYS[k]: float(series[k][i]) for k in keys} for i in range(n)]
    return Timing(records, {k: np.asarray(series[k], dtype=float) for k in keys})
