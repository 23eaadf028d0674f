"""Drawing DAGs with matplotlib only (no Graphviz): layered layout, rendering, `Drawing`.

- :func:`layered_layout` / :func:`compute_layout`: layers, crossing reduction, coordinates.
- :func:`draw_dag`: render any networkx DiGraph onto an Axes (colours/labels as mappings).
- :class:`Group`: a box around a set of nodes (fusion groups, blocks).
- :class:`Drawing`: a Figure with notebook display and ``save(path)``.
- :func:`op_color`: the stable colour of an ONNX op type.
- :func:`draw_onnx_graph`: the ONNX-graph view behind ``OnnxGraph.draw``.
- :func:`draw_report` / :func:`draw_stages`: fusion pictures behind ``FusionReport.draw``.
- :func:`draw_plan`: the engine graph behind ``EnginePlan.draw`` (layer information alone).
- :mod:`trtlab.draw.plots`: profiling plots (layer times, latency histogram, H2D/compute/D2H).
- :func:`literal`: text as matplotlib must receive it to draw it literally.
"""

from __future__ import annotations

from .colors import op_color
from .contract import contract, prefix_blocks
from .drawing import MAX_WIDTH_IN, Drawing, new_figure
from .engine_view import draw_plan
from .fusion_graphs import engine_graph
from .fusion_stages import draw_stages
from .fusion_view import draw_report
from .graphview import draw_onnx_graph
from .layout import Layout, compute_layout, count_crossings, fold_layout, layered_layout
from .render import DagArtists, Group, draw_dag, figure_size_for
from .text import literal

__all__ = [
    "layered_layout",
    "compute_layout",
    "count_crossings",
    "fold_layout",
    "Layout",
    "draw_dag",
    "DagArtists",
    "Group",
    "Drawing",
    "new_figure",
    "figure_size_for",
    "op_color",
    "draw_onnx_graph",
    "draw_report",
    "draw_stages",
    "draw_plan",
    "engine_graph",
    "contract",
    "prefix_blocks",
    "literal",
    "MAX_WIDTH_IN",
]
