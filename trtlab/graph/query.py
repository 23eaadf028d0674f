"""Queries on an :class:`~trtlab.graph.OnnxGraph`: find nodes, a node's neighbourhood, the part
of the graph between two tensors. Each returns names (``find``) or a new, smaller OnnxGraph."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

import networkx as nx

from ..errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from .onnx_graph import OnnxGraph

__all__ = ["find", "neighborhood", "between"]


def find(graph: OnnxGraph, op_type: str | Iterable[str] | None = None, pattern: str | None = None) -> list[str]:
    """Names of nodes matching ``op_type`` (exact; one or several; ``"domain::Op"`` also works)
    and the regular expression ``pattern`` (searched in the unique name), topological order.
    With neither, all nodes."""
    if op_type is None:
        ops = None
    elif isinstance(op_type, str):
        ops = {op_type}
    else:
        try:
            ops = set(op_type)
        except TypeError:
            raise ConfigError(f"op_type must be a str or a list of str, not {type(op_type).__name__} ({op_type!r})") from None
        if not all(isinstance(o, str) for o in ops):
            raise ConfigError(f"op_type must be a str or a list of str; got {sorted(map(repr, ops))}")
    regex = None
    if pattern is not None:
        if not isinstance(pattern, str):
            raise ConfigError(f"pattern must be a regular expression string, not {type(pattern).__name__}")
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"pattern {pattern!r} is not a valid regular expression ({exc}); "
                              f"escape special characters with re.escape().") from None
    out = []
    for n in graph.topological_order():
        info = graph.nx.nodes[n]["info"]
        if ops is not None and info.op_type not in ops and info.qualified_op not in ops:
            continue
        if regex is not None and not regex.search(n):
            continue
        out.append(n)
    return out


def neighborhood(graph: OnnxGraph, name: str, radius: int = 1) -> OnnxGraph:
    """Node ``name`` and every node at most ``radius`` edges away, following edges either way."""
    graph.node(name)  # raises a clear error for unknown names
    if isinstance(radius, bool) or not isinstance(radius, int) or radius < 0:
        raise ConfigError(f"radius must be an int >= 0, got {radius!r}")
    nodes = nx.ego_graph(graph.nx, name, radius=radius, undirected=True).nodes
    return graph.subgraph(nodes, name=f"{graph.name}: {name} ±{radius}")


def between(graph: OnnxGraph, src_tensor: str, dst_tensor: str) -> OnnxGraph:
    """Every node lying on a path from tensor ``src_tensor`` to tensor ``dst_tensor``.

    That is, the nodes that read ``src_tensor`` or descend from one that does, and that produce
    ``dst_tensor`` or are its ancestors. Raises ConfigError if either tensor is unknown, if
    ``dst_tensor`` has no producer, or if no path joins them.
    """
    graph.tensor(src_tensor)  # raise for unknown names
    graph.tensor(dst_tensor)
    starts = graph.consumers(src_tensor)
    end = graph.producer(dst_tensor)
    if end is None:
        raise ConfigError(
            f"tensor {dst_tensor!r} is not produced by any node of graph {graph.name!r} (it is a graph "
            f"input or a weight); pass a tensor that some node writes as dst_tensor."
        )
    if not starts:
        raise ConfigError(f"no node of graph {graph.name!r} reads tensor {src_tensor!r}; pass a tensor some node reads.")
    # descendants of every start: skip starts already reached, so this stays linear in practice
    reach: set[str] = set()
    for s in starts:
        if s not in reach:
            reach.add(s)
            reach |= nx.descendants(graph.nx, s)
    if end not in reach:
        raise ConfigError(f"no path leads from tensor {src_tensor!r} to tensor {dst_tensor!r} in graph {graph.name!r}.")
    keep = reach & (nx.ancestors(graph.nx, end) | {end})
    return graph.subgraph(keep, name=f"{graph.name}: {src_tensor} -> {dst_tensor}")
