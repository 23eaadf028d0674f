"""Merging nodes into boxes: one graph contraction and one name-prefix overview for every picture.

- :func:`contract`: the graph of units (blocks, engine layers, fusion branches) connected as
  their members are, optionally bridging over nodes that belong to no unit.
- :func:`prefix_blocks`: blocks from the leading parts of ``/``-separated names, the overview
  of big graphs (``inception_3a/1x1`` -> ``inception_3a/``).

Written here rather than with :func:`networkx.quotient_graph`, which compares every pair of
blocks (quadratic) and cannot bridge over nodes outside every block.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable

import networkx as nx

__all__ = ["contract", "prefix_blocks", "OVERVIEW_MIN", "OVERVIEW_TARGET"]

#: an overview by name prefix draws at least this many boxes ...
OVERVIEW_MIN = 8
#: ... and at most this many (a screenful); otherwise no prefix overview is made
OVERVIEW_TARGET = 60


def contract(graph: nx.DiGraph, unit: Callable[[Hashable], Hashable | None], *,
             bridge: bool = False) -> tuple[nx.DiGraph, dict]:
    """``graph`` with the nodes of each unit merged into one node; returns (graph, unit -> members).

    ``unit(v)`` names the unit of node ``v``. A node whose unit is None is bridged over when
    ``bridge`` is true (its predecessors' units connect to its successors' units), otherwise it
    stays as itself. Edges keep the union of their ``tensors`` attribute. A unit that is one
    node of ``graph`` under its own name keeps that node's attributes.
    """
    key = {v: unit(v) for v in graph}
    if not bridge:
        key = {v: (v if k is None else k) for v, k in key.items()}
    members: dict = {}
    for v, k in key.items():
        if k is not None:
            members.setdefault(k, []).append(v)
    merged = nx.DiGraph()
    for k, ms in members.items():
        merged.add_node(k, **(dict(graph.nodes[k]) if ms == [k] else {"block": ms}))
    for u, a in key.items():
        if a is None:
            continue
        for v, b, tensors in _reached(graph, u, key, bridge):
            if b == a:
                continue
            if merged.has_edge(a, b):
                seen = merged.edges[a, b]["tensors"]
                seen.extend(t for t in tensors if t not in seen)
            else:
                merged.add_edge(a, b, tensors=list(tensors))
    return merged, members


def _reached(graph: nx.DiGraph, u: Hashable, key: dict, bridge: bool):
    """(node, unit, tensors of the entering edge) for each unit-holding node reached from ``u``
    through nodes without a unit, in the order of ``graph``'s edges."""
    stack, seen = list(reversed(list(graph.succ[u]))), set()
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        b = key[v]
        if b is None and bridge:
            stack.extend(reversed(list(graph.succ[v])))
            continue
        yield v, b, graph.edges[u, v].get("tensors", ()) if graph.has_edge(u, v) else ()


def prefix_blocks(names: Iterable[Hashable], *, target: int = OVERVIEW_TARGET) -> dict | None:
    """Node -> block by the leading parts of ``/``-separated names, or None.

    Picks the deepest depth that gives between ``OVERVIEW_MIN`` and ``target`` boxes and at least
    halves the count (a screenful that still says something). Blocks are named by their prefix
    with a trailing ``/`` (``inception_3a/``); a node whose name is no longer than the prefix, or
    that would be alone in its block, stays outside every block (drawn as itself).
    """
    parts = {v: str(v).strip("/").split("/") for v in names}
    n = len(parts)
    best = None
    for depth in range(1, 6):
        keys = {v: "/".join(p[:depth]) + "/" if len(p) > depth else None for v, p in parts.items()}
        sizes = Counter(k for k in keys.values() if k is not None)
        mapping = {v: k for v, k in keys.items() if k is not None and sizes[k] > 1}
        if not mapping:
            break
        count = n - len(mapping) + len(set(mapping.values()))
        if OVERVIEW_MIN <= count <= target and count <= n / 2:
            best = mapping
    return best
