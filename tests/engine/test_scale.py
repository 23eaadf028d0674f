"""Large synthetic engines parse into the right graph (speed is shown by `python -m tests.engine.synthetic`)."""

from __future__ import annotations

import networkx as nx

try:  # run from the project root (python -m pytest), as CI does
    from tests.engine.synthetic import json_text, oneline_text, profile_text
except ImportError:  # plain `pytest`: this folder is on sys.path
    from synthetic import json_text, oneline_text, profile_text

from trtlab.engine import load_layer_info, load_profile, parse_oneline


def _check(plan, n, skip=5):
    g = plan.nx
    assert len(plan) == n and g.number_of_nodes() == n
    # a chain (n - 1 edges) plus a skip connection into every layer i > skip, from layer i - skip - 1
    # (layer `skip` reads t0, the engine input, which no layer produces)
    assert g.number_of_edges() == (n - 1) + (n - skip - 1)
    assert nx.is_directed_acyclic_graph(g)
    assert len({layer.uid for layer in plan.layers}) == n
    assert sum(layer.is_reformat for layer in plan.layers) == len(range(0, n, 3))
    last = plan.layers[-1]
    assert last.onnx_nodes_from_metadata == [f"/blk{n - 1}/Conv", f"/blk{n - 1}/Add"]
    assert g.has_edge(plan.layers[n - 2 - skip].uid, last.uid)
    assert [t.mode for t in plan.io_tensors] == ["input", "output"]


def test_ten_thousand_layers_json():
    _check(load_layer_info(json_text(10_000)), 10_000)


def test_three_thousand_layers_oneline():
    plan = parse_oneline(oneline_text(3_000))
    assert plan.source == "oneline" and plan.layers[1].outputs[0].dtype == "FP16"
    _check(plan, 3_000)


def test_profile_of_ten_thousand_layers_joins():
    n = 10_000
    prof = load_profile(profile_text(n))
    plan = load_layer_info(json_text(n))
    assert prof.count == 100 and [t.name for t in prof.layers] == [layer.name for layer in plan.layers]
