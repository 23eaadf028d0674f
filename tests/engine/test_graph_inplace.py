"""The engine graph connects a reader to every layer that wrote a buffer in place (concat)."""

from __future__ import annotations

import pytest

import trtlab


def _layer(name, inputs, outputs):
    t = lambda n: {"Name": n, "Dimensions": [1], "Format/Datatype": "Row major linear FP32"}  # noqa: E731
    return {"Name": name, "LayerType": "X", "Inputs": [t(i) for i in inputs], "Outputs": [t(o) for o in outputs]}


def test_reader_depends_on_all_in_place_writers_and_renamed_values_restart():
    plan = trtlab.load_layer_info({"Layers": [
        _layer("stem", ["x"], ["a"]),
        _layer("b1", ["a"], ["cat"]),   # the three branches write slices of "cat" in place
        _layer("b2", ["a"], ["cat"]),
        _layer("b3", ["a"], ["cat"]),
        _layer("next", ["cat"], ["y"]),
        _layer("reuse", ["y"], ["cat"]),  # "cat" written again after it was read: a new value
        _layer("last", ["cat"], ["z"]),
    ]})
    g = plan.nx
    assert sorted(g.predecessors("next")) == ["b1", "b2", "b3"]
    assert sorted(g.predecessors("last")) == ["reuse"]


def test_rtx_googlenet_inception_blocks_are_connected_through_their_concat(data_dir):
    pytest.importorskip("tensorrt_rtx_bindings")
    built = trtlab.build_engine(data_dir / "googlenet.onnx")
    plan = built.layer_info
    by_meta = {}
    for layer in plan.layers:
        for node in layer.onnx_nodes_from_metadata:
            by_meta.setdefault(node, layer.uid)
    reader = by_meta["inception_3b/1x1"]
    writers = {by_meta[n] for n in ("inception_3a/1x1", "inception_3a/3x3", "inception_3a/5x5",
                                      "inception_3a/pool_proj")}
    # each branch of 3a writes its slice of the concat buffer that 3b's 1x1 layer reads
    assert all(plan.nx.has_edge(w, reader) for w in writers), writers
