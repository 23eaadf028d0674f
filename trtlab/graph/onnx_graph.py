"""``OnnxGraph``: an ONNX graph as a networkx DiGraph, and ``load_onnx`` which builds it."""

from __future__ import annotations

import base64
import difflib
import gc
import html
import os
import warnings as _warnings
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import networkx as nx
import onnx
from onnx import AttributeProto, numpy_helper

from ..errors import ConfigError, ModelLoadError, TrtlabError
from . import loader
from .types import NodeInfo, Shape, TensorInfo

if TYPE_CHECKING:  # pragma: no cover
    from ..draw import Drawing
    from .summary import GraphSummary

__all__ = ["OnnxGraph", "load_onnx"]

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
        from .query import find

        return find(self, op_type=op_type, pattern=pattern)

    def neighborhood(self, name: str, radius: int = 1) -> OnnxGraph:
        """The nodes within ``radius`` edges of node ``name`` (either direction), as a graph."""
        from .query import neighborhood

        return neighborhood(self, name, radius=radius)

    def between(self, src_tensor: str, dst_tensor: str) -> OnnxGraph:
        """The nodes on some path from tensor ``src_tensor`` to tensor ``dst_tensor``, as a graph."""
        from .query import between

        return between(self, src_tensor, dst_tensor)

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
        from .summary import summarize

        return summarize(self, dims)

    @property
    def params(self) -> int:
        """Number of weight elements (initializers and Constants) used by this graph's nodes."""
        from .summary import count_params

        return count_params(self)

    # ----------------------------------------------------------------------------- drawing
    def draw(self, **kw) -> Drawing:
        """Draw the graph (see :func:`trtlab.draw.graphview.draw_onnx_graph` for options)."""
        from ..draw.graphview import draw_onnx_graph

        return draw_onnx_graph(self, **kw)

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
        from ..view import view

        return view(self, **kw)


# ================================================================================= loading
def load_onnx(
    src: loader.Source,
    *,
    infer_shapes: bool = True,
    external_data: bool = True,
    base_dir: str | os.PathLike | None = None,
) -> OnnxGraph:
    """Load an ONNX model into an :class:`OnnxGraph`.

    Args:
        src: a path to an ``.onnx`` file, the model's bytes, or an ``onnx.ModelProto`` (an
            ``OnnxGraph`` is returned as it is).
        infer_shapes: run ONNX shape inference so edges carry shapes and dtypes. If it fails
            (custom ops, inconsistent models) the stored shapes are used and a warning is
            recorded in ``graph.warnings``.
        external_data: load weights kept in external files (only from inside the model's folder;
            locations escaping it are refused). With False, weights stay unloaded but their
            shapes, and so parameter counts, are still known.
        base_dir: folder of the external data files for bytes/ModelProto sources (for a path,
            the model's folder is used unless this is given).

    Raises:
        ModelLoadError: the file is missing, unreadable, not an ONNX model, refers to external
            data outside its folder, or the graph is invalid (a cycle, a tensor produced twice).
    """
    if isinstance(src, OnnxGraph):
        return src
    label = "the ONNX model"
    # Building creates many small objects that all stay alive; pausing the cyclic garbage
    # collector avoids rescanning them over and over (about a third of the time at 5,000 nodes).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        model, where, label = loader.read_model(src, base_dir)
        warnings: list[str] = []
        loader.check_tensor_sizes(model, label, warnings)
        inferred = loader.infer_shapes(model, warnings) if infer_shapes else model
        if external_data:
            loader.load_external_data(model, where, label)
        default_name = Path(os.fspath(src)).stem if isinstance(src, (str, os.PathLike)) else "graph"
        return _Builder(model, label).build(inferred.graph, model.graph, warnings, outer=None, default_name=default_name)
    except TrtlabError:
        raise
    except Exception as exc:  # the boundary: nothing from deep inside onnx/networkx escapes raw
        raise ModelLoadError(f"could not read the ONNX graph of {label}: {type(exc).__name__}: {exc}") from exc
    finally:
        if gc_was_enabled:
            gc.enable()


_DTYPE_NAMES: dict[int, str] = {}


def _dtype_name(elem_type: int) -> str | None:
    if not elem_type:
        return None
    name = _DTYPE_NAMES.get(elem_type)
    if name is None:
        if elem_type == onnx.TensorProto.STRING:
            name = "string"
        else:
            try:
                name = onnx.helper.tensor_dtype_to_np_dtype(elem_type).name
            except Exception:
                try:
                    name = onnx.TensorProto.DataType.Name(elem_type).lower()
                except ValueError:
                    name = f"dtype{elem_type}"
        _DTYPE_NAMES[elem_type] = name
    return name


def _type_info(name: str, tp: onnx.TypeProto) -> TensorInfo:
    kind = tp.WhichOneof("value")
    if kind == "tensor_type" or kind == "sparse_tensor_type":
        tt = getattr(tp, kind)
        shape: Shape = None
        if tt.HasField("shape"):
            dims = []
            for d in tt.shape.dim:
                which = d.WhichOneof("value")
                if which == "dim_value" and d.dim_value >= 0:
                    dims.append(int(d.dim_value))
                elif which == "dim_param" and d.dim_param:
                    dims.append(d.dim_param)
                else:  # unset, or the -1 some exporters write for "dynamic"
                    dims.append(None)
            shape = tuple(dims)
        return TensorInfo(name, shape, _dtype_name(tt.elem_type))
    if kind == "sequence_type":
        inner = _type_info(name, tp.sequence_type.elem_type)
        return TensorInfo(name, None, f"seq({inner.dtype or '?'})")
    if kind == "optional_type":
        inner = _type_info(name, tp.optional_type.elem_type)
        return TensorInfo(name, inner.shape, f"optional({inner.dtype or '?'})")
    if kind == "map_type":
        return TensorInfo(name, None, "map")
    return TensorInfo(name)


def _merge(old: TensorInfo | None, new: TensorInfo) -> TensorInfo:
    """``new``, with shape/dtype taken from ``old`` where ``new`` does not know them."""
    if old is None:
        return new
    return TensorInfo(new.name, new.shape if new.shape is not None else old.shape, new.dtype or old.dtype)


def _const_shape(node: onnx.NodeProto) -> tuple[int, ...] | None:
    """Shape of the value of a Constant node (None if it has no recognizable value)."""
    for a in node.attribute:
        if a.name == "value" and a.HasField("t"):
            return tuple(a.t.dims)
        if a.name == "sparse_value" and a.HasField("sparse_value"):
            return tuple(a.sparse_value.dims)
        if a.name in ("value_float", "value_int", "value_string"):
            return ()
        if a.name == "value_floats":
            return (len(a.floats),)
        if a.name == "value_ints":
            return (len(a.ints),)
        if a.name == "value_strings":
            return (len(a.strings),)
    return None


def _attr_value(a: onnx.AttributeProto) -> object:
    t = a.type
    if t == AttributeProto.STRING:
        return a.s.decode("utf-8", "replace")
    if t == AttributeProto.STRINGS:
        return [s.decode("utf-8", "replace") for s in a.strings]
    if t == AttributeProto.TENSOR:
        return _tensor_value(a.t)
    if t == AttributeProto.TENSORS:
        return [_tensor_value(x) for x in a.tensors]
    if t in (AttributeProto.TYPE_PROTO, AttributeProto.TYPE_PROTOS):
        return str(onnx.helper.get_attribute_value(a))
    if t == AttributeProto.UNDEFINED and a.ref_attr_name:
        return f"@{a.ref_attr_name}"
    value = onnx.helper.get_attribute_value(a)
    return list(value) if t in (AttributeProto.INTS, AttributeProto.FLOATS) else value


def _tensor_value(t: onnx.TensorProto) -> object:
    if t.data_location == onnx.TensorProto.EXTERNAL and not t.raw_data:
        return f"<external tensor {'x'.join(map(str, t.dims)) or 'scalar'}>"
    return numpy_helper.to_array(t)


class _Builder:
    """Turns a GraphProto into an OnnxGraph (recursively for subgraphs).

    Written by hand rather than via onnx-graphsurgeon's importer: we need the raw node order,
    names and attributes kept as in the file, tolerance of broken graphs (duplicate names,
    dangling tensors), and linear time on large graphs; one pass over the protobuf gives that.
    """

    def __init__(self, model: onnx.ModelProto, label: str):
        self.model = model
        self.label = label

    def build(
        self,
        g: onnx.GraphProto,
        original: onnx.GraphProto,
        warnings: list[str],
        *,
        outer: dict[str, TensorInfo] | None,
        default_name: str = "graph",
    ) -> OnnxGraph:
        # --- declared tensors: outputs < value_info < inputs < initializers (later wins)
        tensors: dict[str, TensorInfo] = {}
        for vi in g.output:
            tensors[vi.name] = _type_info(vi.name, vi.type)
        for vi in g.value_info:
            tensors[vi.name] = _merge(tensors.get(vi.name), _type_info(vi.name, vi.type))
        initializers: dict[str, tuple[int, ...]] = {}
        for init in g.initializer:
            if init.name in initializers:
                warnings.append(f"initializer {init.name!r} is defined twice; the last one is used")
            initializers[init.name] = tuple(int(d) for d in init.dims)
        for sp in g.sparse_initializer:
            initializers[sp.values.name] = tuple(int(d) for d in sp.dims)
        input_names: dict[str, None] = {}
        for vi in g.input:
            if vi.name in input_names:
                warnings.append(f"graph input {vi.name!r} is declared twice; it is kept once")
            input_names.setdefault(vi.name)
            tensors[vi.name] = _merge(tensors.get(vi.name), _type_info(vi.name, vi.type))
        for init in g.initializer:
            tensors[init.name] = TensorInfo(init.name, initializers[init.name], _dtype_name(init.data_type))
        # inputs that also have an initializer are weights (old exporters list them as inputs)
        inputs = [tensors[n] for n in input_names if n not in initializers]
        real_inputs = {t.name for t in inputs}
        output_names = list(dict.fromkeys(vi.name for vi in g.output))
        outputs = [tensors[n] for n in output_names]

        # --- unique node names and producers (one pass; names are stable: they depend only on the file)
        nodes = list(original.node)
        inferred_nodes = list(g.node)
        names = _unique_names(nodes, warnings)
        weight_shapes: dict[str, tuple[int, ...]] = dict(initializers)
        producers: dict[str, str] = {}
        for i, node in enumerate(nodes):
            for t in node.output:
                if not t:
                    continue
                if t in producers:
                    raise ModelLoadError(
                        f"invalid graph {g.name or default_name!r} in {self.label}: tensor {t!r} is produced by two "
                        f"nodes, {producers[t]!r} and {names[i]!r} (ONNX tensors have exactly one producer). "
                        f"Fix the exporter, or rename one output with onnx-graphsurgeon."
                    )
                if t in initializers or t in real_inputs:
                    raise ModelLoadError(
                        f"invalid graph {g.name or default_name!r} in {self.label}: node {names[i]!r} writes tensor "
                        f"{t!r}, which is also a graph {'initializer' if t in initializers else 'input'}. "
                        f"Rename the node's output."
                    )
                producers[t] = names[i]
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx") and len(node.output) == 1:
                shape = _const_shape(node)
                if shape is not None:
                    weight_shapes[node.output[0]] = shape
                    tensors.setdefault(node.output[0], TensorInfo(node.output[0], shape, None))

        outer = outer or {}
        visible = {**outer, **tensors}
        for t in producers:
            visible.setdefault(t, TensorInfo(t))
        graph_outputs = set(output_names)

        # --- nodes and edges
        G = nx.DiGraph()
        edges: dict[tuple[str, str], dict[str, None]] = {}
        dangling: dict[str, list[str]] = {}
        outer_used: dict[str, None] = {}
        consumers: dict[str, list[str]] = defaultdict(list)
        node_payloads = []
        for i, node in enumerate(nodes):
            name = names[i]
            attributes: dict[str, object] = {}
            subgraphs: dict[str, OnnxGraph] = {}
            implicit: dict[str, None] = {}
            inferred_node = inferred_nodes[i] if len(inferred_nodes) == len(nodes) else node
            for a, ia in zip(node.attribute, inferred_node.attribute):
                if a.type == AttributeProto.GRAPH:
                    subgraphs[a.name] = self._sub(ia.g, a.g, name, a.name, visible, warnings)
                elif a.type == AttributeProto.GRAPHS:
                    for k, (sg, isg) in enumerate(zip(a.graphs, ia.graphs)):
                        subgraphs[f"{a.name}[{k}]"] = self._sub(isg, sg, name, f"{a.name}[{k}]", visible, warnings)
                else:
                    try:
                        attributes[a.name] = _attr_value(a)
                    except Exception as exc:
                        attributes[a.name] = f"<unreadable {AttributeProto.AttributeType.Name(a.type)}>"
                        warnings.append(f"attribute {a.name!r} of node {name!r} could not be read: {exc}")
            for sub in subgraphs.values():
                for t in sub.outer_inputs:
                    implicit.setdefault(t)
            weights: dict[str, None] = {}
            consumes_input = False
            for t in list(node.input) + list(implicit):
                if not t:
                    continue
                readers = consumers[t]
                if not readers or readers[-1] != name:  # a node may read a tensor twice (Add(x, x))
                    readers.append(name)
                if t in weight_shapes:
                    weights.setdefault(t)
                p = producers.get(t)
                if p is not None:
                    edges.setdefault((p, name), {}).setdefault(t)
                elif t in real_inputs:
                    consumes_input = True
                elif t in initializers:
                    pass
                elif t in outer:
                    outer_used.setdefault(t)
                else:
                    dangling.setdefault(t, []).append(name)
            params = 0
            for w in weights:
                n_el = 1
                for d in weight_shapes[w]:
                    n_el *= d
                params += n_el
            info = NodeInfo(
                name=name,
                onnx_name=node.name,
                op_type=node.op_type,
                domain=node.domain,
                index=i,
                attributes=attributes,
                inputs=list(node.input),
                outputs=list(node.output),
                weights=list(weights),
                params=params,
                subgraphs=subgraphs,
                is_graph_input_consumer=consumes_input,
                is_graph_output_producer=any(t in graph_outputs for t in node.output),
                implicit_inputs=list(implicit),
            )
            node_payloads.append((name, {"info": info}))
        G.add_nodes_from(node_payloads)
        G.add_edges_from(
            (u, v, {"tensors": [visible.get(t) or TensorInfo(t) for t in ts]}) for (u, v), ts in edges.items()
        )
        gname = g.name or default_name
        for t, who in dangling.items():
            warnings.append(
                f"tensor {t!r} is read by {', '.join(repr(w) for w in who[:3])}{' ...' if len(who) > 3 else ''} "
                f"but is not produced by any node, graph input or initializer (dangling)"
            )
        for t in output_names:
            if t not in producers and t not in input_names and t not in initializers and t not in outer:
                warnings.append(f"graph output {t!r} is not produced by any node")
        if not nx.is_directed_acyclic_graph(G):
            cycle = nx.find_cycle(G)
            path = " -> ".join(repr(u) for u, _v in cycle) + f" -> {cycle[0][0]!r}"
            raise ModelLoadError(
                f"invalid graph {gname!r} in {self.label}: it contains a cycle through node {cycle[0][0]!r} "
                f"({path}); ONNX graphs must be acyclic (loops belong in a Loop node's body)."
            )
        return OnnxGraph(
            G,
            model=self.model,
            proto=original,
            name=gname,
            inputs=inputs,
            outputs=outputs,
            tensors=tensors,
            initializers=initializers,
            warnings=warnings,
            dangling=dangling,
            outer_inputs=list(outer_used),
            weight_shapes=weight_shapes,
            producers=producers,
            consumers=dict(consumers),
        )

    def _sub(self, g, original, node_name, attr, visible, warnings) -> OnnxGraph:
        sub_warnings: list[str] = []
        sub = self.build(g, original, sub_warnings, outer=visible, default_name=f"{node_name}.{attr}")
        warnings.extend(f"in {node_name}.{attr}: {w}" for w in sub_warnings)
        return sub


def _unique_names(nodes: list[onnx.NodeProto], warnings: list[str]) -> list[str]:
    """Stable unique names: the first node called ``x`` keeps ``x``; later ones get ``x__1``,
    ``x__2``...; unnamed nodes get ``{op_type}_{index}``. Depends only on the file's content."""
    first: dict[str, int] = {}
    for i, node in enumerate(nodes):
        if node.name:
            first.setdefault(node.name, i)
    used = set(first)
    names: list[str] = []
    dups: Counter[str] = Counter()
    for i, node in enumerate(nodes):
        if node.name and first[node.name] == i:
            names.append(node.name)
            continue
        if node.name:
            dups[node.name] += 1
            k = dups[node.name]
            candidate = f"{node.name}__{k}"
            while candidate in used:
                k += 1
                candidate = f"{node.name}__{k}"
            dups[node.name] = k
        else:
            candidate = base = f"{node.op_type or 'node'}_{i}"
            k = 0
            while candidate in used:
                k += 1
                candidate = f"{base}__{k}"
        used.add(candidate)
        names.append(candidate)
    if dups:
        shown = ", ".join(f"{n!r} x{c + 1}" for n, c in list(dups.items())[:5])
        warnings.append(f"duplicate node names were made unique with a '__k' suffix: {shown}")
    return names
