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
from ..draw.contract import prefix_blocks
from ..draw.engine_view import PRECISION_COLORS as STATIC_PRECISION_COLORS
from ..draw.fusion_style import _KIND_MEANING
from ..draw.fusion_style import KIND_COLORS as STATIC_KIND_COLORS

__all__ = ["KIND_COLORS", "PRECISION_COLORS", "positions", "node_width", "shorten", "tensor_text",
           "kind_mode", "precision_mode", "op_mode", "HEAT_MODE", "OTHER", "name_blocks", "block_groups",
           "BLOCKS_ABOVE"]

# the static pictures' colours (trtlab.draw), so a kind or a precision looks the same everywhere
KIND_COLORS = {**STATIC_KIND_COLORS, "no layer": "#ffffff"}
KIND_LABELS = {**_KIND_MEANING, "sync": "stream sync (signal/wait)", "no layer": "no engine layer (folded or eliminated)"}
PRECISION_COLORS = STATIC_PRECISION_COLORS
OTHER = "#e8e8e8"
HEAT_MODE = {"attr": "heat", "heat": True, "label": "share of engine time"}

# above this many nodes a panel groups nodes into collapsible name-prefix blocks (when names have them)
BLOCKS_ABOVE = 300

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
    present = {str(k) for k in kinds}
    return {"attr": "kind", "label": "fusion kind",
            "palette": {k: c for k, c in KIND_COLORS.items() if k in present},
            "labels": {k: KIND_LABELS.get(k, k) for k in KIND_COLORS if k in present}}


def precision_mode(precisions: Iterable[str | None]) -> dict:
    present = {p for p in precisions if p}
    palette = {p: c for p, c in PRECISION_COLORS.items() if p in present}
    palette.update({p: OTHER for p in sorted(present - set(palette))})
    return {"attr": "precision", "label": "precision", "palette": palette}


def op_mode(op_types: Iterable[str]) -> dict:
    return {"attr": "op", "label": "op type", "palette": {op: op_color(op) for op in sorted(set(op_types))}}


def name_blocks(names: Iterable[Hashable], blocks: bool | None) -> dict:
    """Node -> name-prefix block (``layer1/``) for collapsible boxes; ``blocks`` None: only above
    ``BLOCKS_ABOVE`` nodes; {} when the names have no such structure."""
    names = list(names)
    if blocks is False or (blocks is None and len(names) <= BLOCKS_ABOVE):
        return {}
    return prefix_blocks(names) or {}


def block_groups(panel_id: str, block_of: dict) -> list[dict]:
    """The panel's group records of ``block_of``'s blocks (ids ``panel:block:prefix/``)."""
    return [{"id": f"{panel_id}:block:{b}", "label": b, "kind": "block", "collapsible": True}
            for b in sorted(set(block_of.values()))]
