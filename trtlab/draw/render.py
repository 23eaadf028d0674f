"""Render a laid-out DAG onto a matplotlib Axes: one collection for edges, one for nodes.

Payload-agnostic: colours, labels, outlines and edge labels are passed in as mappings, so the
same primitives draw ONNX graphs, TensorRT engine graphs and before/after fusion views.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection, PatchCollection, PolyCollection
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyBboxPatch, Patch

from ..errors import ConfigError
from .colors import lighten
from .layout import Layout, check_direction, compute_layout
from .text import CHAR_IN, literal, wrap

__all__ = ["Group", "DagArtists", "draw_dag", "figure_size_for", "set_title", "GROUP_STYLES"]

GROUP_STYLES = ("dashed", "solid", "dotted", "filled")

DEFAULT_NODE_COLOR = "#d9dde3"
EDGE_COLOR = "#7d7d7d"
HIGHLIGHT_COLOR = "#c0392b"
OUTLINE_COLOR = "#4d4d4d"
DEFAULT_FONT = 8.5  # points; the largest font used for node labels
MIN_FONT = 4.0  # below this, labels are dropped and nodes drawn as markers

# node box limits, in layout units, along (layer axis, within-layer axis)
_BOX_LIMITS = {"LR": (0.80, 0.78), "TB": (0.62, 0.92)}


@dataclass(frozen=True)
class Group:
    """A rounded box drawn around ``nodes`` (e.g. one horizontal fusion, or a block).

    ``style`` is one of ``"dashed"``, ``"solid"``, ``"dotted"`` (outline only) or ``"filled"``
    (a light tint of ``color`` behind the nodes). ``label`` is written above the box.
    """

    nodes: tuple
    color: str = "#555555"
    label: str | None = None
    style: str = "dashed"

    def __post_init__(self):
        object.__setattr__(self, "nodes", tuple(self.nodes))
        if self.style not in GROUP_STYLES:
            raise ConfigError(f"Group style {self.style!r} is not one of {', '.join(GROUP_STYLES)}")


@dataclass
class DagArtists:
    """What :func:`draw_dag` drew: positions, the node order of the collections, artists."""

    pos: dict[Hashable, tuple[float, float]]
    nodes: list[Hashable]
    node_collection: object
    edge_collection: object
    arrow_collection: object | None
    texts: list
    facecolors: np.ndarray  # RGBA per node, in ``nodes`` order (after dimming)
    labelled: bool
    font_size: float | None
    box_size: dict[Hashable, tuple[float, float]] = field(default_factory=dict)
    highlighted: set = field(default_factory=set)
    legend: object | None = None
    layout: Layout | None = None


def figure_size_for(layout: Layout, *, labelled: bool, legend: bool = False, edge_labels: bool = False,
                    max_width: float = 28.0, max_height: float = 40.0) -> tuple[float, float]:
    """A figure size (inches) that gives each node of ``layout`` room, within caps.

    ``edge_labels``: leave room between layers for text on the edges (LR/RL layouts).
    """
    direction = layout.direction
    xmin, xmax, ymin, ymax = layout.extent()
    horizontal = direction in ("LR", "RL")
    if labelled:
        per_x, per_y = ((2.5 if edge_labels else 1.6), 0.62) if horizontal else (1.7, 0.74)
    else:
        per_x = per_y = 0.2
    w = (xmax - xmin + 1.4) * per_x
    h = (ymax - ymin + 1.4) * per_y
    w = float(np.clip(w, 3.0, max_width))
    h = float(np.clip(h, 2.2, max_height))
    if legend:
        w += 2.0 if labelled else 1.6
    return (w, h)


@lru_cache(maxsize=8192)
def _text_extent(text: str) -> tuple[float, float]:
    """(width, line count) of ``text`` at 10 pt, width in inches (Agg's own text metrics).

    Hinting makes small text relatively wider than large text, so the width is measured at the
    small sizes labels use.
    """
    renderer = _renderer()
    prop = FontProperties(size=7)
    lines = text.split("\n")
    width = max(renderer.get_text_width_height_descent(line or " ", prop, ismath=False)[0] for line in lines)
    return width / 100.0 * 10 / 7, len(lines)


@lru_cache(maxsize=1)
def _renderer():
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(100, 100, 100)  # the dpi drawings are rendered at


def _clip_to_box(center: np.ndarray, half: np.ndarray, toward: np.ndarray) -> np.ndarray:
    """Points where the segments center->toward leave axis-aligned boxes of half-size ``half``."""
    d = toward - center
    with np.errstate(divide="ignore", invalid="ignore"):
        tx = np.where(np.abs(d[:, 0]) > 1e-12, half[:, 0] / np.abs(d[:, 0]), np.inf)
        ty = np.where(np.abs(d[:, 1]) > 1e-12, half[:, 1] / np.abs(d[:, 1]), np.inf)
    t = np.minimum(np.minimum(tx, ty), 1.0)
    return center + d * t[:, None]


def draw_dag(
    G: nx.DiGraph,
    *,
    ax,
    pos: Mapping[Hashable, tuple[float, float]] | None = None,
    direction: str = "LR",
    colors: Mapping[Hashable, str] | None = None,
    labels: Mapping[Hashable, str] | None = None,
    highlight: Iterable[Hashable] | None = None,
    dim_others: bool = False,
    edge_labels: Mapping[tuple[Hashable, Hashable], str] | None = None,
    groups: Iterable[Group] | None = None,
    node_size: float | None = None,
    legend: Mapping[str, str] | None = None,
    outlines: Mapping[Hashable, str] | None = None,
    font_size: float | None = None,
    layout: Layout | None = None,
    legend_title: str | None = None,
) -> DagArtists:
    """Draw the DAG ``G`` on the matplotlib Axes ``ax`` and return the artists.

    ``pos`` (node -> (x, y)) defaults to :func:`layered_layout` along ``direction``; a
    precomputed :class:`Layout` may be passed as ``layout`` to reuse its edge routes.
    ``colors`` and ``labels`` map node -> fill colour / text. With ``labels`` nodes are
    rounded boxes sized to their text (the font shrinks to fit; below 4 pt the labels are
    dropped); without, markers of area ``node_size`` (points², automatic by default).
    ``highlight`` nodes get a red outline; ``dim_others`` fades every other node and edge.
    ``edge_labels`` maps (u, v) -> text written on the edge near its tail. ``groups`` are
    boxes drawn around sets of nodes. ``legend`` maps label -> colour. ``outlines`` maps
    node -> outline colour (e.g. to mark nodes with a subgraph).
    """
    direction = check_direction(direction)
    if layout is None and pos is None:
        layout = compute_layout(G, direction)
    if layout is not None:
        pos = layout.pos
        direction = layout.direction
    nodes = list(G.nodes)
    missing = [v for v in nodes if v not in pos]
    if missing:
        raise ConfigError(
            f"pos has no position for {len(missing)} node(s), e.g. {missing[0]!r}; "
            f"pass positions for every node of G, or pos=None to compute a layout"
        )
    fig = ax.figure
    xy = np.array([pos[v] for v in nodes], dtype=float).reshape(-1, 2)
    index = {v: i for i, v in enumerate(nodes)}

    # axis limits with a margin, then the scale (inches per layout unit) on each axis
    margin = 0.7
    if len(xy):
        xmin, ymin = xy.min(axis=0) - margin
        xmax, ymax = xy.max(axis=0) + margin
        if layout is not None and layout.pos is pos:  # edges routed outside the nodes stay in view
            lx0, lx1, ly0, ly1 = layout.extent()
            xmin, xmax = min(xmin, lx0 - margin / 2), max(xmax, lx1 + margin / 2)
            ymin, ymax = min(ymin, ly0 - margin / 2), max(ymax, ly1 + margin / 2)
    else:
        xmin, xmax, ymin, ymax = -1.0, 1.0, -1.0, 1.0
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_axis_off()
    box = ax.get_position()
    sx = fig.get_figwidth() * box.width / (xmax - xmin)
    sy = fig.get_figheight() * box.height / (ymax - ymin)

    # colours, highlight, dimming
    colors = colors or {}
    face = np.array([lighten(colors.get(v, DEFAULT_NODE_COLOR), 0.0) for v in nodes]).reshape(-1, 4)
    highlighted = set(highlight) if highlight is not None else set()
    hl = np.array([v in highlighted for v in nodes], dtype=bool)
    if dim_others and highlighted:
        face[~hl] = [lighten(tuple(c), 0.72) for c in face[~hl]]
    outlines = outlines or {}
    dim = dim_others and bool(highlighted)
    edgecol = [HIGHLIGHT_COLOR if v in highlighted else
               (lighten(outlines.get(v, OUTLINE_COLOR), 0.55) if dim else outlines.get(v, OUTLINE_COLOR))
               for v in nodes]
    lw_scale = 1.0

    # node size: text boxes (labelled) or markers
    labelled = labels is not None and len(nodes) > 0
    font = None
    half = np.zeros((len(nodes), 2))
    if labelled:
        texts_s = [str(labels.get(v, v)) for v in nodes]
        extents = [_text_extent(t) for t in texts_s]
        w10 = np.array([e[0] for e in extents])
        nlines = max(e[1] for e in extents)
        along, across = _BOX_LIMITS["LR" if direction in ("LR", "RL") else "TB"]
        max_w, max_h = (along, across) if direction in ("LR", "RL") else (across, along)
        # width(f) = f * (w10/10 + pad), height(f) = f * (lines * 1.25 + pad) / 72
        per_pt_w = w10.max() / 10 + 1.1 / 72
        per_pt_h = (nlines * 1.22 + 0.8) / 72
        fit = min(max_w * sx / per_pt_w, max_h * sy / per_pt_h)
        font = float(min(font_size or DEFAULT_FONT, fit))
        if font < MIN_FONT:
            labelled, font = False, None
    if labelled:
        w_in = np.maximum(w10 / 10 * font + 1.1 * font / 72, 0.62 * (w10.max() / 10 * font + 1.1 * font / 72))
        h_in = per_pt_h * font
        half = np.column_stack([w_in / 2 / sx, np.full(len(nodes), h_in / 2 / sy)])
        lw_scale = min(1.0, font / DEFAULT_FONT) ** 0.5
        rounding = min(0.06, 0.25 * h_in)
        patches = [
            FancyBboxPatch(
                (x - hw, y - hh), 2 * hw, 2 * hh,
                boxstyle=f"round,pad=0,rounding_size={rounding / sx}",
                mutation_aspect=sx / sy,
            )
            for (x, y), (hw, hh) in zip(xy, half)
        ]
        node_coll = PatchCollection(
            patches, facecolors=face, edgecolors=edgecol,
            linewidths=[2.2 * lw_scale if h else 0.8 * lw_scale for h in hl], zorder=2,
        )
        ax.add_collection(node_coll)
        text_color = ["#9a9a9a" if (dim_others and highlighted and not h) else "#111111" for h in hl]
        texts = [
            ax.text(x, y, literal(t), ha="center", va="center", fontsize=font, color=c, zorder=3,
                    linespacing=1.1, clip_on=True)
            for (x, y), t, c in zip(xy, texts_s, text_color)
        ]
    else:
        if node_size is None:
            d_pt = 0.45 * min(sx, sy) * 72
            node_size = float(np.clip(d_pt, 4.5, 18.0) ** 2)
        radius_in = np.sqrt(node_size) / 72 / 2
        half = np.tile([radius_in / sx, radius_in / sy], (len(nodes), 1))
        lw_scale = 0.5
        node_coll = ax.scatter(
            xy[:, 0] if len(xy) else [], xy[:, 1] if len(xy) else [], s=node_size, c=face if len(face) else None,
            edgecolors=edgecol if len(nodes) else None,
            linewidths=[1.6 if h else 0.3 for h in hl], zorder=2, marker="o",
        )
        texts = []
    box_size = {v: (2 * half[i, 0], 2 * half[i, 1]) for i, v in enumerate(nodes)}

    # edges: polylines along the layout's routes, clipped to the node boxes
    edges = [(u, v) for u, v in G.edges if u != v]
    if layout is not None:
        routes = [np.asarray(layout.routes.get((u, v), [pos[u], pos[v]]), dtype=float) for u, v in edges]
    else:
        routes = [np.array([pos[u], pos[v]], dtype=float) for u, v in edges]
    edge_col = None
    arrow_coll = None
    if edges:
        ui = np.array([index[u] for u, _ in edges])
        vi = np.array([index[v] for _, v in edges])
        first_next = np.array([r[1] for r in routes])
        last_prev = np.array([r[-2] for r in routes])
        starts = _clip_to_box(xy[ui], half[ui], first_next)
        ends = _clip_to_box(xy[vi], half[vi], last_prev)
        segments = []
        for r, s, e in zip(routes, starts, ends):
            pts = r.copy()
            pts[0], pts[-1] = s, e
            segments.append(pts)
        if dim_others and highlighted:
            both = hl[ui] & hl[vi]
            ecolors = [lighten("#333333", 0.0) if b else lighten(EDGE_COLOR, 0.7) for b in both]
            ewidths = [1.4 * lw_scale if b else 0.8 * lw_scale for b in both]
        else:
            ecolors = [lighten(EDGE_COLOR, 0.0)] * len(edges)
            ewidths = [(1.0 if labelled else 0.5) * lw_scale] * len(edges)
        edge_col = LineCollection(segments, colors=ecolors, linewidths=ewidths, zorder=1,
                                  capstyle="butt", joinstyle="round")
        ax.add_collection(edge_col)
        if labelled:
            # arrowheads: small triangles at the head of each edge, pointing along its last
            # segment (computed in inches so they keep their shape on unequal axis scales)
            d = (ends - last_prev) * [sx, sy]
            norm = np.linalg.norm(d, axis=1, keepdims=True)
            u = np.where(norm > 1e-9, d / np.maximum(norm, 1e-9), [0.0, -1.0])
            perp = np.column_stack([-u[:, 1], u[:, 0]])
            length, width = 0.075 * lw_scale, 0.032 * lw_scale
            tip = ends * [sx, sy]
            base = tip - u * length
            tris = np.stack([tip, base + perp * width, base - perp * width], axis=1) / [sx, sy]
            arrow_coll = PolyCollection(list(tris), facecolors=ecolors, edgecolors="none", zorder=1.5)
            ax.add_collection(arrow_coll)

        if edge_labels:
            efont = max(MIN_FONT, 0.82 * (font or DEFAULT_FONT))
            for k, (u_, v_) in enumerate(edges):
                text = edge_labels.get((u_, v_))
                if not text:
                    continue
                p, q = segments[k][0], segments[k][1]
                mid = p + (q - p) * (0.5 if len(segments[k]) > 2 else 0.45)
                if direction in ("LR", "RL"):  # above the (mostly horizontal) edge
                    where = dict(x=mid[0], y=mid[1] + 0.03 / sy, ha="center", va="bottom")
                else:  # right of the (mostly vertical) edge
                    where = dict(x=mid[0] + 0.04 / sx, y=mid[1], ha="left", va="center")
                ax.text(
                    s=literal(text), fontsize=efont, color="#3b3b3b", zorder=4, clip_on=True,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85), **where,
                )

    # groups: rounded boxes around sets of nodes
    for g in groups or ():
        members = [index[v] for v in g.nodes if v in index]
        if not members:
            continue
        lo = (xy[members] - half[members]).min(axis=0)
        hi = (xy[members] + half[members]).max(axis=0)
        # an outline box hugs its nodes, so boxes of neighbouring groups do not overlap
        pad_in = 0.09 if g.style in ("dashed", "filled") else 0.03
        pad = np.array([pad_in / sx, pad_in / sy])
        lo, hi = lo - pad, hi + pad
        filled = g.style == "filled"
        patch = FancyBboxPatch(
            tuple(lo), *(hi - lo),
            boxstyle=f"round,pad=0,rounding_size={0.08 / sx}", mutation_aspect=sx / sy,
            facecolor=lighten(g.color, 0.8) if filled else "none",
            edgecolor=g.color, linewidth=1.0 if filled else 1.5,
            linestyle="solid" if filled else g.style, zorder=0.5 if filled else 2.5,
            alpha=0.9,
        )
        ax.add_patch(patch)
        if g.label:
            ax.text(lo[0], hi[1] + 0.03 / sy, literal(g.label), fontsize=max(MIN_FONT, 0.85 * (font or DEFAULT_FONT)),
                    color=g.color, ha="left", va="bottom", fontweight="bold", zorder=4, clip_on=False)

    leg = None
    if legend:
        handles = [Patch(facecolor=c, edgecolor=OUTLINE_COLOR, linewidth=0.6, label=literal(lbl))
                   for lbl, c in legend.items()]
        leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                        fontsize=8.5, title=literal(legend_title) if legend_title else None, title_fontsize=9, borderaxespad=0.3)
    return DagArtists(
        pos=dict(pos), nodes=nodes, node_collection=node_coll, edge_collection=edge_col,
        arrow_collection=arrow_coll, texts=texts, facecolors=face, labelled=labelled, font_size=font,
        box_size=box_size, highlighted=highlighted, legend=leg, layout=layout,
    )


def set_title(ax, text: str, *, fontsize: float = 10) -> None:
    """A left-aligned axes title, drawn literally and wrapped to the axes' width."""
    width_in = ax.get_position().width * ax.figure.get_figwidth()
    chars = int(width_in / (CHAR_IN * fontsize / 10))
    ax.set_title(literal(wrap(text, chars)), loc="left", fontsize=fontsize)
