"""Look of the fusion pictures: colours by fusion kind, labels, counts, and the figure frame that
fits several panels into a notebook's width.

Colour says what kind of fusion made a layer (one legend for the whole picture); which ONNX
nodes form one engine layer is drawn, not coloured: an outlined box around them, and the layer's
number (``#12``) on its ONNX nodes and on the engine node.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from matplotlib.patches import Patch

from .colors import op_color
from .drawing import MAX_WIDTH_IN, new_figure
from .fusion_graphs import INSERTED_KINDS, is_pseudo, shown_layers
from .render import HIGHLIGHT_COLOR, OUTLINE_COLOR, figure_size_for
from .text import CHAR_IN, literal, tail, wrap

if TYPE_CHECKING:  # pragma: no cover
    from ..fusion import FusedLayer, FusionReport

__all__ = ["KIND_COLORS", "kind_color", "layer_colors", "legend_entries", "layer_label", "onnx_label", "pseudo_label",
           "count_sentence", "kind_counts", "frame"]

#: fill per fusion kind; "single" is a layer of one ONNX node (nothing fused)
KIND_COLORS: dict[str, str] = {
    "vertical": "#8ec1ec",
    "horizontal": "#f7b267",
    "pointwise": "#9fdc9f",
    "myelin": "#c9b3e6",
    "single": "#e6ebf1",
    "reformat": "#9a9a9a",
    "sync": "#cfcfcf",
}
VANISHED_COLOR = "#ffffff"
UNMAPPED_COLOR = "#eeeeee"
UNACCOUNTED_OUTLINE = "#c0392b"
PSEUDO_COLOR = "#ffffff"
PSEUDO_OUTLINE = "#999999"
GROUP_OUTLINE = "#3d3d3d"

_KIND_MEANING = {
    "vertical": "vertical fusion (a chain in one kernel)",
    "horizontal": "horizontal fusion (sibling branches)",
    "pointwise": "pointwise fusion",
    "myelin": "Myelin region",
    "single": "one ONNX node, not fused",
    "reformat": "reformat (inserted by TensorRT)",
}


def kind_color(kind: str) -> str:
    """The fill of a fusion kind (a stable hashed colour for kinds this module does not know)."""
    return KIND_COLORS.get(str(kind)) or op_color(str(kind))


def legend_entries(kinds: Iterable[str], *, vanished: bool = False, unmapped: bool = False) -> dict[str, str]:
    """Legend label -> colour for the kinds drawn, in the fixed order of :data:`KIND_COLORS`."""
    present = set(kinds)
    ordered = [k for k in KIND_COLORS if k in present] + sorted(present - set(KIND_COLORS))
    out = {_KIND_MEANING.get(k, k): kind_color(k) for k in ordered if k != "sync"}
    if vanished:
        out["vanished (no kernel)"] = VANISHED_COLOR
    if unmapped:
        out["no engine layer found"] = UNMAPPED_COLOR
    return out


def pseudo_label(v) -> str:
    if v[0] == "gone":
        return "Concat\n(no kernel)"
    return f"{'input' if v[0] == 'in' else 'output'}\n{tail(v[1], 20)}"


def onnx_label(op_type: str, name: str, layer: FusedLayer | None, reason: str | None = None) -> str:
    """``op type -> #layer`` over the node's name (and why it vanished)."""
    head = f"{op_type} \u2192 #{layer.index}" if layer is not None else op_type
    return f"{head}\n{tail(name)}" + (f"\n({reason})" if reason else "")


def layer_label(r: FusedLayer, limit: int = 24) -> str:
    """``#index pattern`` over the name of the layer's first ONNX node (``\u00d7n`` branches)."""
    if r.kind == "reformat":
        return ""
    head = f"#{r.index} {r.short}" if r.short else f"#{r.index}"
    if not r.onnx_nodes:
        return f"#{r.index} ?\n{tail(r.name, limit)}"
    if len(r.onnx_nodes) == 1:
        return f"{head}\n{tail(r.onnx_nodes[0], limit)}"
    if r.kind == "horizontal":
        prefix = _common_prefix(r.onnx_nodes)
        name = f"{prefix}\u2026" if len(prefix) >= 3 else r.onnx_nodes[0]
        return f"#{r.index} {r.short.split('||')[0]} \u00d7{len(r.groups)}\n{tail(name, limit - 4)}"
    return f"{head}\n{tail(r.onnx_nodes[0], limit - 2)} \u2026"


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def kind_counts(report: FusionReport, nodes: Iterable) -> str:
    counts = Counter(report.layers[i].kind for i in nodes if not is_pseudo(i))
    return ", ".join(f"{n} {k}" for k, n in counts.most_common())


def count_sentence(report: FusionReport) -> str:
    """One sentence that counts the engine's layers and names what the pictures leave out."""
    counts = getattr(report, "counts", None)
    if callable(counts):
        return counts().sentence()
    return _local_count_sentence(report)


def _local_count_sentence(report: FusionReport) -> str:
    shown = shown_layers(report)
    kinds = Counter(r.kind for r in report.layers if r.index in shown)
    total = len(report.layers)
    drawn = sum(n for k, n in kinds.items() if k != "sync")
    computing = drawn - kinds.get("reformat", 0)
    parts = [f"{total} engine layers: {drawn} drawn ({computing} computing, {kinds.get('reformat', 0)} reformat)"]
    if kinds.get("sync"):
        parts.append(f"{kinds['sync']} sync layers left out (stream signal/wait: they run no kernel)")
    if len(shown) < total:
        parts.append(f"{total - len(shown)} copies for other shape profiles left out")
    return "; ".join(parts)


# ---------------------------------------------------------------------- the frame
_HEAD_FONT = 11
_GAP_IN = 0.15
_MARGIN_IN = 0.08  # text keeps this far from the picture's left edge
_MIN_SCALE = 0.62  # narrower than this share of their natural width, panels are stacked instead


def _lines(text: str | None, width_in: float, fontsize: float) -> tuple[str, int]:
    if not text:
        return "", 0
    wrapped = wrap(text, int(width_in / (CHAR_IN * fontsize / 10)))
    return wrapped, wrapped.count("\n") + 1


def _arrange(layouts, labelled: bool, figsize) -> tuple[list[tuple[float, float]], bool]:
    """Panel sizes (inches) and whether they are stacked (True) or side by side."""
    if figsize is not None:
        w, h = figsize
        return [(w / len(layouts), h)] * len(layouts), False
    sizes = [figure_size_for(lay, labelled=labelled, max_width=MAX_WIDTH_IN, max_height=36.0) for lay in layouts]
    total = sum(w for w, _ in sizes) + _GAP_IN * (len(sizes) - 1)
    if total <= MAX_WIDTH_IN:
        return sizes, False
    scale = (MAX_WIDTH_IN - _GAP_IN * (len(sizes) - 1)) / (total - _GAP_IN * (len(sizes) - 1))
    if scale >= _MIN_SCALE or len(sizes) == 1:
        return [(w * scale, h) for w, h in sizes], False
    return sizes, True


def frame(layouts, *, labelled: bool, figsize, head: str, panel_titles: list[str],
          legend: Mapping[str, str] | None = None, note: str | None = None):
    """A figure at most :data:`MAX_WIDTH_IN` wide with one axes per layout: side by side when they
    fit (scaled down a little if needed), else stacked. Above the panels: the wrapped ``head``,
    an optional red ``note`` and a one-row-per-fit legend; each panel gets its wrapped title.
    Returns (figure, axes)."""
    sizes, stacked = _arrange(layouts, labelled, figsize)
    width = max(w for w, _ in sizes) if stacked else sum(w for w, _ in sizes) + _GAP_IN * (len(sizes) - 1)
    width = max(width, 4.0)
    head, head_lines = _lines(head, width - 2 * _MARGIN_IN, _HEAD_FONT * 1.08)  # bold is wider
    note, note_lines = _lines(note, width, 9)
    ncol, legend_rows = _legend_grid(legend, width)
    title_h = [0.12 + 0.19 * _lines(t, w - _MARGIN_IN, 10)[1] for t, (w, _) in zip(panel_titles, sizes)]
    top_h = 0.1 + 0.23 * head_lines + 0.17 * note_lines + 0.24 * legend_rows
    if stacked:
        height = top_h + sum(th + h for th, (_, h) in zip(title_h, sizes))
    else:
        height = top_h + max(title_h) + max(h for _, h in sizes)
    fig = new_figure((width, height))
    axes = []
    x, y = 0.0, height - top_h
    for (w, h), th, title in zip(sizes, title_h, panel_titles):
        top = y - (th if stacked else max(title_h))
        ax = fig.add_axes((x / width, (top - h) / height, w / width, h / height))
        fig.text((x + _MARGIN_IN) / width, (y - 0.06) / height, literal(_lines(title, w - _MARGIN_IN, 10)[0]),
                 ha="left", va="top", fontsize=10)
        axes.append(ax)
        if stacked:
            y = top - h
        else:
            x += w + _GAP_IN
    _write_header(fig, height, head, note, head_lines, note_lines, legend, ncol)
    return fig, axes


def _legend_grid(legend, width: float) -> tuple[int, int]:
    if not legend:
        return 1, 0
    entry_in = max(len(label) for label in legend) * 0.068 + 0.45
    ncol = max(1, min(len(legend), int(width // entry_in)))
    return ncol, math.ceil(len(legend) / ncol)


def _write_header(fig, height, head, note, head_lines, note_lines, legend, ncol) -> None:
    y = 1 - 0.06 / height
    x = _MARGIN_IN / fig.get_figwidth()
    if head:
        fig.text(x, y, literal(head), ha="left", va="top", fontsize=_HEAD_FONT, fontweight="bold")
        y -= 0.23 * head_lines / height
    if note:
        fig.text(x, y, literal(note), ha="left", va="top", fontsize=9, color=UNACCOUNTED_OUTLINE)
        y -= 0.17 * note_lines / height
    if legend:
        handles = [Patch(facecolor=c, edgecolor=OUTLINE_COLOR, linewidth=0.6, label=literal(lbl))
                   for lbl, c in legend.items()]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(x * 0.5, y), ncol=ncol, frameon=False,
                   fontsize=8.5, handlelength=1.4, columnspacing=1.0, borderaxespad=0.1, borderpad=0.1)


def highlight_outline(r: FusedLayer, hl_layer: FusedLayer | None) -> str:
    """Outline of a fused group's box: red for the highlighted layer, dark grey otherwise."""
    return HIGHLIGHT_COLOR if hl_layer is not None and r.index == hl_layer.index else GROUP_OUTLINE


def is_inserted(r: FusedLayer) -> bool:
    return r.kind in INSERTED_KINDS


def layer_colors(report: FusionReport) -> dict[int, str]:
    """Engine layer index -> the fill it is drawn with (the colour of its fusion kind)."""
    return {r.index: kind_color(r.kind) for r in report.layers}
