"""Real TensorRT-for-RTX builds on this CPU: the builder's layer list maps through Metadata."""

from __future__ import annotations

import pytest

import trtlab.data
from trtlab.engine import parse_oneline
from trtlab.fusion import map_fusion
from trtlab.graph import load_onnx

pytestmark = pytest.mark.rtx


@pytest.fixture
def report_of(rtx_build_log):
    return lambda path: _report(path, rtx_build_log)


def _report(path, rtx_build_log):
    plan = parse_oneline(rtx_build_log(path))
    assert len(plan.layers) > 0
    return map_fusion(load_onnx(path), plan)


def test_residual_block_maps_through_metadata_with_full_coverage(fixtures, report_of):
    report = report_of(fixtures / "onnx" / "residual_block.onnx")
    assert report.coverage == 1.0 and report.unaccounted == [] and not report.is_mismatch
    compute = [r for r in report.layers if not r.is_inserted]
    assert compute and all(r.evidence == "metadata" for r in compute)
    # the ONNX nodes are unnamed: TensorRT calls them node_of_<output tensor>, resolved by producer
    g = report.onnx_graph
    for n in g.nx:
        assert len(report.layers_of(n)) == 1, n
    cbr = [r for r in compute if r.short == "CBR"]
    assert len(cbr) == 3 and all(r.kind == "vertical" for r in cbr)  # Conv+BN+Relu, a chain
    # two BatchNorms meeting in the Sum: elementwise only -> pointwise
    pw = report.by_kind("pointwise")
    assert len(pw) == 1 and sorted(pw[0].op_types) == ["BatchNormalization", "BatchNormalization", "Sum"]
    assert all(not r.onnx_nodes for r in report.by_kind("sync"))
    # the plan and the report count alike; the sentence names the sync layers
    counts = report.counts()
    assert counts == report.plan.counts() and counts.sync == len(report.by_kind("sync")) > 0
    assert f"{counts.sync} stream sync (signal/wait) layers with no tensors" in counts.sentence()


def test_inception_block_maps_through_metadata_with_full_coverage(report_of):
    report = report_of(trtlab.data.bundled_model("inception_block"))
    assert report.coverage == 1.0 and not report.is_mismatch
    compute = [r for r in report.layers if not r.is_inserted]
    assert all(r.evidence == "metadata" for r in compute)
    g = report.onnx_graph
    for n in g.nx:
        if g.node(n).op_type in ("Conv", "Relu", "MaxPool"):
            assert len(report.layers_of(n)) == 1, n
    assert sorted(r.short for r in compute) == ["CR"] * 6 + ["P"]
    # the Concat has no kernel: its producers write in place
    assert [(v.op_type, v.reason) for v in report.vanished] == [("Concat", "eliminated")]


def test_transformer_qkv_projections_are_a_horizontal_fusion(report_of):
    report = report_of(trtlab.data.bundled_model("transformer_block"))
    assert report.coverage == 1.0
    qkv = report.by_kind("horizontal")
    assert len(qkv) == 1
    assert sorted(b[0] for b in qkv[0].groups) == ["attn/k_proj", "attn/q_proj", "attn/v_proj"]
    assert qkv[0].short == "MM||MM||MM"
