"""Layered (Sugiyama-style) layout of a directed acyclic graph, without Graphviz.

Steps, each chosen to stay fast at thousands of nodes:

1. **Layers** from :func:`networkx.topological_generations` (longest path from the sources);
   source nodes (ONNX ``Constant`` nodes, for instance) are then moved next to their first
   consumer so they do not all pile up in the first layer.
2. **Dummy nodes** split edges that span several layers, so long skip connections are routed
   around the nodes in between and take part in crossing reduction.
3. **Crossing reduction** by barycentre sweeps (down, then up), vectorised per layer with numpy;
   the ordering with the fewest crossings seen is kept.
4. **Coordinates**: each node is pulled towards the mean position of its neighbours in the
   adjacent layer, then overlaps are removed with an isotonic regression, which keeps the
   order and moves nodes as little as possible (least squares). Chains come out straight.

Cycles (which only appear after collapsing nodes into boxes) are tolerated: edges that close a
cycle are reversed for the layout and drawn pointing backwards.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..errors import ConfigError

__all__ = ["layered_layout", "compute_layout", "fold_layout", "Layout", "count_crossings", "DIRECTIONS"]

DIRECTIONS = ("LR", "TB", "RL", "BT")

# within-layer space taken by a dummy node (a long edge passing through a layer), relative to a
# real node's 1.0: long edges may squeeze between nodes
_DUMMY_WIDTH = 0.35


@dataclass
class Layout:
    """Result of :func:`compute_layout`.

    ``pos`` maps node -> (x, y). ``routes`` maps each edge (u, v) of the graph to the polyline
    (an ``(k, 2)`` array, from u to v) it is drawn along. ``layer`` maps node -> layer index.
    ``crossings`` counts edge crossings after reduction, ``initial_crossings`` before.
    """

    pos: dict[Hashable, tuple[float, float]]
    routes: dict[tuple[Hashable, Hashable], np.ndarray]
    layer: dict[Hashable, int]
    direction: str
    n_layers: int
    crossings: int
    initial_crossings: int
    reversed_edges: list[tuple[Hashable, Hashable]] = field(default_factory=list)

    def extent(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) of the node positions and edge routes (0s for an empty layout);
        a long edge may be routed outside the nodes' range."""
        if not self.pos:
            return (0.0, 0.0, 0.0, 0.0)
        xy = np.array(list(self.pos.values()), dtype=float)
        bends = [r[1:-1] for r in self.routes.values() if len(r) > 2]
        if bends:
            xy = np.vstack([xy, *bends])
        x, y = xy[:, 0], xy[:, 1]
        return (float(np.nanmin(x)), float(np.nanmax(x)), float(np.nanmin(y)), float(np.nanmax(y)))


def check_direction(direction: str) -> str:
    """``direction`` upper-cased, or a ConfigError naming the allowed values."""
    d = str(direction).upper()
    if d not in DIRECTIONS:
        raise ConfigError(
            f"direction {direction!r} is not one of {', '.join(DIRECTIONS)}; "
            f"use 'LR' (left to right) or 'TB' (top to bottom)"
        )
    return d


def layered_layout(G: nx.DiGraph, direction: str = "LR") -> dict[Hashable, tuple[float, float]]:
    """Positions of the nodes of the DAG ``G`` in layers, edges pointing along ``direction``.

    ``direction`` is ``"LR"`` (x grows along every edge), ``"TB"`` (y falls along every edge),
    ``"RL"`` or ``"BT"``. Layers are one unit apart; nodes within a layer at least one unit.
    Returns ``{node: (x, y)}``; :func:`compute_layout` also returns the edge routes.
    """
    return compute_layout(G, direction).pos


def compute_layout(G: nx.DiGraph, direction: str = "LR", *, max_sweeps: int = 12) -> Layout:
    """Layered layout of ``G`` with edge routes and crossing counts (see :func:`layered_layout`)."""
    direction = check_direction(direction)
    if not isinstance(G, nx.Graph):
        raise ConfigError(
            f"layered_layout needs a networkx DiGraph, got {type(G).__name__}; "
            f"pass graph.nx for an OnnxGraph"
        )
    nodes = list(G.nodes)
    n = len(nodes)
    if n == 0:
        return Layout({}, {}, {}, direction, 0, 0, 0)
    index = {v: i for i, v in enumerate(nodes)}
    edge_list = [(u, v) for u, v in G.edges if u != v]
    E = np.array([(index[u], index[v]) for u, v in edge_list], dtype=np.int64).reshape(-1, 2)
    if not G.is_directed():
        # an undirected graph: orient every edge by first appearance so it can still be drawn
        E = np.sort(E, axis=1)

    # 1. acyclic orientation: in a DFS reverse postorder every edge points forward except the
    # DFS back edges, which are exactly the edges closing cycles; reverse those.
    H = nx.DiGraph()
    H.add_nodes_from(range(n))
    H.add_edges_from(map(tuple, E.tolist()))
    reversed_mask = np.zeros(len(E), dtype=bool)
    if not nx.is_directed_acyclic_graph(H):
        rank = np.empty(n, dtype=np.int64)
        rank[list(reversed(list(nx.dfs_postorder_nodes(H))))] = np.arange(n)
        reversed_mask = rank[E[:, 0]] > rank[E[:, 1]]
        A = E.copy()
        A[reversed_mask] = A[reversed_mask][:, ::-1]
        H = nx.DiGraph()
        H.add_nodes_from(range(n))
        H.add_edges_from(map(tuple, A.tolist()))
    else:
        A = E
    A_unique = np.unique(A, axis=0) if len(A) else A

    # 2. layers: longest path from the sources, then sources pulled next to their first consumer
    layer = np.zeros(n, dtype=np.int64)
    for i, generation in enumerate(nx.topological_generations(H)):
        layer[generation] = i
    if len(A_unique):
        indeg = np.bincount(A_unique[:, 1], minlength=n)
        first_use = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first_use, A_unique[:, 0], layer[A_unique[:, 1]])
        movable = (indeg == 0) & (first_use < np.iinfo(np.int64).max)
        layer[movable] = first_use[movable] - 1
    n_layers = int(layer.max()) + 1

    # 3. dummy nodes for edges spanning several layers; items = real nodes + dummies
    item_layer = [int(x) for x in layer]
    seg_a: list[int] = []
    seg_b: list[int] = []
    chains: list[list[int]] = []  # per unique acyclic edge: items from its tail to its head
    for a, b in A_unique.tolist():
        chain = [a]
        for lay in range(item_layer[a] + 1, item_layer[b]):
            item_layer.append(lay)
            chain.append(len(item_layer) - 1)
        chain.append(b)
        chains.append(chain)
        seg_a.extend(chain[:-1])
        seg_b.extend(chain[1:])
    m = len(item_layer)
    item_layer_arr = np.array(item_layer, dtype=np.int64)
    width = np.ones(m)
    width[n:] = _DUMMY_WIDTH
    sa = np.array(seg_a, dtype=np.int64)
    sb = np.array(seg_b, dtype=np.int64)

    # members of each layer, initially in the graph's own order (ONNX node order); dummies
    # follow their edge's tail
    sort_key = np.arange(m, dtype=float)
    if m > n:
        dummy_tail = np.empty(m - n)
        for chain in chains:
            for d in chain[1:-1]:
                dummy_tail[d - n] = chain[0] + 0.5
        sort_key[n:] = dummy_tail
    members = [[] for _ in range(n_layers)]
    for item in np.lexsort((sort_key, item_layer_arr)).tolist():
        members[item_layer[item]].append(item)
    members_arr = [np.array(ms, dtype=np.int64) for ms in members]

    # segments between layer l and l+1, grouped by l
    seg_layer = item_layer_arr[sa] if len(sa) else np.zeros(0, dtype=np.int64)
    order = np.argsort(seg_layer, kind="stable")
    bounds = np.searchsorted(seg_layer[order], np.arange(n_layers + 1))
    segs = [(sa[order[bounds[l]:bounds[l + 1]]], sb[order[bounds[l]:bounds[l + 1]]]) for l in range(n_layers)]

    pos_in_layer = np.empty(m, dtype=float)
    for ms in members_arr:
        pos_in_layer[ms] = np.arange(len(ms))

    # index of every item within its layer's member array (membership never changes; only the
    # positions do), so per-layer sums are bincounts over the layer, not over the whole graph
    local = np.empty(m, dtype=np.int64)
    for ms in members_arr:
        local[ms] = np.arange(len(ms))
    local_segs = [(local[a], local[b]) for a, b in segs]

    initial = _total_crossings(segs, pos_in_layer)
    best, best_pos = initial, pos_in_layer.copy()
    stale = 0
    for _ in range(max_sweeps if initial else 0):
        for l in range(1, n_layers):  # down: order layer l by its predecessors in l-1
            a, _b = segs[l - 1]
            _reorder(members_arr[l], local_segs[l - 1][1], pos_in_layer[a], pos_in_layer)
        for l in range(n_layers - 2, -1, -1):  # up: order layer l by its successors in l+1
            _a, b = segs[l]
            _reorder(members_arr[l], local_segs[l][0], pos_in_layer[b], pos_in_layer)
        c = _total_crossings(segs, pos_in_layer)
        if c < best:
            best, best_pos, stale = c, pos_in_layer.copy(), 0
        else:
            stale += 1
        if best == 0 or stale >= 2:
            break
    pos_in_layer = best_pos
    for l in range(n_layers):
        ms = members_arr[l]
        members_arr[l] = ms[np.argsort(pos_in_layer[ms], kind="stable")]

    # 4. coordinates within layers
    coord = _assign_coordinates(members_arr, segs, width, m)

    # node and route positions
    flip = direction in ("RL", "BT")
    lay = item_layer_arr.astype(float)
    if flip:
        lay = (n_layers - 1) - lay
    if direction in ("LR", "RL"):
        xy = np.column_stack([lay, -coord])
    else:
        xy = np.column_stack([coord, -lay])
    pos = {v: (float(xy[i, 0]), float(xy[i, 1])) for i, v in enumerate(nodes)}
    route_of = {}
    for chain in chains:
        route_of[(chain[0], chain[-1])] = chain
    routes: dict = {}
    reversed_edges = []
    for k, (u, v) in enumerate(edge_list):
        a, b = int(A[k, 0]), int(A[k, 1])
        chain = route_of[(a, b)]
        pts = xy[chain]
        if reversed_mask[k]:
            pts = pts[::-1]
            reversed_edges.append((u, v))
        routes[(u, v)] = pts
    return Layout(
        pos=pos,
        routes=routes,
        layer={v: int(layer[i]) for i, v in enumerate(nodes)},
        direction=direction,
        n_layers=n_layers,
        crossings=int(best),
        initial_crossings=int(initial),
        reversed_edges=reversed_edges,
    )


def _reorder(members: np.ndarray, ends: np.ndarray, other_pos: np.ndarray, pos: np.ndarray) -> None:
    """Re-rank ``members`` by the barycentre of their neighbours' positions (in place in pos).

    ``ends`` are the segment ends lying in this layer (as indices into ``members``),
    ``other_pos`` the positions of the other end of each segment. Members without neighbours
    keep their current position.
    """
    k = len(members)
    if k < 2 or len(ends) == 0:
        return
    sums = np.bincount(ends, weights=other_pos, minlength=k)
    counts = np.bincount(ends, minlength=k)
    current = pos[members]
    bary = np.where(counts > 0, sums / np.maximum(counts, 1), current)
    new = np.lexsort((current, bary))
    pos[members[new]] = np.arange(len(members))


def _total_crossings(segs, pos: np.ndarray) -> int:
    return sum(_crossings_between(pos[a], pos[b]) for a, b in segs if len(a) > 1)


def _crossings_between(pa: np.ndarray, pb: np.ndarray) -> int:
    """Crossings of straight segments between two layers, given their end positions."""
    order = np.lexsort((pb, pa))
    return _inversions(pb[order])


def _inversions(seq: np.ndarray) -> int:
    """Number of pairs i < j with seq[i] > seq[j]."""
    k = len(seq)
    if k < 2:
        return 0
    if k <= 1024:  # quadratic but vectorised: fastest for the small layers real models have
        return int(np.count_nonzero(np.triu(seq[:, None] > seq[None, :], 1)))
    # large layers: Fenwick tree over the ranks of the values, O(k log k)
    ranks = np.unique(seq, return_inverse=True)[1].ravel() + 1
    size = int(ranks.max())
    tree = [0] * (size + 1)
    inversions = 0
    for seen, r in enumerate(ranks.tolist()):
        # count earlier values <= r, the rest are greater
        i, le = r, 0
        while i > 0:
            le += tree[i]
            i -= i & -i
        inversions += seen - le
        i = r
        while i <= size:
            tree[i] += 1
            i += i & -i
    return inversions


def count_crossings(G: nx.DiGraph, pos: dict, direction: str = "LR") -> int:
    """Edge crossings of straight edges between adjacent layers of a layered drawing.

    Layers are read from ``pos`` along ``direction`` (x for LR/RL, y for TB/BT); only edges
    between consecutive layers are counted (a layout with dummy nodes has no others).
    """
    direction = check_direction(direction)
    if G.number_of_edges() == 0:
        return 0
    along, across = (0, 1) if direction in ("LR", "RL") else (1, 0)
    nodes = list(G.nodes)
    idx = {v: i for i, v in enumerate(nodes)}
    xy = np.array([pos[v] for v in nodes], dtype=float)
    layer_vals = np.unique(np.round(xy[:, along], 6))
    layer = np.searchsorted(layer_vals, np.round(xy[:, along], 6))
    E = np.array([(idx[u], idx[v]) for u, v in G.edges], dtype=np.int64)
    lu, lv = layer[E[:, 0]], layer[E[:, 1]]
    swap = lu > lv
    E[swap] = E[swap][:, ::-1]
    lu, lv = layer[E[:, 0]], layer[E[:, 1]]
    adjacent = lv - lu == 1
    total = 0
    for l in np.unique(lu[adjacent]):
        sel = adjacent & (lu == l)
        total += _crossings_between(xy[E[sel, 0], across], xy[E[sel, 1], across])
    return int(total)


def _isotonic(values: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit of ``values`` (pool adjacent violators).

    Written here because numpy has no isotonic regression and scipy is not a dependency.
    """
    means: list[float] = []
    sizes: list[int] = []
    for x in values.tolist():
        means.append(x)
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            s = sizes[-2] + sizes[-1]
            means[-2] = (means[-2] * sizes[-2] + means[-1] * sizes[-1]) / s
            sizes[-2] = s
            means.pop()
            sizes.pop()
    return np.repeat(means, sizes)


def _place(desired: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Positions closest to ``desired`` keeping their order and widths ``w`` apart."""
    gaps = (w[:-1] + w[1:]) / 2
    offset = np.concatenate([[0.0], np.cumsum(gaps)])
    return _isotonic(desired - offset) + offset


def _assign_coordinates(members, segs, width: np.ndarray, m: int, iterations: int | None = None) -> np.ndarray:
    """Within-layer coordinates: nodes pulled to their neighbours' mean, overlaps removed.

    Most layers of real networks hold one to a few nodes, where numpy's per-call overhead
    dominates, so those layers are handled with plain Python floats.
    """
    if iterations is None:
        iterations = 4 if m <= 3000 else 2
    coord = np.zeros(m)
    local = np.empty(m, dtype=np.int64)
    widths = []
    for ms in members:
        w = width[ms]
        widths.append(w)
        local[ms] = np.arange(len(ms))
        offset = np.cumsum(np.concatenate([[0.0], (w[:-1] + w[1:]) / 2]))
        coord[ms] = offset - offset[-1] / 2 if len(ms) else offset
    n_layers = len(members)
    # per layer and direction: for each member (local index), the items it is pulled towards
    pulls_down: list = [None] * n_layers
    pulls_up: list = [None] * n_layers
    for l, (a, b) in enumerate(segs):
        if len(a) == 0:
            continue
        if l + 1 < n_layers:
            pulls_down[l + 1] = (local[b], a)
        pulls_up[l] = (local[a], b)
    small = [len(ms) <= 6 for ms in members]
    members_list = [ms.tolist() for ms in members]
    gaps_list = [((w[:-1] + w[1:]) / 2).tolist() for w in widths]
    small_pulls = {}
    for name, pulls in (("down", pulls_down), ("up", pulls_up)):
        for l, pr in enumerate(pulls):
            if pr is not None and small[l]:
                groups: list[list[int]] = [[] for _ in members_list[l]]
                for i, o in zip(pr[0].tolist(), pr[1].tolist()):
                    groups[i].append(o)
                small_pulls[(name, l)] = groups

    def pull(l: int, name: str, pr) -> None:
        if pr is None:
            return
        if small[l]:
            ms = members_list[l]
            groups = small_pulls[(name, l)]
            desired = [sum(coord[o] for o in g) / len(g) if g else coord[v] for v, g in zip(ms, groups)]
            gaps = gaps_list[l]
            if all(desired[i + 1] - desired[i] >= gaps[i] - 1e-12 for i in range(len(gaps))):
                for v, d in zip(ms, desired):
                    coord[v] = d
                return
            coord[members[l]] = _place(np.array(desired), widths[l])
            return
        ends_local, others = pr
        ms = members[l]
        k = len(ms)
        sums = np.bincount(ends_local, weights=coord[others], minlength=k)
        counts = np.bincount(ends_local, minlength=k)
        desired = np.where(counts > 0, sums / np.maximum(counts, 1), coord[ms])
        coord[ms] = _place(desired, widths[l])

    for _ in range(iterations):
        for l in range(1, n_layers):
            pull(l, "down", pulls_down[l])
        for l in range(n_layers - 2, -1, -1):
            pull(l, "up", pulls_up[l])
    # final down sweep, so chains hang straight below their producers
    for l in range(1, n_layers):
        pull(l, "down", pulls_down[l])
    coord -= (coord.min() + coord.max()) / 2
    return coord


def fold_layout(layout: Layout, bands: int | None = None, gap: float = 2.0) -> Layout:
    """The layout of a deep graph cut into ``bands`` side-by-side bands of consecutive layers.

    A 3,000-layer network drawn in one column is a thin line; folded, it is read like text:
    down the first column (TB), then down the next. Edges that cross from one band to the next
    run from the end of one band to the start of the next. ``bands=None`` picks a number that
    makes the drawing roughly square. Only LR and TB layouts are folded (others are returned
    unchanged), as are layouts of fewer than 20 layers.
    """
    if layout.direction not in ("LR", "TB") or layout.n_layers < 20 or not layout.pos:
        return layout
    along, across = (0, 1) if layout.direction == "LR" else (1, 0)
    sign = 1.0 if layout.direction == "LR" else -1.0  # layer index = sign * coordinate
    xy = np.array(list(layout.pos.values()), dtype=float)
    lo, hi = xy[:, across].min(), xy[:, across].max()
    thickness = hi - lo + gap
    if bands is None:
        # LR boxes are wider than tall; markers are round: aim at a square in layout units
        bands = int(round(np.sqrt(layout.n_layers / thickness)))
    bands = max(1, min(int(bands), layout.n_layers))
    if bands == 1:
        return layout
    per_band = int(np.ceil(layout.n_layers / bands))

    def move(points: np.ndarray) -> np.ndarray:
        p = np.array(points, dtype=float, copy=True).reshape(-1, 2)
        lay = np.rint(sign * p[:, along]).astype(np.int64)
        band = lay // per_band
        p[:, along] = sign * (lay - band * per_band)
        # bands run left to right (TB) or top to bottom (LR)
        p[:, across] = p[:, across] - lo + band * thickness if layout.direction == "TB" else \
            p[:, across] - hi - band * thickness
        return p

    def route(points: np.ndarray) -> np.ndarray:
        # a step from one band into the next becomes two stubs (out of the end of one band,
        # into the start of the next) separated by NaN, which matplotlib draws as a gap
        lay = np.rint(sign * np.asarray(points, dtype=float)[:, along]).astype(np.int64)
        p = move(points)
        band = lay // per_band
        jumps = np.nonzero(band[1:] != band[:-1])[0]
        if len(jumps) == 0:
            return p
        step = np.zeros(2)
        step[along] = sign * 0.45
        pieces, start = [], 0
        for j in jumps:
            d = 1.0 if lay[j + 1] > lay[j] else -1.0
            pieces += [p[start:j + 1], [p[j] + d * step], [[np.nan, np.nan]], [p[j + 1] - d * step]]
            start = j + 1
        pieces.append(p[start:])
        return np.concatenate([np.asarray(x, dtype=float).reshape(-1, 2) for x in pieces])

    keys = list(layout.pos)
    moved = move(xy)
    pos = {k: (float(moved[i, 0]), float(moved[i, 1])) for i, k in enumerate(keys)}
    routes = {e: route(r) for e, r in layout.routes.items()}
    return Layout(pos=pos, routes=routes, layer=dict(layout.layer), direction=layout.direction,
                  n_layers=per_band, crossings=layout.crossings, initial_crossings=layout.initial_crossings,
                  reversed_edges=list(layout.reversed_edges))
