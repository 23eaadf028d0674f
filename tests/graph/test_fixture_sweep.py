"""Every shared ONNX fixture loads into a faithful graph: node for node, edge for edge.

The bad_graph_* fixtures load too (each is still a drawable graph); test_onnx_graph.py checks
the warnings they carry, and which broken graphs are refused with ModelLoadError instead.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import onnx
import pytest

from trtlab.graph import NodeInfo, OnnxGraph, TensorInfo, load_onnx

FIXTURE_MODELS = [
    "add_with_dup_inputs", "attention", "attention_same_qkv", "bad_graph_conditionally_invalid",
    "bad_graph_with_dup_value_info", "bad_graph_with_duplicate_node_names", "bad_graph_with_no_name",
    "conv", "custom_op_node", "dim_param", "dynamic_identity", "empty", "ext_weights", "identity",
    "loop", "matmul_2layer", "multi_output", "residual_block",
]


def test_fixture_list_is_complete(fixtures: Path):
    # a new fixture must be added to the sweep (and decided: graph or error)
    assert sorted(p.stem for p in (fixtures / "onnx").glob("*.onnx")) == sorted(FIXTURE_MODELS)


@pytest.mark.parametrize("stem", FIXTURE_MODELS)
def test_every_fixture_loads_faithfully(fixtures: Path, stem: str):
    path = fixtures / "onnx" / f"{stem}.onnx"
    raw = onnx.load(str(path), load_external_data=False)
    g = load_onnx(path)
    assert isinstance(g, OnnxGraph)
    assert len(g) == len(raw.graph.node) == g.nx.number_of_nodes()
    assert nx.is_directed_acyclic_graph(g.nx)
    # every ONNX node is there once, in file order, with its op type and tensors
    order = g.topological_order()
    assert sorted(g.node(n).index for n in order) == list(range(len(raw.graph.node)))
    for name in order:
        info = g.node(name)
        assert isinstance(info, NodeInfo) and info.name == name
        proto = raw.graph.node[info.index]
        assert (info.op_type, info.domain, info.onnx_name) == (proto.op_type, proto.domain, proto.name)
        assert info.inputs == list(proto.input) and info.outputs == list(proto.output)
    # edges connect exactly producer -> consumer of a shared tensor
    for u, v, data in g.nx.edges(data=True):
        assert data["tensors"] and all(isinstance(t, TensorInfo) for t in data["tensors"])
        for t in data["tensors"]:
            assert t.name in g.node(u).outputs and t.name in g.node(v).inputs + g.node(v).implicit_inputs
    # initializers are summarized on consumers, never nodes
    for init in raw.graph.initializer:
        assert init.name not in g.nx
    assert [t.name for t in g.outputs] == [o.name for o in raw.graph.output]


def test_empty_model_is_a_valid_empty_graph(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "empty.onnx")
    assert len(g) == 0 and g.inputs == [] and g.outputs == [] and g.warnings == []
    s = g.summary()
    assert (s.num_nodes, s.num_edges, s.params, s.flops) == (0, 0, 0, None)
