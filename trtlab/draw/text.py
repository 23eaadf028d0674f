"""Text that reaches matplotlib: drawn literally, shortened and wrapped legibly.

Every name trtlab draws (ONNX node, engine layer, tensor, title) passes :func:`literal`, because
matplotlib reads text between two ``$`` signs as math: a node named ``cost$a$`` would be drawn in
italics, and ``$\\frac$`` raises inside the renderer.
"""

from __future__ import annotations

import textwrap

__all__ = ["literal", "tail", "path_tail", "middle", "wrap", "CHAR_IN"]

ELLIPSIS = "\u2026"
#: width of an average character at 10 pt, in inches (DejaVu Sans); used to wrap titles
CHAR_IN = 0.085


def literal(text: object) -> str:
    """``text`` as a string that matplotlib draws character for character (``$`` escaped).

    Matplotlib turns ``\\$`` back into ``$`` in text that is not math, so the escaped string is
    drawn exactly as the name reads.
    """
    return str(text).replace("$", "\\$")


def tail(name: object, limit: int = 24) -> str:
    """``name`` cut to ``limit`` characters, keeping its end (``\u2026_3a/relu_3x3``)."""
    s = str(name)
    return s if len(s) <= limit else ELLIPSIS + s[-(limit - 1):]


def path_tail(name: object, limit: int = 24) -> str:
    """A ``/``-separated name shortened to its last whole parts that fit in ``limit`` characters."""
    s = str(name).strip("/")
    if len(s) <= limit:
        return s
    parts = s.split("/")
    kept = parts[-1]
    for p in reversed(parts[:-1]):
        if len(p) + 1 + len(kept) > limit - 1:
            break
        kept = p + "/" + kept
    return tail(kept, limit) if len(kept) > limit - 1 else ELLIPSIS + kept


def middle(name: object, width: int = 48) -> str:
    """``name`` with runs of white space folded, cut in the middle to ``width`` characters, so
    both ends of a long fused name (``Conv_0 + ... + Relu_9``) stay readable."""
    s = " ".join(str(name).split())
    if len(s) <= width:
        return s
    keep = (width - 1) // 2
    return s[:keep] + ELLIPSIS + s[-(width - 1 - keep):]


def wrap(text: str, width_chars: int, max_lines: int | None = None) -> str:
    """``text`` wrapped at ``width_chars`` (existing line breaks kept); beyond ``max_lines`` the
    last line ends in an ellipsis."""
    width_chars = max(12, int(width_chars))
    lines: list[str] = []
    for para in str(text).split("\n"):
        lines += textwrap.wrap(para, width_chars, break_long_words=True, break_on_hyphens=False) or [""]
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width_chars - 1].rstrip() + ELLIPSIS
    return "\n".join(lines)
