"""Queries on residual_block.onnx, whose structure is (unnamed nodes, so generated names):

    Conv_0 -> BatchNormalization_1 -> Relu_2 -> MaxPool_3 -+-> Conv_4 -> BN_6 -> Relu_8 -> Conv_9 -> BN_10
                                                           |      -> Relu_11 -> Conv_12 -> BN_13 -+-> Sum_14
                                                           +-> Conv_5 -> BN_7 -------------------+
"""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from trtlab.errors import ConfigError
from trtlab.graph import OnnxGraph, load_onnx

BN = "BatchNormalization"
MAIN = ["Conv_4", f"{BN}_6", "Relu_8", "Conv_9", f"{BN}_10", "Relu_11", "Conv_12", f"{BN}_13"]
SHORTCUT = ["Conv_5", f"{BN}_7"]
STEM = ["Conv_0", f"{BN}_1", "Relu_2", "MaxPool_3"]


@pytest.fixture(scope="module")
def rb(fixtures: Path) -> OnnxGraph:
    return load_onnx(fixtures / "onnx" / "residual_block.onnx")


@pytest.fixture(scope="module")
def raw(fixtures: Path) -> onnx.ModelProto:
    return onnx.load(str(fixtures / "onnx" / "residual_block.onnx"))


def _reachable_by_proto(raw: onnx.ModelProto, src: str, dst: str) -> set[int]:
    """Indices of nodes on a path src -> dst, computed straight from the protobuf (independent of trtlab)."""
    nodes = list(raw.graph.node)
    fwd = {src}
    down = set()
    for i, n in enumerate(nodes):  # file order is topological here
        if set(n.input) & fwd:
            down.add(i)
            fwd |= set(n.output)
    back = {dst}
    up = set()
    for i in reversed(range(len(nodes))):
        if set(nodes[i].output) & back:
            up.add(i)
            back |= set(nodes[i].input)
    return down & up


def test_find_by_op_type_and_pattern(rb: OnnxGraph):
    assert rb.find(op_type="Conv") == ["Conv_0", "Conv_4", "Conv_5", "Conv_9", "Conv_12"]
    assert rb.find(op_type=["Relu", "Sum"]) == ["Relu_2", "Relu_8", "Relu_11", "Sum_14"]
    assert rb.find(pattern=r"^Relu_\d$") == ["Relu_2", "Relu_8"]
    assert rb.find(op_type="Relu", pattern="1") == ["Relu_11"]
    assert rb.find(op_type="Gemm") == []
    assert rb.find() == rb.topological_order() and len(rb.find()) == 15


def test_find_rejects_bad_arguments(rb: OnnxGraph):
    with pytest.raises(ConfigError, match=r"pattern '\(' is not a valid regular expression"):
        rb.find(pattern="(")
    with pytest.raises(ConfigError, match="op_type must be a str"):
        rb.find(op_type=3)


def test_neighborhood(rb: OnnxGraph):
    one = rb.neighborhood("MaxPool_3")
    assert isinstance(one, OnnxGraph)
    assert set(one.nx) == {"Relu_2", "MaxPool_3", "Conv_4", "Conv_5"}
    assert set(one.nx.edges) == {("Relu_2", "MaxPool_3"), ("MaxPool_3", "Conv_4"), ("MaxPool_3", "Conv_5")}
    two = rb.neighborhood("MaxPool_3", radius=2)
    assert set(two.nx) == {f"{BN}_1", "Relu_2", "MaxPool_3", "Conv_4", "Conv_5", f"{BN}_6", f"{BN}_7"}
    assert set(rb.neighborhood("Sum_14").nx) == {f"{BN}_13", f"{BN}_7", "Sum_14"}
    assert set(rb.neighborhood("Conv_0", radius=0).nx) == {"Conv_0"}
    # the cut-out graph knows what enters and leaves it, and keeps the payloads
    assert [t.name for t in one.inputs] == ["gpu_0/res_conv1_bn_1"]
    assert [t.name for t in one.outputs] == ["gpu_0/res2_0_branch2a_1", "gpu_0/res2_0_branch1_1"]
    assert one.node("Conv_5") is rb.node("Conv_5") and one.parent is rb
    assert one.summary().params == rb.node("Conv_4").params + rb.node("Conv_5").params


def test_neighborhood_errors(rb: OnnxGraph):
    with pytest.raises(ConfigError, match="no node named 'Relu'"):
        rb.neighborhood("Relu")
    with pytest.raises(ConfigError, match="radius"):
        rb.neighborhood("Relu_2", radius=-1)


def test_between_two_tensors(rb: OnnxGraph, raw: onnx.ModelProto):
    pool, out = "gpu_0/pool1_1", "gpu_0/res2_0_branch2c_bn_2"
    both = rb.between(pool, out)
    assert set(both.nx) == set(MAIN + SHORTCUT + ["Sum_14"])
    assert both.topological_order()[0] == "Conv_4" and both.topological_order()[-1] == "Sum_14"
    assert [t.name for t in both.inputs] == [pool] and [t.name for t in both.outputs] == [out]

    shortcut = rb.between(pool, "gpu_0/res2_0_branch1_bn_1")
    assert set(shortcut.nx) == set(SHORTCUT)
    assert [t.name for t in shortcut.outputs] == ["gpu_0/res2_0_branch1_bn_1"]  # read by Sum_14, outside

    stem = rb.between("gpu_0/data_0", pool)
    assert stem.topological_order() == STEM

    # a weight as the source: only the nodes downstream of the one Conv reading it
    assert set(rb.between("gpu_0/res2_0_branch2b_w_0", out).nx) == {"Conv_9", f"{BN}_10", "Relu_11", "Conv_12", f"{BN}_13", "Sum_14"}

    # agrees with a walk over the protobuf for every (tensor, tensor) pair that has a path
    order = rb.topological_order()
    tensors = [t for n in raw.graph.node for t in n.output]
    for src in ["gpu_0/data_0", *tensors]:
        for dst in tensors:
            expected = {order[i] for i in _reachable_by_proto(raw, src, dst)}
            if expected:
                assert set(rb.between(src, dst).nx) == expected, (src, dst)


def test_between_errors(rb: OnnxGraph):
    with pytest.raises(ConfigError, match="no path leads from tensor 'gpu_0/res2_0_branch1_bn_1'"):
        rb.between("gpu_0/res2_0_branch1_bn_1", "gpu_0/res2_0_branch2b_1")
    with pytest.raises(ConfigError, match="not produced by any node"):
        rb.between("gpu_0/data_0", "gpu_0/data_0")
    with pytest.raises(ConfigError, match="no tensor named 'gpu_0/pool1'.*Did you mean 'gpu_0/pool1_1'"):
        rb.between("gpu_0/pool1", "gpu_0/res2_0_branch2c_bn_2")
    with pytest.raises(ConfigError, match="no node of graph .* reads tensor"):
        rb.between("gpu_0/res2_0_branch2c_bn_2", "gpu_0/res2_0_branch2c_bn_2")
