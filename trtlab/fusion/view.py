"""Before/after pictures of a fusion report; they live in :mod:`trtlab.draw` (this module keeps
the old import path working)."""

from __future__ import annotations

from ..draw.fusion_graphs import engine_graph
from ..draw.fusion_stages import draw_stages
from ..draw.fusion_style import layer_colors
from ..draw.fusion_view import MODES, OVERVIEWS, draw_report

__all__ = ["draw_report", "draw_stages", "layer_colors", "engine_graph", "MODES", "OVERVIEWS"]
