"""A timeline of GPU work: one row per stream, a bar per copy or kernel phase.

Used for pipelined inference (host→device copy, compute, device→host copy of each batch,
timed with CUDA events): the bars of one row that overlap bars of another row are work the
GPU did at the same time.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from .drawing import Drawing, new_figure

__all__ = ["PHASE_COLORS", "Span", "draw_timeline"]

PHASE_COLORS = {"h2d": "#4C72B0", "compute": "#55A868", "d2h": "#C44E52"}
_PHASE_LABELS = {"h2d": "host → device", "compute": "compute", "d2h": "device → host"}


class Span(NamedTuple):
    """One phase of one batch on one stream, in ms from the timeline's start."""

    stream: int
    batch: int
    phase: str     # "h2d" | "compute" | "d2h"
    start_ms: float
    end_ms: float


def draw_timeline(spans: Iterable[Span], *, title: str = "GPU timeline", ax=None, label_batches: bool = True):
    """Bars of ``spans``: one row per stream, coloured by phase, labelled with the batch number.

    Returns a :class:`Drawing` (or the given ``ax``).
    """
    spans = list(spans)
    fig = None
    streams = sorted({s.stream for s in spans})
    if ax is None:
        fig = new_figure((8, 0.6 + 0.55 * max(len(streams), 1)))
        ax = fig.add_subplot()
    row = {s: i for i, s in enumerate(streams)}
    for phase, color in PHASE_COLORS.items():
        mine = [s for s in spans if s.phase == phase]
        if not mine:
            continue
        for s in mine:
            ax.broken_barh([(s.start_ms, max(s.end_ms - s.start_ms, 1e-6))], (row[s.stream] - 0.35, 0.7),
                           facecolors=color, edgecolors="white", linewidth=0.5)
        ax.plot([], [], color=color, lw=6, label=_PHASE_LABELS[phase])   # one legend entry per phase
    if label_batches and spans:
        _label_batches(ax, spans, row)
    ax.set_yticks(range(len(streams)), [f"stream {s}" for s in streams])
    ax.set_ylim(-0.6, len(streams) - 0.4)
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    ax.set_title(title)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    if fig is None:
        return ax
    fig.tight_layout()
    return Drawing(fig)


def _label_batches(ax, spans: list[Span], row: dict[int, int]) -> None:
    """The batch number on the widest bar of each batch (when that bar is wide enough to hold it)."""
    width = max(s.end_ms for s in spans) - min(s.start_ms for s in spans) or 1.0
    widest: dict[tuple[int, int], Span] = {}
    for s in spans:
        key = (s.stream, s.batch)
        if key not in widest or s.end_ms - s.start_ms > widest[key].end_ms - widest[key].start_ms:
            widest[key] = s
    for s in widest.values():
        if (s.end_ms - s.start_ms) / width > 0.02:
            ax.text((s.start_ms + s.end_ms) / 2, row[s.stream], str(s.batch), ha="center", va="center",
                    fontsize=7, color="white")
