"""The two panels of a fusion picture: the ONNX graph coloured by fusion kind with fused groups
boxed, and the engine graph of layers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from .fusion_graphs import is_pseudo
from .fusion_style import (
    GROUP_OUTLINE, PSEUDO_COLOR, PSEUDO_OUTLINE, UNACCOUNTED_OUTLINE, UNMAPPED_COLOR, VANISHED_COLOR,
    highlight_outline, kind_color, layer_label, onnx_label, pseudo_label,
)
from .layout import Layout
from .render import Group, draw_dag

if TYPE_CHECKING:  # pragma: no cover
    from ..fusion import FusedLayer, FusionReport

__all__ = ["LABEL_LIMIT", "onnx_panel", "engine_panel", "cluster", "REFORMAT_COLOR"]

LABEL_LIMIT = 300  # above this many nodes in a panel, draw markers instead of labelled boxes
REFORMAT_COLOR = "#9a9a9a"


def onnx_style(report: FusionReport, part: nx.DiGraph) -> tuple[dict, dict, dict]:
    """(colours, labels, outlines) of the ONNX nodes in ``part``, coloured by the kind of the
    engine layer that absorbed each node."""
    colors, labels, outlines = {}, {}, {}
    vanished = {v.name: v for v in report.vanished}
    unaccounted = set(report.unaccounted)
    for v in part:
        if is_pseudo(v):
            colors[v], outlines[v], labels[v] = PSEUDO_COLOR, PSEUDO_OUTLINE, pseudo_label(v)
            continue
        op = part.nodes[v]["info"].op_type
        layer = report.layer_of(v)
        if layer is not None:
            colors[v] = kind_color(layer.kind)
        else:
            colors[v] = VANISHED_COLOR if v in vanished else UNMAPPED_COLOR
        if v in unaccounted:
            outlines[v] = UNACCOUNTED_OUTLINE
        reason = vanished[v].reason if v in vanished else None
        labels[v] = onnx_label(op, v, layer, reason)
    return colors, labels, outlines


def onnx_panel(report: FusionReport, ax, part: nx.DiGraph, layout: Layout, hl_layer: FusedLayer | None,
               *, boxes: bool = True):
    """Draw the ONNX graph ``part`` (with pseudo I/O nodes) coloured by fusion kind; each fused
    engine layer whose nodes stand together is one outlined box (horizontal fusions dashed).
    Returns (artists, groups)."""
    labelled = len(part) <= LABEL_LIMIT
    colors, labels, outlines = onnx_style(report, part)
    groups = []
    if boxes:
        horizontal = [r for r in report.layers if r.kind == "horizontal"]
        cluster(layout, [[n for n in r.onnx_nodes if n in part] for r in horizontal])
        groups = _fused_groups(report, part, layout, hl_layer, labelled)
    highlighted = {n for n in hl_layer.onnx_nodes if n in part} if hl_layer is not None else set()
    artists = draw_dag(part, ax=ax, layout=layout, colors=colors, labels=labels if labelled else None,
                       highlight=highlighted, dim_others=bool(highlighted), groups=groups or None,
                       outlines=outlines)
    return artists, groups


def _fused_groups(report, part, layout, hl_layer, labelled) -> list[Group]:
    groups = []
    for r in report.layers:
        nodes = [n for n in r.onnx_nodes if n in part]
        if len(nodes) < 2:
            continue
        outline = highlight_outline(r, hl_layer)
        if r.kind == "horizontal":
            groups.append(Group(nodes, color=outline, label=f"#{r.index} {r.short} (horizontal)", style="dashed"))
        elif labelled and box_is_clean(nodes, layout.pos, layout.direction):
            groups.append(Group(nodes, color=outline, label=None, style="solid"))
    return groups


def cluster(layout: Layout, groups: list[list]) -> None:
    """Make each group's nodes neighbours within their layer, so a box around them holds nothing else.

    The layered layout knows nothing of fusion groups; this moves nodes among the slots of their
    own layer (keeping every other node's relative order) and re-attaches the edge routes.
    """
    if not any(groups):
        return
    axis = 0 if layout.direction in ("TB", "BT") else 1  # the within-layer coordinate
    pos = {v: list(p) for v, p in layout.pos.items()}
    block = {v: gi for gi, members in enumerate(groups) for v in members}
    preds: dict = {}
    for (u, v) in layout.routes:
        preds.setdefault(v, []).append(u)
    by_layer: dict[int, list] = {}
    for v, level in layout.layer.items():
        by_layer.setdefault(level, []).append(v)
    moved = False
    for level in sorted(by_layer):  # one down-sweep: order each layer by its predecessors' mean
        moved |= _order_layer(by_layer[level], pos, preds, block, axis)
    if moved:
        _apply(layout, pos)


def _order_layer(row: list, pos: dict, preds: dict, block: dict, axis: int) -> bool:
    """Reorder one layer's nodes by barycentre, each group's members kept together."""
    row = sorted(row, key=lambda v: pos[v][axis])
    slots = [pos[v][axis] for v in row]

    def barycentre(v):
        ps = [pos[p][axis] for p in preds.get(v, ()) if p in pos]
        return sum(ps) / len(ps) if ps else pos[v][axis]

    keys = {v: barycentre(v) for v in row}
    group_key: dict = {}
    for v in row:
        if v in block:
            group_key[block[v]] = min(group_key.get(block[v], keys[v]), keys[v])
    new = sorted(row, key=lambda v: (group_key[block[v]], 0, block[v], keys[v], pos[v][axis]) if v in block
                 else (keys[v], 1, 0, keys[v], pos[v][axis]))
    if new == row:
        return False
    for v, x in zip(new, slots):
        pos[v][axis] = x
    return True


def _apply(layout: Layout, pos: dict) -> None:
    layout.pos = {v: (p[0], p[1]) for v, p in pos.items()}
    for (u, v), pts in list(layout.routes.items()):
        pts = np.array(pts, dtype=float)
        pts[0] = layout.pos[u]
        pts[-1] = layout.pos[v]
        layout.routes[(u, v)] = pts


def box_is_clean(nodes, pos, direction: str = "TB") -> bool:
    """True when ``nodes`` stand in one straight line and their bounding box holds no other node
    (a box around a chain bent by a skip connection would cover unrelated nodes and edges)."""
    xs = [pos[n][0] for n in nodes]
    ys = [pos[n][1] for n in nodes]
    across = xs if direction in ("TB", "BT") else ys
    if max(across) - min(across) > 1e-6:
        return False
    x0, x1, y0, y1 = min(xs) - 0.3, max(xs) + 0.3, min(ys) - 0.3, max(ys) + 0.3
    inside = set(nodes)
    return not any(x0 <= x <= x1 and y0 <= y <= y1 for v, (x, y) in pos.items() if v not in inside)


def engine_panel(report: FusionReport, ax, graph: nx.DiGraph, layout: Layout, hl_layer: FusedLayer | None):
    """Draw the engine graph: one node per layer, coloured by fusion kind, labelled ``#index
    pattern``; horizontal fusions outlined, reformat layers small grey diamonds."""
    labelled = len(graph) <= LABEL_LIMIT
    colors, labels, outlines = {}, {}, {}
    reformats = []
    for i in graph:
        if is_pseudo(i):
            colors[i], outlines[i], labels[i] = PSEUDO_COLOR, PSEUDO_OUTLINE, pseudo_label(i)
            continue
        r = report.layers[i]
        colors[i] = kind_color(r.kind)
        labels[i] = layer_label(r)
        if r.kind == "reformat":
            reformats.append(i)
            colors[i] = outlines[i] = "#ffffff"
        elif r.is_inserted:  # TensorRT's own layers (Myelin bookkeeping): expected to absorb nothing
            outlines[i] = PSEUDO_OUTLINE
        elif not r.onnx_nodes:
            colors[i], outlines[i] = UNMAPPED_COLOR, UNACCOUNTED_OUTLINE
        elif r.kind == "horizontal":
            outlines[i] = GROUP_OUTLINE
    highlighted = {hl_layer.index} if hl_layer is not None and hl_layer.index in graph else set()
    artists = draw_dag(graph, ax=ax, layout=layout, colors=colors, labels=labels if labelled else None,
                       highlight=highlighted, dim_others=bool(highlighted), outlines=outlines)
    if reformats:  # small grey diamonds on top of their blank boxes
        xy = np.array([layout.pos[i] for i in reformats], dtype=float)
        ax.scatter(xy[:, 0], xy[:, 1], marker="D", s=60 if labelled else 14, c=REFORMAT_COLOR,
                   edgecolors="#555555", linewidths=0.6, zorder=6, alpha=0.3 if highlighted else 1.0)
    return artists

