"""The classic fusion lesson in three panels, from a real mapping: before fusion, after vertical
fusion, after horizontal fusion."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from .._boundary import boundary
from ..errors import TrtlabError
from .colors import op_color
from .drawing import Drawing
from .fusion_graphs import (
    focus_nodes, is_pseudo, junctions, resolve_highlight, shown_layers, unit_graph, with_io,
)
from .fusion_panels import LABEL_LIMIT, cluster
from .frame import frame
from .fusion_style import (
    GROUP_OUTLINE, PSEUDO_COLOR, PSEUDO_OUTLINE, highlight_outline, kind_color, layer_label, legend_entries,
    pseudo_label,
)
from .layout import compute_layout
from .render import Group, draw_dag
from .text import tail

if TYPE_CHECKING:  # pragma: no cover
    from ..fusion import FusionReport

__all__ = ["draw_stages"]


def draw_stages(report: FusionReport, *, focus=None, direction: str = "TB", figsize=None,
                title: str | None = None, highlight=None) -> Drawing:
    """The classic lesson in three panels, from the real mapping:

    1. **before fusion** - the ONNX graph (colour = op type);
    2. **after vertical fusion** - each chain TensorRT fused (``Conv + Relu``) is one node;
       branches that will be fused horizontally are boxed;
    3. **after horizontal fusion** - sibling branches reading the same tensor are one node: the
       engine's layers (reformat layers left out: they are not part of this lesson).

    Panels 2 and 3 are coloured by fusion kind. ``focus`` (regex or node names) picks a part of
    the network, e.g. ``"inception_3a/"``; ``highlight`` (engine layer index or name) follows one
    layer through the stages.
    """
    with boundary(TrtlabError, "drawing the fusion stages", "Try focus= on a part of the network."):
        return _draw_stages(report, focus, direction, figsize, title, highlight)


class _Units:
    """The fusion units of the drawn layers: branches (after vertical fusion) and layers (after
    horizontal fusion), with their labels, colours and the boxes of branches fused next."""

    def __init__(self, report: FusionReport, keep: set, hl_layer):
        self.branch_of, self.layer_of = {}, {}
        self.branch_labels, self.layer_labels, self.branch_colors, self.layer_colors = {}, {}, {}, {}
        self.boxes: list[Group] = []
        self.kinds: set = set()
        shown = shown_layers(report)
        for r in report.layers:
            if r.is_inserted or r.index not in shown or not any(n in keep for n in r.onnx_nodes):
                continue
            self._add(report, r, hl_layer)

    def _add(self, report, r, hl_layer) -> None:
        self.kinds.add(r.kind)
        branches = r.groups if (r.kind == "horizontal" and r.groups) else [r.onnx_nodes]
        patterns = r.short.split("||") if len(branches) > 1 else [r.short]
        if len(patterns) != len(branches):
            patterns = [r.short] * len(branches)
        keys = []
        for b, (nodes, pattern) in enumerate(zip(branches, patterns)):
            key = (r.index, b)
            keys.append(key)
            for n in nodes:
                self.branch_of[n] = key
            more = " \u2026" if len(nodes) > 1 else ""
            self.branch_labels[key] = f"{pattern}\n{tail(nodes[0])}{more}"
            self.branch_colors[key] = kind_color(r.kind)
        if r.kind == "horizontal" and len(keys) > 1:
            self.boxes.append(Group(keys, color=highlight_outline(r, hl_layer),
                                    label=f"#{r.index}: fused horizontally next", style="dashed"))
        for n in r.onnx_nodes:
            self.layer_of[n] = r.index
        self.layer_labels[r.index] = layer_label(r)
        self.layer_colors[r.index] = kind_color(r.kind)


def _pseudo_style(graph: nx.DiGraph, labels: dict, colors: dict) -> dict:
    """Labels and colours of the pseudo I/O nodes of ``graph``; returns their outlines."""
    for v in graph:
        if is_pseudo(v):
            labels[v], colors[v] = pseudo_label(v), PSEUDO_COLOR
    return {v: PSEUDO_OUTLINE for v in graph if is_pseudo(v)}


def _draw_stages(report, focus, direction, figsize, title, highlight) -> Drawing:
    keep = focus_nodes(report, focus)
    hl_layer = resolve_highlight(report, highlight)
    part = with_io(report, keep)
    units = _Units(report, keep, hl_layer)
    kept = junctions(report, part)
    vertical = unit_graph(part, units.branch_of, kept)
    horizontal = unit_graph(part, units.layer_of, kept)
    layouts = [compute_layout(g, direction) for g in (part, vertical, horizontal)]
    cluster(layouts[1], [list(g.nodes) for g in units.boxes])
    labelled = len(part) <= LABEL_LIMIT
    n_real = [sum(1 for v in g if not is_pseudo(v)) for g in (part, vertical, horizontal)]
    head = title or (f"{getattr(report.onnx_graph, 'name', '') or 'model'}: what TensorRT's layer fusion does "
                     f"({n_real[0]} \u2192 {n_real[1]} \u2192 {n_real[2]} kernels)")
    fig, axes = frame(layouts, labelled=labelled, figsize=figsize, head=head,
                      panel_titles=[f"1. before fusion: {n_real[0]} ONNX nodes (colour: op type)",
                                    f"2. after vertical fusion: {n_real[1]} layers",
                                    f"3. after horizontal fusion: {n_real[2]} layers"],
                      legend=legend_entries(units.kinds), legend_title="panels 2 and 3, colour = fusion kind:")
    before = _draw_before(part, axes[0], layouts[0], hl_layer, labelled)
    marked = {u for u in vertical if hl_layer is not None and not is_pseudo(u) and u[0] == hl_layer.index}
    outlines = _pseudo_style(vertical, units.branch_labels, units.branch_colors)
    after_vertical = draw_dag(vertical, ax=axes[1], layout=layouts[1], colors=units.branch_colors,
                              labels=units.branch_labels if labelled else None, groups=units.boxes or None,
                              highlight=marked, dim_others=bool(marked), outlines=outlines)
    marked = {hl_layer.index} if hl_layer is not None and hl_layer.index in horizontal else set()
    outlines = _pseudo_style(horizontal, units.layer_labels, units.layer_colors)
    outlines.update({i: GROUP_OUTLINE for i in horizontal
                     if not is_pseudo(i) and report.layers[i].kind == "horizontal"})
    after_horizontal = draw_dag(horizontal, ax=axes[2], layout=layouts[2], colors=units.layer_colors,
                                labels=units.layer_labels if labelled else None, highlight=marked,
                                dim_others=bool(marked), outlines=outlines)
    return Drawing(fig, ax=axes[0], artists=before, nodes=[v for v in part if not is_pseudo(v)],
                   mode="labels" if labelled else "markers", tight=False,
                   panels={"before": before, "vertical": after_vertical, "horizontal": after_horizontal})


def _draw_before(part: nx.DiGraph, ax, layout, hl_layer, labelled: bool):
    """Panel 1: the ONNX graph coloured by op type."""
    marked = set(hl_layer.onnx_nodes) & set(part) if hl_layer is not None else set()
    colors, labels = {}, {}
    outlines = _pseudo_style(part, labels, colors)
    for v in part:
        if not is_pseudo(v):
            op = part.nodes[v]["info"].op_type
            colors[v], labels[v] = op_color(op), f"{op}\n{tail(v)}"
    return draw_dag(part, ax=ax, layout=layout, colors=colors, labels=labels if labelled else None,
                    highlight=marked, dim_others=bool(marked), outlines=outlines)
