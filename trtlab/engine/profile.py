"""Per-layer profiles (``trtexec --exportProfile``) and per-iteration timings (``--exportTimes``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .._boundary import boundary, gc_paused
from ..errors import LayerInfoError
from ._html import html_table, shorten
from ._source import read_source
from .model import EnginePlan
from .records import assign_uids, make_layer

__all__ = ["LayerTime", "Profile", "load_profile", "Timing", "TimingStats", "load_timing"]


@dataclass
class LayerTime:
    """Time spent in one engine layer.

    ``time_ms`` is the total over all profiled iterations, ``average_ms`` the time per
    inference, ``median_ms`` absent before TensorRT 8.4, ``percentage`` the layer's share of
    the total. ``layer_count`` is the number of network layers fused into it, when the file
    says (the GoogLeNet/HaX-CoNN ``layer_times`` layout).
    """

    name: str
    time_ms: float
    average_ms: float
    median_ms: float | None
    percentage: float
    layer_count: int | None = None


@dataclass
class Profile:
    """Per-layer timings of one engine.

    ``count`` is the number of profiled iterations (trtexec's ``{"count": N}`` header), ``source``
    is ``"trtexec"`` or ``"layer_times"``. ``total_ms`` is the sum of the per-inference
    averages of all layers.
    """

    layers: list[LayerTime]
    count: int | None
    source: str

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    @property
    def total_ms(self) -> float:
        return float(sum(t.average_ms for t in self.layers))

    @cached_property
    def by_name(self) -> dict[str, LayerTime]:
        """Layer name -> LayerTime (first entry wins when a name repeats)."""
        out: dict[str, LayerTime] = {}
        for t in self.layers:
            out.setdefault(t.name, t)
        return out

    def top(self, n: int = 10) -> list[LayerTime]:
        """The ``n`` slowest layers, slowest first."""
        if isinstance(n, bool) or not isinstance(n, int):
            raise LayerInfoError(f"top(n) needs an integer number of layers, got {n!r}")
        return sorted(self.layers, key=lambda t: t.average_ms, reverse=True)[: max(0, n)]

    def to_plan(self):
        """An :class:`EnginePlan` with one (name-only) layer per profiled layer, in order.

        For engines where only a profile exists: layer names still show the fusions.
        """
        layers = [make_layer(i, t.name) for i, t in enumerate(self.layers)]
        assign_uids(layers)
        return EnginePlan(layers, [], "profile", "layer_names_only",
                          "built from a per-layer profile: layer names only, no tensors or types")

    def __repr__(self) -> str:
        return f"Profile({len(self.layers)} layers, total {self.total_ms:.4f} ms, count={self.count}, source={self.source!r})"

    def _repr_html_(self) -> str:
        rows = [[i, shorten(t.name, 100), f"{t.average_ms:.4f}",
                 "" if t.median_ms is None else f"{t.median_ms:.4f}", f"{t.percentage:.1f}"]
                for i, t in enumerate(self.layers)]
        return html_table(["#", "layer", "avg ms", "median ms", "%"], rows,
                          title=f"Profile: {len(self.layers)} layers, {self.total_ms:.4f} ms per inference"
                                + (f", {self.count} iterations" if self.count else ""),
                          notes=[f"source: {self.source}"])


def _num(v: object, where: str, key: str, required: bool = True) -> float | None:
    if v is None and not required:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise LayerInfoError(f"{where}: '{key}' must be a number, got {shorten(v, 40)!r}")
    f = float(v)
    if f != f or f in (float("inf"), float("-inf")):
        raise LayerInfoError(f"{where}: '{key}' is {f}, not a finite number of milliseconds")
    return f


def _count(c: object, where: str) -> int:
    """The iteration count of a profile's first entry: a finite, non-negative whole number."""
    if isinstance(c, bool) or not isinstance(c, (int, float)) or (isinstance(c, float) and not math.isfinite(c)) or c < 0:
        raise LayerInfoError(f"{where}: 'count' must be a non-negative integer (the number of profiled "
                             f"iterations), got {c!r}; trtexec --exportProfile writes e.g. {{\"count\": 1000}}")
    return int(c)


def _profile_from(data: object, label: str) -> Profile:
    _check_profile_list(data, label)
    count: int | None = None
    layers: list[LayerTime] = []
    source = "trtexec"
    for i, rec in enumerate(data):
        where = f"{label}, entry {i}"
        if not isinstance(rec, dict):
            raise LayerInfoError(f"{where} must be an object, got {type(rec).__name__} {shorten(rec, 60)!r}")
        if "name" not in rec:
            count = _count_entry(rec, where, label)
            continue
        name = rec["name"]
        if not isinstance(name, str):
            raise LayerInfoError(f"{where}: 'name' must be a string, got {shorten(name, 40)!r}")
        if "average_time_ms" in rec:  # HaX-CoNN / Jetson "layer_times" layout
            source = "layer_times"
        layers.append(_layer_time(rec, name, where))
    if not layers:
        raise LayerInfoError(f"{label} holds no layer timings; expected trtexec --exportProfile output")
    _fill_shares(layers, label)
    return Profile(layers, count, source)


def _check_profile_list(data: object, label: str) -> None:
    if isinstance(data, dict):
        if "Layers" in data:
            raise LayerInfoError(
                f"{label} is layer information (it has 'Layers'), not a per-layer profile; read it with "
                "trtlab.load_layer_info(...), and pass the trtexec --exportProfile file to load_profile"
            )
        raise LayerInfoError(
            f"{label} is a JSON object (keys: {sorted(map(str, data))[:8]}); a per-layer profile is a list: "
            '[{"count": N}, {"name", "timeMs", "averageMs", "percentage"}, ...] (trtexec --exportProfile)'
        )
    if not isinstance(data, list):
        raise LayerInfoError(f"{label} must be a JSON list of per-layer records, got {type(data).__name__}")


def _count_entry(rec: dict, where: str, label: str) -> int:
    """The ``{"count": N}`` entry; any other entry without a name says what the file really is."""
    if "count" in rec:
        return _count(rec["count"], where)
    if {"latencyMs", "startEnqMs", "computeMs"} & set(rec):
        raise LayerInfoError(f"{label} is a per-iteration timing file (--exportTimes), not a per-layer "
                             "profile; read it with trtlab.load_timing(...)")
    if "Name" in rec:
        raise LayerInfoError(f"{label} looks like a list of engine layers, not a profile; use "
                             "trtlab.load_layer_info(...)")
    raise LayerInfoError(f"{where} has no 'name' (keys: {sorted(map(str, rec))[:8]}); expected "
                         '{"name", "timeMs", "averageMs", "percentage"}')


def _layer_time(rec: dict, name: str, where: str) -> LayerTime:
    """One layer's times; negative times and shares are refused."""
    if "average_time_ms" in rec:
        avg = _num(rec["average_time_ms"], where, "average_time_ms")
        lc = rec.get("layer_count")
        return LayerTime(name, avg, avg, None, float("nan"),
                         int(lc) if isinstance(lc, int) and not isinstance(lc, bool) else None)
    if "averageMs" not in rec:
        raise LayerInfoError(f"{where} ({shorten(name, 50)!r}) lacks ['averageMs']; expected "
                             '{"name", "timeMs", "averageMs", "medianMs" (8.4+), "percentage"}')
    avg = _num(rec["averageMs"], where, "averageMs")
    total = _num(rec.get("timeMs", avg), where, "timeMs")
    med = _num(rec.get("medianMs"), where, "medianMs", required=False)
    pct = _num(rec.get("percentage", float("nan")), where, "percentage") if "percentage" in rec else float("nan")
    for key, value in (("timeMs", total), ("averageMs", avg), ("medianMs", med), ("percentage", pct)):
        if value is not None and value < 0:
            raise LayerInfoError(f"{where} ({shorten(name, 50)!r}): '{key}' is {value}, but layer times and "
                                 "shares cannot be negative; the profile is corrupt or was edited")
    return LayerTime(name, total, avg, med, pct)


def _fill_shares(layers: list[LayerTime], label: str) -> None:
    """Shares the file did not give, from the total; a total that overflows to infinity is refused."""
    tot = sum(t.average_ms for t in layers)
    if not math.isfinite(tot):
        raise LayerInfoError(f"{label}: the layer times add up to {tot} ms (they overflow a float); the profile "
                             "is corrupt or was edited: trtexec --exportProfile writes times of real layers")
    for t in layers:
        if t.percentage != t.percentage:
            t.percentage = 100.0 * t.average_ms / tot if tot else 0.0


def _read_json(src: object, what: str, written_by: str, build):
    """Read ``src`` as JSON and hand it to ``build(data, label)``; anything that goes wrong is a
    LayerInfoError naming the file (the boundary shared by the profile and timing readers)."""
    with boundary(LayerInfoError, f"reading the {what} file", f"expected the JSON list written by {written_by}"), \
            gc_paused():
        data, kind, label = read_source(src, what)
        if kind == "text":
            raise LayerInfoError(f"{label} is not JSON (starts with {shorten(str(data).strip(), 60)!r}); "
                                 f"expected the JSON list written by {written_by}")
        return build(data, label)


def load_profile(src: object) -> Profile:
    """Read a per-layer profile: ``trtexec --exportProfile`` JSON (any TensorRT version) or the
    ``[{"name", "average_time_ms", "layer_count"}]`` layout (auto-detected).

    ``src`` is a Profile (returned as is), a path, JSON text/bytes, or the parsed list.
    Raises :class:`LayerInfoError`.
    """
    if isinstance(src, Profile):
        return src
    return _read_json(src, "profile", "trtexec --exportProfile", _profile_from)


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class TimingStats:
    """Summary statistics of one per-iteration quantity, in milliseconds."""

    name: str
    count: int
    min: float
    mean: float
    median: float
    p90: float
    p95: float
    p99: float
    max: float


# (quantity, direct key, (start key, end key) alternatives) - trtexec renamed In/Out to H2d/D2h.
_SPANS = {
    "latency": ("latencyMs", ()),
    "enqueue": (None, (("startEnqMs", "endEnqMs"),)),
    "h2d": ("h2dMs", (("startH2dMs", "endH2dMs"), ("startInMs", "endInMs"))),
    "compute": ("computeMs", (("startComputeMs", "endComputeMs"),)),
    "d2h": ("d2hMs", (("startD2hMs", "endD2hMs"), ("startOutMs", "endOutMs"))),
}


@dataclass
class Timing:
    """Per-iteration timings from ``trtexec --exportTimes``.

    ``records`` are the raw per-iteration dicts; ``series`` maps latency / enqueue / h2d /
    compute / d2h to numpy arrays (ms); ``stats`` summarises each (min, mean, median, p90, p95,
    p99, max; percentiles by linear interpolation).
    """

    records: list[dict] = field(repr=False)
    series: dict[str, np.ndarray] = field(repr=False)

    def __len__(self) -> int:
        return len(self.records)

    @cached_property
    def stats(self) -> dict[str, TimingStats]:
        out = {}
        for name, arr in self.series.items():
            if arr.size == 0:
                continue
            p = np.percentile(arr, [50, 90, 95, 99])
            out[name] = TimingStats(name, int(arr.size), float(arr.min()), float(arr.mean()), float(p[0]),
                                    float(p[1]), float(p[2]), float(p[3]), float(arr.max()))
        return out

    @property
    def latency_ms(self) -> np.ndarray:
        return self.series["latency"]

    def __repr__(self) -> str:
        s = self.stats.get("latency")
        extra = f", latency median {s.median:.4f} ms" if s else ""
        return f"Timing({len(self.records)} iterations{extra})"

    def _repr_html_(self) -> str:
        rows = [[s.name, s.count, *(f"{getattr(s, k):.4f}" for k in ("min", "mean", "median", "p90", "p95", "p99", "max"))]
                for s in self.stats.values()]
        return html_table(["ms", "n", "min", "mean", "median", "p90", "p95", "p99", "max"], rows,
                          title=f"Timing: {len(self.records)} iterations")


def _timing_from(data: object, label: str) -> Timing:
    if isinstance(data, dict):
        raise LayerInfoError(f"{label} is a JSON object; a timing file is a list of per-iteration records "
                             "(trtexec --exportTimes: startEnqMs, ..., latencyMs)")
    if not isinstance(data, list):
        raise LayerInfoError(f"{label} must be a JSON list, got {type(data).__name__}")
    if data and isinstance(data[0], dict) and ("name" in data[0] or "count" in data[0]):
        raise LayerInfoError(f"{label} is a per-layer profile (--exportProfile), not a timing file; read it "
                             "with trtlab.load_profile(...)")
    values: dict[str, list[float]] = {k: [] for k in _SPANS}
    for i, rec in enumerate(data):
        where = f"{label}, iteration {i}"
        if not isinstance(rec, dict):
            raise LayerInfoError(f"{where} must be an object, got {type(rec).__name__} {shorten(rec, 60)!r}")
        for name in _SPANS:
            v = _span(rec, name, where)
            if v is not None:
                values[name].append(v)
    if not data:
        raise LayerInfoError(f"{label} holds no iterations; expected trtexec --exportTimes output")
    series = {k: np.asarray(v, dtype=float) for k, v in values.items() if len(v) == len(data)}
    return Timing(list(data), series)


def _span(rec: dict, name: str, where: str) -> float | None:
    """One per-iteration quantity in ms (direct key, or end - start); negative or infinite spans are refused."""
    direct, pairs = _SPANS[name]
    v = None
    key = direct
    if direct and direct in rec:
        v = _num(rec[direct], where, direct)
    else:
        for a, b in pairs:
            if a in rec and b in rec:
                v, key = _num(rec[b], where, b) - _num(rec[a], where, a), f"{b} - {a}"
                break
    if name == "latency" and v is None:
        ends = [k for k in ("endD2hMs", "endOutMs", "endComputeMs") if k in rec]
        starts = [k for k in ("startH2dMs", "startInMs", "startComputeMs") if k in rec]
        if not (ends and starts):
            raise LayerInfoError(f"{where} has no 'latencyMs' (keys: {sorted(map(str, rec))[:10]}); "
                                 "expected trtexec --exportTimes records")
        v, key = _num(rec[ends[0]], where, ends[0]) - _num(rec[starts[0]], where, starts[0]), f"{ends[0]} - {starts[0]}"
    if v is not None and (v < 0 or not math.isfinite(v)):
        raise LayerInfoError(f"{where}: {name} ({key}) is {v} ms, but a time span cannot be negative or infinite; "
                             "the timing file is corrupt or was edited (trtexec --exportTimes writes real spans)")
    return v


def load_timing(src: object) -> Timing:
    """Read per-iteration timings (``trtexec --exportTimes``) and summarise them.

    ``src`` is a path, JSON text/bytes, or the parsed list. Raises :class:`LayerInfoError`.
    """
    return _read_json(src, "timing", "trtexec --exportTimes", _timing_from)
