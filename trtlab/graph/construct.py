"""``load_onnx``: an ONNX model's main graph (and its control-flow bodies) as an :class:`OnnxGraph`.

The graph is built by hand in one pass over the protobuf rather than through
onnx-graphsurgeon's importer: trtlab needs the raw node order, names and attributes kept as in
the file, tolerance of broken graphs (duplicate names, dangling tensors) and linear time on
large graphs. The steps of one graph are the methods of :class:`_GraphBuild`, in order.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from pathlib import Path

import networkx as nx
import onnx
from onnx import AttributeProto

from .._boundary import boundary, gc_paused
from ..errors import ModelLoadError
from . import loader
from .onnx_graph import OnnxGraph
from .protos import attribute_value, constant_shape, dtype_name, merged, type_info
from .types import NodeInfo, TensorInfo

__all__ = ["load_onnx"]


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
    # Building creates many small objects that all stay alive: the cyclic collector's rescans
    # of them would cost about a third of the time at 5,000 nodes.
    with gc_paused():
        with boundary(ModelLoadError, "reading the ONNX model"):
            model, where, label = loader.read_model(src, base_dir)
        with boundary(ModelLoadError, f"reading the ONNX graph of {label}"):
            warnings: list[str] = []
            loader.check_tensor_sizes(model, label, warnings)
            inferred = loader.infer_shapes(model, warnings) if infer_shapes else model
            if external_data:
                loader.load_external_data(model, where, label)
            default_name = Path(os.fspath(src)).stem if isinstance(src, (str, os.PathLike)) else "graph"
            return _GraphBuild(model, label, inferred.graph, model.graph, warnings, None, default_name).run()


class _GraphBuild:
    """Turns one GraphProto into an OnnxGraph; control-flow bodies get a _GraphBuild each.

    ``g`` is the graph after shape inference (types), ``original`` the graph as in the file
    (names, attributes, node order); ``outer`` the tensors visible from enclosing graphs.
    """

    def __init__(self, model: onnx.ModelProto, label: str, g: onnx.GraphProto, original: onnx.GraphProto,
                 warnings: list[str], outer: dict[str, TensorInfo] | None, default_name: str):
        self.model, self.label, self.g, self.original = model, label, g, original
        self.warnings = warnings
        self.outer = outer or {}
        self.name = g.name or default_name
        self.nodes = list(original.node)
        self.names: list[str] = []
        self.tensors: dict[str, TensorInfo] = {}
        self.initializers: dict[str, tuple[int, ...]] = {}
        self.input_names: dict[str, None] = {}
        self.producers: dict[str, str] = {}
        self.consumers: dict[str, list[str]] = defaultdict(list)
        self.edges: dict[tuple[str, str], dict[str, None]] = {}
        self.dangling: dict[str, list[str]] = {}
        self.outer_used: dict[str, None] = {}

    def run(self) -> OnnxGraph:
        self.declare_tensors()
        self.index_producers()
        payloads = [self.node_payload(i, node) for i, node in enumerate(self.nodes)]
        graph = nx.DiGraph()
        graph.add_nodes_from(payloads)
        graph.add_edges_from(
            (u, v, {"tensors": [self.visible.get(t) or TensorInfo(t) for t in ts]}) for (u, v), ts in self.edges.items()
        )
        self.report_unconnected_tensors()
        self.check_acyclic(graph)
        return OnnxGraph(
            graph,
            model=self.model,
            proto=self.original,
            name=self.name,
            inputs=self.inputs,
            outputs=[self.tensors[n] for n in self.output_names],
            tensors=self.tensors,
            initializers=self.initializers,
            warnings=self.warnings,
            dangling=self.dangling,
            outer_inputs=list(self.outer_used),
            weight_shapes=self.weight_shapes,
            producers=self.producers,
            consumers=dict(self.consumers),
        )

    # ----------------------------------------------------------------------------- steps
    def declare_tensors(self) -> None:
        """Declared tensors: outputs < value_info < inputs < initializers (later wins)."""
        g, tensors, warnings = self.g, self.tensors, self.warnings
        for vi in g.output:
            tensors[vi.name] = type_info(vi.name, vi.type)
        for vi in g.value_info:
            tensors[vi.name] = merged(tensors.get(vi.name), type_info(vi.name, vi.type))
        for init in g.initializer:
            if init.name in self.initializers:
                warnings.append(f"initializer {init.name!r} is defined twice; the last one is used")
            self.initializers[init.name] = tuple(int(d) for d in init.dims)
        for sp in g.sparse_initializer:
            self.initializers[sp.values.name] = tuple(int(d) for d in sp.dims)
        for vi in g.input:
            if vi.name in self.input_names:
                warnings.append(f"graph input {vi.name!r} is declared twice; it is kept once")
            self.input_names.setdefault(vi.name)
            tensors[vi.name] = merged(tensors.get(vi.name), type_info(vi.name, vi.type))
        for init in g.initializer:
            tensors[init.name] = TensorInfo(init.name, self.initializers[init.name], dtype_name(init.data_type))
        # inputs that also have an initializer are weights (old exporters list them as inputs)
        self.inputs = [tensors[n] for n in self.input_names if n not in self.initializers]
        self.real_inputs = {t.name for t in self.inputs}
        self.output_names = list(dict.fromkeys(vi.name for vi in g.output))
        self.graph_outputs = set(self.output_names)
        self.weight_shapes: dict[str, tuple[int, ...]] = dict(self.initializers)

    def index_producers(self) -> None:
        """Unique node names; which node writes each tensor (exactly one); Constant output shapes."""
        self.names = unique_names(self.nodes, self.warnings)
        for node, name in zip(self.nodes, self.names):
            for t in node.output:
                if t:
                    self.check_single_writer(t, name)
                    self.producers[t] = name
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx") and len(node.output) == 1:
                shape = constant_shape(node)
                if shape is not None:
                    self.weight_shapes[node.output[0]] = shape
                    self.tensors.setdefault(node.output[0], TensorInfo(node.output[0], shape, None))
        self.visible = {**self.outer, **self.tensors}
        for t in self.producers:
            self.visible.setdefault(t, TensorInfo(t))

    def check_single_writer(self, tensor: str, name: str) -> None:
        where = f"invalid graph {self.name!r} in {self.label}"
        if tensor in self.producers:
            raise ModelLoadError(
                f"{where}: tensor {tensor!r} is produced by two nodes, {self.producers[tensor]!r} and {name!r} "
                f"(ONNX tensors have exactly one producer). Fix the exporter, or rename one output with "
                f"onnx-graphsurgeon."
            )
        if tensor in self.initializers or tensor in self.real_inputs:
            kind = "initializer" if tensor in self.initializers else "input"
            raise ModelLoadError(
                f"{where}: node {name!r} writes tensor {tensor!r}, which is also a graph {kind}. "
                f"Rename the node's output."
            )

    def node_payload(self, i: int, node: onnx.NodeProto) -> tuple[str, dict]:
        """The networkx node ``(name, {"info": NodeInfo})``; records its edges and reads on the way."""
        name = self.names[i]
        attributes, subgraphs = self.read_attributes(i, node, name)
        implicit: dict[str, None] = {}
        for sub in subgraphs.values():
            for t in sub.outer_inputs:
                implicit.setdefault(t)
        weights, consumes_input = self.connect_inputs(name, list(node.input) + list(implicit))
        info = NodeInfo(
            name=name,
            onnx_name=node.name,
            op_type=node.op_type,
            domain=node.domain,
            index=i,
            attributes=attributes,
            inputs=list(node.input),
            outputs=list(node.output),
            weights=weights,
            params=sum(_numel(self.weight_shapes[w]) for w in weights),
            subgraphs=subgraphs,
            is_graph_input_consumer=consumes_input,
            is_graph_output_producer=any(t in self.graph_outputs for t in node.output),
            implicit_inputs=list(implicit),
        )
        return name, {"info": info}

    def read_attributes(self, i: int, node: onnx.NodeProto, name: str) -> tuple[dict[str, object], dict[str, OnnxGraph]]:
        """Plain attribute values, and the control-flow bodies as OnnxGraphs of their own."""
        attributes: dict[str, object] = {}
        subgraphs: dict[str, OnnxGraph] = {}
        inferred_nodes = self.g.node
        inferred = inferred_nodes[i] if len(inferred_nodes) == len(self.nodes) else node
        for a, ia in zip(node.attribute, inferred.attribute):
            if a.type == AttributeProto.GRAPH:
                subgraphs[a.name] = self.body(ia.g, a.g, name, a.name)
            elif a.type == AttributeProto.GRAPHS:
                for k, (sg, isg) in enumerate(zip(a.graphs, ia.graphs)):
                    subgraphs[f"{a.name}[{k}]"] = self.body(isg, sg, name, f"{a.name}[{k}]")
            else:
                try:
                    attributes[a.name] = attribute_value(a)
                except Exception as exc:  # one unreadable attribute must not hide the whole graph
                    attributes[a.name] = f"<unreadable {AttributeProto.AttributeType.Name(a.type)}>"
                    self.warnings.append(f"attribute {a.name!r} of node {name!r} could not be read: {exc}")
        return attributes, subgraphs

    def body(self, g: onnx.GraphProto, original: onnx.GraphProto, node_name: str, attr: str) -> OnnxGraph:
        """A control-flow body (If/Loop/Scan), which sees every tensor of this graph."""
        sub_warnings: list[str] = []
        sub = _GraphBuild(self.model, self.label, g, original, sub_warnings, self.visible, f"{node_name}.{attr}").run()
        self.warnings.extend(f"in {node_name}.{attr}: {w}" for w in sub_warnings)
        return sub

    def connect_inputs(self, name: str, inputs: list[str]) -> tuple[list[str], bool]:
        """Record node ``name``'s reads: edges from producers, weights, graph inputs, outer or dangling."""
        weights: dict[str, None] = {}
        consumes_input = False
        for t in inputs:
            if not t:
                continue
            readers = self.consumers[t]
            if not readers or readers[-1] != name:  # a node may read a tensor twice (Add(x, x))
                readers.append(name)
            if t in self.weight_shapes:
                weights.setdefault(t)
            p = self.producers.get(t)
            if p is not None:
                self.edges.setdefault((p, name), {}).setdefault(t)
            elif t in self.real_inputs:
                consumes_input = True
            elif t in self.initializers:
                pass
            elif t in self.outer:
                self.outer_used.setdefault(t)
            else:
                self.dangling.setdefault(t, []).append(name)
        return list(weights), consumes_input

    def report_unconnected_tensors(self) -> None:
        """Warnings for tensors read but never written, and graph outputs nothing writes."""
        for t, who in self.dangling.items():
            self.warnings.append(
                f"tensor {t!r} is read by {', '.join(repr(w) for w in who[:3])}{' ...' if len(who) > 3 else ''} "
                f"but is not produced by any node, graph input or initializer (dangling)"
            )
        known = (self.producers, self.input_names, self.initializers, self.outer)
        for t in self.output_names:
            if not any(t in k for k in known):
                self.warnings.append(f"graph output {t!r} is not produced by any node")

    def check_acyclic(self, graph: nx.DiGraph) -> None:
        if nx.is_directed_acyclic_graph(graph):
            return
        cycle = nx.find_cycle(graph)
        path = " -> ".join(repr(u) for u, _v in cycle) + f" -> {cycle[0][0]!r}"
        raise ModelLoadError(
            f"invalid graph {self.name!r} in {self.label}: it contains a cycle through node {cycle[0][0]!r} "
            f"({path}); ONNX graphs must be acyclic (loops belong in a Loop node's body)."
        )


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def unique_names(nodes: list[onnx.NodeProto], warnings: list[str]) -> list[str]:
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
