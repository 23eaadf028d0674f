"""Before/after pictures of a fusion report: side by side, overlay, and the overview of big graphs.

Colour is the fusion kind of the engine layer that absorbed an ONNX node (one legend for the
picture); the nodes of one engine layer are boxed together and carry its number (``#12``), which
is also on the layer's node in the engine panel. Horizontal fusions are dashed boxes in the ONNX
panel and one outlined node in the engine panel; reformat layers are small grey diamonds;
vanished ONNX nodes are white, unaccounted ones have a red outline. ``mode="stages"`` is
:func:`trtlab.draw.fusion_stages.draw_stages`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from .._boundary import boundary
from ..errors import ConfigError, TrtlabError
from .contract import contract, prefix_blocks
from .drawing import Drawing
from .fusion_graphs import engine_graph, focus_nodes, is_pseudo, resolve_highlight, with_io
from .fusion_panels import LABEL_LIMIT, engine_panel, onnx_panel
from .fusion_stages import draw_stages
from .frame import frame
from .fusion_style import UNMAPPED_COLOR, count_sentence, kind_counts, legend_entries
from .layout import compute_layout
from .render import draw_dag
from .text import tail

if TYPE_CHECKING:  # pragma: no cover
    from ..fusion import FusedLayer, FusionReport

__all__ = ["draw_report", "draw_stages", "MODES", "OVERVIEWS"]

MODES = ("side-by-side", "overlay", "stages")
OVERVIEWS = (None, True, False, "prefix", "markers")
_BLOCK_COLOR = "#e3eaf3"
_HINT = "Try focus= on a part of the network."


def draw_report(report: FusionReport, highlight=None, mode: str = "side-by-side", *, focus=None,
                direction: str = "TB", figsize=None, title: str | None = None, overview=None) -> Drawing:
    """Draw a :class:`~trtlab.fusion.FusionReport`; see :meth:`FusionReport.draw`."""
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r} is not one of {', '.join(MODES)}")
    if overview not in OVERVIEWS:
        raise ConfigError(f"overview={overview!r} is not one of None (automatic), True, False, 'prefix', 'markers'")
    if mode == "stages":
        return draw_stages(report, focus=focus, direction=direction, figsize=figsize, title=title,
                           highlight=highlight)
    with boundary(TrtlabError, "drawing the fusion report", _HINT):
        keep = focus_nodes(report, focus)
        hl_layer = resolve_highlight(report, highlight)
        if mode == "overlay":
            return _overlay(report, keep, hl_layer, direction, figsize, title)
        if overview in (None, True, "prefix") and (overview is not None or len(keep) > LABEL_LIMIT):
            blocks = prefix_blocks(keep)
            if blocks is not None:
                return _overview(report, keep, blocks, hl_layer, focus, direction, figsize, title)
        return _side_by_side(report, keep, hl_layer, focus, direction, figsize, title)


def _model_name(report: FusionReport) -> str:
    return getattr(report.onnx_graph, "name", "") or "model"


def _subhead(report: FusionReport, hl_layer: FusedLayer | None, text: str = "") -> str:
    """The layer counts (and the highlighted layer) under the heading."""
    text = f"{count_sentence(report)}. {text}".strip()
    if hl_layer is not None:
        text += (f"\nhighlighted (red outline): layer #{hl_layer.index} '{tail(hl_layer.name, 70)}' "
                 f"({hl_layer.kind}, {hl_layer.short})")
    return text


def _mismatch(report: FusionReport) -> str | None:
    return "MISMATCH: " + (report.mismatch_reason or "") if report.is_mismatch else None


def _legend(report: FusionReport, part, engine=()) -> dict[str, str]:
    kinds = {report.layers[i].kind for i in engine if not is_pseudo(i)}
    vanished = {v.name for v in report.vanished}
    unmapped = False
    for v in part:
        if is_pseudo(v):
            continue
        layer = report.layer_of(v)
        if layer is not None:
            kinds.add(layer.kind)
        unmapped |= layer is None and v not in vanished
    return legend_entries(kinds, vanished=any(v in vanished for v in part), unmapped=unmapped)


def _overlay(report, keep, hl_layer, direction, figsize, title) -> Drawing:
    part = with_io(report, keep)
    layout = compute_layout(part, direction)
    labelled = len(part) <= LABEL_LIMIT
    head = title or (f"{_model_name(report)}: the ONNX graph coloured by the fusion kind of its engine layer, "
                     f"each layer's nodes boxed and numbered #layer; coverage {100 * report.coverage:.0f}%")
    fig, (ax,) = frame([layout], labelled=labelled, figsize=figsize, head=head,
                       subhead=_subhead(report, hl_layer), panel_titles=[f"ONNX graph ({len(keep)} nodes)"],
                       legend=_legend(report, part), note=_mismatch(report))
    artists, groups = onnx_panel(report, ax, part, layout, hl_layer)
    return Drawing(fig, ax=ax, artists=artists, nodes=[v for v in part if not is_pseudo(v)],
                   mode="labels" if labelled else "markers", panels={"onnx": artists, "onnx_groups": groups},
                   tight=False)


def _side_by_side(report, keep, hl_layer, focus, direction, figsize, title) -> Drawing:
    part = with_io(report, keep)
    engine = engine_graph(report, focus)
    layouts = [compute_layout(part, direction), compute_layout(engine, direction)]
    labelled = max(len(part), len(engine)) <= LABEL_LIMIT
    n_layers = sum(1 for i in engine if not is_pseudo(i))
    head = title or f"{_model_name(report)} before and after fusion (coverage {100 * report.coverage:.0f}%)"
    fig, (ax1, ax2) = frame(
        layouts, labelled=labelled, figsize=figsize, head=head, subhead=_subhead(report, hl_layer),
        panel_titles=[f"before: ONNX graph, {len(keep)} nodes",
                      f"after: engine, {n_layers} layers ({kind_counts(report, engine)})"],
        legend=_legend(report, part, engine), note=_mismatch(report))
    art1, groups = onnx_panel(report, ax1, part, layouts[0], hl_layer)
    art2 = engine_panel(report, ax2, engine, layouts[1], hl_layer)
    nodes = [v for v in part if not is_pseudo(v)] + [report.layers[i].name for i in engine if not is_pseudo(i)]
    return Drawing(fig, ax=ax1, artists=art1, nodes=nodes, mode="labels" if labelled else "markers",
                   panels={"onnx": art1, "engine": art2, "onnx_groups": groups}, tight=False)


# ---------------------------------------------------------------------- overview of big graphs
def _overview(report, keep, blocks, hl_layer, focus, direction, figsize, title) -> Drawing:
    """Big graphs: one box per name prefix in both panels, each box saying how many ONNX nodes
    became how many engine layers, and which fusions."""
    onnx_part = report.onnx_graph.nx.subgraph(keep)
    onnx_blocks, onnx_members = contract(onnx_part, blocks.get)
    engine = engine_graph(report, focus)
    engine_block = _engine_blocks(report, engine, blocks)
    engine_blocks, engine_members = contract(engine, engine_block.get, bridge=True)
    labels1 = {b: f"{tail(b, 22)}\n{_count(len(onnx_members[b]), 'node')}" for b in onnx_blocks}
    labels2 = {b: _block_text(b, [report.layers[i] for i in engine_members[b]]) for b in engine_blocks}
    highlighted = set()
    if hl_layer is not None and hl_layer.onnx_nodes:
        first = hl_layer.onnx_nodes[0]
        highlighted = {blocks.get(first, first)}
    layouts = [compute_layout(onnx_blocks, direction), compute_layout(engine_blocks, direction)]
    labelled = max(len(onnx_blocks), len(engine_blocks)) <= LABEL_LIMIT
    n_layers = sum(1 for i in engine if not is_pseudo(i))
    head = title or (f"{_model_name(report)} overview: one box per name prefix ({len(onnx_blocks)} boxes), "
                     f"coverage {100 * report.coverage:.0f}%")
    fig, (ax1, ax2) = frame(layouts, labelled=labelled, figsize=figsize, head=head,
                            subhead=_subhead(report, hl_layer, "Pass focus=... to see one block's layers."),
                            panel_titles=[f"before: {len(onnx_part)} ONNX nodes",
                                          f"after: {n_layers} engine layers ({kind_counts(report, engine)})"],
                            note=_mismatch(report))
    art1 = draw_dag(onnx_blocks, ax=ax1, layout=layouts[0], colors=_block_colors(onnx_blocks, onnx_members),
                    labels=labels1 if labelled else None, highlight=highlighted, dim_others=bool(highlighted))
    art2 = draw_dag(engine_blocks, ax=ax2, layout=layouts[1], colors=_block_colors(engine_blocks, engine_members),
                    labels=labels2 if labelled else None, highlight=highlighted & set(engine_blocks),
                    dim_others=bool(highlighted))
    return Drawing(fig, ax=ax1, artists=art1, nodes=list(onnx_blocks) + list(engine_blocks), mode="prefix",
                   note=f"overview: {len(onnx_part)} nodes in {len(onnx_blocks)} boxes",
                   panels={"onnx": art1, "engine": art2, "onnx_groups": []}, tight=False)


def _engine_blocks(report: FusionReport, engine, blocks: dict) -> dict:
    """Engine layer -> the block of its first ONNX node (the node itself outside every block);
    layers without ONNX nodes (reformats) join the block of a neighbour."""
    out = {}
    for i in engine:
        if not is_pseudo(i) and report.layers[i].onnx_nodes:
            first = report.layers[i].onnx_nodes[0]
            out[i] = blocks.get(first, first)
    for i in engine:
        if i not in out and not is_pseudo(i):
            near = [out[n] for n in list(engine.succ[i]) + list(engine.pred[i]) if n in out]
            if near:
                out[i] = near[0]
    return out


def _block_colors(graph, members: dict) -> dict:
    """Blocks are one neutral colour (their names say which is which); single nodes too."""
    return {b: _BLOCK_COLOR if len(members.get(b, ())) > 1 else UNMAPPED_COLOR for b in graph}


def _block_text(block, layers: list) -> str:
    computing = [r for r in layers if r.kind != "reformat"]
    common = Counter(r.short for r in computing).most_common(3)
    patterns = " ".join(f"{s}\u00d7{n}" if n > 1 else s for s, n in common)
    reformats = len(layers) - len(computing)
    extra = f" +{reformats} RF" if reformats else ""
    return f"{tail(block, 22)}\n{_count(len(computing), 'layer')}{extra}\n{patterns}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")
