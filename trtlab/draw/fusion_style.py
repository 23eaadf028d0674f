"""Look of the fusion pictures: colours by fusion kind, labels, counts, and counts.

Colour says what kind of fusion made a layer (one legend for the whole picture); which ONNX
nodes form one engine layer is drawn, not coloured: an outlined box around them, and the layer's
number (``#12``) on its ONNX nodes and on the engine node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .colors import op_color
from .fusion_graphs import is_pseudo, shown_layers
from .render import HIGHLIGHT_COLOR
from .text import tail

if TYPE_CHECKING:  # pragma: no cover
    from ..fusion import FusedLayer, FusionReport

__all__ = ["KIND_COLORS", "kind_color", "layer_colors", "legend_entries", "layer_label", "onnx_label", "pseudo_label",
           "count_sentence", "left_out_clause", "kind_counts"]

#: fill per fusion kind; "single" is a layer of one ONNX node (nothing fused)
KIND_COLORS: dict[str, str] = {
    "vertical": "#8ec1ec",
    "horizontal": "#f7b267",
    "pointwise": "#9fdc9f",
    "myelin": "#c9b3e6",
    "single": "#e6ebf1",
    "noop": "#f5f5f0",
    "reformat": "#9a9a9a",
    "internal": "#d8c8a8",
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
    "noop": "network node run as a no-op (no kernel)",
    "reformat": "reformat (inserted by TensorRT)",
    "internal": "Myelin internal (bookkeeping)",
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
        return f"#{r.index} {r.kind if r.is_inserted else '?'}\n{tail(r.name, limit)}"
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
    """The engine's layer counts in one sentence, and which of its layers no picture shows."""
    return report.counts().sentence() + left_out_clause(
        sum(1 for r in report.layers if r.kind == "sync"), len(report.layers) - len(shown_layers(report)))


def left_out_clause(sync: int, other_profiles: int) -> str:
    """``"; not drawn: ..."`` naming the layers pictures leave out, or ``""``."""
    parts = (["the sync layers"] if sync else []) + (
        [f"{other_profiles} copies for other shape profiles"] if other_profiles else [])
    return f". Not drawn: {' and '.join(parts)}" if parts else ""


def highlight_outline(r: FusedLayer, hl_layer: FusedLayer | None) -> str:
    """Outline of a fused group's box: red for the highlighted layer, dark grey otherwise."""
    return HIGHLIGHT_COLOR if hl_layer is not None and r.index == hl_layer.index else GROUP_OUTLINE


def layer_colors(report: FusionReport) -> dict[int, str]:
    """Engine layer index -> the fill it is drawn with (the colour of its fusion kind)."""
    return {r.index: kind_color(r.kind) for r in report.layers}
