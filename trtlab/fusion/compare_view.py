"""The picture of an engine comparison: mirrored bars per group of ONNX nodes, coloured by what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from matplotlib.patches import Patch

from ..draw import MAX_WIDTH_IN, Drawing, new_figure
from ..draw.text import literal, middle

if TYPE_CHECKING:  # pragma: no cover
    from .compare import ComparedGroup, EngineComparison

__all__ = ["draw_comparison", "CHANGE_COLORS"]

CHANGE_COLORS = {"same": "#b0b7bf", "time": "#f0a04b", "precision": "#5b8fd9", "fusion": "#9b59b6",
                 "only A": "#d9534f", "only B": "#3fa66a"}


def draw_comparison(cmp: "EngineComparison", top: int = 40, figsize: tuple[float, float] | None = None,
                    title: str | None = None) -> Drawing:
    """Mirrored bars, one line per group: A to the left, B to the right, coloured by what changed;
    each bar ends with the precision its layers compute in."""
    timed = all(t.time_ms is not None for t in cmp.totals)
    rows = _rows_to_draw(cmp.rows, top, timed)
    a_label, b_label = cmp.labels
    fig = new_figure(figsize or (MAX_WIDTH_IN, 1.2 + 0.28 * max(len(rows), 1)))
    ax = fig.add_subplot(1, 1, 1)
    ys = list(range(len(rows)))[::-1]
    for y, r in zip(ys, rows):
        color = CHANGE_COLORS[r.change]
        for sign, layers, t, p in ((-1, r.layers_a, r.time_a, r.precision_a), (1, r.layers_b, r.time_b, r.precision_b)):
            if not layers:
                continue
            width = (t or 0.0) if timed else len(layers)
            ax.barh(y, sign * width, color=color, edgecolor="white", height=0.8)
            ax.text(sign * width, y, literal(f" {p or '?'} "), va="center", ha="left" if sign > 0 else "right",
                    fontsize=7)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(ys, [literal(middle(r.label, 32)) for r in rows], fontsize=7)
    ax.xaxis.set_major_formatter(lambda x, _pos: f"{abs(x):g}")
    what = "time per inference (ms)" if timed else "engine layers"
    ax.set_xlabel(literal(f"<- {a_label}   {what}   {b_label} ->"))
    limit = max([abs(b.get_width()) for b in ax.patches] or [1.0]) * 1.25
    ax.set_xlim(-limit, limit)
    used = dict.fromkeys(r.change for r in rows)
    handles = [Patch(color=CHANGE_COLORS[c], label=literal(cmp.change_label(c))) for c in CHANGE_COLORS if c in used]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, title="changed",
                  title_fontsize=7)
    shown = "" if len(rows) == len(cmp.rows) else f" ({len(rows)} of {len(cmp.rows)} groups)"
    ax.set_title(literal(title or f"{a_label} vs {b_label}: {what} per group of ONNX nodes{shown}"), fontsize=10)
    return Drawing(fig, ax=ax, nodes=[r.label for r in rows], mode="comparison")


def _rows_to_draw(rows: list["ComparedGroup"], top: int, timed: bool) -> list["ComparedGroup"]:
    """At most ``top`` rows in engine order: the slowest when timed, else the changed ones first."""
    if len(rows) <= top:
        return list(rows)
    if timed:
        rank = sorted(rows, key=lambda r: -max(r.time_a or 0.0, r.time_b or 0.0))
    else:
        rank = sorted(rows, key=lambda r: (not r.changes, r.index))
    keep = {r.index for r in rank[:top]}
    return [r for r in rows if r.index in keep]
