"""Before/after pictures of a fusion report: side by side, overlay, and the three-stage lesson.

Each engine layer gets one colour, used for its ONNX nodes (left) and for the layer itself
(right). Horizontal fusions are boxed in the ONNX panel and are one node in the engine panel;
reformat layers are small grey diamonds; ONNX nodes that vanished are white, unaccounted ones
have a red outline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import networkx as nx
from matplotlib import colormaps

from ..draw import Drawing, Group, compute_layout, draw_dag, figure_size_for, new_figure, op_color
from ..errors import ConfigError, TrtlabError
from .patterns import short_pattern
from .report import FusedLayer, FusionReport

__all__ = ["draw_report", "draw_stages", "layer_colors", "engine_graph"]

MODES = ("side-by-side", "overlay", "stages")
OVERVIEWS = (None, True, False, "prefix", "markers")
REFORMAT_COLOR = "#9a9a9a"
VANISHED_COLOR = "#ffffff"
UNMAPPED_COLOR = "#eeeeee"
UNACCOUNTED_OUTLINE = "#c0392b"
LABEL_LIMIT = 300  # above this many nodes in a panel, draw markers instead of labelled boxes


def _palette() -> list[str]:
    # tab20 without its two greys (grey means "reformat" / "not mapped" here), darker tones first
    from matplotlib.colors import to_hex

    cols = [to_hex(c) for c in colormaps["tab20"].colors]
    cols = [c for i, c in enumerate(cols) if i not in (14, 15)]
    return cols[0::2] + cols[1::2]


def layer_colors(report: FusionReport) -> dict[int, str]:
    """One colour per engine layer (index -> colour), cycling a qualitative palette in engine order,
    so neighbouring layers differ. Reformat layers are grey."""
    pal = _palette()
    out: dict[int, str] = {}
    k = 0
    for r in report.layers:
        if r.is_inserted:
            out[r.index] = REFORMAT_COLOR
        else:
            out[r.index] = pal[k % len(pal)]
            k += 1
    return out


def _shorten(name: str, limit: int = 24) -> str:
    return name if len(name) <= limit else "\u2026" + name[-(limit - 1):]


def _focus_nodes(report: FusionReport, focus) -> set:
    G = report.onnx_graph.nx
    if focus is None:
        return set(G)
    if isinstance(focus, str):
        try:
            rx = re.compile(focus)
        except re.error as exc:
            raise ConfigError(f"focus={focus!r} is not a valid regular expression ({exc}); pass a regex "
                              f"on ONNX node names, e.g. focus='inception_3a/', or a list of node names") from exc
        nodes = {v for v in G if rx.search(str(v))}
    else:
        nodes = set(focus)
        missing = [v for v in nodes if v not in G]
        if missing:
            raise ConfigError(f"focus names {len(missing)} nodes that are not in the ONNX graph, e.g. {missing[0]!r}")
    if not nodes:
        raise ConfigError(f"focus={focus!r} matches no ONNX node; names look like {list(G)[:3]}")
    return nodes


def _resolve_highlight(report: FusionReport, highlight) -> FusedLayer | None:
    if highlight is None:
        return None
    try:
        return report.layer(highlight)
    except TrtlabError as exc:
        # an ONNX node name picks the engine layer that absorbed it
        if isinstance(highlight, str) and highlight in report.onnx_graph.nx:
            layer = report.layer_of(highlight)
            if layer is not None:
                return layer
            raise ConfigError(f"highlight={highlight!r}: this ONNX node has no engine layer "
                              f"(see report.vanished / report.unaccounted)") from exc
        raise ConfigError(f"highlight={highlight!r}: {exc}") from exc


# ---------------------------------------------------------------------- graphs
def _augment(report: FusionReport, keep: set) -> nx.DiGraph:
    """The ONNX subgraph on ``keep`` plus pseudo nodes ``("in", tensor)`` / ``("out", tensor)`` for the
    tensors that enter or leave it (graph inputs/outputs, or the edge of a focus)."""
    graph = report.onnx_graph
    G = graph.nx
    A = nx.DiGraph(G.subgraph(keep))
    inits = set(getattr(graph, "initializers", {}) or {})
    graph_outputs = {t.name for t in getattr(graph, "outputs", [])}
    for u in keep:
        info = G.nodes[u]["info"]
        for t in info.inputs:
            if not t or t in inits:
                continue
            p = graph.producer(t)
            if p is None or p not in keep:
                if p is not None and G.nodes[p]["info"].op_type == "Constant":
                    continue
                A.add_edge(("in", t), u)
        for t in info.outputs:
            if t and (t in graph_outputs or any(c not in keep for c in graph.consumers(t))):
                A.add_edge(u, ("out", t))
    return A


def _is_pseudo(v) -> bool:
    """Pseudo nodes: ("in"|"out", tensor) for the I/O of a drawn part, ("gone", node) for a
    vanished Concat kept as a junction so the picture does not turn into an all-to-all fan."""
    return isinstance(v, tuple) and len(v) == 2 and v[0] in ("in", "out", "gone") and isinstance(v[1], str)


def _pseudo_label(v) -> str:
    if v[0] == "gone":
        return "Concat\n(no kernel)"
    return f"{'input' if v[0] == 'in' else 'output'}\n{_shorten(v[1], 20)}"


def _junctions(report: FusionReport, A: nx.DiGraph) -> set:
    """Vanished Concat nodes in ``A``: kept as junctions in the fused views."""
    return {v.name for v in report.vanished if v.op_type == "Concat" and v.name in A}


def _quotient(A: nx.DiGraph, unit_of: dict, junctions: set = frozenset()) -> nx.DiGraph:
    """Graph of units (engine layers, or branches) connected as their ONNX nodes are in ``A``,
    bridging over nodes that belong to no unit (vanished: Dropout, Flatten, ...). Pseudo I/O
    nodes are their own units, and so are the ``junctions`` (as ``("gone", name)``)."""
    def unit(v):
        if _is_pseudo(v):
            return v
        if v in junctions:
            return ("gone", v)
        return unit_of.get(v)

    Q = nx.DiGraph()
    for v in A:
        u = unit(v)
        if u is not None:
            Q.add_node(u)
    for u in A:
        a = unit(u)
        if a is None:
            continue
        stack, seen = list(A.succ[u]), set()
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            b = unit(v)
            if b is None:
                stack.extend(A.succ[v])
            elif b != a:
                Q.add_edge(a, b)
    # engine layers follow engine order: drop edges between them that would point backwards
    # (a cycle through a unit); edges to and from pseudo nodes are kept
    order = {n: i for i, n in enumerate(sorted((n for n in Q if not _is_pseudo(n)), key=_unit_key))}
    back = [(a, b) for a, b in Q.edges if a in order and b in order and order[a] > order[b]]
    Q.remove_edges_from(back)
    return Q


def _unit_key(u) -> tuple:
    return (u[0], u[1]) if isinstance(u, tuple) else (u, 0)


def _shown(report: FusionReport) -> set:
    """Indices of the layers to draw: an engine with several shape profiles repeats every layer
    once per profile (`` [profile N]``); the pictures show the first profile."""
    profiles = {r.profile_index for r in report.layers}
    if len(profiles) <= 1:
        return {r.index for r in report.layers}
    # TensorRT leaves the first profile's names bare (None) and suffixes the others
    first = None if None in profiles else min(profiles)
    return {r.index for r in report.layers if r.profile_index == first}


def engine_graph(report: FusionReport, focus=None) -> nx.DiGraph:
    """The engine's layers as a DAG (node = layer index). From the plan's tensors when the layer
    information has them; otherwise (names-only profiles) from the ONNX graph, with reformat layers
    spliced in before/after the layer they serve."""
    keep = _focus_nodes(report, focus)
    layers = report.layers
    shown = _shown(report)
    plan_nx = None
    plan = report.plan
    if hasattr(plan, "io_tensors"):
        try:
            plan_nx = plan.nx
        except Exception:  # noqa: BLE001 - fall back to the ONNX-derived graph
            plan_nx = None
    by_uid = {r.uid: r.index for r in layers}
    in_focus = {r.index for r in layers if r.onnx_nodes and any(n in keep for n in r.onnx_nodes)}
    if plan_nx is not None and plan_nx.number_of_edges() > 0:
        E = nx.DiGraph()
        for r in layers:
            if r.kind not in ("sync", "internal") and r.index in shown:
                E.add_node(r.index)
        for u, v in plan_nx.edges:
            if u in by_uid and v in by_uid and by_uid[u] in E and by_uid[v] in E:
                E.add_edge(by_uid[u], by_uid[v])
        if focus is not None:
            # keep the layers of the focus, and reformat layers next to them
            sel = set(in_focus)
            for r in layers:
                if r.kind == "reformat" and r.index in E:
                    if any(n in in_focus for n in E.pred[r.index]) or any(n in in_focus for n in E.succ[r.index]):
                        sel.add(r.index)
            E = E.subgraph(sel).copy()
        return E
    unit_of = {}
    for r in layers:
        if r.is_inserted or r.index not in shown:
            continue
        for n in r.onnx_nodes:
            unit_of.setdefault(n, r.index)
    A = _augment(report, keep)
    E = _quotient(A, unit_of, _junctions(report, A))
    # splice reformat layers by their target's name (or the ONNX node it names)
    from ..engine.names import split_profile_suffix

    by_name = {split_profile_suffix(r.name)[0]: r.index for r in layers if r.index in shown}
    for node, idxs in report._by_node.items():
        by_name.setdefault(node, idxs[0])
    for r in layers:
        if r.kind != "reformat" or r.target is None or r.index not in shown:
            continue
        t = by_name.get(r.target)
        if t is None or t not in E:
            continue
        layer = r.layer
        direction = "output" if " output reformatter" in r.name or "for Output Tensor" in r.name else "input"
        if r.note and r.note.startswith("copy"):
            direction = "output"
        E.add_node(r.index)
        if direction == "input":
            preds = list(E.pred[t])
            for p in preds:
                E.remove_edge(p, t)
                E.add_edge(p, r.index)
            E.add_edge(r.index, t)
        else:
            succs = list(E.succ[t])
            for s in succs:
                if layer is None and r.note and r.note.startswith("copy"):
                    E.add_edge(r.index, s)  # a concat copy feeds what reads the concatenation
                    continue
                E.remove_edge(t, s)
                E.add_edge(r.index, s)
            E.add_edge(t, r.index)
    return E


# ---------------------------------------------------------------------- panels
PSEUDO_COLOR = "#ffffff"
_TOP_IN = 0.95  # inches kept free above the panels for the titles


def _onnx_panel(report, ax, A, colors_by_layer, hl_layer, *, direction, boxes=True, title=None, by_op=False):
    """The ONNX graph ``A`` (with pseudo I/O nodes), coloured by engine layer (or by op type)."""
    labelled = len(A) <= LABEL_LIMIT
    colors, labels, outlines = {}, {}, {}
    vanished = {v.name: v for v in report.vanished}
    unacc = set(report.unaccounted)
    for v in A:
        if _is_pseudo(v):
            colors[v], outlines[v], labels[v] = PSEUDO_COLOR, "#999999", _pseudo_label(v)
            continue
        info = A.nodes[v]["info"]
        lay = report.layer_of(v)
        if by_op:
            colors[v] = op_color(info.op_type)
        elif lay is not None:
            colors[v] = colors_by_layer[lay.index]
        elif v in vanished:
            colors[v] = VANISHED_COLOR
        else:
            colors[v] = UNMAPPED_COLOR
        if v in unacc and not by_op:
            outlines[v] = UNACCOUNTED_OUTLINE
        suffix = f"\n({vanished[v].reason})" if (v in vanished and not by_op) else ""
        labels[v] = f"{info.op_type}\n{_shorten(v)}{suffix}"
    layout = compute_layout(A, direction)
    groups = []
    if boxes and not by_op:
        _cluster(layout, [[n for n in r.onnx_nodes if n in A] for r in report.layers if r.kind == "horizontal"],
                 direction)
        pos = layout.pos
        for r in report.layers:
            nodes = [n for n in r.onnx_nodes if n in A]
            if len(nodes) < 2:
                continue
            if r.kind == "horizontal":
                groups.append(Group(nodes, color=colors_by_layer[r.index], label=f"{r.short} (horizontal)",
                                    style="dashed"))
            elif labelled and _box_is_clean(nodes, pos, direction):
                groups.append(Group(nodes, color=colors_by_layer[r.index], label=None, style="filled"))
    hl = set()
    if hl_layer is not None:
        hl = {n for n in hl_layer.onnx_nodes if n in A}
    artists = draw_dag(A, ax=ax, layout=layout, colors=colors, labels=labels if labelled else None,
                       highlight=hl, dim_others=bool(hl), groups=groups or None, outlines=outlines)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return artists, layout, groups


def _cluster(layout, groups: list[list], direction: str) -> None:
    """Make each group's nodes neighbours within their layer, so a box around them holds nothing else.

    The layered layout knows nothing of fusion groups; this moves nodes among the slots of their
    own layer (keeping every other node's relative order) and re-attaches the edge routes.
    """
    if not groups:
        return
    axis = 0 if direction in ("TB", "BT") else 1  # the within-layer coordinate
    pos = {v: list(p) for v, p in layout.pos.items()}
    by_layer: dict[int, list] = {}
    for v, l in layout.layer.items():
        by_layer.setdefault(l, []).append(v)
    block: dict = {}
    for gi, members in enumerate(groups):
        for v in members:
            block[v] = gi
    # one down-sweep over the layers: order each layer by the mean position of its predecessors
    # (barycentre), keeping every group's members next to each other
    preds: dict = {}
    for (u, v) in layout.routes:
        preds.setdefault(v, []).append(u)
    moved = False
    for l in sorted(by_layer):
        row = sorted(by_layer[l], key=lambda v: pos[v][axis])
        slots = [pos[v][axis] for v in row]

        def bary(v):
            ps = [pos[p][axis] for p in preds.get(v, ()) if p in pos]
            return sum(ps) / len(ps) if ps else pos[v][axis]

        keys = {v: bary(v) for v in row}
        bkey: dict = {}
        for v in row:
            if v in block:
                bkey[block[v]] = min(bkey.get(block[v], keys[v]), keys[v])
        new = sorted(row, key=lambda v: (bkey[block[v]], 0, block[v], keys[v], pos[v][axis]) if v in block
                     else (keys[v], 1, 0, keys[v], pos[v][axis]))
        if new != row:
            for v, x in zip(new, slots):
                pos[v][axis] = x
            moved = True
    if not moved:
        return
    import numpy as np

    layout.pos = {v: (p[0], p[1]) for v, p in pos.items()}
    for (u, v), pts in list(layout.routes.items()):
        pts = np.array(pts, dtype=float)
        pts[0] = layout.pos[u]
        pts[-1] = layout.pos[v]
        layout.routes[(u, v)] = pts


def _box_is_clean(nodes, pos, direction: str = "TB") -> bool:
    """True when ``nodes`` stand in one straight line and their bounding box holds no other node
    (a tint box around a chain bent by a skip connection would cover unrelated nodes and edges)."""
    xs = [pos[n][0] for n in nodes]
    ys = [pos[n][1] for n in nodes]
    across = xs if direction in ("TB", "BT") else ys
    if max(across) - min(across) > 1e-6:
        return False
    x0, x1, y0, y1 = min(xs) - 0.3, max(xs) + 0.3, min(ys) - 0.3, max(ys) + 0.3
    inside = set(nodes)
    return not any(x0 <= x <= x1 and y0 <= y <= y1 for v, (x, y) in pos.items() if v not in inside)


def _layer_text(r: FusedLayer, limit: int = 24) -> str:
    if r.kind == "reformat":
        return ""
    if not r.onnx_nodes:
        return f"?\n{_shorten(r.name, limit)}"
    if len(r.onnx_nodes) == 1:
        return f"{r.short}\n{_shorten(r.onnx_nodes[0], limit)}"
    if r.kind == "horizontal":
        import os

        prefix = os.path.commonprefix(r.onnx_nodes)
        name = f"{prefix}\u2026" if len(prefix) >= 3 else r.onnx_nodes[0]
        return f"{r.short}\n{_shorten(name, limit - 4)} \u00d7{len(r.groups)}"
    return f"{r.short}\n{_shorten(r.onnx_nodes[0], limit - 2)} \u2026"


def _engine_panel(report, ax, E, colors_by_layer, hl_layer, *, direction, title=None):
    labelled = len(E) <= LABEL_LIMIT
    colors, labels, outlines = {}, {}, {}
    reformats = []
    for i in E:
        if _is_pseudo(i):
            colors[i], outlines[i], labels[i] = PSEUDO_COLOR, "#999999", _pseudo_label(i)
            continue
        r = report.layers[i]
        colors[i] = colors_by_layer[i]
        labels[i] = _layer_text(r)
        if r.kind == "reformat":
            reformats.append(i)
            colors[i] = outlines[i] = "#ffffff"
        elif not r.onnx_nodes:
            colors[i] = UNMAPPED_COLOR
            outlines[i] = UNACCOUNTED_OUTLINE
        elif r.kind == "horizontal":
            outlines[i] = "#222222"
    hl = {hl_layer.index} if hl_layer is not None and hl_layer.index in E else set()
    layout = compute_layout(E, direction)
    artists = draw_dag(E, ax=ax, layout=layout, colors=colors, labels=labels if labelled else None,
                       highlight=hl, dim_others=bool(hl), outlines=outlines)
    if reformats:
        # reformat layers: small grey diamonds on top of their blank boxes
        xy = [layout.pos[i] for i in reformats]
        ax.scatter([p[0] for p in xy], [p[1] for p in xy], marker="D", s=60 if labelled else 14,
                   c=REFORMAT_COLOR, edgecolors="#555555", linewidths=0.6, zorder=6,
                   alpha=0.3 if hl else 1.0)
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return artists, layout


def _kind_counts(report: FusionReport, nodes: Iterable) -> str:
    from collections import Counter

    c = Counter(report.layers[i].kind for i in nodes if not _is_pseudo(i))
    return ", ".join(f"{n} {k}" for k, n in c.most_common())


def _panels(layouts, labelled, figsize, *, max_height=36.0):
    """A figure with one axes per layout, side by side, widths in proportion to the layouts."""
    if figsize is not None:
        fig = new_figure(figsize)
        widths = [1.0] * len(layouts)
    else:
        sizes = [figure_size_for(lay, labelled=labelled, max_width=16.0, max_height=max_height) for lay in layouts]
        widths = [s[0] for s in sizes]
        w = min(sum(widths) + 0.3 * len(sizes), 40.0)
        h = min(max(s[1] for s in sizes) + _TOP_IN, 40.0)
        fig = new_figure((w, h))
    W, H = fig.get_size_inches()
    top = max(0.5, 1.0 - _TOP_IN / H)
    total = sum(widths)
    axes, x = [], 0.005
    for wd in widths:
        frac = wd / total
        axes.append(fig.add_axes((x, 0.005, frac - 0.01, top - 0.01)))
        x += frac
    return fig, axes, H


def draw_report(report: FusionReport, highlight=None, mode: str = "side-by-side", *, focus=None,
                direction: str = "TB", figsize=None, title: str | None = None, overview=None) -> Drawing:
    """Draw a :class:`FusionReport`; see :meth:`FusionReport.draw`."""
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r} is not one of {', '.join(MODES)}")
    if overview not in OVERVIEWS:
        raise ConfigError(f"overview={overview!r} is not one of None (automatic), True, False, 'prefix', 'markers'")
    if mode == "stages":
        return draw_stages(report, focus=focus, direction=direction, figsize=figsize, title=title,
                           highlight=highlight)
    try:
        return _draw_report(report, highlight, mode, focus, direction, figsize, title, overview)
    except TrtlabError:
        raise
    except Exception as exc:  # the boundary: a notebook gets a trtlab error, not a deep traceback
        raise TrtlabError(f"drawing the fusion report failed: {type(exc).__name__}: {exc}. "
                          f"Try focus= on a part of the network.") from exc


def _draw_report(report, highlight, mode, focus, direction, figsize, title, overview) -> Drawing:
    keep = _focus_nodes(report, focus)
    hl_layer = _resolve_highlight(report, highlight)
    if mode == "side-by-side" and overview in (None, True, "prefix"):
        blocks = _blocks(keep) if (overview is not None or len(keep) > LABEL_LIMIT) else None
        if blocks is not None:
            return _draw_overview(report, keep, blocks, hl_layer, focus, direction, figsize, title)
    cols = layer_colors(report)
    A = _augment(report, keep)
    n_onnx = len(keep)
    if mode == "overlay":
        lay = compute_layout(A, direction)
        fig, (ax,), H = _panels([lay], len(A) <= LABEL_LIMIT, figsize)
        art, _, groups = _onnx_panel(report, ax, A, cols, hl_layer, direction=direction,
                                     title=f"ONNX graph ({n_onnx} nodes), coloured by engine layer")
        _suptitle(fig, report, hl_layer, H, title or (
            f"{getattr(report.onnx_graph, 'name', '') or 'model'}: same colour = same engine layer (horizontal "
            f"fusions in dashed boxes, white = vanished node); coverage {100 * report.coverage:.0f}%"))
        d = Drawing(fig, ax=ax, artists=art, nodes=[v for v in A if not _is_pseudo(v)],
                    mode="labels" if len(A) <= LABEL_LIMIT else "markers")
        d.panels = {"onnx": art, "onnx_groups": groups}
        return d
    E = engine_graph(report, focus)
    labelled = max(len(A), len(E)) <= LABEL_LIMIT
    fig, (ax1, ax2), H = _panels([compute_layout(A, direction), compute_layout(E, direction)], labelled, figsize)
    art1, _, groups = _onnx_panel(report, ax1, A, cols, hl_layer, direction=direction,
                                  title=f"before: ONNX graph, {n_onnx} nodes")
    n_layers = sum(1 for i in E if not _is_pseudo(i))
    art2, _ = _engine_panel(report, ax2, E, cols, hl_layer, direction=direction,
                            title=f"after: engine, {n_layers} layers ({_kind_counts(report, E)})")
    _suptitle(fig, report, hl_layer, H, title)
    d = Drawing(fig, ax=ax1, artists=art1, nodes=[v for v in A if not _is_pseudo(v)]
                + [report.layers[i].name for i in E if not _is_pseudo(i)],
                mode="labels" if labelled else "markers")
    d.panels = {"onnx": art1, "engine": art2, "onnx_groups": groups}
    return d


def _suptitle(fig, report, hl_layer, H, title=None):
    text = title or (f"{getattr(report.onnx_graph, 'name', '') or 'model'}: same colour = same engine layer "
                     f"(grey diamond = reformat layer, white = vanished node); coverage {100 * report.coverage:.0f}%")
    if hl_layer is not None:
        text += (f"\nhighlighted: layer {hl_layer.index} '{_shorten(hl_layer.name, 90)}' "
                 f"({hl_layer.kind}, {hl_layer.short})")
    fig.text(0.01, 1 - 0.08 / H, text, ha="left", va="top", fontsize=11, fontweight="bold")
    if report.is_mismatch:
        fig.text(0.01, 1 - 0.5 / H, _wrap("MISMATCH: " + (report.mismatch_reason or ""), 150), ha="left",
                 va="top", fontsize=9, color="#c0392b")


def _wrap(text: str, n: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, n))


# ---------------------------------------------------------------------- stages
def draw_stages(report: FusionReport, *, focus=None, direction: str = "TB", figsize=None,
                title: str | None = None, highlight=None) -> Drawing:
    """The classic lesson in three panels, from the real mapping:

    1. **before fusion** - the ONNX graph (colour = op type);
    2. **after vertical fusion** - each chain TensorRT fused (``Conv + Relu``) is one node;
       branches that will be fused horizontally are boxed;
    3. **after horizontal fusion** - sibling branches reading the same tensor are one node: the
       engine's layers (reformat layers left out: they are not part of this lesson).

    ``focus`` (regex or node names) picks a part of the network, e.g. ``"inception_3a/"``;
    ``highlight`` (engine layer index or name) follows one layer through the stages.
    """
    try:
        return _draw_stages(report, focus, direction, figsize, title, highlight)
    except TrtlabError:
        raise
    except Exception as exc:  # the boundary: a notebook gets a trtlab error, not a deep traceback
        raise TrtlabError(f"drawing the fusion stages failed: {type(exc).__name__}: {exc}. "
                          f"Try focus= on a part of the network.") from exc


def _draw_stages(report, focus, direction, figsize, title, highlight) -> Drawing:
    keep = _focus_nodes(report, focus)
    hl_layer = _resolve_highlight(report, highlight)
    cols = layer_colors(report)
    A = _augment(report, keep)
    # units after vertical fusion: a horizontal layer's branches stay separate
    unit_v, unit_h = {}, {}
    vlabels, hlabels, vcolors, hcolors = {}, {}, {}, {}
    hgroups = []
    shown = _shown(report)
    for r in report.layers:
        if r.is_inserted or r.index not in shown or not any(n in keep for n in r.onnx_nodes):
            continue
        branches = r.groups if (r.kind == "horizontal" and r.groups) else [r.onnx_nodes]
        members = []
        for b, nodes in enumerate(branches):
            key = (r.index, b)
            members.append(key)
            for n in nodes:
                unit_v[n] = key
            ops = [report.onnx_graph.nx.nodes[n]["info"].op_type for n in nodes]
            more = " \u2026" if len(nodes) > 1 else ""
            vlabels[key] = f"{short_pattern([ops])}\n{_shorten(nodes[0])}{more}"
            vcolors[key] = cols[r.index]
        if r.kind == "horizontal" and len(members) > 1:
            hgroups.append(Group(members, color=cols[r.index], label="fused horizontally next", style="dashed"))
        for n in r.onnx_nodes:
            unit_h[n] = r.index
        hlabels[r.index] = _layer_text(r)
        hcolors[r.index] = cols[r.index]
    V = _quotient(A, unit_v, _junctions(report, A))
    Hq = _quotient(A, unit_h, _junctions(report, A))
    for Q, labels, colors in ((V, vlabels, vcolors), (Hq, hlabels, hcolors)):
        for v in Q:
            if _is_pseudo(v):
                labels[v], colors[v] = _pseudo_label(v), PSEUDO_COLOR
    lays = [compute_layout(A, direction), compute_layout(V, direction), compute_layout(Hq, direction)]
    _cluster(lays[1], [list(g.nodes) for g in hgroups], direction)
    labelled = len(A) <= LABEL_LIMIT
    fig, axes, H = _panels(lays, labelled, figsize)
    pseudo_out = {v: "#999999" for v in A if _is_pseudo(v)}
    n_real = [sum(1 for v in Q if not _is_pseudo(v)) for Q in (A, V, Hq)]
    hl0 = set(hl_layer.onnx_nodes) & set(A) if hl_layer is not None else set()
    colors0 = {v: PSEUDO_COLOR if _is_pseudo(v) else op_color(A.nodes[v]["info"].op_type) for v in A}
    labels0 = {v: _pseudo_label(v) if _is_pseudo(v) else f"{A.nodes[v]['info'].op_type}\n{_shorten(v)}" for v in A}
    art0 = draw_dag(A, ax=axes[0], layout=lays[0], colors=colors0, labels=labels0 if labelled else None,
             highlight=hl0, dim_others=bool(hl0), outlines=pseudo_out)
    axes[0].set_title(f"1. before fusion: {n_real[0]} ONNX nodes", loc="left", fontsize=10)
    hl_v = {u for u in V if hl_layer is not None and not _is_pseudo(u) and u[0] == hl_layer.index}
    art1 = draw_dag(V, ax=axes[1], layout=lays[1], colors=vcolors, labels=vlabels if labelled else None,
             groups=hgroups or None, highlight=hl_v, dim_others=bool(hl_v),
             outlines={v: "#999999" for v in V if _is_pseudo(v)})
    axes[1].set_title(f"2. after vertical fusion: {n_real[1]} layers", loc="left", fontsize=10)
    hl_h = {hl_layer.index} if hl_layer is not None and hl_layer.index in Hq else set()
    outl = {i: ("#999999" if _is_pseudo(i) else "#222222") for i in Hq
            if _is_pseudo(i) or report.layers[i].kind == "horizontal"}
    art2 = draw_dag(Hq, ax=axes[2], layout=lays[2], colors=hcolors, labels=hlabels if labelled else None,
             highlight=hl_h, dim_others=bool(hl_h), outlines=outl)
    axes[2].set_title(f"3. after horizontal fusion: {n_real[2]} layers", loc="left", fontsize=10)
    head = title or (f"{getattr(report.onnx_graph, 'name', '') or 'model'}: what TensorRT's layer fusion does "
                     f"({n_real[0]} \u2192 {n_real[1]} \u2192 {n_real[2]} kernels)")
    fig.text(0.01, 1 - 0.08 / H, head, ha="left", va="top", fontsize=12, fontweight="bold")
    d = Drawing(fig, ax=axes[0], artists=art0, nodes=[v for v in A if not _is_pseudo(v)],
                mode="labels" if labelled else "markers")
    d.panels = {"before": art0, "vertical": art1, "horizontal": art2}
    return d


# ---------------------------------------------------------------------- overview of big graphs
OVERVIEW_BLOCKS = 120  # most boxes an overview may have and stay readable


def _blocks(keep: set) -> dict | None:
    """ONNX node -> block, from the leading components of ``/``-separated names
    (``inception_3a/1x1`` -> ``inception_3a``; ``/encoder/layer.0/attn/MatMul`` -> ``encoder/layer.0``
    at depth 2): the shallowest depth giving at least 8 blocks, at most OVERVIEW_BLOCKS. None when
    names have no such structure (then the picture uses small markers instead)."""
    names = [v for v in keep if isinstance(v, str)]
    if len(names) != len(keep):
        return None
    parts = {v: v.strip("/").split("/") for v in names}
    if sum(len(p) < 2 for p in parts.values()) > LABEL_LIMIT // 3:
        return None
    best = None
    for depth in (1, 2, 3, 4):
        out = {v: "/".join(p[:depth]) if len(p) > depth else "/".join(p[:-1]) or v for v, p in parts.items()}
        n = len(set(out.values()))
        if n > OVERVIEW_BLOCKS:
            break
        if n < len(out):
            best = out
            if n >= 8:
                break
    return best


def _contract(G: nx.DiGraph, part: dict) -> nx.DiGraph:
    """``G`` with nodes merged by ``part`` (node -> block); nodes outside ``part`` (I/O, Concat
    junctions) are bridged over, so blocks stay connected through them."""
    Q = nx.DiGraph()
    Q.add_nodes_from(part[v] for v in G if v in part)
    for u in G:
        a = part.get(u)
        if a is None:
            continue
        stack, seen = list(G.succ[u]), set()
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            b = part.get(v)
            if b is None:
                stack.extend(G.succ[v])
            elif b != a:
                Q.add_edge(a, b)
    return Q


def _draw_overview(report, keep, blocks, hl_layer, focus, direction, figsize, title) -> Drawing:
    """Big graphs: one box per name block in both panels (same colour = same block), each box saying
    how many ONNX nodes became how many engine layers, and which fusions."""
    from collections import Counter

    G = report.onnx_graph.nx.subgraph(keep)
    Q1 = _contract(G, blocks)
    E = engine_graph(report, focus)
    eblock = {}
    for i in E:
        if _is_pseudo(i):
            continue
        r = report.layers[i]
        if r.onnx_nodes and r.onnx_nodes[0] in blocks:
            eblock[i] = blocks[r.onnx_nodes[0]]
    for i in E:  # reformat layers join the block of the layer they feed (or follow)
        if i not in eblock and not _is_pseudo(i):
            near = [eblock[n] for n in list(E.succ[i]) + list(E.pred[i]) if n in eblock]
            if near:
                eblock[i] = near[0]
    Q2 = _contract(E, eblock)
    order = sorted(Q1, key=lambda b: min(report.onnx_graph.node(v).index for v in G if blocks[v] == b))
    pal = _palette()
    colors = {b: pal[k % len(pal)] for k, b in enumerate(order)}
    n_nodes = Counter(blocks.values())
    members: dict = {}
    for i, b in eblock.items():
        members.setdefault(b, []).append(report.layers[i])
    labels1 = {b: f"{_shorten(str(b), 22)}\n{n_nodes[b]} nodes" for b in Q1}
    labels2 = {}
    for b in Q2:
        ls = members.get(b, [])
        comp = [r for r in ls if r.kind != "reformat"]
        shorts = Counter(r.short for r in comp).most_common(3)
        kinds = " ".join(f"{s}\u00d7{n}" if n > 1 else s for s, n in shorts)
        rf = len(ls) - len(comp)
        labels2[b] = f"{_shorten(str(b), 22)}\n{len(comp)} layers{f' +{rf} RF' if rf else ''}\n{kinds}"
    hl = set()
    if hl_layer is not None and hl_layer.onnx_nodes and hl_layer.onnx_nodes[0] in blocks:
        hl = {blocks[hl_layer.onnx_nodes[0]]}
    lay1, lay2 = compute_layout(Q1, direction), compute_layout(Q2, direction)
    labelled = max(len(Q1), len(Q2)) <= LABEL_LIMIT
    fig, (ax1, ax2), H = _panels([lay1, lay2], labelled, figsize)
    art1 = draw_dag(Q1, ax=ax1, layout=lay1, colors={b: colors.get(b, UNMAPPED_COLOR) for b in Q1},
                    labels=labels1 if labelled else None, highlight=hl, dim_others=bool(hl))
    art2 = draw_dag(Q2, ax=ax2, layout=lay2, colors={b: colors.get(b, UNMAPPED_COLOR) for b in Q2},
                    labels=labels2 if labelled else None, highlight=hl & set(Q2), dim_others=bool(hl))
    n_layers = sum(1 for i in E if not _is_pseudo(i))
    ax1.set_title(f"before: {len(G)} ONNX nodes", loc="left", fontsize=10)
    ax2.set_title(f"after: {n_layers} engine layers", loc="left", fontsize=10)
    head = title or (f"{getattr(report.onnx_graph, 'name', '') or 'model'} overview, one box per name prefix "
                     f"({len(Q1)} blocks): same colour = same block; coverage {100 * report.coverage:.0f}%; "
                     f"{_kind_counts(report, E)}. Pass focus=... to see one block's layers")
    _suptitle(fig, report, hl_layer, H, head)
    d = Drawing(fig, ax=ax1, artists=art1, nodes=list(Q1) + list(Q2), mode="prefix",
                note=f"overview: {len(G)} nodes in {len(Q1)} blocks")
    d.panels = {"onnx": art1, "engine": art2, "onnx_groups": []}
    return d
