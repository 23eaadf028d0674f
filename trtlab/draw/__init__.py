"""Drawing DAGs with matplotlib only (no Graphviz): layered layout, rendering, `Drawing`.

- :func:`layered_layout` / :func:`compute_layout`: layers, crossing reduction, coordinates.
- :func:`draw_dag`: render any networkx DiGraph onto an Axes (colours/labels as mappings).
- :class:`Group`: a box around a set of nodes (fusion groups, blocks).
- :class:`Drawing`: a Figure with notebook display and ``save(path)``.
- :func:`op_color`: the stable colour of an ONNX op type.
- :func:`draw_onnx_graph`: the ONNX-graph view behind ``OnnxGraph.draw``.
"""

from __future__ import annotations

from .colors import op_color
from .drawing import Drawing, new_figure
from .graphview import draw_onnx_graph
from .layout import Layout, compute_layout, count_crossings, fold_layout, layered_layout
from .render import DagArtists, Group, draw_dag, figure_size_for

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
]
