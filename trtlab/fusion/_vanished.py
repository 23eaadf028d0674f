"""ONNX nodes without an engine layer, and why; per-layer times joined onto the report rows."""

from __future__ import annotations

from collections import defaultdict, deque

import networkx as nx

from ..engine import Profile
from ._index import NameIndex
from ._rows import Row
from .patterns import QDQ_OPS, SHAPE_OPS, TRIVIAL_OPS
from .report import FusedLayer, VanishedNode

__all__ = ["vanished_nodes", "join_profile"]

_WEIGHT_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul"}


def vanished_nodes(idx: NameIndex, by_node: dict[str, list[int]], int8: bool
                   ) -> tuple[list[VanishedNode], list[str], list[str]]:
    """Classify ONNX nodes that no engine layer absorbed; return (vanished, unaccounted, compute)."""
    info = idx.info
    live = _live_nodes(idx)
    const: set[str] = set(idx.initializers)
    vanished: list[VanishedNode] = []
    unaccounted: list[str] = []
    compute: list[str] = []
    for k in sorted(info, key=idx.pos.__getitem__):
        n = info[k]
        folded = _is_folded(n, const, idx)
        if folded:
            const.update(t for t in n.outputs if t)
        is_compute = n.op_type not in TRIVIAL_OPS and not folded
        if is_compute:
            compute.append(k)
        if k in by_node:
            continue
        reason = _vanish_reason(k, folded, k in live, idx, by_node, int8)
        if reason is not None:
            vanished.append(VanishedNode(k, n.op_type, reason))
        elif is_compute:
            unaccounted.append(k)
    return vanished, unaccounted, compute


def _live_nodes(idx: NameIndex) -> set[str]:
    """Nodes from which a graph output can be reached (every node when the graph names no output)."""
    graph = idx.graph
    outputs = [getattr(t, "name", t) for t in (getattr(graph, "outputs", None) or [])]
    if not outputs:
        return set(idx.info)
    live: set[str] = set()
    for k in {idx.producer.get(t) for t in outputs} - {None}:
        if k not in live:
            live.add(k)
            live |= nx.ancestors(idx.G, k)
    return live


def _is_folded(n, const: set[str], idx: NameIndex) -> bool:
    """Whether a node computes only from constants (TensorRT folds it at build time)."""
    ins = [t for t in n.inputs if t]
    if n.op_type in ("Constant", "ConstantOfShape") or bool(ins and const.issuperset(ins)):
        return True
    if n.op_type in ("Shape", "Size") and ins:
        tensors = getattr(idx.graph, "tensors", {}) or {}
        shape = getattr(tensors.get(ins[0]), "shape", None)
        return shape is not None and all(isinstance(d, int) for d in shape)
    return False


def _vanish_reason(k: str, folded: bool, live: bool, idx: NameIndex, by_node: dict[str, list[int]],
                   int8: bool) -> str | None:
    """Why an ONNX node has no engine layer, or None when nothing explains it."""
    G, op = idx.G, idx.info[k].op_type
    pred_mapped = any(p in by_node for p in G.pred[k])
    neighbours_mapped = pred_mapped or any(s in by_node for s in G.succ[k])
    if folded:
        return "constant-folded"
    if not live or op in TRIVIAL_OPS:
        return "eliminated"
    if op == "BatchNormalization" and pred_mapped and {idx.info[p].op_type for p in G.pred[k]} & _WEIGHT_OPS:
        return "folded into weights"
    if op in QDQ_OPS:
        ins = [t for t in idx.info[k].inputs if t]
        if ins and ins[0] in idx.initializers:
            return "folded into weights"
        return "folded into INT8 kernels" if int8 and neighbours_mapped else None
    if op in SHAPE_OPS and neighbours_mapped:
        return "merged"
    if op == "Concat" and pred_mapped:
        return "eliminated"  # concat elision: producers write into the output buffer
    return None


def join_profile(out: list[FusedLayer], rows: list[Row], profile: Profile | None) -> list[str]:
    """Put per-layer times on the report rows; return profile names matching no layer."""
    if profile is None:
        return []
    queues: dict[str, deque] = defaultdict(deque)
    for lt in profile.layers:
        queues[lt.name].append(lt)
    total = profile.total_ms
    for fl, r in zip(out, rows):
        q = queues.get(r.name) or queues.get(r.base_name)
        if not q:
            continue
        lt = q.popleft()
        t = lt.average_ms if lt.average_ms is not None else lt.time_ms
        fl.time_ms = float(t) if t is not None else None
        if lt.percentage is not None:
            fl.share = float(lt.percentage) / 100.0
        elif total and fl.time_ms is not None:
            fl.share = fl.time_ms / total
    return [lt.name for q in queues.values() for lt in q]
