"""Payload dataclasses stored on the networkx graph: :class:`TensorInfo` and :class:`NodeInfo`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .onnx_graph import OnnxGraph

__all__ = ["Dim", "Shape", "TensorInfo", "NodeInfo"]

#: One dimension: an int (static), a str (symbolic, e.g. ``"batch"``) or None (unknown).
Dim = int | str | None
#: A shape: a tuple of dims, or None when even the rank is unknown.
Shape = tuple[Dim, ...] | None


@dataclass(frozen=True)
class TensorInfo:
    """A tensor flowing along an edge (or entering/leaving the graph).

    ``shape`` is a tuple of dims after ONNX shape inference: ``int`` for static dims, ``str`` for
    symbolic ones (``"batch"``), ``None`` for unknown ones; ``shape`` itself is None when the rank
    is unknown. ``dtype`` is a numpy-style name (``"float32"``, ``"int64"``, ``"bfloat16"``,
    ``"string"``) or None when unknown.
    """

    name: str
    shape: Shape = None
    dtype: str | None = None

    @property
    def rank(self) -> int | None:
        """Number of dimensions, or None when unknown."""
        return None if self.shape is None else len(self.shape)

    @property
    def is_static(self) -> bool:
        """True when every dimension is a known int."""
        return self.shape is not None and all(isinstance(d, int) for d in self.shape)

    @property
    def numel(self) -> int | None:
        """Number of elements when the shape is fully static, else None."""
        if not self.is_static:
            return None
        n = 1
        for d in self.shape:  # type: ignore[union-attr]
            n *= d  # type: ignore[operator]
        return n

    def shape_str(self) -> str:
        """Shape as text: ``1x3x224x224``, ``batchx3x?x?``, ``?`` (unknown rank), ``scalar``."""
        if self.shape is None:
            return "?"
        if not self.shape:
            return "scalar"
        return "x".join("?" if d is None else str(d) for d in self.shape)

    def __str__(self) -> str:
        return f"{self.name}: {self.dtype or '?'}[{self.shape_str()}]"


@dataclass
class NodeInfo:
    """One ONNX node of a graph, stored as ``graph.nx.nodes[name]["info"]``.

    ``name`` is the unique name used as the networkx key; ``onnx_name`` is the name in the file
    (``""`` when unnamed). ``weights`` are the inputs that are initializers or Constant outputs,
    summarized here instead of being drawn as nodes; ``params`` is their element count.
    ``subgraphs`` holds the bodies of If/Loop/Scan nodes, by attribute name, each an
    :class:`~trtlab.graph.OnnxGraph`. ``implicit_inputs`` are outer-scope tensors that those
    bodies read (they also give edges in the outer graph).
    """

    name: str
    onnx_name: str
    op_type: str
    domain: str
    index: int
    attributes: dict[str, object] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    weights: list[str] = field(default_factory=list)
    params: int = 0
    subgraphs: dict[str, OnnxGraph] = field(default_factory=dict)
    is_graph_input_consumer: bool = False
    is_graph_output_producer: bool = False
    implicit_inputs: list[str] = field(default_factory=list)

    @property
    def qualified_op(self) -> str:
        """``op_type`` prefixed by the domain when not the default one (``com.microsoft::Attention``)."""
        if self.domain in ("", "ai.onnx"):
            return self.op_type
        return f"{self.domain}::{self.op_type}"

    def __repr__(self) -> str:
        extra = f", subgraphs={list(self.subgraphs)}" if self.subgraphs else ""
        return (
            f"NodeInfo(name={self.name!r}, op_type={self.qualified_op!r}, index={self.index}, "
            f"inputs={self.inputs}, outputs={self.outputs}, params={self.params}{extra})"
        )
