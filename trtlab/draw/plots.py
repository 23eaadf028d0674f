"""Profiling plots: pure functions from trtlab's data objects to matplotlib pictures.

Pure: imports only matplotlib (``matplotlib.figure.Figure``, never pyplot), numpy and trtlab's
pure core, so it works headless and without ipywidgets. Every function returns a
:class:`trtlab.draw.Drawing` (``_repr_png_`` in a notebook, ``.save(path)``, ``.figure``), or
draws into the matplotlib Axes passed as ``ax``. Layer and engine names are drawn literally.

The widgets (``ProfilePlots``, ``InferencePanel``) and ``BenchmarkResult.plot*`` are thin over these.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..errors import ConfigError
from .drawing import MAX_WIDTH_IN, Drawing
from .text import literal, middle

__all__ = [
    "layer_time_bars",
    "time_bars",
    "times_by_kind",
    "times_by_layer_type",
    "latency_histogram",
    "timing_latencies",
    "compare_profiles",
    "compare_counts",
    "io_split",
    "latency_over_iterations",
    "benchmark_plots",
]

_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


_WIDE = min(8.0, MAX_WIDTH_IN)  # inches: the width of a one-panel plot


def _drawing(fig: Figure) -> Drawing:
    return Drawing(fig)


def _short(name: str, width: int = 48) -> str:
    """Long fused names (``a + b + c || ...``) shortened for an axis label (both ends kept), literal."""
    return literal(middle(name, width))


def _figure(figsize: tuple[float, float]) -> Figure:
    return Figure(figsize=figsize, layout="constrained")


def _layer_ms(layer: Any) -> float:
    """Per-inference time of a profile layer: its average, else its total time."""
    avg = getattr(layer, "average_ms", None)
    return float(avg if avg is not None else getattr(layer, "time_ms", 0.0) or 0.0)


def _check_top(top: int) -> int:
    if not isinstance(top, (int, np.integer)) or isinstance(top, bool) or top < 1:
        raise ConfigError(f"top={top!r} is not a positive integer; pass e.g. top=15")
    return int(top)


def time_bars(
    times: Mapping[str, float],
    *,
    title: str = "",
    xlabel: str = "time per inference (ms)",
    top: int | None = None,
    color: str = _COLORS[0],
    figsize: tuple[float, float] | None = None,
):
    """Horizontal bars of ``{label: milliseconds}``, largest first, with the share of the total."""
    items = sorted(((str(k), float(v)) for k, v in times.items()), key=lambda kv: -kv[1])
    if top is not None:
        items = items[: _check_top(top)]
    total = sum(float(v) for v in times.values()) or 1.0
    fig = _figure(figsize or (_WIDE, 0.9 + 0.32 * max(len(items), 1)))
    ax = fig.add_subplot()
    if not items:
        ax.text(0.5, 0.5, "no timed layers", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        ax.set_title(literal(title))
        return _drawing(fig)
    labels = [_short(k) for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    bars = ax.barh(range(len(values)), values, color=color)
    ax.set_yticks(range(len(values)), labels, fontsize=8)
    for bar, v in zip(bars, values):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:.3f} ({100 * v / total:.0f}%)",
                va="center", fontsize=7)
    ax.set_xlabel(xlabel)
    ax.set_xlim(0, max(values) * 1.25)
    ax.set_title(literal(title))
    ax.spines[["top", "right"]].set_visible(False)
    return _drawing(fig)


def layer_time_bars(profile: Any, top: int = 15, *, title: str | None = None):
    """The ``top`` slowest engine layers of a :class:`trtlab.engine.Profile` (average ms)."""
    top = _check_top(top)
    times: dict[str, float] = {}
    for layer in profile.layers:
        times[layer.name] = times.get(layer.name, 0.0) + _layer_ms(layer)
    total = sum(times.values())
    n = len(times)
    title = title or f"{min(top, n)} slowest of {n} layers (total {total:.3f} ms per inference)"
    return time_bars(times, title=title, top=top)


def times_by_kind(report: Any) -> dict[str, float]:
    """Milliseconds per fusion kind (vertical, horizontal, pointwise, myelin, reformat, single)
    from a :class:`trtlab.fusion.FusionReport` whose layers carry times."""
    out: dict[str, float] = defaultdict(float)
    for layer in report.layers:
        if layer.time_ms is not None:
            out[layer.kind] += float(layer.time_ms)
    return dict(out)


def times_by_layer_type(plan: Any, profile: Any) -> dict[str, float]:
    """Milliseconds per TensorRT layer type (``CaskConvolution``, ``Reformat``, ...).

    The profile's layers are matched to the plan's by name (``name`` or ``base_name``); profile
    layers the plan does not know are counted as ``"(not in layer info)"``.
    """
    types: dict[str, str] = {}
    for layer in plan.layers:
        for key in (layer.name, layer.base_name):
            types.setdefault(key, layer.layer_type or "(unknown)")
    out: dict[str, float] = defaultdict(float)
    for lt in profile.layers:
        out[types.get(lt.name, "(not in layer info)")] += _layer_ms(lt)
    return dict(out)


def timing_latencies(timing: Any) -> np.ndarray:
    """Per-iteration latencies (ms) of a :class:`trtlab.engine.Timing`, or of a plain sequence."""
    for attr in ("latency_ms", "latencies_ms", "latencies"):
        values = getattr(timing, attr, None)
        if values is not None and not callable(values):
            return np.asarray(values, dtype=float)
    records = getattr(timing, "records", None)
    if records is not None:
        return np.asarray([getattr(r, "latency_ms", None) for r in records], dtype=float)
    try:
        return np.asarray(list(timing), dtype=float)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"cannot read latencies from a {type(timing).__name__}; pass a Timing from "
            f"trtlab.load_timing(...) or a sequence of milliseconds"
        ) from exc


def latency_histogram(timing: Any, *, bins: int = 40, title: str | None = None):
    """Histogram of per-iteration latencies (trtexec ``--exportTimes``) with p50/p90/p99 marked."""
    lat = timing_latencies(timing)
    lat = lat[np.isfinite(lat)]
    fig = _figure((_WIDE, 3.4))
    ax = fig.add_subplot()
    if lat.size == 0:
        ax.text(0.5, 0.5, "no latency records", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return _drawing(fig)
    ax.hist(lat, bins=bins, color=_COLORS[0], alpha=0.85)
    for q, style in ((50, "-"), (90, "--"), (99, ":")):
        v = float(np.percentile(lat, q))
        ax.axvline(v, color="#C44E52", linestyle=style, linewidth=1.2, label=f"p{q} = {v:.3f} ms")
    ax.set_xlabel("latency per inference (ms)")
    ax.set_ylabel("iterations")
    ax.legend(fontsize=8)
    summary = f"{lat.size} iterations: mean {lat.mean():.3f} ms, min {lat.min():.3f}, max {lat.max():.3f}"
    ax.set_title(literal(title) if title else summary)
    ax.spines[["top", "right"]].set_visible(False)
    return _drawing(fig)


def compare_profiles(
    a: Any,
    b: Any,
    labels: Sequence[str] = ("A", "B"),
    *,
    top: int = 12,
    title: str | None = None,
):
    """Two engines' profiles side by side: total time, then the ``top`` layers by time.

    Layers are paired by name (fused names such as ``Conv_5 + Add_6 + Relu_7`` usually agree
    between an FP32 and an FP16 build of one model); a layer only one engine has shows one bar.
    """
    top = _check_top(top)
    if len(labels) != 2:
        raise ConfigError(f"labels={labels!r} must name the two engines, e.g. ('FP32', 'FP16')")
    ta: dict[str, float] = defaultdict(float)
    tb: dict[str, float] = defaultdict(float)
    for layer in a.layers:
        ta[layer.name] += _layer_ms(layer)
    for layer in b.layers:
        tb[layer.name] += _layer_ms(layer)
    names = sorted(set(ta) | set(tb), key=lambda n: -max(ta.get(n, 0.0), tb.get(n, 0.0)))[:top]
    labels = tuple(literal(label) for label in labels)
    fig = _figure((MAX_WIDTH_IN - 0.4, 1.4 + 0.36 * len(names)))  # saving trims to the content plus a margin
    gs = fig.add_gridspec(1, 2, width_ratios=[1, 3.2])
    ax0 = fig.add_subplot(gs[0])
    totals = [sum(ta.values()), sum(tb.values())]
    bars = ax0.bar(labels, totals, color=_COLORS[:2])
    for bar, v in zip(bars, totals):
        ax0.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.3f}", ha="center", va="bottom", fontsize=8)
    ax0.set_ylabel("total time per inference (ms)")
    if totals[0] > 0 and totals[1] > 0:
        ax0.set_title(f"{labels[1]} / {labels[0]} = {totals[1] / totals[0]:.2f}x", fontsize=10)
    ax0.text(0.5, -0.12, f"{len(ta)} vs {len(tb)} layers", ha="center", transform=ax0.transAxes, fontsize=8)
    ax1 = fig.add_subplot(gs[1])
    y = np.arange(len(names))[::-1]
    h = 0.4
    ax1.barh(y + h / 2, [ta.get(n, 0.0) for n in names], height=h, color=_COLORS[0], label=labels[0])
    ax1.barh(y - h / 2, [tb.get(n, 0.0) for n in names], height=h, color=_COLORS[1], label=labels[1])
    ax1.set_yticks(y, [_short(n, 40) for n in names], fontsize=8)
    ax1.set_xlabel("time per inference (ms)")
    ax1.legend(fontsize=8)
    ax1.set_title(f"{len(names)} slowest layers", fontsize=10)
    for ax in (ax0, ax1):
        ax.spines[["top", "right"]].set_visible(False)
    if title:
        fig.suptitle(literal(title))
    return _drawing(fig)


def compare_counts(
    counts: Mapping[str, Mapping[str, float]],
    *,
    title: str = "",
    ylabel: str = "layers",
):
    """Grouped bars: ``{engine label: {category: value}}``, e.g. layers per precision or per
    fusion kind for an FP32 and an FP16 build."""
    if not counts:
        raise ConfigError("compare_counts needs at least one engine: {label: {category: value}}")
    cats = sorted({c for m in counts.values() for c in m})
    n = len(counts)
    fig = _figure((min(MAX_WIDTH_IN - 0.4, max(5, 1.1 * len(cats) + 2)), 3.4))
    ax = fig.add_subplot()
    x = np.arange(len(cats))
    width = 0.8 / n
    for i, (label, m) in enumerate(counts.items()):
        vals = [m.get(c, 0) for c in cats]
        bars = ax.bar(x + (i - (n - 1) / 2) * width, vals, width, label=literal(label), color=_COLORS[i % len(_COLORS)])
        for bar, v in zip(bars, vals):
            if v:
                ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:.3g}", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [_short(c, 30) for c in cats], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    ax.set_title(literal(title))
    ax.spines[["top", "right"]].set_visible(False)
    return _drawing(fig)


def io_split(h2d_ms: float, compute_ms: float, d2h_ms: float, *, title: str | None = None,
             xlabel: str = "ms per inference", ax=None):
    """One stacked bar: host-to-device copy, GPU compute, device-to-host copy (ms per inference).

    Returns a Drawing, or ``ax`` when drawing into a given matplotlib Axes.
    """
    parts = [("host \u2192 device", h2d_ms), ("GPU compute", compute_ms), ("device \u2192 host", d2h_ms)]
    for name, v in parts:
        if v is None or not np.isfinite(v) or v < 0:
            raise ConfigError(f"{name} time {v!r} is not a non-negative number of milliseconds")
    total = sum(v for _, v in parts) or 1.0
    fig = None
    if ax is None:
        fig = _figure((_WIDE, 1.9))
        ax = fig.add_subplot()
    left = 0.0
    for (name, v), color in zip(parts, (_COLORS[2], _COLORS[0], _COLORS[1])):
        ax.barh([0], [v], left=left, color=color, label=f"{name}: {v:.3f} ms ({100 * v / total:.0f}%)")
        left += v
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.45), frameon=False)
    ax.set_title(literal(title) if title else f"where the time goes ({total:.3f} ms end to end)", fontsize=10)
    ax.spines[["top", "right", "left"]].set_visible(False)
    return _drawing(fig) if fig is not None else ax


def latency_over_iterations(latency_ms, compute_ms=None, *, ax=None):
    """Latency (and GPU compute time) of every timed iteration: warm-up effects, jitter.

    Returns a Drawing, or ``ax`` when drawing into a given matplotlib Axes.
    """
    latency = np.asarray(latency_ms, dtype=float)
    fig = None
    if ax is None:
        fig = _figure((_WIDE, 2.6))
        ax = fig.add_subplot()
    it = np.arange(1, latency.size + 1)
    ax.plot(it, latency, lw=1, label="latency (H2D + compute + D2H)")
    if compute_ms is not None:
        ax.plot(it, np.asarray(compute_ms, dtype=float), lw=1, label="GPU compute")
    if latency.size:
        ax.axhline(float(np.median(latency)), color="grey", ls="--", lw=0.8, label="median latency")
    ax.set_xlabel("iteration")
    ax.set_ylabel("ms")
    ax.set_title("Latency over iterations")
    ax.legend(fontsize=8)
    return _drawing(fig) if fig is not None else ax


def benchmark_plots(h2d_ms: float, compute_ms: float, d2h_ms: float, latency_ms, compute_per_iteration=None):
    """The split bar over the latency of every iteration, in one picture."""
    fig = _figure((_WIDE, 5))
    top, bottom = fig.subplots(2, 1, height_ratios=[1, 2])
    io_split(h2d_ms, compute_ms, d2h_ms, ax=top, title="Where a run's latency goes", xlabel="mean time per run (ms)")
    latency_over_iterations(latency_ms, compute_per_iteration, ax=bottom)
    return _drawing(fig)
