"""Graph summary: op counts, parameters and FLOPs (Conv, Gemm, MatMul) from inferred shapes."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .types import NodeInfo

if TYPE_CHECKING:  # pragma: no cover
    from .onnx_graph import OnnxGraph

__all__ = ["GraphSummary", "summarize", "node_flops", "count_params", "FLOP_OPS"]

#: Op types whose FLOPs are computed (a multiply-add counts as 2 FLOPs).
FLOP_OPS = ("Conv", "Gemm", "MatMul")


@dataclass
class GraphSummary:
    """What a graph is made of.

    ``rows`` has one tuple ``(op_type, count, params, flops)`` per op type, most frequent first;
    ``params`` there counts each node's weights (a weight shared by two nodes counts twice),
    while the total ``params`` counts each weight tensor once. ``flops`` is the sum over the
    Conv/Gemm/MatMul nodes whose FLOPs are known (None if none is); ``flops_unknown`` names
    those whose shapes were not known well enough (symbolic or unknown dims).
    """

    name: str
    num_nodes: int
    num_edges: int
    num_inputs: int
    num_outputs: int
    op_counts: dict[str, int]
    params: int
    flops: int | None
    flops_unknown: list[str] = field(default_factory=list)
    rows: list[tuple[str, int, int, int | None]] = field(default_factory=list)
    num_subgraphs: int = 0
    warnings: list[str] = field(default_factory=list)
    #: Symbolic dims that kept FLOPs unknown; give them values with ``graph.summary(dims={...})``.
    symbolic_dims: list[str] = field(default_factory=list)
    #: The values given for symbolic dims (``summary(dims=...)``).
    dims: dict[str, int] = field(default_factory=dict)

    HEADER = ("op type", "count", "params", "FLOPs")

    def _totals(self) -> list[tuple[str, str]]:
        flops = "unknown" if self.flops is None else _human(self.flops)
        if self.flops is not None and self.flops_unknown:
            flops = f">= {flops} ({len(self.flops_unknown)} node(s) unknown)"
        if self.symbolic_dims:
            example = ", ".join(f"{d!r}: 1" for d in self.symbolic_dims[:3])
            flops += f" - symbolic dims {', '.join(self.symbolic_dims)}: use summary(dims={{{example}}})"
        if self.dims:
            flops += " with " + ", ".join(f"{k}={v}" for k, v in self.dims.items())
        items = [
            ("nodes", str(self.num_nodes)),
            ("edges", str(self.num_edges)),
            ("inputs", str(self.num_inputs)),
            ("outputs", str(self.num_outputs)),
            ("parameters", f"{self.params:,}"),
            ("FLOPs", flops),
        ]
        if self.num_subgraphs:
            items.append(("subgraphs", str(self.num_subgraphs)))
        if self.warnings:
            items.append(("warnings", str(len(self.warnings))))
        return items

    def _cells(self) -> list[tuple[str, str, str, str]]:
        return [
            (op, str(count), f"{params:,}", "-" if flops is None else _human(flops))
            for op, count, params, flops in self.rows
        ]

    def __str__(self) -> str:
        lines = [f"graph {self.name!r}: " + ", ".join(f"{k} {v}" for k, v in self._totals())]
        cells = [self.HEADER, *self._cells()]
        widths = [max(len(r[i]) for r in cells) for i in range(4)]
        for j, row in enumerate(cells):
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        totals = " &middot; ".join(f"<b>{esc(k)}</b> {esc(v)}" for k, v in self._totals())
        head = "".join(f"<th>{esc(h)}</th>" for h in self.HEADER)
        body = "".join(
            "<tr>" + "".join(f'<td style="text-align:{"left" if i == 0 else "right"}">{esc(c)}</td>'
                             for i, c in enumerate(row)) + "</tr>"
            for row in self._cells()
        )
        return (
            f'<div class="trtlab-summary"><div>{esc(self.name)}: {totals}</div>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )


def _human(n: int) -> str:
    for unit, scale in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {unit} ({n:,})"
    return f"{n:,}"


def _resolve(shape, dims: dict[str, int] | None):
    if shape is None or not dims:
        return shape
    return tuple(dims.get(d, d) if isinstance(d, str) else d for d in shape)


def _prod(dims) -> int | None:
    n = 1
    for d in dims:
        if not isinstance(d, int):
            return None
        n *= d
    return n


def node_flops(graph: OnnxGraph, name: str | NodeInfo, dims: dict[str, int] | None = None) -> int | None:
    """FLOPs of one Conv/Gemm/MatMul node (2 per multiply-add), or None when not computable.

    Conv: ``2 * N * Cout * Hout * Wout * (Cin/group) * kH * kW`` (any number of spatial dims;
    ``Cin/group`` and the kernel size come from the weight's shape). Gemm and MatMul:
    ``2 * M * N * K`` (times the batch dims for MatMul), from the output shape and ``K`` from
    the first input (``transA`` respected). Bias additions are not counted. ``dims`` gives
    values to symbolic dimensions (``{"batch": 1}``).
    """
    info = name if isinstance(name, NodeInfo) else graph.node(name)
    if info.op_type not in FLOP_OPS or info.domain not in ("", "ai.onnx") or not info.outputs:
        return None
    out = _resolve(graph.tensor_info(info.outputs[0]).shape, dims)
    if out is None:
        return None
    out_numel = _prod(out)
    if out_numel is None:
        return None
    ins = [_resolve(graph.tensor_info(t).shape, dims) if t else None for t in info.inputs]
    if info.op_type == "Conv":
        w = ins[1] if len(ins) > 1 else None
        if w is None or len(w) < 3:
            return None
        per_output = _prod(w[1:])  # (Cin/group) * prod(kernel)
        return None if per_output is None else 2 * out_numel * per_output
    a = ins[0] if ins else None
    if a is None or len(a) == 0:
        return None
    if info.op_type == "Gemm":
        if len(a) != 2:
            return None
        k = a[0] if info.attributes.get("transA", 0) else a[1]
    else:  # MatMul: K is the last dim of A (its only dim when A is 1-D)
        k = a[-1]
    return 2 * out_numel * k if isinstance(k, int) else None


def count_params(graph: OnnxGraph) -> int:
    """Weight elements used by the graph's nodes, each weight tensor counted once, subgraphs included."""
    seen: set[str] = set()
    total = 0
    for _n, data in graph.nx.nodes(data=True):
        info: NodeInfo = data["info"]
        for w in info.weights:
            if w not in seen:
                seen.add(w)
                total += _prod(graph._weight_shapes.get(w, ())) or 0
        for sub in info.subgraphs.values():
            total += count_params(sub)
    return total


def summarize(graph: OnnxGraph, dims: dict[str, int] | None = None) -> GraphSummary:
    """Build the :class:`GraphSummary` of ``graph``; ``dims`` gives values to symbolic dims."""
    dims = _check_dims(dims)
    symbolic: dict[str, None] = {}
    counts: Counter[str] = Counter()
    params: Counter[str] = Counter()
    flops: dict[str, int | None] = {}
    total_flops: int | None = None
    unknown: list[str] = []
    n_sub = 0
    for n in graph.topological_order():
        info: NodeInfo = graph.nx.nodes[n]["info"]
        op = info.qualified_op
        counts[op] += 1
        params[op] += info.params
        n_sub += len(info.subgraphs)
        if info.op_type in FLOP_OPS:
            f = node_flops(graph, info, dims)
            if f is None:
                unknown.append(n)
                for t in info.inputs[:2] + info.outputs[:1]:
                    for d in _resolve(graph.tensor_info(t).shape, dims) or () if t else ():
                        if isinstance(d, str):
                            symbolic.setdefault(d)
                flops.setdefault(op, None)
            else:
                flops[op] = (flops.get(op) or 0) + f
                total_flops = (total_flops or 0) + f
    rows = [(op, c, params[op], flops.get(op)) for op, c in counts.most_common()]
    return GraphSummary(
        name=graph.name,
        num_nodes=len(graph),
        num_edges=graph.nx.number_of_edges(),
        num_inputs=len(graph.inputs),
        num_outputs=len(graph.outputs),
        op_counts=dict(counts.most_common()),
        params=count_params(graph),
        flops=total_flops,
        flops_unknown=unknown,
        rows=rows,
        num_subgraphs=n_sub,
        warnings=list(graph.warnings),
        symbolic_dims=list(symbolic),
        dims=dict(dims or {}),
    )


def _check_dims(dims: object) -> dict[str, int] | None:
    if dims is None:
        return None
    if not isinstance(dims, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v > 0 for k, v in dims.items()
    ):
        raise ConfigError(
            f"dims must map symbolic dimension names to positive ints, e.g. {{'batch': 1}}; got {dims!r}"
        )
    return dims
