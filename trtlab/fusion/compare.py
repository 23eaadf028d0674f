"""Two engines of the same model compared layer by layer, through the ONNX nodes their layers absorbed.

``compare_engines(a, b)`` pairs the layers of two plans (FP32 vs FP16, FP16 vs INT8, two TensorRT
versions, two GPUs) and says, for each group of ONNX nodes, what changed: the fusion (which layers
hold the nodes), the precision the layers compute in, the time they take.

Pairing, in order:

1. **ONNX nodes.** Layers that absorbed a common ONNX node belong to one group (the connected
   components of the layer-node graph, so ``Conv_15`` and ``Conv_16 + Add_17`` on one side and
   ``Conv_15 + Add_17`` and ``Conv_16`` on the other make one group). Used when the two plans name
   mostly the same nodes (at least half of the smaller side's).
2. **Structure.** What is left (or everything, when the plans come from different ONNX exports,
   such as a Q/DQ model against its float original) pairs by what the layer does and the shapes it
   reads and writes: the k-th layer with a given key (TensorRT's ParameterType or the first op,
   kernel, stride, first input and output dimensions) on one side with the k-th on the other.
3. **Name.** Layers TensorRT inserted (reformats) pair when both engines have one of the same name.

Stream sync layers and Myelin bookkeeping are counted in the totals but get no row.
"""

from __future__ import annotations

import html
import os
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import networkx as nx

from .._boundary import boundary
from .._optional import require
from ..engine import EnginePlan, Profile, load_profile
from ..engine._html import html_table, shorten
from ..engine.kinds import Kind
from ..engine.names import _COPYNODE_RE
from ..errors import MappingError
from ..graph import OnnxGraph
from ._index import _QDQ
from ._rows import as_graph, as_plan
from ._views import LayerView, RowTable, views_of
from .compare_view import draw_comparison
from .mapping import map_fusion
from .report import FusionReport

if TYPE_CHECKING:  # pragma: no cover
    from ..draw import Drawing

__all__ = ["compare_engines", "EngineComparison", "ComparedGroup", "SideTotals", "CHANGES"]

#: what can differ between the two engines for one group of ONNX nodes
CHANGES = ("fusion", "precision", "time", "only A", "only B")
_SAME_EXPORT = 0.5  # share of node names the plans must have in common to pair by ONNX nodes
_ACTIVATIONS = {"RELU": "Relu", "SIGMOID": "Sigmoid", "TANH": "Tanh", "LEAKY_RELU": "LeakyRelu",
                "CLIP": "Clip", "GELU_ERF": "Gelu", "GELU_TANH": "Gelu", "ELU": "Elu", "SELU": "Selu"}


@dataclass(frozen=True)
class ComparedGroup:
    """One row of an engine comparison: a group of ONNX nodes and the layers that run it in A and B.

    ``nodes_a``/``nodes_b``: the ONNX node names of the group in each engine (the same names when
    the two engines come from one ONNX export). ``kind_*``, ``precision_*`` (the precision the
    layers compute in) join several values with ``+`` when several layers hold the group;
    ``time_*`` is the group's time per inference in ms (None without a profile). ``matched_by``:
    ``"nodes"``, ``"structure"``, ``"name"`` or ``""`` (in one engine only). ``changes``: the
    words of :data:`CHANGES` that apply.
    """

    index: int
    nodes_a: tuple[str, ...]
    nodes_b: tuple[str, ...]
    layers_a: tuple[str, ...]
    layers_b: tuple[str, ...]
    kind_a: str | None
    kind_b: str | None
    precision_a: str | None
    precision_b: str | None
    time_a: float | None
    time_b: float | None
    matched_by: str
    changes: tuple[str, ...]

    @property
    def nodes(self) -> tuple[str, ...]:
        """The group's ONNX node names (A's, then B's that A does not have)."""
        return tuple(dict.fromkeys(self.nodes_a + self.nodes_b))

    @property
    def change(self) -> str:
        """The main change (for colours): only A/B, fusion, precision, time, or ``"same"``."""
        for word in ("only A", "only B", "fusion", "precision", "time"):
            if word in self.changes:
                return word
        return "same"

    @property
    def label(self) -> str:
        """A short name for the group: its first ONNX node in A (and in B when B names it otherwise),
        else its layer's name (``reformat input0 of X`` for a reformat TensorRT named after layer X)."""
        a, b = _first_main(self.nodes_a), _first_main(self.nodes_b)
        if a and b and a != b and b not in self.nodes_a:
            return f"{a} ~ {b}"
        if a or b:
            return a or b
        name = (self.layers_a or self.layers_b or ("?",))[0]
        m = _COPYNODE_RE.match(name)
        return f"reformat {m.group(1).lower()}{m.group(2)} of {m.group(3)}" if m else name

    @property
    def speedup(self) -> float | None:
        """time A / time B (above 1: B is faster); None when a time is missing or zero."""
        if self.time_a is None or not self.time_b:
            return None
        return self.time_a / self.time_b


@dataclass(frozen=True)
class SideTotals:
    """Counts of one engine: layers by role, time, and layers/time per compute precision."""

    layers: int
    computing: int
    reformat: int
    other_inserted: int  # stream sync and Myelin bookkeeping
    time_ms: float | None
    by_precision: dict[str, tuple[int, float | None]]  # precision -> (computing layers, their ms)


@dataclass(repr=False, eq=False)
class EngineComparison(RowTable):
    """Two engines matched group by group (see :func:`compare_engines`).

    ``rows``: :class:`ComparedGroup` in engine order; ``labels``: the two engines' names;
    ``totals``: one :class:`SideTotals` per engine; ``matched_by``: how most groups were paired.
    """

    rows: list[ComparedGroup]
    labels: tuple[str, str]
    totals: tuple[SideTotals, SideTotals]
    matched_by: str

    def changed(self, change: str | None = None) -> list[ComparedGroup]:
        """The rows where something changed, or where ``change`` (one of :data:`CHANGES`) did."""
        if change is None:
            return [r for r in self.rows if r.changes]
        if change not in CHANGES:
            raise MappingError(f"change {change!r} is not one of {', '.join(CHANGES)}.")
        return [r for r in self.rows if change in r.changes]

    def change_label(self, change: str) -> str:
        """A change as the table and picture say it: ``only A`` reads ``only in FP32``."""
        return {"only A": f"only in {self.labels[0]}", "only B": f"only in {self.labels[1]}"}.get(change, change)

    def summary(self) -> str:
        """What changed, in a few sentences."""
        a, b = self.labels
        paired = [r for r in self.rows if r.matched_by in ("nodes", "structure")]
        counts = Counter(c for r in self.rows for c in r.changes)
        how = "through their ONNX nodes" if self.matched_by == "ONNX nodes" else "by structure (op and shapes)"
        parts = [f"{len(paired)} group{'' if len(paired) == 1 else 's'} of ONNX nodes paired {how}"]
        parts.append("changed: " + ", ".join(f"{c} in {counts.get(c, 0)}" for c in ("fusion", "precision", "time")))
        parts.append(f"{_rows(counts.get('only A', 0))} only in {a}, {_rows(counts.get('only B', 0))} only in {b}")
        ta, tb = self.totals[0].time_ms, self.totals[1].time_ms
        if ta is not None and tb is not None and tb > 0:
            parts.append(f"time {ta:.4f} ms ({a}) -> {tb:.4f} ms ({b}), {ta / tb:.2f}x")
        return "; ".join(parts)

    def __repr__(self) -> str:
        a, b = self.labels
        return f"EngineComparison({a} vs {b}: {len(self.rows)} rows; {self.summary()})"

    def totals_rows(self) -> list[tuple[str, str, str]]:
        """(what, A, B) rows of the totals table."""
        ta, tb = self.totals

        def ms(x: float | None) -> str:
            return "-" if x is None else f"{x:.4f}"

        out = [("engine layers", str(ta.layers), str(tb.layers)), ("computing layers", str(ta.computing), str(tb.computing)),
               ("reformat layers", str(ta.reformat), str(tb.reformat)),
               ("sync / Myelin internal layers", str(ta.other_inserted), str(tb.other_inserted)),
               ("time per inference (ms)", ms(ta.time_ms), ms(tb.time_ms))]
        for p in dict.fromkeys([*ta.by_precision, *tb.by_precision]):
            cells = []
            for side in (ta, tb):
                n, t = side.by_precision.get(p, (0, None))
                cells.append(f"{n} layer{'' if n == 1 else 's'}" + ("" if t is None else f", {t:.4f} ms"))
            out.append((f"computes in {p}", *cells))
        return out

    def rows_as_dicts(self) -> list[dict[str, Any]]:
        """One plain dict per row (the columns of :meth:`to_dataframe`)."""
        return [{"nodes": ", ".join(r.nodes), "layers_a": " | ".join(r.layers_a), "layers_b": " | ".join(r.layers_b),
                 "kind_a": r.kind_a, "kind_b": r.kind_b, "precision_a": r.precision_a, "precision_b": r.precision_b,
                 "time_a_ms": r.time_a, "time_b_ms": r.time_b, "speedup": r.speedup, "changes": ", ".join(r.changes),
                 "matched_by": r.matched_by} for r in self.rows]

    def to_dataframe(self):
        """The rows as a pandas DataFrame (needs pandas: ``pip install 'trtlab[reference]'``)."""
        pd = require("pandas", "EngineComparison.to_dataframe()")
        return pd.DataFrame(self.rows_as_dicts())

    def _repr_html_(self) -> str:
        a, b = self.labels
        totals = html_table(["", a, b], [list(r) for r in self.totals_rows()], title=f"{a} vs {b}")
        header = ["#", "ONNX nodes", f"layer in {a}", f"layer in {b}", "kind", "computes in",
                  f"ms {a}", f"ms {b}", "changed", "paired by"]
        body = [[r.index, shorten(", ".join(r.nodes), 60), shorten(" | ".join(r.layers_a), 60),
                 shorten(" | ".join(r.layers_b), 60), _pair(r.kind_a, r.kind_b), _pair(r.precision_a, r.precision_b),
                 _ms(r.time_a), _ms(r.time_b), ", ".join(self.change_label(c) for c in r.changes) or "-", r.matched_by or "-"]
                for r in self.rows]
        return (f"<div><b>{html.escape(self.summary())}</b>{totals}"
                f"{html_table(header, body, max_rows=80)}</div>")

    def draw(self, top: int = 40, **kw) -> "Drawing":
        """Bars per group, A to the left and B to the right: time per inference when both engines
        have a profile, else the number of layers; coloured by what changed. ``top``: at most this
        many groups (the slowest, or the changed ones), in engine order."""
        return draw_comparison(self, top=top, **kw)


def _first_main(nodes: tuple[str, ...]) -> str | None:
    """The first node name that is not a quantize/dequantize node."""
    return next((n for n in nodes if not _QDQ.search(n)), nodes[0] if nodes else None)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _pair(x: str | None, y: str | None) -> str:
    """``FP32 -> FP16`` when the two differ, one value when they agree or one engine has no layer."""
    if x is None or y is None or x == y:
        return x or y or "-"
    return f"{x} -> {y}"


def _ms(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"


# ----------------------------------------------------------------------------- entry point
def compare_engines(a: object, b: object, onnx_graph: object = None, *, profile_a: object = None,
                    profile_b: object = None, labels: tuple[str, str] = ("A", "B"),
                    time_tolerance: float = 0.1) -> EngineComparison:
    """Compare two engines of the same model layer by layer.

    ``a``, ``b``: a :class:`FusionReport`, an :class:`EnginePlan`, a built engine or exploration
    bundle, a path to layer information JSON (or a one-line listing), or a folder holding
    trtexec's ``engine.graph.json`` (and ``engine.profile.json``, used for times). ``onnx_graph``: the ONNX
    model both were built from; when given, plans are mapped onto it with :func:`map_fusion`
    first. ``profile_a``/``profile_b``: per-layer profiles (trtexec ``--exportProfile``) for the
    times. ``time_tolerance``: a group's time counts as changed when A and B differ by more than
    this share of the larger. Returns an :class:`EngineComparison`.
    """
    if not isinstance(labels, (tuple, list)) or len(labels) != 2 or not all(isinstance(x, str) for x in labels):
        raise MappingError(f"labels must be two strings such as ('FP32', 'FP16'), not {labels!r}.")
    if isinstance(time_tolerance, bool) or not isinstance(time_tolerance, (int, float)) or not 0 <= time_tolerance < 1:
        raise MappingError(f"time_tolerance {time_tolerance!r} must be a share in [0, 1), e.g. 0.1 for 10%.")
    with boundary(MappingError, "comparing two engines", "check that both describe engines of the same model"):
        graph = as_graph(onnx_graph) if onnx_graph is not None else None
        va = _side(a, graph, profile_a, "a")
        vb = _side(b, graph, profile_b, "b")
        return _compare(va, vb, (str(labels[0]), str(labels[1])), float(time_tolerance))


def _side(src: object, graph: OnnxGraph | None, profile: object, which: str) -> list[LayerView]:
    """The layer views of one engine, mapped onto ``graph`` when given."""
    prof = load_profile(profile) if profile is not None else None
    if isinstance(src, FusionReport):
        if prof is None and (graph is None or graph is src.onnx_graph):
            return views_of(src)
        return views_of(map_fusion(graph or src.onnx_graph, src.plan, prof if prof is not None else src.profile))
    if hasattr(src, "layer_info") and callable(getattr(src, "fusion", None)):  # a BuiltEngine or a bundle
        plan = src.layer_info
        graph = graph if graph is not None else getattr(src, "onnx", None)
        if prof is None:
            prof = getattr(src, "profile", None)  # a bundle saved with a profile
    elif isinstance(src, (str, os.PathLike)) and Path(src).is_dir():
        plan, found = _folder(Path(src))
        prof = found if prof is None else prof
    elif isinstance(src, (EnginePlan, Profile, str, os.PathLike, dict, list)):
        plan = as_plan(src)
    else:
        raise MappingError(f"engine {which} is a {type(src).__name__}; pass a FusionReport, an EnginePlan, a built "
                           f"engine, a layer-information file or a folder with engine.graph.json.")
    if graph is not None:
        return views_of(map_fusion(graph, plan, prof))
    return views_of(plan, prof)


def _folder(folder: Path) -> tuple[EnginePlan | Profile, Profile | None]:
    """The plan and profile in a trtexec export folder (``engine.graph.json``, ``engine.profile.json``)."""
    graphs = sorted(folder.glob("*.graph.json"))
    if not graphs:
        raise MappingError(f"folder {str(folder)!r} holds no *.graph.json layer information (trtexec "
                           f"--exportLayerInfo=engine.graph.json); pass the file itself instead.")
    profile = folder / graphs[0].name.replace(".graph.json", ".profile.json")
    return as_plan(graphs[0]), (load_profile(profile) if profile.is_file() else None)


# ----------------------------------------------------------------------------- pairing
@dataclass
class _Group:
    a: list[LayerView]
    b: list[LayerView]
    matched_by: str


def _compare(va: list[LayerView], vb: list[LayerView], labels: tuple[str, str], tol: float) -> EngineComparison:
    comp_a = [v for v in va if not v.is_inserted]
    comp_b = [v for v in vb if not v.is_inserted]
    groups, left_a, left_b = [], comp_a, comp_b
    same_export = _same_export(comp_a, comp_b)
    if same_export:
        groups, left_a, left_b = _by_nodes(comp_a, comp_b)
    paired, left_a, left_b = _by_structure(left_a, left_b)
    groups += paired
    reformats, ref_a, ref_b = _by_name([v for v in va if v.kind == Kind.REFORMAT],
                                       [v for v in vb if v.kind == Kind.REFORMAT])
    groups += reformats
    groups += [_Group([v], [], "") for v in left_a + ref_a] + [_Group([], [v], "") for v in left_b + ref_b]
    rows = [_row(i, g, tol) for i, g in enumerate(_in_engine_order(groups))]
    return EngineComparison(rows, labels, (_totals(va), _totals(vb)), "ONNX nodes" if same_export else "structure")


def _same_export(comp_a: list[LayerView], comp_b: list[LayerView]) -> bool:
    """Whether the two plans name mostly the same ONNX nodes (one export of the model)."""
    na = {n for v in comp_a for n in v.nodes}
    nb = {n for v in comp_b for n in v.nodes}
    if not na or not nb:
        return False
    return len(na & nb) >= _SAME_EXPORT * min(len(na), len(nb))


def _by_nodes(comp_a: list[LayerView], comp_b: list[LayerView]):
    """Groups of layers linked through common ONNX nodes; the layers left without a partner."""
    G = nx.Graph()
    for side, views in (("a", comp_a), ("b", comp_b)):
        G.add_nodes_from((side, i) for i in range(len(views)))
        G.add_edges_from(((side, i), ("n", n)) for i, v in enumerate(views) for n in v.nodes)
    groups, left_a, left_b = [], [], []
    for component in nx.connected_components(G):
        a = sorted((comp_a[i] for s, i in component if s == "a"), key=lambda v: v.index)
        b = sorted((comp_b[i] for s, i in component if s == "b"), key=lambda v: v.index)
        if a and b:
            groups.append(_Group(a, b, "nodes"))
        else:
            left_a += a
            left_b += b
    return groups, sorted(left_a, key=lambda v: v.index), sorted(left_b, key=lambda v: v.index)


def _structure_key(v: LayerView) -> tuple | None:
    """What a layer does and the shapes it reads and writes; None when the plan does not say."""
    layer = v.layer
    if layer is None or not layer.inputs or not layer.outputs:
        return None
    raw = layer.raw
    what = raw.get("ParameterType") or (v.main_ops[0] if v.main_ops else None) or layer.layer_type
    return (what, str(raw.get("Kernel")), str(raw.get("Stride")), layer.inputs[0].shape, layer.outputs[0].shape)


def _by_structure(left_a: list[LayerView], left_b: list[LayerView]):
    """The k-th layer with a given structure key in A paired with the k-th in B."""
    queues: dict[tuple, deque[LayerView]] = defaultdict(deque)
    for v in left_b:
        key = _structure_key(v)
        if key is not None:
            queues[key].append(v)
    groups, rest_a, used = [], [], set()
    for v in left_a:
        key = _structure_key(v)
        queue = queues.get(key) if key is not None else None
        if queue:
            partner = queue.popleft()
            used.add(id(partner))
            groups.append(_Group([v], [partner], "structure"))
        else:
            rest_a.append(v)
    return groups, rest_a, [v for v in left_b if id(v) not in used]


def _by_name(ref_a: list[LayerView], ref_b: list[LayerView]):
    """Inserted layers of the same name in both engines."""
    queues: dict[str, deque[LayerView]] = defaultdict(deque)
    for v in ref_b:
        queues[v.name].append(v)
    groups, rest_a, used = [], [], set()
    for v in ref_a:
        if queues.get(v.name):
            partner = queues[v.name].popleft()
            used.add(id(partner))
            groups.append(_Group([v], [partner], "name"))
        else:
            rest_a.append(v)
    return groups, rest_a, [v for v in ref_b if id(v) not in used]


def _in_engine_order(groups: list[_Group]) -> list[_Group]:
    """A's engine order; a group only in B goes after the group B runs just before it."""
    def first(views: list[LayerView]) -> int | None:
        return min((v.index for v in views), default=None)

    keys: dict[int, tuple] = {id(g): (first(g.a), 0, 0) for g in groups if g.a}
    last_a = -1
    for g in sorted((g for g in groups if g.b), key=lambda g: first(g.b)):
        if g.a:
            last_a = first(g.a)
        else:
            keys[id(g)] = (last_a, 1, first(g.b))
    return sorted(groups, key=lambda g: keys[id(g)])


# ----------------------------------------------------------------------------- rows and totals
def _joined(values: Iterable[str | None]) -> str | None:
    vals = [str(v) for v in dict.fromkeys(values) if v is not None]
    return "+".join(vals) if vals else None


def _time(views: list[LayerView]) -> float | None:
    times = [v.time_ms for v in views if v.time_ms is not None]
    return sum(times) if times and len(times) == len(views) else None


def _signature(v: LayerView) -> frozenset[str]:
    """The op types a layer computes, with the activation TensorRT fused into it (``Activation: RELU``)
    even when its name leaves the activation out (quantized convolutions)."""
    ops = set(v.main_ops)
    act = v.layer.raw.get("Activation") if v.layer is not None else None
    if isinstance(act, str) and act.upper() in _ACTIVATIONS:
        ops.add(_ACTIVATIONS[act.upper()])
    return frozenset(ops)


def _fusion_changed(g: _Group) -> bool:
    if len(g.a) != len(g.b):
        return True
    if g.matched_by == "nodes" and len(g.a) == 1:
        return g.a[0].kind != g.b[0].kind or set(g.a[0].nodes) != set(g.b[0].nodes)
    if g.matched_by == "nodes":
        return (Counter(frozenset(v.nodes) for v in g.a) != Counter(frozenset(v.nodes) for v in g.b)
                or Counter(v.kind for v in g.a) != Counter(v.kind for v in g.b))
    if g.matched_by == "structure":
        return [_signature(v) for v in g.a] != [_signature(v) for v in g.b]
    return False


def _changes(g: _Group, time_a: float | None, time_b: float | None, tol: float) -> tuple[str, ...]:
    if not g.b:
        return ("only A",)
    if not g.a:
        return ("only B",)
    out = []
    if _fusion_changed(g):
        out.append("fusion")
    if sorted({str(v.precision) for v in g.a}) != sorted({str(v.precision) for v in g.b}):
        out.append("precision")
    if time_a is not None and time_b is not None:
        big = max(time_a, time_b)
        if big > 0 and abs(time_a - time_b) > tol * big:
            out.append("time")
    return tuple(out)


def _row(i: int, g: _Group, tol: float) -> ComparedGroup:
    time_a, time_b = _time(g.a), _time(g.b)
    return ComparedGroup(
        index=i, nodes_a=tuple(dict.fromkeys(n for v in g.a for n in v.nodes)),
        nodes_b=tuple(dict.fromkeys(n for v in g.b for n in v.nodes)),
        layers_a=tuple(v.name for v in g.a), layers_b=tuple(v.name for v in g.b),
        kind_a=_joined(v.kind for v in g.a), kind_b=_joined(v.kind for v in g.b),
        precision_a=_joined(v.precision for v in g.a), precision_b=_joined(v.precision for v in g.b),
        time_a=time_a, time_b=time_b, matched_by=g.matched_by, changes=_changes(g, time_a, time_b, tol))


def _totals(views: list[LayerView]) -> SideTotals:
    computing = [v for v in views if not v.is_inserted]
    times = [v.time_ms for v in views if v.time_ms is not None]
    by_precision: dict[str, list] = {}
    for v in computing:
        entry = by_precision.setdefault(v.precision or "unknown", [0, None])
        entry[0] += 1
        if v.time_ms is not None:
            entry[1] = (entry[1] or 0.0) + v.time_ms
    return SideTotals(layers=len(views), computing=len(computing),
                      reformat=sum(v.kind == Kind.REFORMAT for v in views),
                      other_inserted=sum(v.is_inserted and v.kind != Kind.REFORMAT for v in views),
                      time_ms=sum(times) if times else None,
                      by_precision={p: (n, t) for p, (n, t) in by_precision.items()})
