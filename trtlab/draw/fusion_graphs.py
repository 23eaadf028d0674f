"""The graphs behind the fusion pictures: the drawn part of the ONNX graph, the engine graph, and
the graph of fusion units (engine layers, or the branches of a horizontal fusion).

Reads a :class:`trtlab.fusion.FusionReport` through its attributes only, so drawing does not
import the fusion package (which imports drawing).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import networkx as nx

from ..errors import ConfigError, TrtlabError
from .contract import contract

if TYPE_CHECKING:  # pragma: no cover
    from ..fusion import FusedLayer, FusionReport

__all__ = ["focus_nodes", "resolve_highlight", "with_io", "is_pseudo", "junctions", "unit_graph",
           "first_profile", "shown_layers", "engine_graph"]


def focus_nodes(report: FusionReport, focus) -> set:
    """The ONNX nodes selected by ``focus`` (None: all; a regex on names; or a list of names)."""
    graph = report.onnx_graph.nx
    if focus is None:
        return set(graph)
    if isinstance(focus, str):
        try:
            rx = re.compile(focus)
        except re.error as exc:
            raise ConfigError(f"focus={focus!r} is not a valid regular expression ({exc}); pass a regex "
                              f"on ONNX node names, e.g. focus='inception_3a/', or a list of node names") from exc
        nodes = {v for v in graph if rx.search(str(v))}
    else:
        nodes = set(focus)
        missing = [v for v in nodes if v not in graph]
        if missing:
            raise ConfigError(f"focus names {len(missing)} nodes that are not in the ONNX graph, e.g. {missing[0]!r}")
    if not nodes:
        raise ConfigError(f"focus={focus!r} matches no ONNX node; names look like {list(graph)[:3]}")
    return nodes


def resolve_highlight(report: FusionReport, highlight) -> FusedLayer | None:
    """The engine layer named by ``highlight`` (index, name, or an ONNX node it absorbed)."""
    if highlight is None:
        return None
    try:
        return report.layer(highlight)
    except TrtlabError as exc:
        if isinstance(highlight, str) and highlight in report.onnx_graph.nx:
            layer = report.layer_of(highlight)
            if layer is not None:
                return layer
            raise ConfigError(f"highlight={highlight!r}: this ONNX node has no engine layer "
                              f"(see report.vanished / report.unaccounted)") from exc
        raise ConfigError(f"highlight={highlight!r}: {exc}") from exc


def with_io(report: FusionReport, keep: set) -> nx.DiGraph:
    """The ONNX subgraph on ``keep`` plus pseudo nodes ``("in", tensor)`` / ``("out", tensor)`` for the
    tensors that enter or leave it (graph inputs/outputs, or the edge of a focus)."""
    graph = report.onnx_graph
    full = graph.nx
    part = nx.DiGraph(full.subgraph(keep))
    initializers = set(getattr(graph, "initializers", {}) or {})
    graph_outputs = {t.name for t in getattr(graph, "outputs", [])}
    for node in keep:
        info = full.nodes[node]["info"]
        for t in info.inputs:
            if not t or t in initializers:
                continue
            producer = graph.producer(t)
            if producer is None or producer not in keep:
                if producer is not None and full.nodes[producer]["info"].op_type == "Constant":
                    continue
                part.add_edge(("in", t), node)
        for t in info.outputs:
            if t and (t in graph_outputs or any(c not in keep for c in graph.consumers(t))):
                part.add_edge(node, ("out", t))
    return part


def is_pseudo(v) -> bool:
    """Pseudo nodes: ("in"|"out", tensor) for the I/O of a drawn part, ("gone", node) for a
    vanished Concat kept as a junction so the picture does not turn into an all-to-all fan."""
    return isinstance(v, tuple) and len(v) == 2 and v[0] in ("in", "out", "gone") and isinstance(v[1], str)


def junctions(report: FusionReport, part: nx.DiGraph) -> set:
    """Vanished Concat nodes in ``part``: kept as junctions in the fused views."""
    return {v.name for v in report.vanished if v.op_type == "Concat" and v.name in part}


def unit_graph(part: nx.DiGraph, unit_of: dict, kept_junctions: set = frozenset()) -> nx.DiGraph:
    """Graph of units (engine layers, or branches) connected as their ONNX nodes are in ``part``,
    bridging over nodes that belong to no unit (vanished: Dropout, Flatten, ...). Pseudo I/O
    nodes are their own units, and so are the ``kept_junctions`` (as ``("gone", name)``).
    Edges between engine units that point against engine order are dropped."""
    def unit(v):
        if is_pseudo(v):
            return v
        if v in kept_junctions:
            return ("gone", v)
        return unit_of.get(v)

    units, _ = contract(part, unit, bridge=True)
    order = {n: i for i, n in enumerate(sorted((n for n in units if not is_pseudo(n)), key=_unit_key))}
    units.remove_edges_from([(a, b) for a, b in units.edges if a in order and b in order and order[a] > order[b]])
    return units


def _unit_key(u) -> tuple:
    return (u[0], u[1]) if isinstance(u, tuple) else (u, 0)


def first_profile(layers: list) -> list:
    """The layers of an engine's first shape profile: an engine with several profiles repeats
    every layer once per profile (`` [profile N]``), and pictures show the first."""
    profiles = {layer.profile_index for layer in layers}
    if len(profiles) <= 1:
        return list(layers)
    # TensorRT leaves the first profile's names bare (None) and suffixes the others
    first = None if None in profiles else min(profiles)
    return [layer for layer in layers if layer.profile_index == first]


def shown_layers(report: FusionReport) -> set:
    """Indices of the report's layers that pictures draw (those of the first shape profile)."""
    return {r.index for r in first_profile(report.layers)}


def engine_graph(report: FusionReport, focus=None) -> nx.DiGraph:
    """The engine's layers as a DAG (node = layer index). From the plan's tensors when the layer
    information has them; otherwise (names-only profiles) from the ONNX graph, with reformat layers
    spliced in before/after the layer they serve."""
    keep = focus_nodes(report, focus)
    plan_graph = report.plan.nx if hasattr(report.plan, "io_tensors") else None
    if plan_graph is not None and plan_graph.number_of_edges() > 0:
        return _engine_graph_from_plan(report, plan_graph, keep, focus is not None)
    return _engine_graph_from_onnx(report, keep)


def _engine_graph_from_plan(report: FusionReport, plan_graph: nx.DiGraph, keep: set, focused: bool) -> nx.DiGraph:
    shown = shown_layers(report)
    by_uid = {r.uid: r.index for r in report.layers}
    graph = nx.DiGraph()
    graph.add_nodes_from(r.index for r in report.layers if r.kind != "sync" and r.index in shown)
    for u, v in plan_graph.edges:
        if by_uid.get(u) in graph and by_uid.get(v) in graph:
            graph.add_edge(by_uid[u], by_uid[v])
    if not focused:
        return graph
    # keep the layers of the focus, and reformat layers next to them
    chosen = {r.index for r in report.layers if r.onnx_nodes and any(n in keep for n in r.onnx_nodes)}
    near = {r.index for r in report.layers if r.kind == "reformat" and r.index in graph
            and any(n in chosen for n in nx.all_neighbors(graph, r.index))}
    return graph.subgraph(chosen | near).copy()


def _engine_graph_from_onnx(report: FusionReport, keep: set) -> nx.DiGraph:
    shown = shown_layers(report)
    unit_of: dict = {}
    for r in report.layers:
        if not r.is_inserted and r.index in shown:
            for n in r.onnx_nodes:
                unit_of.setdefault(n, r.index)
    part = with_io(report, keep)
    graph = unit_graph(part, unit_of, junctions(report, part))
    _splice_reformats(report, graph, shown)
    return graph


def _base_name(r: FusedLayer) -> str:
    """The layer's name without its `` [profile N]`` suffix."""
    suffix = f" [profile {r.profile_index}]"
    return r.name[: -len(suffix)] if r.profile_index is not None and r.name.endswith(suffix) else r.name


def _splice_reformats(report: FusionReport, graph: nx.DiGraph, shown: set) -> None:
    """Put each reformat layer before (input) or after (output) the layer it serves, found by its
    target's name or the ONNX node that name is."""
    by_name = {_base_name(r): r.index for r in report.layers if r.index in shown}
    for r in report.layers:
        for n in r.onnx_nodes:
            if n not in by_name:
                by_name[n] = report.layer_of(n).index
    for r in report.layers:
        if r.kind != "reformat" or r.target is None or r.index not in shown:
            continue
        target = by_name.get(r.target)
        if target is None or target not in graph:
            continue
        copy = bool(r.note and r.note.startswith("copy"))
        output = copy or " output reformatter" in r.name or "for Output Tensor" in r.name
        graph.add_node(r.index)
        if not output:
            for p in list(graph.pred[target]):
                graph.remove_edge(p, target)
                graph.add_edge(p, r.index)
            graph.add_edge(r.index, target)
            continue
        for s in list(graph.succ[target]):
            graph.add_edge(r.index, s)
            if not (copy and r.layer is None):  # a concat copy feeds what reads the concatenation too
                graph.remove_edge(target, s)
        graph.add_edge(target, r.index)
