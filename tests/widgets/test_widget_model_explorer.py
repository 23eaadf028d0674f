"""ModelExplorer on the bundled models, the real Polygraphy models and the bad-input corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import trtlab
from trtlab.widgets import ModelExplorer

PNG = b"\x89PNG\r\n\x1a\n"
BAD_INPUTS = Path(__file__).resolve().parents[1] / "bad_inputs"


def test_starts_on_a_bundled_model_with_summary_and_picture():
    me = ModelExplorer()
    first = trtlab.data.bundled_models()[0]
    assert me.source.value == first
    assert me.status.kind == "ok", me.status.text
    graph = trtlab.load_onnx(trtlab.bundled_model(first))
    assert len(me.graph) == len(graph)
    assert f"{len(graph)} nodes" in me.status.text
    assert bytes(me.image.value).startswith(PNG)
    assert sorted(me.op_type.options[1:]) == sorted({graph.node(n).op_type for n in graph.nx})


def test_filter_by_op_type_and_regex_then_expand_a_neighbourhood():
    me = ModelExplorer(trtlab.bundled_model("inception_block"))
    assert me.source.value == "inception_block"  # a bundled model's path shows in the picker
    whole = bytes(me.image.value)
    names = me.apply_filter(op_type="Conv")
    assert names == me.graph.find(op_type="Conv") and len(names) == 6  # 1x1, 3x3 and 5x5 branches + reductions
    assert list(me.matches.options) == names
    assert bytes(me.image.value) != whole and "6 nodes match" in me.status.text
    # the regex narrows the op-type filter (set through the control, as a user types it)
    me.pattern.value = r"reduce$"
    assert list(me.matches.options) == ["inception/3x3_reduce", "inception/5x5_reduce"]
    me.matches.value = "inception/3x3_reduce"
    me.radius.value = 1
    me.zoom_button.click()
    assert me.status.kind == "ok" and "neighbourhood of inception/3x3_reduce" in me.status.text
    assert "inception/3x3_reduce" in me.caption.value
    me.whole_button.click()
    assert bytes(me.image.value) == whole  # drawing is deterministic


def test_bad_regex_and_unknown_node_are_errors_in_the_widget():
    me = ModelExplorer(trtlab.bundled_model("inception_block"))
    me.pattern.value = "Conv_(("
    assert me.status.kind == "error" and "Conv_((" in me.status.text
    me.pattern.value = ""
    me.guard(me.expand, "NoSuchNode")
    assert me.status.kind == "error" and "'NoSuchNode'" in me.status.text


def test_path_entry_missing_and_real_models(fixtures, tmp_path):
    me = ModelExplorer()
    me.source.value = "(a path...)"
    me.path.value = str(tmp_path / "missing.onnx")
    assert me.status.kind == "error" and "ModelLoadError" in me.status.text and "missing.onnx" in me.status.text
    me.path.value = str(fixtures / "onnx" / "residual_block.onnx")
    assert me.status.kind == "ok" and me.graph.find(op_type="BatchNormalization")


def _cases(entry):
    cases = json.loads((BAD_INPUTS / "cases.json").read_text())
    return [c for c in cases if c["entry"] == entry]


@pytest.fixture(scope="module")
def explorer():
    me = ModelExplorer(trtlab.bundled_model("inception_block"))
    me.source.value = "(a path...)"
    return me


@pytest.mark.parametrize("case", _cases("load_onnx"), ids=lambda c: c["id"])
def test_every_bad_onnx_file_is_shown_not_raised(case, explorer, fixtures):
    me = explorer
    path = BAD_INPUTS / "files" / case["file"] if "file" in case else fixtures / case["fixture"]
    me.path.value = str(path)
    if case["expect"].startswith("error:"):
        expected = case["expect"].split(":", 1)[1]
        assert me.status.kind == "error", me.status.text
        assert me.status.text.startswith(expected + ":"), me.status.text
    else:
        assert me.status.kind == "ok", me.status.text


def test_static_fallback():
    me = ModelExplorer(trtlab.bundled_model("inception_block"))
    html = me._repr_mimebundle_()["text/html"]
    assert "data:image/png;base64," in html and "trtlab-model-explorer" in html
