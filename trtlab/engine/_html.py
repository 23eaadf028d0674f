"""Small HTML table helper for notebook displays (no pandas needed)."""

from __future__ import annotations

from html import escape

MAX_ROWS = 60


def html_table(header: list[str], rows: list[list[object]], *, title: str = "", notes: list[str] = (),
               max_rows: int = MAX_ROWS) -> str:
    """A compact HTML table; rows past ``max_rows`` are left out with a note saying how many."""
    shown = rows[:max_rows]
    parts = ['<div class="trtlab">']
    if title:
        parts.append(f"<b>{escape(title)}</b>")
    for note in notes:
        if note:
            parts.append(f"<div><i>{escape(note)}</i></div>")
    parts.append('<table style="font-size:smaller"><thead><tr>')
    parts += [f'<th style="text-align:left">{escape(h)}</th>' for h in header]
    parts.append("</tr></thead><tbody>")
    for row in shown:
        cells = "".join(f'<td style="text-align:left">{escape("" if v is None else str(v))}</td>' for v in row)
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    if len(rows) > len(shown):
        parts.append(f"<div><i>… {len(rows) - len(shown)} more rows not shown ({len(rows)} in all)</i></div>")
    parts.append("</div>")
    return "".join(parts)


def shorten(text: object, width: int = 80) -> str:
    s = "" if text is None else str(text)
    return s if len(s) <= width else s[: width - 1] + "…"
