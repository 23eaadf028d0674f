"""Bounded, deterministic property-based fuzzing of trtlab's parsers (bench/fuzz_long.py runs longer).

Every target may return a result or raise a trtlab error, nothing else. The grammar
properties: vertical / horizontal / PWN names built from plain node names parse back to
exactly those names.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import targets as T  # noqa: E402

sys.path.pop(0)

from trtlab.engine import parse_layer_name  # noqa: E402

# derandomize: the same examples on every run (CI failures reproduce); no example database
BOUNDED = settings(derandomize=True, database=None, deadline=None, max_examples=300,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(BOUNDED, max_examples=200)


def _need(seeds, what):
    if not seeds:
        pytest.skip(f"no {what} seeds here (shared fixtures or TensorRT for RTX missing)")
    return seeds


# ----------------------------------------------------------------------------- grammar properties
@BOUNDED
@given(st.lists(T.dotted_name, min_size=1, max_size=8))
def test_vertical_join_round_trips(names):
    parsed = parse_layer_name(" + ".join(names))
    assert parsed.leaves() == names
    assert parsed.kind == ("vertical" if len(names) > 1 else "single")


@BOUNDED
@given(st.lists(T.dotted_name, min_size=1, max_size=8))
def test_horizontal_join_round_trips(names):
    parsed = parse_layer_name(" || ".join(names))
    assert parsed.leaves() == names
    assert parsed.kind == ("horizontal" if len(names) > 1 else "single")


@BOUNDED
@given(st.lists(st.lists(T.dotted_name, min_size=1, max_size=4), min_size=2, max_size=4))
def test_horizontal_of_vertical_chains(chains):
    parsed = parse_layer_name(" || ".join(" + ".join(c) for c in chains))
    assert parsed.kind == "horizontal"
    assert [p.leaves() for p in parsed.parts] == chains


@BOUNDED
@given(st.lists(T.pwn_tree(), min_size=1, max_size=3))
def test_pwn_nesting_round_trips(children):
    tree = children  # the outermost PWN(...)
    parsed = parse_layer_name(T.pwn_text(tree))
    assert parsed.kind == "pointwise"
    assert parsed.leaves() == T.pwn_leaves(tree)

    def shape(node):  # the parsed tree has the generated nesting
        return node.text if node.kind == "single" else [shape(p) for p in node.parts]

    assert shape(parsed) == tree


@BOUNDED
@given(T.plain_name, T.plain_name, st.integers(0, 99))
def test_myelin_range_and_profile_suffix(first, last, profile):
    parsed = parse_layer_name(f"{{ForeignNode[{first}...{last}]}} [profile {profile}]")
    assert parsed.kind == "myelin" and parsed.profile == profile
    assert parsed.ranges() == [(first, last)]


@BOUNDED
@given(st.text(max_size=200) | st.text(alphabet="PWN(){}[]ForeignNode.+| ,", max_size=120))
def test_any_text_is_a_layer_name(text):
    T.target_layer_name(text)


# ----------------------------------------------------------------------------- parsers
@FEW
@given(st.data())
def test_layer_info_mutated_real_json(data):
    seeds = _need(T.json_seeds()["layer_info"], "layer-information")
    T.target_layer_info(data.draw(T.mutated_json(seeds)))


@FEW
@given(st.data())
def test_layer_info_mutated_real_text(data):
    import json

    seeds = _need(T.json_seeds()["layer_info"], "layer-information")
    texts = [json.dumps(s) for s in seeds[:2]]
    T.target_layer_info(data.draw(T.mutated_text(texts)))


@BOUNDED
@given(T.trt_json)
def test_layer_info_random_json(doc):
    T.target_layer_info(doc)
    T.target_profile(doc)
    T.target_timing(doc)


@FEW
@given(st.data())
def test_profile_mutated_real_json(data):
    T.target_profile(data.draw(T.mutated_json(_need(T.json_seeds()["profile"], "profile"))))


@FEW
@given(st.data())
def test_timing_mutated_real_json(data):
    T.target_timing(data.draw(T.mutated_json(_need(T.json_seeds()["timing"], "timing"))))


@FEW
@given(st.data())
def test_oneline_mutated_real_listing(data):
    T.target_oneline(data.draw(T.mutated_text(_need(T.oneline_seeds(), "one-line"))))


@FEW
@given(st.data())
def test_onnx_mutated_real_models(data):
    T.target_onnx(data.draw(T.mutated_bytes(_need(T.onnx_seeds(), "ONNX"))))


@settings(FEW, max_examples=60)
@given(st.data())
def test_fusion_of_mutated_real_layer_info(data):
    seeds = _need(T.json_seeds()["layer_info"][1:2], "ResNet-18 layer-information")  # resnet18-a100-fp16
    T.target_fusion(data.draw(T.mutated_json(seeds)))


@FEW
@given(st.data())
def test_bundle_mutated_real_bundle(data):
    T.target_bundle(data.draw(T.mutated_bytes(T.bundle_seeds())))
