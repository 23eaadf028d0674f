"""Kind is one str-valued enum: it stands in for the plain words code and notebooks compare with."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from trtlab.engine import Kind, LayerCounts
from trtlab.engine.kinds import INSERTED, internal_reason


def test_kind_is_its_word():
    assert Kind.SYNC == "sync" and "sync" == Kind.SYNC and Kind("noop") is Kind.NOOP
    assert {"reformat": 1}[Kind.REFORMAT] == 1 and Counter([Kind.SINGLE, "single"])["single"] == 2
    assert f"{Kind.MYELIN}" == str(Kind.MYELIN) == "myelin" and json.dumps([Kind.VERTICAL]) == '["vertical"]'
    assert Kind.parse("nonsense") is None and Kind.parse("internal") is Kind.INTERNAL


def test_inserted_kinds_absorb_no_node():
    assert INSERTED == {Kind.REFORMAT, Kind.SYNC, Kind.INTERNAL}
    assert Kind.INTERNAL.is_inserted and not Kind.NOOP.is_inserted and not Kind.VERTICAL.is_inserted


@pytest.mark.parametrize("name, layer_type, internal", [
    ("dummy_shape_call__mye548_0_myl24_0", "shape_call", True),   # TensorRT 10.4 ResNet-18 fixture
    ("__mye263_0_myl0_0", "shape_call", True),
    ("__myl_MulSumAdd_myl24_1", "kgen", False),                  # a real kernel of the network
    ("/conv1/Conv + /relu/Relu", "CaskConvolution", False),
])
def test_myelin_internals_have_a_one_line_reason(name, layer_type, internal):
    reason = internal_reason(name, layer_type)
    assert (reason is not None) == internal
    if internal:
        assert "\n" not in reason and "no tensor of the network" in reason


def test_counts_sentence_names_only_what_is_there():
    counts = LayerCounts.of([Kind.VERTICAL, Kind.SINGLE, Kind.SYNC, Kind.SYNC], ["Conv", "Pool", "signal", "wait"])
    assert counts.sentence() == "4 engine layers: 2 compute, 2 stream sync (signal/wait) layers with no tensors"
    constants = LayerCounts.of([Kind.SINGLE, Kind.SINGLE], ["Constant", "CaskConvolution"])
    assert (constants.compute, constants.constants) == (1, 1)
    assert LayerCounts.of([], []).sentence() == "0 engine layers"
