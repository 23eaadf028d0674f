"""``OnnxGraph``: an ONNX graph as a networkx DiGraph, with lookups, queries, summary and pictures.

:func:`trtlab.graph.load_onnx` (``construct.py``) builds one from a model.
"""

from __future__ import annotations

import base64
import difflib
import html
import os
import warnings as _warnings
from collections import defaultdict
from pathlib import Path
from typing import Iterable

import networkx as nx
import onnx

from ..draw import Drawing
from ..draw import graphview
from ..errors import ConfigError
from . import query
from .summary import GraphSummary, count_params, summarize
from .types import NodeInfo, TensorInfo

__all__ = ["OnnxGraph"]

# Above this many nodes the default drawing is an overview; the HTML display says how to zoom in.
_OVERVIEW_HINT_NODES = 300


class OnnxGraph:
    """An ONNX graph as a :class:`networkx.DiGraph` (``.nx``), one networkx node per ONNX node.

    Build one with :func:`load_onnx`. Node keys are unique node names; each node's ``"info"``
    attribute is a :class:`NodeInfo`; each edge's ``"tensors"`` attribute is a list of
    :class:`TensorInfo` flowing from producer to consumer. Initializers and Constant outputs are
    not nodes: they are listed in the consumer's ``NodeInfo.weights``.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        *,
        model: onnx.ModelProto,
        proto: onnx.GraphProto,
        name: str,
        inputs: list[TensorInfo],
        outputs: list[TensorInfo],
        tensors: dict[str, TensorInfo],
        initializers: dict[str, tuple[int, ...]],
        warnings: list[str] | None = None,
        dangling: dict[str, list[str]] | None = None,
        outer_inputs: list[str] | None = None,
        weight_shapes: dict[str, tuple[int, ...]] | None = None,
        producers: dict[str, str] | None = None,
        consumers: dict[str, list[str]] | None = None,
        parent: OnnxGraph | None = None,
    ):
        self.nx = graph
        self.model = model
        self.proto = proto
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.tensors = tensors
        self.initializers = initializers
        #: Problems found while loading (failed shape inference, dangling tensors, renamed nodes...).
        self.warnings: list[str] = warnings if warnings is not None else []
        #: Tensors consumed but produced by no node, graph input, initializer or outer scope -> consumers.
        self.dangling: dict[str, list[str]] = dangling if dangling is not None else {}
        #: For a subgraph (If/Loop/Scan body): tensors it reads from the enclosing graph.
        self.outer_inputs: list[str] = outer_inputs if outer_inputs is not None else []
        #: The graph this one was cut from (``neighborhood``/``between``), else None.
        self.parent = parent
        self._weight_shapes = weight_shapes if weight_shapes is not None else dict(initializers)
        if producers is None or consumers is None:
            producers, consumers = {}, defaultdict(list)
            for n, data in graph.nodes(data=True):
                info: NodeInfo = data["info"]
                for t in info.outputs:
                    if t:
                        producers[t] = n
                for t in dict.fromkeys(info.inputs + info.implicit_inputs):
                    if t:
                        consumers[t].append(n)
        self._producers = producers
        self._consumers = consumers
        self._topo: list[str] | None = None
        self._png: bytes | None = None

    # ----------------------------------------------------------------------------- lookups
    def __len__(self) -> int:
        return self.nx.number_of_nodes()

    def __contains__(self, name: object) -> bool:
        return name in self.nx

    def __iter__(self):
        return iter(self.topological_order())

    def __repr__(self) -> str:
        return (
            f"OnnxGraph({self.name!r}, {len(self)} nodes, {self.nx.number_of_edges()} edges, "
            f"inputs={[t.name for t in self.inputs]}, outputs={[t.name for t in self.outputs]})"
        )

    def node(self, name: str) -> NodeInfo:
        """The :class:`NodeInfo` of the node with unique name ``name``."""
        try:
            return self.nx.nodes[name]["info"]
        except (KeyError, TypeError):
            raise ConfigError(self._unknown("node", name, list(self.nx.nodes))) from None

    @property
    def nodes(self) -> list[NodeInfo]:
        """All nodes' :class:`NodeInfo`, in topological order."""
        return [self.nx.nodes[n]["info"] for n in self.topological_order()]

    def tensor(self, name: str) -> TensorInfo:
        """The :class:`TensorInfo` of tensor ``name`` (unknown shape/dtype if never declared)."""
        if name in self.tensors:
            return self.tensors[name]
        if name in self._producers or name in self._consumers:
            return TensorInfo(name)
        raise ConfigError(self._unknown("tensor", name, list(self._producers) + list(self._consumers)))

    def producer(self, tensor: str) -> str | None:
        """Unique name of the node producing ``tensor``; None for graph inputs, weights, unknown names."""
        return self._producers.get(tensor)

    def consumers(self, tensor: str) -> list[str]:
        """Unique names of the nodes reading ``tensor`` (including weights and subgraph reads)."""
        return list(self._consumers.get(tensor, ()))

    def topological_order(self) -> list[str]:
        """Node names in topological order; ties keep the order of the ONNX file."""
        if self._topo is None:
            g = self.nx
            self._topo = list(nx.lexicographical_topological_sort(g, key=lambda n: g.nodes[n]["info"].index))
        return list(self._topo)

    def _unknown(self, what: str, name: object, choices: list[str]) -> str:
        close = difflib.get_close_matches(str(name), choices, n=3) if len(choices) < 20000 else []
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return (
            f"graph {self.name!r} has no {what} named {name!r}.{hint} "
            f"List names with graph.find() / graph.tensors, or search with graph.find(pattern=...)."
        )

    # ----------------------------------------------------------------------------- queries
    def find(self, op_type: str | Iterable[str] | None = None, pattern: str | None = None) -> list[str]:
        """Names of nodes whose op type is ``op_type`` (one or several) and/or whose name matches
        the regular expression ``pattern`` (``re.search``), in topological order."""
        return query.find(self, op_type=op_type, pattern=pattern)

    def neighborhood(self, name: str, radius: int = 1) -> OnnxGraph:
        """The nodes within ``radius`` edges of node ``name`` (either direction), as a graph."""
        return query.neighborhood(self, name, radius=radius)

    def between(self, src_tensor: str, dst_tensor: str) -> OnnxGraph:
        """The nodes on some path from tensor ``src_tensor`` to tensor ``dst_tensor``, as a graph."""
        return query.between(self, src_tensor, dst_tensor)

    def subgraph(self, nodes: Iterable[str], name: str | None = None) -> OnnxGraph:
        """A new graph made of ``nodes`` (unique names) and the edges among them.

        Its ``inputs`` are the tensors entering from outside (weights excluded), its ``outputs``
        the tensors leaving it (read outside, or graph outputs).
        """
        keep = list(dict.fromkeys(nodes))
        missing = [n for n in keep if n not in self.nx]
        if missing:
            raise ConfigError(self._unknown("node", missing[0], list(self.nx.nodes)))
        sub = self.nx.subgraph(keep).copy()
        kept = set(keep)
        graph_outputs = {t.name for t in self.outputs}
        ins: dict[str, None] = {}
        outs: dict[str, None] = {}
        for n in self._order_of(kept):
            info: NodeInfo = sub.nodes[n]["info"]
            weights = set(info.weights)
            for t in info.inputs + info.implicit_inputs:
                if t and t not in weights and self._producers.get(t) not in kept:
                    ins.setdefault(t)
            for t in info.outputs:
                if t and (t in graph_outputs or any(c not in kept for c in self._consumers.get(t, ()))):
                    outs.setdefault(t)
        lookup = self.tensor_info
        return OnnxGraph(
            sub,
            model=self.model,
            proto=self.proto,
            name=name or f"{self.name} [{len(keep)} nodes]",
            inputs=[lookup(t) for t in ins],
            outputs=[lookup(t) for t in outs],
            tensors=self.tensors,
            initializers=self.initializers,
            weight_shapes=self._weight_shapes,
            parent=self,
        )

    def _order_of(self, nodes: set[str]) -> list[str]:
        return sorted(nodes, key=lambda n: self.nx.nodes[n]["info"].index)

    def tensor_info(self, name: str) -> TensorInfo:
        """Like :meth:`tensor` but never raises: unknown names give a TensorInfo of unknown shape."""
        info = self.tensors.get(name)
        return info if info is not None else TensorInfo(name)

    # ----------------------------------------------------------------------------- summary
    def summary(self, dims: dict[str, int] | None = None) -> GraphSummary:
        """Op counts, parameters and FLOPs (Conv/Gemm/MatMul where shapes are known).

        ``dims`` gives values to symbolic dimensions for the FLOPs, e.g. ``{"batch": 1}``.
        """
        return summarize(self, dims)

    @property
    def params(self) -> int:
        """Number of weight elements (initializers and Constants) used by this graph's nodes."""
        return count_params(self)

    # ----------------------------------------------------------------------------- drawing
    def draw(self, **kw) -> Drawing:
        """Draw the graph (see :func:`trtlab.draw.graphview.draw_onnx_graph` for options)."""
        return graphview.draw_onnx_graph(self, **kw)

    def save(self, path: str | os.PathLike, **kw) -> Path:
        """Draw the graph and write the picture to ``path`` (png, svg or pdf, from the suffix)."""
        drawing = self.draw(**kw)
        try:
            drawing.save(path)
        finally:
            drawing.close()
        return Path(path)

    def _picture_png(self) -> bytes | None:
        if self._png is None:
            drawing = self.draw()
            try:
                self._png = drawing._repr_png_()
            finally:
                drawing.close()
        return self._png

    def _repr_png_(self) -> bytes | None:
        try:
            return self._picture_png()
        except Exception as exc:  # a display hook must never break the notebook
            _warnings.warn(f"trtlab could not draw graph {self.name!r}: {type(exc).__name__}: {exc}", stacklevel=2)
            return None

    def _repr_html_(self) -> str:
        parts = [f"<div><b>OnnxGraph</b> {html.escape(self.name)!s}</div>"]
        try:
            parts.append(self.summary()._repr_html_())
        except Exception as exc:  # pragma: no cover - defensive, display must not raise
            parts.append(f"<pre>summary unavailable: {html.escape(str(exc))}</pre>")
        if self.warnings:
            items = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings[:20])
            more = f"<li>... {len(self.warnings) - 20} more</li>" if len(self.warnings) > 20 else ""
            parts.append(f"<details><summary>{len(self.warnings)} warning(s)</summary><ul>{items}{more}</ul></details>")
        if len(self):
            # IPython computes every display format anyway, so the PNG is drawn (once, cached)
            # whatever we do here; embedding it is what makes JupyterLab, which shows the HTML,
            # show the picture at all.
            png = self._repr_png_()
            if png:
                b64 = base64.b64encode(png).decode("ascii")
                parts.append(f'<img src="data:image/png;base64,{b64}" style="max-width:100%"/>')
            if len(self) > _OVERVIEW_HINT_NODES:
                parts.append(f"<div><i>{len(self)} nodes: for detail, draw a part with "
                             f".neighborhood(name).draw() or .draw(collapse=...).</i></div>")
        return "\n".join(parts)

    def view(self, **kw):
        """Interactive view (pan, zoom, search, hover, click): a widget in the notebook, or
        ``.view().save_html(path)`` for one offline HTML file. Keywords: ``blocks`` (name-prefix
        boxes that collapse), ``height``, ``color_by``, ``select``. Needs anywidget (the
        ``notebook`` extra); ``draw()`` is the static picture."""
        from ..view import view  # trtlab.view imports trtlab.graph: imported here, not at the top

        return view(self, **kw)
