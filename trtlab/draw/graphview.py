"""`draw_onnx_graph`: the picture behind ``OnnxGraph.draw()``.

Nodes are coloured by op type (with a legend) and labelled ``op type / short name``; options
select a neighbourhood, highlight nodes (the others are dimmed), collapse nodes into one box
per block (by regex), write tensor shapes on the edges, and expand If/Loop/Scan bodies. Large
graphs switch to an overview: one box per name prefix (``inception_3a/...``) when the names
have that structure, otherwise small unlabelled markers.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Union

import networkx as nx

from .._boundary import boundary
from ..errors import ConfigError, TrtlabError
from .colors import COLLAPSED_COLOR, lighten, op_color
from .contract import OVERVIEW_TARGET, contract, prefix_blocks
from .drawing import MAX_WIDTH_IN, Drawing, new_figure
from .layout import check_direction, compute_layout, fold_layout
from .render import draw_dag, figure_size_for, set_title
from .text import CHAR_IN, path_tail, wrap

if TYPE_CHECKING:  # pragma: no cover
    from ..graph import OnnxGraph

__all__ = ["draw_onnx_graph", "OVERVIEW_NODES"]

#: above this many nodes, ``overview=None`` switches to an overview
OVERVIEW_NODES = 300
_MAX_LEGEND = 30

Highlight = Union[str, Iterable[str], Callable[[object], bool], tuple[str, int], None]

_BLOCK_OUTLINE = "#6a51a3"
_BODY_W = 4.0  # inches beside the graph for expanded If/Loop/Scan bodies
_BODY_OUTLINE = "#a0309a"


def _op(G: nx.DiGraph, v: Hashable) -> str:
    info = G.nodes[v].get("info")
    if info is not None:
        return str(getattr(info, "op_type", "?"))
    return str(G.nodes[v].get("op_type", "?"))


def _subgraphs(G: nx.DiGraph, v: Hashable) -> dict:
    info = G.nodes[v].get("info")
    return dict(getattr(info, "subgraphs", None) or {})


def _unknown(name: object, choices: Iterable[str], what: str = "node") -> ConfigError:
    choices = [str(c) for c in choices]
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else (
        f"; the graph has {len(choices)} nodes, e.g. {', '.join(repr(c) for c in choices[:3])}")
    return ConfigError(f"no {what} named {name!r} in this graph{hint}")


def _compile(pattern: str, what: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(f"{what} pattern {pattern!r} is not a valid regular expression ({exc}); "
                          f"escape special characters with re.escape(...)") from exc


def _resolve_highlight(G: nx.DiGraph, highlight: Highlight) -> set:
    """Node names selected by a list of names, a regex string, a callable on NodeInfo, or a
    ``(node, radius)`` tuple (the nodes within ``radius`` edges of ``node``)."""
    if highlight is None:
        return set()
    if isinstance(highlight, str):
        if highlight in G:
            return {highlight}
        rx = _compile(highlight, "highlight")
        hits = {v for v in G if rx.search(str(v))}
        if not hits:
            raise ConfigError(f"highlight pattern {highlight!r} matches no node name; node names look like "
                              f"{', '.join(repr(str(v)) for v in list(G)[:3])}")
        return hits
    if (isinstance(highlight, tuple) and len(highlight) == 2 and isinstance(highlight[0], str)
            and isinstance(highlight[1], int) and not isinstance(highlight[1], bool)):
        centre, radius = highlight  # (node, radius): the node's neighbourhood
        if centre not in G:
            raise _unknown(centre, G.nodes)
        if radius < 0:
            raise ConfigError(f"highlight radius {radius} must be >= 0, e.g. ({centre!r}, 1)")
        return set(nx.ego_graph(G, centre, radius=radius, undirected=True).nodes)
    if callable(highlight):
        hits = set()
        for v in G:
            info = G.nodes[v].get("info", v)
            try:
                if highlight(info):
                    hits.add(v)
            except Exception as exc:
                raise ConfigError(f"the highlight function raised {type(exc).__name__}: {exc} on node {v!r}; "
                                  f"it is called with each node's NodeInfo and must return True or False") from exc
        return hits
    try:
        names = list(highlight)
    except TypeError:
        raise ConfigError(f"highlight={highlight!r} is not supported; pass node names, a regex string, "
                          f"or a function NodeInfo -> bool") from None
    for name in names:
        if name not in G:
            raise _unknown(name, G.nodes)
    return set(names)


def _collapse_map(G: nx.DiGraph, collapse: str | Iterable[str]) -> dict:
    """node -> block key for nodes matched by the collapse regex(es) (one block per match key)."""
    patterns = [collapse] if isinstance(collapse, str) else list(collapse)
    compiled = [_compile(p, "collapse") for p in patterns]
    block: dict = {}
    for rx, p in zip(compiled, patterns):
        hit = False
        for v in G:
            if v in block:
                continue
            m = rx.search(str(v))
            if m is None:
                continue
            hit = True
            key = m.group(1) if rx.groups and m.group(1) is not None else m.group(0)
            block[v] = key or p
        if not hit:
            raise ConfigError(f"collapse pattern {p!r} matches no node name; node names look like "
                              f"{', '.join(repr(str(v)) for v in list(G)[:3])}")
    return block


def _contract_blocks(G: nx.DiGraph, block: dict) -> tuple[nx.DiGraph, dict]:
    """G with each block of two or more nodes merged into one box; (graph, box -> members)."""
    sizes = Counter(block.values())

    def box(v):
        k = block.get(v)
        if k is None or sizes[k] < 2:
            return v
        return k if k not in G else f"{k} (block)"

    H, members = contract(G, box)
    return H, {k: ms for k, ms in members.items() if "block" in H.nodes[k]}


def _shape_label(tensors) -> str:
    seen = []
    for t in tensors or []:
        s = t.shape_str() if hasattr(t, "shape_str") else str(getattr(t, "shape", "?"))
        if s not in seen:
            seen.append(s)
    if len(seen) > 2:
        seen = seen[:2] + ["\u2026"]
    return ", ".join(seen)


def draw_onnx_graph(
    graph: OnnxGraph | nx.DiGraph,
    *,
    direction: str = "TB",
    highlight: Highlight = None,
    neighborhood: tuple[str, int] | str | None = None,
    collapse: str | Iterable[str] | None = None,
    overview: bool | str | None = None,
    show_shapes: bool = False,
    legend: bool = True,
    title: str | None = None,
    figsize: tuple[float, float] | None = None,
    ax=None,
    expand: Iterable[str] | None = None,
    show_io: bool = True,
) -> Drawing:
    """Draw an ONNX graph (an :class:`~trtlab.graph.OnnxGraph`, or its ``.nx`` DiGraph).

    - ``direction``: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
    - ``highlight``: node names, a regex on names, a function ``NodeInfo -> bool``, or
      ``(node, radius)`` for a neighbourhood; the matching nodes get a red outline and every
      other node is dimmed.
    - ``neighborhood``: ``(node, radius)`` (or just a node name, radius 1): draw only the nodes
      within ``radius`` edges of ``node``.
    - ``collapse``: a regex or list of regexes; matching nodes are merged into one box per match
      (the first capture group if the regex has one, else the matched text), e.g.
      ``r"^(inception_\\w+)/"`` gives one box per inception block.
    - ``overview``: None = automatic above 300 nodes; True/"prefix" = one box per name prefix
      when names have ``a/b/...`` structure, else markers; "markers" = small unlabelled markers;
      False = always full labels.
    - ``show_shapes``: write tensor shapes on the edges.
    - ``expand``: names of If/Loop/Scan nodes whose bodies are drawn beside the graph (these
      nodes are otherwise drawn collapsed, marked ``[+body]``).
    - ``show_io``: draw the graph's inputs and outputs as white boxes with dtype and shape
      (labelled drawings of an OnnxGraph only; they are not counted in ``Drawing.nodes``).
    - ``legend``, ``title`` (None = graph name and size; "" = none), ``figsize`` (inches; default
      from the layout, capped), ``ax`` (draw into an existing matplotlib Axes).
    """
    with boundary(TrtlabError, "drawing the graph", "Try overview=True, or a neighborhood=(node, radius) of the graph."):
        return _draw(graph, direction=direction, highlight=highlight, neighborhood=neighborhood,
                     collapse=collapse, overview=overview, show_shapes=show_shapes, legend=legend,
                     title=title, figsize=figsize, ax=ax, expand=expand, show_io=show_io)


def _draw(graph, *, direction, highlight, neighborhood, collapse, overview, show_shapes, legend,
          title, figsize, ax, expand, show_io) -> Drawing:
    direction = check_direction(direction)
    full = getattr(graph, "nx", graph)
    if not isinstance(full, nx.DiGraph):
        raise ConfigError(f"draw_onnx_graph needs an OnnxGraph (from trtlab.load_onnx) or a networkx DiGraph, "
                          f"got {type(graph).__name__}")
    if overview not in (None, True, False, "prefix", "markers"):
        raise ConfigError(f"overview={overview!r} is not one of None, True, False, 'prefix', 'markers'")
    G, centre, radius = _neighbourhood(full, neighborhood)
    hl = _resolve_highlight(G, highlight)
    expand = _check_expand(G, expand)
    H, members, mode, note = _boxes(G, collapse, overview)
    node_of = {v: b for b, ms in members.items() for v in ms}
    hl_drawn = {node_of.get(v, v) for v in hl}
    if centre is not None and not hl:
        hl_drawn = {node_of.get(centre, centre)}

    # graph inputs and outputs as boxes of their own (labelled drawings of an OnnxGraph only)
    drawn_nodes = list(H.nodes)
    io_labels: dict = {}
    if show_io and mode != "markers" and hasattr(graph, "inputs") and hasattr(graph, "consumers"):
        H, io_labels = _add_io(graph, H, node_of)
    colors, labels, outlines, op_count = _style(G, H, members, io_labels)
    legend_map = _legend(op_count, members, io_labels) if (legend and len(H)) else None
    edge_labels = {(u, v): _shape_label(d.get("tensors")) for u, v, d in H.edges(data=True)} if show_shapes else None
    if title is None:
        title = _default_title(graph, full, G, centre, radius, note, collapse, members, H)

    layout = compute_layout(H, direction)
    labelled = mode != "markers"
    if not labelled:
        layout = fold_layout(layout)  # deep graphs: side-by-side bands instead of one thin line
    own_figure = ax is None
    if own_figure:
        fig, ax, title = _own_figure(layout, labelled, legend_map, edge_labels, expand, figsize, title)
    else:
        fig = ax.figure
    if len(drawn_nodes) == 0:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "(empty graph: no nodes)", ha="center", va="center", transform=ax.transAxes)
        artists = None
    else:
        artists = draw_dag(
            H, ax=ax, layout=layout, colors=colors, labels=labels if labelled else None,
            highlight=hl_drawn, dim_others=bool(hl), edge_labels=edge_labels, legend=legend_map,
            outlines=outlines, legend_title="op type" if legend_map else None,
        )
    if title:
        set_title(ax, title)
    if expand:
        _draw_bodies(fig, ax, G, expand, node_of, artists, own_figure)
    return Drawing(fig, ax=ax, artists=artists, nodes=drawn_nodes, mode=mode, note=note, tight=not own_figure)


def _neighbourhood(full: nx.DiGraph, neighborhood) -> tuple[nx.DiGraph, object, int | None]:
    """The part of the graph to draw: all of it, or the nodes within ``radius`` edges of a node."""
    if neighborhood is None:
        return full, None, None
    centre, radius = (neighborhood, 1) if isinstance(neighborhood, str) else tuple(neighborhood)
    if centre not in full:
        raise _unknown(centre, full.nodes)
    if not isinstance(radius, int) or radius < 0:
        raise ConfigError(f"neighborhood radius {radius!r} must be an int >= 0, e.g. ('{centre}', 2)")
    return full.subgraph(nx.ego_graph(full, centre, radius=radius, undirected=True).nodes), centre, radius


def _check_expand(G: nx.DiGraph, expand) -> list:
    expand = list(expand or [])
    for e in expand:
        if e not in G:
            raise _unknown(e, G.nodes)
        if not _subgraphs(G, e):
            raise ConfigError(f"node {e!r} ({_op(G, e)}) has no subgraph to expand; only If, Loop and Scan "
                              f"nodes have bodies: {[v for v in G if _subgraphs(G, v)][:5]}")
    return expand


def _boxes(G: nx.DiGraph, collapse, overview) -> tuple[nx.DiGraph, dict, str, str | None]:
    """The graph drawn after collapsing and overview: (graph, box -> members, mode, note)."""
    block = _collapse_map(G, collapse) if collapse is not None else {}
    mode = "labels"
    if overview is None:
        overview = len(G) - len(block) > OVERVIEW_NODES
    if overview and not block and overview != "markers":
        block = prefix_blocks(G, target=min(OVERVIEW_NODES, OVERVIEW_TARGET)) or {}
        if block:
            mode = "prefix"
    H, members = _contract_blocks(G, block) if block else (G, {})
    if overview and (overview == "markers" or len(H) > OVERVIEW_NODES):
        mode = "markers"
    note = {"prefix": f"overview: {len(G)} nodes in {len(H)} boxes by name prefix",
            "markers": f"overview: {len(H)} nodes, unlabelled"}.get(mode)
    return H, members, mode, note


def _style(G: nx.DiGraph, H: nx.DiGraph, members: dict, io_labels: dict):
    """(colours, labels, outlines, op counts) of the drawn nodes: op colours, tinted blocks, I/O boxes."""
    colors, labels, outlines = {}, {}, {}
    op_count: Counter = Counter()
    for v in H:
        if v in io_labels:
            colors[v], outlines[v], labels[v] = "#ffffff", "#8a8a8a", io_labels[v]
            continue
        if v in members:
            ops = Counter(_op(G, m) for m in members[v])
            op_count.update(ops)
            # a block is tinted with its most common op's colour, and outlined in purple
            colors[v] = lighten(op_color(ops.most_common(1)[0][0]), 0.6)
            outlines[v] = _BLOCK_OUTLINE
            top = ", ".join(f"{c} {o}" for o, c in ops.most_common(2))
            labels[v] = f"{path_tail(v)}\n{len(members[v])} nodes: {top}"
            continue
        op = _op(G, v)
        op_count[op] += 1
        colors[v] = op_color(op)
        body = _subgraphs(G, v)
        labels[v] = f"{op}{' [+body]' if body else ''}\n{path_tail(v)}"
        if body:
            outlines[v] = _BODY_OUTLINE
    return colors, labels, outlines, op_count


def _legend(op_count: Counter, members: dict, io_labels: dict) -> dict[str, str]:
    ops = [o for o, _ in op_count.most_common()]
    legend_map = {o: op_color(o) for o in ops[:_MAX_LEGEND]}
    if len(ops) > _MAX_LEGEND:
        legend_map[f"+{len(ops) - _MAX_LEGEND} more"] = "#ffffff"
    if members:
        legend_map["block (tint: main op)"] = COLLAPSED_COLOR
    if io_labels:
        legend_map["graph input / output"] = "#ffffff"
    return legend_map


def _default_title(graph, full, G, centre, radius, note, collapse, members, H) -> str:
    name = getattr(graph, "name", None) or full.graph.get("name") or "graph"
    if centre is not None:
        return f"{name} \u2014 neighbourhood of {centre!r}, radius {radius}\n{len(G)} of {len(full)} nodes"
    title = f"{name} \u2014 {len(full)} nodes" + (f"\n{note}" if note else "")
    if collapse is not None:
        title += f"\ncollapsed into {len(members)} block(s): {len(H)} boxes drawn"
    return title


def _own_figure(layout, labelled: bool, legend_map, edge_labels, expand, figsize, title):
    """A figure sized for the layout, the legend and expanded bodies (at most MAX_WIDTH_IN wide
    unless ``figsize`` says otherwise); returns (figure, main axes, title wrapped to fit)."""
    legend_w = (2.0 if labelled else 1.6) if legend_map is not None else 0.0
    body_w = _BODY_W if expand else 0.0
    size = figsize or figure_size_for(layout, labelled=labelled, legend=legend_map is not None,
                                      edge_labels=bool(edge_labels),
                                      max_width=max(3.0, MAX_WIDTH_IN - legend_w - body_w))
    if expand:
        size = (size[0] + body_w, max(size[1], 4.0 * len(expand)))
    if legend_map is not None:  # room for the legend beside the graph
        size = (size[0], max(size[1], 0.21 * len(legend_map) + 0.9))
    if title:  # titles wrap to the graph's width rather than widen the picture
        title = wrap(title, int((size[0] - legend_w - body_w) / CHAR_IN))
    title_h = 0.12 + 0.2 * len(title.split("\n") if title else [])
    fig = new_figure(size)
    main_w = max(0.3, (size[0] - legend_w - body_w) / size[0])
    ax = fig.add_axes((0.01, 0.0, main_w - 0.01, 1.0 - title_h / size[1]))
    return fig, ax, title


def _add_io(graph, H: nx.DiGraph, node_of: dict) -> tuple[nx.DiGraph, dict]:
    """H plus one node per graph input (edges to its consumers) and output (edge from its
    producer), restricted to tensors touching drawn nodes; returns (graph, io node -> label)."""
    H = H.copy()
    labels: dict = {}

    def io_label(kind: str, t) -> str:
        shape = t.shape_str() if hasattr(t, "shape_str") else "?"
        return f"{kind} {path_tail(t.name)}\n{t.dtype or '?'}[{shape}]"

    def key(kind: str, name: str) -> str:
        k = f"{kind}:{name}"
        while k in H:
            k += "'"
        return k

    for t in getattr(graph, "inputs", []) or []:
        readers = {node_of.get(c, c) for c in graph.consumers(t.name)} & set(H.nodes)
        if readers:
            k = key("input", t.name)
            H.add_node(k)
            labels[k] = io_label("input", t)
            for r in readers:
                H.add_edge(k, r, tensors=[t])
    for t in getattr(graph, "outputs", []) or []:
        p = graph.producer(t.name) if hasattr(graph, "producer") else None
        p = node_of.get(p, p)
        if p is not None and p in labels:
            continue
        if p is not None and p in H:
            k = key("output", t.name)
            H.add_node(k)
            labels[k] = io_label("output", t)
            H.add_edge(p, k, tensors=[t])
    return H, labels


def _draw_bodies(fig, ax, G, expand, node_of, artists, own_figure) -> None:
    """Draw the bodies of the ``expand`` nodes in axes to the right of the main drawing."""
    from matplotlib.patches import ConnectionPatch

    bodies = [(e, attr, sub) for e in expand for attr, sub in _subgraphs(G, e).items()]
    k = len(bodies)
    w_in = fig.get_figwidth()
    left = 1.0 - _BODY_W / w_in if own_figure else 0.78
    width = 0.98 - left
    for i, (e, attr, sub) in enumerate(bodies):
        top = 1.0 - i / k
        sub_ax = fig.add_axes((left, top - 0.94 / k, width, 0.86 / k))
        draw_onnx_graph(sub, ax=sub_ax, legend=False, direction="TB",
                        title=f"body of {e!r} ({attr}): {len(sub.nx) if hasattr(sub, 'nx') else len(sub)} nodes")
        for side in ("top", "bottom", "left", "right"):
            sub_ax.spines[side].set_visible(True)
        sub_ax.set_axis_on()
        sub_ax.set_xticks([])
        sub_ax.set_yticks([])
        for spine in sub_ax.spines.values():
            spine.set_edgecolor(_BODY_OUTLINE)
            spine.set_linestyle("--")
        if artists is not None:
            x, y = artists.pos[node_of.get(e, e)]
            fig.add_artist(ConnectionPatch(xyA=(x, y), coordsA=ax.transData, xyB=(0.0, 0.5),
                                           coordsB=sub_ax.transAxes, color=_BODY_OUTLINE, linestyle="--",
                                           linewidth=1.0, arrowstyle="->"))
