"""The GPU timeline drawing: one row per stream, a bar per phase."""

from __future__ import annotations

from matplotlib.collections import PolyCollection

from trtlab.draw.timeline import PHASE_COLORS, Span, draw_timeline


def test_one_row_per_stream_and_a_bar_per_span():
    spans = [Span(0, 0, "h2d", 0.0, 1.0), Span(0, 0, "compute", 1.0, 3.0), Span(0, 0, "d2h", 3.0, 4.0),
             Span(1, 1, "h2d", 1.0, 2.0), Span(1, 1, "compute", 3.0, 5.0), Span(1, 1, "d2h", 5.0, 6.0)]
    d = draw_timeline(spans, title="two lanes")
    ax = d.figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["stream 0", "stream 1"]
    bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bars) == len(spans)
    # bar of stream 1's compute: starts at 3 ms, 2 ms long, in row 1
    extents = sorted(tuple(round(v, 6) for v in c.get_paths()[0].get_extents().bounds) for c in bars)
    assert (3.0, 0.65, 2.0, 0.7) in extents
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["host → device", "compute", "device → host"]
    assert set(PHASE_COLORS) == {"h2d", "compute", "d2h"}
    assert d._repr_png_()[:8] == b"\x89PNG\r\n\x1a\n"
