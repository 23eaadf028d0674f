"""The fusion report: one row per engine layer, with the ONNX nodes it absorbed."""

from __future__ import annotations

import difflib
import html
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .._optional import require
from ..draw import Drawing
from ..draw.fusion_view import draw_report
from ..engine.kinds import Kind
from ..engine.model import EngineLayer, EnginePlan
from ..engine.profile import Profile
from ..engine.summaries import LayerCounts, PrecisionSummary
from ..errors import MappingError
from ..graph.onnx_graph import OnnxGraph

__all__ = ["FusedLayer", "VanishedNode", "FusionSummary", "FusionReport", "KINDS", "Kind"]

#: every kind of engine layer, in the order summaries list them (see :class:`~trtlab.engine.kinds.Kind`)
KINDS = tuple(Kind)


@dataclass
class FusedLayer:
    """One engine layer and the ONNX nodes it absorbed.

    ``kind``: a :class:`~trtlab.engine.kinds.Kind` (a str): vertical | horizontal | pointwise | myelin |
    single | noop (the network's own node run as a no-op) | reformat | sync | internal (Myelin bookkeeping).
    ``onnx_nodes`` are unique ONNX node names in topological order; ``groups`` are the branches
    of a horizontal fusion (one list per branch), otherwise one group with every node.
    ``evidence`` says what the mapping rests on: metadata | name | tensor | none.
    ``pattern`` spells the op types (``Conv+Relu``); ``short`` is the teaching label (``CR``).
    For reformat layers ``target`` is the name of the layer they serve.
    ``unresolved`` lists names in the layer's name or metadata that match no ONNX node;
    ``qdq`` the Q/DQ names among them (quantized engines).
    ``precision`` is the type the layer writes (its outputs); ``compute_precision`` the precision it
    computes in (from its kernel's tactic name and input types: an INT8 convolution writing FP16 has
    ``compute_precision == "INT8"`` and ``precision == "FP16"``).
    """

    name: str
    uid: str
    kind: Kind
    onnx_nodes: list[str]
    op_types: list[str]
    pattern: str
    short: str
    groups: list[list[str]]
    evidence: str
    index: int = 0
    tactic: str | None = None
    precision: str | None = None
    format: str | None = None
    layer_type: str | None = None
    time_ms: float | None = None
    share: float | None = None
    target: str | None = None
    note: str | None = None
    profile_index: int | None = None  # N of a " [profile N]" suffix (engines with several shape profiles)
    unresolved: list[str] = field(default_factory=list)
    qdq: list[str] = field(default_factory=list)
    layer: EngineLayer | None = None  # None for names-only profiles
    compute_precision: str | None = None

    @property
    def is_inserted(self) -> bool:
        """True for layers TensorRT inserted (reformat/copy, sync, Myelin internals): they absorb no ONNX node."""
        return Kind(self.kind).is_inserted

    def __repr__(self) -> str:
        return (f"FusedLayer({self.index}: {self.name!r}, kind={str(self.kind)!r}, short={self.short!r}, "
                f"onnx_nodes={self.onnx_nodes}, evidence={self.evidence!r})")


@dataclass(frozen=True)
class VanishedNode:
    """An ONNX node that has no engine layer, and why (``reason``)."""

    name: str
    op_type: str
    reason: str  # constant-folded | folded into weights | eliminated | merged


@dataclass
class FusionSummary:
    """Counts that describe a fusion report; ``rows`` are (label, value) pairs."""

    rows: list[tuple[str, str]]
    warning: str | None = None

    def __str__(self) -> str:
        width = max((len(k) for k, _ in self.rows), default=0)
        lines = [f"{k:<{width}}  {v}" for k, v in self.rows]
        if self.warning:
            lines.insert(0, "WARNING: " + self.warning)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(v)}</td></tr>" for k, v in self.rows)
        warn = _warning_html(self.warning)
        return f"{warn}<table>{body}</table>"

    def as_dict(self) -> dict[str, str]:
        return dict(self.rows)


def _warning_html(text: str | None) -> str:
    if not text:
        return ""
    return ("<div style='border:2px solid #c0392b;background:#fdecea;color:#922;padding:6px;margin:4px 0'>"
            f"<b>Mismatch:</b> {html.escape(text)}</div>")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


@dataclass
class FusionReport:
    """Engine layers mapped onto the ONNX graph they were built from.

    ``layers``: one :class:`FusedLayer` per engine layer, in engine order. ``coverage``: the share
    of the ONNX compute nodes accounted for (absorbed by an engine layer, or explained as vanished).
    ``unmatched``: engine layer names whose name/metadata/tensors match no ONNX node.
    ``vanished``: ONNX nodes without an engine layer whose absence is explained (constant-folded,
    folded into weights, eliminated, merged). ``unaccounted``: ONNX compute nodes neither mapped
    nor explained. ``is_mismatch``: the layer information most likely belongs to another model.
    """

    layers: list[FusedLayer]
    onnx_graph: OnnxGraph
    plan: EnginePlan | Profile
    profile: Profile | None
    coverage: float
    mapped_share: float
    unmatched: list[str]
    vanished: list[VanishedNode]
    unaccounted: list[str]
    compute_nodes: list[str]
    is_mismatch: bool
    mismatch_reason: str | None
    missing_qdq: list[str]
    profile_unmatched: list[str] = field(default_factory=list)
    _by_node: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _by_name: dict[str, int] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ queries
    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def layer(self, key: int | str) -> FusedLayer:
        """An engine layer by index, name or uid (MappingError naming close names otherwise)."""
        if isinstance(key, int) and not isinstance(key, bool):
            if -len(self.layers) <= key < len(self.layers):
                return self.layers[key]
            raise MappingError(f"engine layer index {key} is out of range: the engine has {len(self.layers)} "
                               f"layers (0..{len(self.layers) - 1}).")
        if isinstance(key, str):
            i = self._by_name.get(key)
            if i is not None:
                return self.layers[i]
            close = difflib.get_close_matches(key, list(self._by_name), n=3, cutoff=0.5)
            hint = f" Close names: {close}." if close else ""
            raise MappingError(f"no engine layer named {key!r}.{hint} Use report.layers to list them, "
                               f"or pass an index.")
        raise MappingError(f"an engine layer is chosen by index (int) or name (str), not {type(key).__name__}.")

    def layer_of(self, onnx_node: str) -> FusedLayer | None:
        """The engine layer that absorbed ONNX node ``onnx_node`` (None if it vanished/unaccounted)."""
        if onnx_node not in self.onnx_graph.nx:
            raise MappingError(f"{onnx_node!r} is not a node of the ONNX graph {getattr(self.onnx_graph, 'name', '')!r}; "
                               f"node names are the keys of onnx_graph.nx.")
        idx = self._by_node.get(onnx_node)
        return self.layers[idx[0]] if idx else None

    def layers_of(self, onnx_node: str) -> list[FusedLayer]:
        """Every engine layer that claims ``onnx_node`` (usually one; TensorRT may duplicate layers)."""
        self.layer_of(onnx_node)
        return [self.layers[i] for i in self._by_node.get(onnx_node, [])]

    def by_kind(self, kind: str) -> list[FusedLayer]:
        """The layers of one kind (vertical, horizontal, pointwise, myelin, single, noop, reformat, sync, internal)."""
        if Kind.parse(kind) is None:
            raise MappingError(f"fusion kind {kind!r} is not one of {', '.join(KINDS)}.")
        return [r for r in self.layers if r.kind == kind]

    @property
    def total_ms(self) -> float | None:
        times = [r.time_ms for r in self.layers if r.time_ms is not None]
        return sum(times) if times else None

    # ------------------------------------------------------------------ summary
    def summary(self) -> FusionSummary:
        """Counts: ONNX nodes, engine layers, layers per fusion kind, reformat overhead, coverage."""
        kinds = Counter(r.kind for r in self.layers)
        n_onnx = len(self.onnx_graph.nx)
        rows: list[tuple[str, str]] = [
            ("ONNX nodes", f"{n_onnx} ({len(self.compute_nodes)} compute)"),
            ("engine layers", self.counts().sentence()),
        ]
        for kind in KINDS:
            if kinds.get(kind):
                rows.append((f"  {kind}", str(kinds[kind])))
        reformats = [r for r in self.layers if r.kind == Kind.REFORMAT]
        total = self.total_ms
        if total:
            ref_ms = sum(r.time_ms or 0.0 for r in reformats)
            rows.append(("reformat overhead", f"{len(reformats)} layers, {ref_ms:.4f} ms ({_pct(ref_ms / total)} of time)"))
            rows.append(("total time", f"{total:.4f} ms per inference (sum of layer times)"))
        else:
            rows.append(("reformat overhead", f"{len(reformats)} layers (no profile: time unknown)"))
        mapped = sum(1 for n in self.compute_nodes if self._by_node.get(n))
        rows.append(("coverage", f"{_pct(self.coverage)} of ONNX compute nodes accounted for "
                                 f"({mapped} in engine layers, {len(self.vanished)} vanished with a reason, "
                                 f"{len(self.unaccounted)} unaccounted)"))
        fused = [r for r in self.layers if len(r.onnx_nodes) > 1]
        if fused:
            absorbed = sum(len(r.onnx_nodes) for r in fused)
            rows.append(("fused layers", f"{len(fused)} layers absorb {absorbed} ONNX nodes"))
        precisions = self.precision_summary()
        if precisions.layers:
            rows.append(("computes in", ", ".join(f"{p} {n}" for p, n in precisions.counts.items())))
        if self.unmatched:
            rows.append(("unmatched engine layers", f"{len(self.unmatched)}: " + _clip(self.unmatched)))
        if self.missing_qdq:
            rows.append(("Q/DQ names not in this model", f"{len(self.missing_qdq)}: " + _clip(self.missing_qdq)))
        if self.unaccounted:
            rows.append(("unaccounted ONNX nodes", _clip(self.unaccounted)))
        reasons = Counter(v.reason for v in self.vanished)
        for reason, n in sorted(reasons.items()):
            rows.append((f"vanished: {reason}", str(n)))
        if self.profile_unmatched:
            rows.append(("profile names not in the plan", _clip(self.profile_unmatched)))
        return FusionSummary(rows, self.mismatch_reason if self.is_mismatch else None)

    def __str__(self) -> str:
        return str(self.summary())

    def counts(self) -> LayerCounts:
        """How many engine layers compute, are inserted reformats, sync, Myelin internals, no-ops, constants."""
        return LayerCounts.of((r.kind for r in self.layers), (r.layer_type for r in self.layers))

    def precision_summary(self) -> PrecisionSummary:
        """Which layers run in INT8, FP16, FP32 ...: per engine (layers) and per ONNX op type (nodes)."""
        computing = [r for r in self.layers if not r.is_inserted and r.kind != Kind.NOOP]
        rows = [(r.name, r.compute_precision, r.layer_type) for r in computing]
        typed = [(self.onnx_graph.nx.nodes[n]["info"].op_type, r.compute_precision)
                 for r in computing for n in r.onnx_nodes]
        return PrecisionSummary.of(rows, "ONNX op type", typed, counted="ONNX nodes")

    def __repr__(self) -> str:
        head = (f"FusionReport({self.counts().sentence()}; {len(self.onnx_graph.nx)} ONNX nodes, "
                f"coverage {_pct(self.coverage)}")
        if self.is_mismatch:
            head += ", MISMATCH"
        return head + ")"

    # ------------------------------------------------------------------ tables
    def rows(self) -> list[dict[str, Any]]:
        """The report as plain dicts, one per engine layer."""
        return [
            {
                "index": r.index,
                "name": r.name,
                "kind": r.kind,
                "short": r.short,
                "pattern": r.pattern,
                "onnx_nodes": list(r.onnx_nodes),
                "n_onnx": len(r.onnx_nodes),
                "evidence": r.evidence,
                "layer_type": r.layer_type,
                "tactic": r.tactic,
                "precision": r.precision,
                "compute_precision": r.compute_precision,
                "format": r.format,
                "time_ms": r.time_ms,
                "share": r.share,
                "target": r.target,
                "unresolved": list(r.unresolved),
            }
            for r in self.layers
        ]

    def to_dataframe(self):
        """The report as a pandas DataFrame (needs pandas: ``pip install 'trtlab[reference]'``)."""
        pd = require("pandas", "FusionReport.to_dataframe()")
        return pd.DataFrame(self.rows()).set_index("index")

    def _repr_html_(self, max_rows: int = 60) -> str:
        summary = self.summary()
        head = ("<th>#</th><th>layer</th><th>kind</th><th>short</th><th>ONNX nodes</th><th>evidence</th>"
                "<th>computes in</th><th>writes</th><th>tactic</th><th>time (ms)</th><th>share</th>")
        body = []
        for r in self.layers[:max_rows]:
            nodes = ", ".join(r.onnx_nodes[:6]) + (f", ... (+{len(r.onnx_nodes) - 6})" if len(r.onnx_nodes) > 6 else "")
            if not r.onnx_nodes and not r.is_inserted:
                nodes = "<i style='color:#c0392b'>no match</i>"
            else:
                nodes = html.escape(nodes)
            body.append(
                "<tr>" + "".join(f"<td style='text-align:left'>{c}</td>" for c in (
                    r.index, html.escape(_shorten(r.name, 70)), r.kind, html.escape(r.short), nodes, r.evidence,
                    r.compute_precision or "", r.precision or "", html.escape(_shorten(r.tactic or "", 40)),
                    "" if r.time_ms is None else f"{r.time_ms:.4f}", _pct(r.share) if r.share is not None else "",
                )) + "</tr>")
        more = ""
        if len(self.layers) > max_rows:
            more = f"<p>... {len(self.layers) - max_rows} more layers (see report.layers or report.to_dataframe())</p>"
        return (f"<div><b>{html.escape(repr(self))}</b>{summary._repr_html_()}"
                f"<table><tr>{head}</tr>{''.join(body)}</table>{more}</div>")

    # ------------------------------------------------------------------ drawing
    def draw(self, highlight: int | str | None = None, mode: str = "side-by-side", **kw) -> Drawing:
        """Before/after picture.

        ``mode``: ``"side-by-side"`` (ONNX graph | engine graph, coloured by fusion kind; the ONNX
        nodes of one engine layer are boxed and numbered ``#layer`` like the layer; panels that
        would not fit a notebook's width, 9.6 inches, are stacked instead),
        ``"overlay"`` (the ONNX graph coloured and boxed by engine layer) or ``"stages"`` (before
        fusion / after vertical fusion / after horizontal fusion). ``highlight``: one engine layer
        by index or name, or the name of an ONNX node it absorbed; its ONNX nodes are highlighted.
        Keywords: ``focus`` (regex or list of ONNX node names: draw part of the network, e.g.
        ``focus="^inception_3a/"``), ``direction`` (``"TB"`` or ``"LR"``), ``figsize``, ``title``,
        ``overview`` (None: automatic above 300 ONNX nodes - one box per name prefix such as
        ``inception_3a/`` in both panels when names have that structure, else small markers;
        True/"prefix" to force the boxes; "markers" or False for every node).
        """
        return draw_report(self, highlight=highlight, mode=mode, **kw)

    def lints(self, reformat_pct: float = 5.0):
        """Findings worth a second look, explained: a :class:`~trtlab.fusion.lints.Lints` table."""
        from .lints import lint

        return lint(self, reformat_pct=reformat_pct)

    def view(self, mode: str = "side-by-side", **kw):
        """Interactive before/after view, linked: click an engine layer and its ONNX nodes light
        up, click an ONNX node and its engine layer does; hover for details. ``focus=`` (regex or
        ONNX node names) keeps part of the network; ``mode="stages"`` shows ONNX -> vertical ->
        horizontal fusion as three linked panels. The widget's ``selected_layer`` / ``highlighted_nodes`` hold the selection.
        Needs anywidget (the ``notebook`` extra); ``.view().save_html(path)`` writes an offline page."""
        from ..view import view

        return view(self, mode=mode, **kw)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _clip(names: list[str], n: int = 5) -> str:
    shown = ", ".join(names[:n])
    return shown + (f", ... (+{len(names) - n})" if len(names) > n else "")
