"""Plain, JSON-able view data shared by the ONNX, engine and fusion views.

A view is a dict::

    {"title": str, "panels": [panel, ...], "color_modes": {mode: spec}, "color_by": mode,
     "legend_note": str}

    panel = {"id": str, "title": str, "nodes": [node, ...], "edges": [edge, ...],
             "groups": [{"id", "label", "kind", "collapsible"}, ...]}
    node  = {"id", "name", "role" ("onnx" | "layer" | "unit" | "io"), "label", "x", "y", "w",
             "kind", "op", "precision", "heat", "parent" (group id or None),
             "links" (ids in other panels lit with it), "details" ([[field, value], ...])}
    edge  = {"source", "target", "label"}

``color_modes`` maps a mode to ``{"attr": node field, "palette": {value: colour}}`` (nominal) or
``{"attr": "heat", "heat": True}`` (0..1, drawn on a white-to-red scale). Node positions come
from :func:`trtlab.draw.compute_layout` (layers along the vertical axis), in pixels.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import networkx as nx

from ..draw import compute_layout, op_color

__all__ = ["KIND_COLORS", "PRECISION_COLORS", "positions", "node_width", "shorten", "tensor_text",
           "kind_mode", "precision_mode", "op_mode", "HEAT_MODE", "OTHER"]

# one colour per fusion kind; inserted layers (reformat, sync) grey, nodes without a layer white
KIND_COLORS = {
    "vertical": "#4c72b0",
    "horizontal": "#dd8452",
    "pointwise": "#55a868",
    "myelin": "#8172b3",
    "single": "#64b5cd",
    "reformat": "#a0a0a0",
    "sync": "#d0d0d0",
    "no layer": "#ffffff",
}
PRECISION_COLORS = {
    "FP32": "#4c72b0",
    "TF32": "#64b5cd",
    "FP16": "#55a868",
    "BF16": "#8c8c3a",
    "INT8": "#dd8452",
    "FP8": "#c44e52",
    "INT4": "#8172b3",
    "INT32": "#937860",
    "INT64": "#da8bc3",
    "BOOL": "#8c8c8c",
}
OTHER = "#e8e8e8"
HEAT_MODE = {"attr": "heat", "heat": True, "label": "share of engine time"}

# pixels per layout unit: across a layer (node spacing) and between layers
_DX = 150.0
_DY = 80.0


def positions(G: nx.DiGraph) -> dict[Hashable, tuple[float, float]]:
    """Pixel positions of ``G``'s nodes from trtlab's layered layout, edges pointing down."""
    if len(G) == 0:
        return {}
    layout = compute_layout(G, "TB")
    return {v: (round(x * _DX, 1), round(-y * _DY, 1)) for v, (x, y) in layout.pos.items()}


def node_width(label: str) -> int:
    """Box width in pixels that fits ``label``'s longest line at the view's font size."""
    longest = max((len(line) for line in label.split("\n")), default=4)
    return int(min(140, max(44, 7 * longest + 14)))


def shorten(text: str, limit: int = 22) -> str:
    """``text`` cut to ``limit`` characters, keeping its end (where ONNX names differ)."""
    text = str(text)
    return text if len(text) <= limit else "\u2026" + text[-(limit - 1):]


def tensor_text(name: str, shape, dtype, fmt=None) -> str:
    """One line per tensor for edge hovers: ``name [1, 64, 56, 56] FP16 NHWC8``."""
    dims = "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]" if shape is not None else ""
    return " ".join(p for p in (name, dims, dtype or "", fmt or "") if p)


def kind_mode(kinds: Iterable[str]) -> dict:
    """Colour mode for fusion kinds, listing only the kinds present (in KIND_COLORS' order)."""
    present = set(kinds)
    return {"attr": "kind", "label": "fusion kind",
            "palette": {k: c for k, c in KIND_COLORS.items() if k in present}}


def precision_mode(precisions: Iterable[str | None]) -> dict:
    present = {p for p in precisions if p}
    palette = {p: c for p, c in PRECISION_COLORS.items() if p in present}
    palette.update({p: OTHER for p in sorted(present - set(palette))})
    return {"attr": "precision", "label": "precision", "palette": palette}


def op_mode(op_types: Iterable[str]) -> dict:
    return {"attr": "op", "label": "op type", "palette": {op: op_color(op) for op in sorted(set(op_types))}}
