"""The shape of a set of ONNX nodes: components, chains, fusion kind, and Myelin regions."""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from ..engine.kinds import Kind
from ._index import NameIndex
from .patterns import ELEMENTWISE_OPS

__all__ = ["components", "topology_kind", "expand_range"]


def components(keys: list[str], G: nx.DiGraph) -> list[list[str]]:
    """Weakly connected components of the nodes ``keys`` (edges among them only)."""
    parent = {k: k for k in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u in keys:
        for v in G.succ[u]:
            if v in parent:
                ru, rv = find(u), find(v)
                if ru != rv:
                    parent[ru] = rv
    comps: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        comps[find(k)].append(k)
    return list(comps.values())


def _is_chain(keys: list[str], G: nx.DiGraph) -> bool:
    s = set(keys)
    edges = 0
    indeg: dict[str, int] = defaultdict(int)
    for u in keys:
        out = [v for v in G.succ[u] if v in s]
        if len(out) > 1:
            return False
        edges += len(out)
        for v in out:
            indeg[v] += 1
            if indeg[v] > 1:
                return False
    return edges == len(keys) - 1


def topology_kind(keys: list[str], idx: NameIndex, myelin_made: bool) -> tuple[Kind, list[list[str]]]:
    """Kind of a layer from the ONNX nodes it absorbed (for names that say nothing)."""
    if len(keys) <= 1:
        return Kind.SINGLE, [keys]
    G = idx.G
    if all(idx.info[k].op_type in ELEMENTWISE_OPS for k in keys):
        return Kind.POINTWISE, [keys]
    if _is_chain(keys, G):
        return Kind.VERTICAL, [keys]
    comps = components(keys, G)
    if len(comps) > 1:
        # siblings: every branch reads one tensor that all branches share
        shared = None
        for comp in comps:
            cs = set(comp)
            reads = {t for k in comp for t in idx.info[k].inputs if t and idx.producer.get(t) not in cs}
            shared = reads if shared is None else shared & reads
        if shared:
            comps.sort(key=lambda c: min(idx.pos[k] for k in c))
            return Kind.HORIZONTAL, [sorted(c, key=idx.pos.__getitem__) for c in comps]
    return (Kind.MYELIN if myelin_made else Kind.VERTICAL), [keys]


def expand_range(first: str, last: str, idx: NameIndex, claimed: set[str]) -> list[str]:
    """ONNX nodes of a Myelin region named by its first and last node (see module docstring)."""
    G = idx.G
    if first == last:
        return [first]
    if idx.pos[first] > idx.pos[last]:
        first, last = last, first
    region = ({first, last} | (nx.descendants(G, first) & nx.ancestors(G, last)))
    lo, hi = idx.pos[first], idx.pos[last]
    between = [k for k, p in idx.pos.items() if lo < p < hi and k not in region and k not in claimed]
    between.sort(key=idx.pos.__getitem__)
    # two sweeps (forward, backward) add unclaimed in-between nodes attached to the region
    for seq in (between, list(reversed(between))):
        for k in seq:
            if k in region:
                continue
            if any(n in region for n in G.pred[k]) or any(n in region for n in G.succ[k]):
                region.add(k)
    return sorted(region, key=idx.pos.__getitem__)
