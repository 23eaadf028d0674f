"""ONNX models as networkx graphs.

>>> import trtlab
>>> g = trtlab.load_onnx("model.onnx")        # a path, the model's bytes, or an onnx.ModelProto
>>> g.summary()                                # op counts, parameters, FLOPs
>>> g.summary(dims={"batch": 1})               # FLOPs with a value for a symbolic dim
>>> g.find(op_type="Conv")                     # node names
>>> g.neighborhood("conv1", radius=2).draw()   # a smaller OnnxGraph, drawn

The data model
--------------
``g.nx`` is a :class:`networkx.DiGraph` with **one networkx node per ONNX node** of the main
graph, so every networkx algorithm works on it directly.

* A node's key is its **unique name**: the ONNX name, or for unnamed nodes a generated
  ``"{op_type}_{index}"`` (``"Conv_0"``), and for repeated names ``"{name}__1"``,
  ``"{name}__2"``... Generated names depend only on the file, so they are the same on every load.
* ``g.nx.nodes[name]["info"]`` is a :class:`NodeInfo`: op type, domain, position in the file,
  attributes as plain Python values (ints, floats, strings, lists, numpy arrays), input and
  output tensor names, ``weights`` (inputs that are initializers or Constant outputs) and their
  element count ``params``, and ``subgraphs`` (the bodies of If/Loop/Scan nodes, each an
  ``OnnxGraph`` of its own; drawings show them collapsed).
* An edge ``producer -> consumer`` exists for each tensor flowing between two nodes;
  ``g.nx.edges[u, v]["tensors"]`` is a list of :class:`TensorInfo` (name, shape, dtype).
  Shapes come from ONNX shape inference: ints, strings for symbolic dims (``"batch"``), None
  for unknown dims; the whole shape is None when even the rank is unknown.
* Weights are **not** nodes: they are summarized on the nodes that read them. Graph inputs and
  outputs are not nodes either: ``g.inputs`` / ``g.outputs`` list them, and the nodes touching
  them have ``is_graph_input_consumer`` / ``is_graph_output_producer`` set.
* ``g.tensors`` maps every declared tensor name to its :class:`TensorInfo`;
  ``g.initializers`` maps initializer names to their shapes; ``g.producer(t)`` /
  ``g.consumers(t)`` navigate by tensor.
* ``g.find(...)`` returns node names; ``g.neighborhood(name)``, ``g.between(tensor_a, tensor_b)``
  and ``g.subgraph(names)`` return smaller ``OnnxGraph`` objects cut from this one (not to be
  confused with ``NodeInfo.subgraphs``, the bodies of control-flow nodes).
* Problems that do not prevent drawing the graph (failed shape inference, custom ops, tensors
  nobody produces, duplicate names) are listed in ``g.warnings``; tensors read but never produced
  are in ``g.dangling``. Problems that do (unreadable file, cycles, a tensor produced twice,
  external data outside the model's folder) raise :class:`~trtlab.errors.ModelLoadError`.
"""

from __future__ import annotations

from .construct import load_onnx
from .onnx_graph import OnnxGraph
from .summary import GraphSummary, node_flops
from .types import NodeInfo, TensorInfo

__all__ = ["load_onnx", "OnnxGraph", "NodeInfo", "TensorInfo", "GraphSummary", "node_flops"]
