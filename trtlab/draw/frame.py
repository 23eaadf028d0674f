"""The frame of a picture with several panels: a wrapped heading, a legend row, and panels side
by side when they fit a notebook's width (scaled down a little if needed), stacked otherwise."""

from __future__ import annotations

import math
from collections.abc import Mapping

from matplotlib.patches import Patch

from .drawing import MAX_WIDTH_IN, new_figure
from .render import OUTLINE_COLOR, figure_size_for
from .text import CHAR_IN, literal, wrap

__all__ = ["frame", "size_for_labels"]

NOTE_COLOR = "#c0392b"
#: panels that need more room for their labels grow up to this tall (inches); the notebook scrolls
MAX_HEIGHT_IN = 90.0
_HEAD_FONT = 11
_GAP_IN = 0.15
_MARGIN_IN = 0.08  # text keeps this far from the picture's left edge
_MIN_SCALE = 0.55  # narrower than this share of their natural width, panels are stacked instead


def _lines(text: str | None, width_in: float, fontsize: float) -> tuple[str, int]:
    if not text:
        return "", 0
    wrapped = wrap(text, int(width_in / (CHAR_IN * fontsize / 10)))
    return wrapped, wrapped.count("\n") + 1


def _arrange(layouts, labelled: bool, figsize, min_sizes=None) -> tuple[list[tuple[float, float]], bool]:
    """Panel sizes (inches) and whether they are stacked (True) or side by side."""
    if figsize is not None:
        w, h = figsize
        return [((w - _GAP_IN * (len(layouts) - 1)) / len(layouts), h)] * len(layouts), False
    sizes = [figure_size_for(lay, labelled=labelled, max_width=MAX_WIDTH_IN, max_height=36.0) for lay in layouts]
    if min_sizes is not None:
        sizes = [(min(MAX_WIDTH_IN, max(w, mw)), min(MAX_HEIGHT_IN, max(h, mh)))
                 for (w, h), (mw, mh) in zip(sizes, min_sizes)]
    total = sum(w for w, _ in sizes) + _GAP_IN * (len(sizes) - 1)
    if total <= MAX_WIDTH_IN:
        return sizes, False
    scale = (MAX_WIDTH_IN - _GAP_IN * (len(sizes) - 1)) / (total - _GAP_IN * (len(sizes) - 1))
    if scale >= _MIN_SCALE or len(sizes) == 1:
        return [(w * scale, h) for w, h in sizes], False
    return sizes, True


def frame(layouts, *, labelled: bool, figsize, head: str, panel_titles: list[str],
          legend: Mapping[str, str] | None = None, note: str | None = None, subhead: str | None = None,
          min_sizes=None, legend_title: str | None = None):
    """A figure at most :data:`MAX_WIDTH_IN` wide with one axes per layout: side by side when they
    fit (scaled down a little if needed), else stacked. Above the panels: the wrapped ``head``,
    an optional ``subhead`` (plain text), an optional red ``note`` and a legend in as few rows as
    fit; each panel gets its wrapped title.
    ``min_sizes`` ((width, height) inches per panel) enlarge panels whose labels need more room. Returns
    (figure, axes)."""
    sizes, stacked = _arrange(layouts, labelled, figsize, min_sizes)
    width = max(w for w, _ in sizes) if stacked else sum(w for w, _ in sizes) + _GAP_IN * (len(sizes) - 1)
    width = max(width, 4.0)
    head, head_lines = _lines(head, width - 2 * _MARGIN_IN, _HEAD_FONT * 1.08)  # bold is wider
    note, note_lines = _lines(note, width - 2 * _MARGIN_IN, 9)
    subhead, sub_lines = _lines(subhead, width - 2 * _MARGIN_IN, 9.5)
    ncol, legend_rows = _legend_grid(legend, width)
    legend_rows += 1 if (legend and legend_title) else 0
    title_h = [0.12 + 0.19 * _lines(t, w - _MARGIN_IN, 10)[1] for t, (w, _) in zip(panel_titles, sizes)]
    top_h = 0.1 + 0.23 * head_lines + 0.18 * sub_lines + 0.17 * note_lines + 0.24 * legend_rows
    if figsize is not None:  # the caller's size is the whole picture's: panels get what is left
        sizes = [(w, max(1.0, figsize[1] - top_h - max(title_h))) for w, _ in sizes]
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
    _write_header(fig, height, [(head, head_lines, 0.23, {"fontsize": _HEAD_FONT, "fontweight": "bold"}),
                                (subhead, sub_lines, 0.18, {"fontsize": 9.5, "color": "#333333"}),
                                (note, note_lines, 0.17, {"fontsize": 9, "color": NOTE_COLOR})],
                  legend, ncol, legend_title)
    return fig, axes


def _legend_grid(legend, width: float) -> tuple[int, int]:
    if not legend:
        return 1, 0
    entry_in = max(len(label) for label in legend) * 0.068 + 0.45
    ncol = max(1, min(len(legend), int(width // entry_in)))
    return ncol, math.ceil(len(legend) / ncol)


def _write_header(fig, height, texts, legend, ncol, legend_title=None) -> None:
    """The heading lines (text, line count, inches per line, font keywords), then the legend."""
    y = 1 - 0.06 / height
    x = _MARGIN_IN / fig.get_figwidth()
    for text, lines, line_in, font in texts:
        if text:
            fig.text(x, y, literal(text), ha="left", va="top", **font)
            y -= line_in * lines / height
    if legend:
        handles = [Patch(facecolor=c, edgecolor=OUTLINE_COLOR, linewidth=0.6, label=literal(lbl))
                   for lbl, c in legend.items()]
        fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(x * 0.5, y), ncol=ncol, frameon=False,
                   fontsize=8.5, handlelength=1.4, columnspacing=1.0, borderaxespad=0.1, borderpad=0.1,
                   title=literal(legend_title) if legend_title else None, title_fontsize=9, alignment="left")


def size_for_labels(layout, labels, *, font: float = 8.0) -> tuple[float, float]:
    """The panel size (inches) at which the largest of ``labels`` fits its node box at ``font`` pt
    in a top-to-bottom layout (a box may take 0.92 of a layout unit across, 0.62 along)."""
    labels = [str(text) for text in labels]
    if not labels or layout.direction not in ("TB", "BT"):
        return (0.0, 0.0)
    chars = max(len(line) for text in labels for line in text.split("\n"))
    lines = max(text.count("\n") + 1 for text in labels)
    xmin, xmax, ymin, ymax = layout.extent()
    width = (xmax - xmin + 1.4) * (chars * CHAR_IN * font / 10 + 0.15) / 0.92
    height = (ymax - ymin + 1.4) * (lines * 1.22 + 0.8) / 72 * font / 0.62
    return (width, height)
