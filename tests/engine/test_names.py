"""The layer-name grammar on names TensorRT really wrote (fixtures) and on tricky strings."""

from __future__ import annotations

import json

import pytest

from trtlab.engine import parse_layer_name
from trtlab.engine.names import is_reformat_name, split_profile_suffix


@pytest.mark.parametrize(
    "name, kind, leaves",
    [
        ("Conv_5 + Add_6 + Relu_7", "vertical", ["Conv_5", "Add_6", "Relu_7"]),
        ("MaxPool_2", "single", ["MaxPool_2"]),
        ("PWN(PWN(Clip_12), Add_13)", "pointwise", ["Clip_12", "Add_13"]),
        ("PWN(a + b)", "pointwise", ["a", "b"]),
        ("PWN(x)", "pointwise", ["x"]),
        ("a/1x1 + a/relu || b/3x3 + b/relu", "horizontal", ["a/1x1", "a/relu", "b/3x3", "b/relu"]),
        ("{ForeignNode[/enc/Conv_1.../enc/Add_9]}", "myelin", ["/enc/Conv_1", "/enc/Add_9"]),
        ("{ForeignNode[/only]}", "myelin", ["/only"]),
        ("features.0.0.weight + QuantizeLinear_8 + Conv_12 + PWN(Clip_16)", "vertical",
         ["features.0.0.weight", "QuantizeLinear_8", "Conv_12", "Clip_16"]),
        # brackets inside names are not separators; ' + ' inside brackets does not split
        ("(Unnamed Layer* 306) [Shuffle] + x", "vertical", ["(Unnamed Layer* 306) [Shuffle]", "x"]),
        ("f(a + b)", "single", ["f(a + b)"]),
        # unbalanced brackets / garbage: one single name, never an exception
        ("PWN(Clip_12", "single", ["PWN(Clip_12"]),
        ("{ForeignNode[a...b", "single", ["{ForeignNode[a...b"]),
        ("x + (y", "single", ["x + (y"]),
        ("", "single", [""]),
        (" + ", "single", ["+"]),
        ("a +  + b", "single", ["a +  + b"]),
    ],
)
def test_grammar(name, kind, leaves):
    parsed = parse_layer_name(name)
    assert parsed.kind == kind
    assert parsed.leaves() == leaves


def test_nested_structure_and_ranges():
    p = parse_layer_name("PWN(PWN(Clip_12), Add_13)")
    assert [c.kind for c in p.parts] == ["pointwise", "single"]
    assert p.parts[0].parts[0].text == "Clip_12"
    h = parse_layer_name("{ForeignNode[a...b]} || c + {ForeignNode[d...e]}")
    assert h.kind == "horizontal"
    assert h.ranges() == [("a", "b"), ("d", "e")]
    assert h.parts[1].kind == "vertical"


@pytest.mark.parametrize(
    "name, direction, index, target_leaves",
    [
        ("Reformatting CopyNode for Input Tensor 0 to Conv_0 + Relu_1", "input", 0, ["Conv_0", "Relu_1"]),
        ("Reformatting CopyNode for Output Tensor 1 to MaxPool_2", "output", 1, ["MaxPool_2"]),
        ("conv1/7x7_s2 + conv1/relu_7x7 input reformatter 0", "input", 0, ["conv1/7x7_s2", "conv1/relu_7x7"]),
        ("prob output reformatter 0", "output", 0, ["prob"]),
        ("Conv_3 copy", "copy", None, ["Conv_3"]),
    ],
)
def test_reformat_names(name, direction, index, target_leaves):
    p = parse_layer_name(name)
    assert p.kind == "reformat"
    assert p.direction == direction and p.tensor_index == index
    assert p.leaves() == []  # a reformat layer absorbs no network node
    assert p.target.leaves() == target_leaves
    assert is_reformat_name(name)


def test_profile_suffix():
    assert split_profile_suffix("Conv_0 + Relu_1 [profile 3]") == ("Conv_0 + Relu_1", 3)
    assert split_profile_suffix("Conv_0") == ("Conv_0", None)
    p = parse_layer_name("Conv_0 + Relu_1 [profile 3]")
    assert p.profile == 3 and p.leaves() == ["Conv_0", "Relu_1"]


def test_never_raises_on_odd_input():
    for junk in ["((((", "]]]]", "PWN()", "PWN(, )", "{ForeignNode[]}", "{ForeignNode[...]}",
                 "Reformatting CopyNode for Input Tensor x to", "\x00\x1e", "a" * 10000,
                 "PWN(" * 500 + ")" * 500, " || ".join(["a"] * 1000), 12, None]:
        p = parse_layer_name(junk)
        assert p.kind in {"vertical", "horizontal", "pointwise", "myelin", "reformat", "single"}
        assert isinstance(p.leaves(), list)


def _names(fixtures, folder):
    return [layer["Name"] for layer in json.loads((fixtures / "trt-layerinfo" / folder / "engine.graph.json").read_text())["Layers"]]


def test_fixture_names(fixtures):
    mobilenet = _names(fixtures, "mobilenet-qat-titanrtx-int8")
    pwn = [n for n in mobilenet if "PWN(Clip_" in n]
    assert len(pwn) >= 30
    for n in pwn:
        leaves = parse_layer_name(n).leaves()
        assert any(leaf.startswith("Clip_") for leaf in leaves) and "PWN(" not in " ".join(leaves)
    fp32 = _names(fixtures, "resnet18-a100-fp32")
    assert parse_layer_name("Conv_5 + Add_6 + Relu_7").leaves() == ["Conv_5", "Add_6", "Relu_7"]
    assert "Conv_5 + Add_6 + Relu_7" in fp32
    for n in fp32:
        p = parse_layer_name(n)
        if n.startswith("Reformatting"):
            # the layer a reformat serves is (the name of) another layer of the same engine
            assert p.kind == "reformat" and p.target.text in fp32
        else:
            assert p.kind in ("single", "vertical")


def test_googlenet_horizontal_fusion(fixtures):
    rows = json.loads((fixtures / "trt-profiles" / "googlenet-jetson-gpu.layer_times.json").read_text())
    by_name = {r["name"]: r for r in rows}
    name = ("inception_3a/1x1 + inception_3a/relu_1x1 || inception_3a/3x3_reduce + inception_3a/relu_3x3_reduce"
            " || inception_3a/5x5_reduce + inception_3a/relu_5x5_reduce")
    p = parse_layer_name(name)
    assert p.kind == "horizontal" and len(p.parts) == 3 and all(c.kind == "vertical" for c in p.parts)
    # the file's own count of fused layers agrees with the grammar, for every layer
    # (concat copies "inception_3a/1x1 copy" count as one layer there; the grammar calls them
    # reformat-kind copies of the layer they copy, which absorb no network layer)
    leaves_so_far: set[str] = set()
    for n, r in by_name.items():
        p = parse_layer_name(n)
        if p.kind == "reformat":
            assert p.direction == "copy" and r["layer_count"] == 1
            assert p.target.text in leaves_so_far  # it copies the output of an earlier layer
        else:
            assert len(p.leaves()) == r["layer_count"], n
            leaves_so_far.update(p.leaves())
