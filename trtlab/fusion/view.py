"""Before/after pictures of a fusion report; they live in :mod:`trtlab.draw` (this module keeps
the old import paths working, including the former private helpers)."""

from __future__ import annotations

from ..draw.fusion_graphs import engine_graph, focus_nodes, is_pseudo, junctions, shown_layers, unit_graph, with_io
from ..draw.fusion_stages import draw_stages
from ..draw.fusion_style import layer_colors, pseudo_label
from ..draw.fusion_view import MODES, OVERVIEWS, draw_report

__all__ = ["draw_report", "draw_stages", "layer_colors", "engine_graph", "MODES", "OVERVIEWS"]

# former private names, still imported by code written against them
_augment = with_io
_focus_nodes = focus_nodes
_is_pseudo = is_pseudo
_junctions = junctions
_pseudo_label = pseudo_label
_quotient = unit_graph
_shown = shown_layers
