"""The engine graph drawn from layer information alone (no ONNX): the picture behind
``EnginePlan.draw``.

One box per engine layer: ``#index type``, its name (shortened, both ends kept), its precision
and, with a profile, its time per inference and share of the total. Tensor shapes are written on
the edges. Colour by fusion kind, by time (heat) or by precision, with a legend. Plans too big to
label become an overview: one box per name prefix when names have that structure, else markers.

Reads an :class:`trtlab.engine.EnginePlan` through its attributes, so drawing does not import the
engine package (which imports drawing).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from .._boundary import boundary
from ..errors import ConfigError, TrtlabError
from .colors import op_color
from .contract import contract, prefix_blocks
from .drawing import Drawing
from .frame import frame, size_for_labels
from .fusion_graphs import first_profile
from .fusion_style import kind_color, left_out_clause, legend_entries
from .layout import check_direction, compute_layout, fold_layout
from .render import draw_dag
from .text import middle, tail

if TYPE_CHECKING:  # pragma: no cover
    from ..engine import EngineLayer, EnginePlan, Profile

__all__ = ["draw_plan", "COLOR_BY", "PRECISION_COLORS"]

COLOR_BY = ("kind", "time", "precision")
LABEL_LIMIT = 300
PRECISION_COLORS = {
    "FP32": "#8ec1ec", "TF32": "#a9d0f0", "FP16": "#9fdc9f", "BF16": "#8fd6d0", "FP8": "#ef8f8f",
    "INT8": "#f7b267", "INT4": "#f4a6a0", "FP4": "#f5c9e1", "INT32": "#d5dde5", "INT64": "#c9d3dd",
    "BOOL": "#eceff2",
}
NO_DATA = "#eeeeee"
_LABEL_CHARS = 28  # longest line of a layer's label; longer names are cut in the middle
_HEAT = colormaps["YlOrRd"]
_HEAT_BINS = (0.0, 0.01, 0.03, 0.1, 0.3)  # lower edges of the time-share bins of the heat colours


def draw_plan(plan: EnginePlan, *, profile: Profile | None = None, color_by: str = "kind", highlight=None,
              direction: str = "TB", show_shapes: bool = True, details: bool = False, overview=None,
              figsize=None, title: str | None = None) -> Drawing:
    """Draw the engine graph of ``plan``; see :meth:`trtlab.engine.EnginePlan.draw`."""
    if color_by not in COLOR_BY:
        raise ConfigError(f"color_by={color_by!r} is not one of {', '.join(map(repr, COLOR_BY))}")
    if color_by == "time" and profile is None:
        raise ConfigError("color_by='time' needs the layer times: pass profile=trtlab.load_profile(...)")
    if overview not in (None, True, False, "prefix", "markers"):
        raise ConfigError(f"overview={overview!r} is not one of None (automatic), True, False, 'prefix', 'markers'")
    direction = check_direction(direction)
    with boundary(TrtlabError, "drawing the engine plan", "Try overview=True."):
        return _draw_plan(plan, profile, color_by, highlight, direction, show_shapes, details, overview, figsize,
                          title)


def _shown(plan: EnginePlan) -> list:
    """The layers drawn: no sync layers (they run no kernel), and of an engine with several shape
    profiles only the first profile's copy of each layer."""
    return first_profile([layer for layer in plan.layers if layer.kind != "sync"])


def _times(plan: EnginePlan, profile: Profile | None) -> dict[str, float]:
    """Layer uid -> milliseconds per inference, matched by name (or name without profile suffix)."""
    if profile is None:
        return {}
    by_name: dict[str, float] = {}
    for lt in profile.layers:
        ms = lt.average_ms if lt.average_ms is not None else lt.time_ms
        by_name[lt.name] = by_name.get(lt.name, 0.0) + float(ms or 0.0)
    out = {}
    for layer in plan.layers:
        ms = by_name.get(layer.name, by_name.get(layer.base_name))
        if ms is not None:
            out[layer.uid] = ms
    return out


def _resolve(plan: EnginePlan, graph: nx.DiGraph, highlight) -> set:
    if highlight is None:
        return set()
    if isinstance(highlight, int) and not isinstance(highlight, bool):
        if not 0 <= highlight < len(plan.layers):
            raise ConfigError(f"highlight={highlight}: layer indices run from 0 to {len(plan.layers) - 1}")
        uid = plan.layers[highlight].uid
    else:
        uid = plan.layer(str(highlight)).uid
    if uid not in graph:
        raise ConfigError(f"highlight={highlight!r}: that layer is not drawn (sync layers and other shape "
                          f"profiles' copies are left out)")
    return {uid}


def _draw_plan(plan, profile, color_by, highlight, direction, show_shapes, details, overview, figsize,
               title) -> Drawing:
    layers = _shown(plan)
    graph = nx.DiGraph(plan.nx.subgraph(layer.uid for layer in layers))
    times = _times(plan, profile)
    marked = _resolve(plan, graph, highlight)
    by_uid = {layer.uid: layer for layer in layers}
    total = sum(times.values())
    if overview is None:
        overview = len(graph) > LABEL_LIMIT
    blocks = prefix_blocks(graph) if overview and overview != "markers" else None
    head = title or "Engine plan" + (f": {total:.3f} ms per inference (sum of layer times)" if times else "")
    subhead = _counts(plan, layers)
    if blocks:
        return _draw_overview(graph, blocks, by_uid, times, marked, direction, figsize, head, subhead)
    labelled = bool(overview is False or (not overview and len(graph) <= LABEL_LIMIT))
    colors, legend = _colors(graph, by_uid, times, total, color_by)
    labels = {uid: _label(by_uid[uid], times.get(uid), total, details) for uid in graph} if labelled else None
    edge_labels = _shapes(graph, by_uid) if (show_shapes and labelled) else None
    layout = compute_layout(graph, direction)
    if not labelled:
        layout = fold_layout(layout)
    fig, (ax,) = frame([layout], labelled=labelled, figsize=figsize, head=head, subhead=subhead,
                       panel_titles=[f"{len(graph)} layers, coloured by {color_by}"
                                     + ("" if labelled else " (too many to label: pass overview=False)")],
                       legend=legend, min_sizes=[size_for_labels(layout, (labels or {}).values())])
    artists = draw_dag(graph, ax=ax, layout=layout, colors=colors, labels=labels, highlight=marked,
                       dim_others=bool(marked), edge_labels=edge_labels)
    return Drawing(fig, ax=ax, artists=artists, nodes=list(graph), mode="labels" if labelled else "markers",
                   tight=False, panels={"engine": artists})


def _counts(plan: EnginePlan, layers: list) -> str:
    """The plan's layer counts in one sentence, and what the picture leaves out."""
    sync = sum(1 for layer in plan.layers if layer.kind == "sync")
    return plan.counts().sentence() + left_out_clause(sync, len(plan.layers) - sync - len(layers))


def _label(layer: EngineLayer, ms: float | None, total: float, details: bool = False) -> str:
    """``#index type``, the name, precision and time; with ``details`` the tactic and the output
    format too, each cut in the middle so both ends stay readable."""
    kind = tail(layer.layer_type or "?", 24)
    lines = [f"#{layer.index} {kind}", middle(layer.name, _LABEL_CHARS)]
    facts = [layer.compute_precision or ""]
    if ms is not None:
        facts.append(f"{ms:.3f} ms" + (f" ({100 * ms / total:.0f}%)" if total > 0 else ""))
    lines.append(" \u00b7 ".join(f for f in facts if f))
    if details:
        lines.append("tactic " + middle(layer.tactic, _LABEL_CHARS - 7) if layer.tactic else "")
        formats = [t.format for t in layer.outputs if t.format]
        lines.append("out " + middle(formats[0], _LABEL_CHARS - 4) if formats else "")
    return "\n".join(line for line in lines if line)


def _shapes(graph: nx.DiGraph, by_uid: dict) -> dict:
    """Edge -> the shape (and data type) of the tensors it carries."""
    out = {}
    for u, v, data in graph.edges(data=True):
        tensors = {t.name: t for t in by_uid[u].outputs}
        texts = []
        for name in data.get("tensors", ()):
            t = tensors.get(name)
            if t is not None and t.shape is not None:
                text = "x".join(map(str, t.shape)) + (f" {t.dtype}" if t.dtype else "")
                if text not in texts:
                    texts.append(text)
        out[(u, v)] = ", ".join(texts[:2]) + (" \u2026" if len(texts) > 2 else "")
    return out


def _colors(graph, by_uid, times, total, color_by) -> tuple[dict, dict]:
    """Node -> fill, and the legend (label -> colour) for ``color_by``."""
    if color_by == "kind":
        node_kinds = {uid: str(by_uid[uid].kind) for uid in graph}
        return ({uid: kind_color(k) for uid, k in node_kinds.items()},
                legend_entries(set(node_kinds.values())))
    if color_by == "precision":
        precisions = {uid: by_uid[uid].compute_precision or "?" for uid in graph}
        colors = {uid: _precision_color(p) for uid, p in precisions.items()}
        order = [p for p, _ in Counter(precisions.values()).most_common()]
        return colors, {("unknown" if p == "?" else p): _precision_color(p) for p in order}
    colors = {uid: _heat(times[uid] / total if total > 0 else 0.0) if uid in times else NO_DATA for uid in graph}
    legend = {}
    for lo, hi in zip(_HEAT_BINS, _HEAT_BINS[1:] + (None,)):
        legend[f"\u2265 {100 * lo:g}% of time" if hi is None else f"{100 * lo:g}\u2013{100 * hi:g}%"] = _heat(lo)
    if len(times) < len(graph):
        legend["not in the profile"] = NO_DATA
    return colors, legend


def _heat(share: float) -> str:
    level = int(np.searchsorted(_HEAT_BINS, share, side="right")) - 1
    return to_hex(_HEAT(0.12 + 0.8 * level / (len(_HEAT_BINS) - 1)))


def _precision_color(precision: str) -> str:
    if precision == "?":
        return NO_DATA
    return PRECISION_COLORS.get(precision) or op_color(precision)


def _draw_overview(graph, blocks, by_uid, times, marked, direction, figsize, head, subhead) -> Drawing:
    """One box per name prefix: how many layers, their main types and their time."""
    boxes, members = contract(graph, blocks.get)
    labels = {}
    for box, uids in members.items():
        if len(uids) == 1:
            labels[box] = f"#{by_uid[uids[0]].index} {tail(by_uid[uids[0]].layer_type or '?', 18)}\n{middle(box, 24)}"
            continue
        types = Counter(by_uid[u].layer_type or "?" for u in uids).most_common(2)
        ms = sum(times.get(u, 0.0) for u in uids)
        labels[box] = (f"{tail(box, 24)}\n{len(uids)} layers: " + ", ".join(f"{n} {tail(t, 20)}" for t, n in types)
                       + (f"\n{ms:.3f} ms" if times else ""))
    layout = compute_layout(boxes, direction)
    labelled = len(boxes) <= LABEL_LIMIT
    fig, (ax,) = frame([layout], labelled=labelled, figsize=figsize, head=head, subhead=subhead,
                       panel_titles=[f"overview: {len(graph)} layers in {len(boxes)} boxes by name prefix "
                                     f"(pass overview=False for every layer)"])
    highlighted = {blocks.get(u, u) for u in marked}
    artists = draw_dag(boxes, ax=ax, layout=layout, colors={b: "#e3eaf3" for b in boxes},
                       labels=labels if labelled else None, highlight=highlighted, dim_others=bool(highlighted))
    return Drawing(fig, ax=ax, artists=artists, nodes=list(boxes), mode="prefix", tight=False,
                   note=f"overview: {len(graph)} layers in {len(boxes)} boxes", panels={"engine": artists})
