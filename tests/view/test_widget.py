"""The notebook widget: selection state readable from Python; fails soft without anywidget."""

from __future__ import annotations

import sys

import pytest

from trtlab.errors import ConfigError, MissingDependencyError
from trtlab.view import widget as widget_module

pytest.importorskip("anywidget")


def test_report_view_selection_is_widget_state(fp16_report):
    v = fp16_report.view()
    assert v.color_by == "kind" and v.selected == ""
    v.select("Conv_5 + Add_6 + Relu_7")
    assert v.selected_layer == "Conv_5 + Add_6 + Relu_7"
    assert v.highlighted_nodes == ["Add_6", "Conv_5", "Relu_7"]
    # an ONNX node selects the engine layer that absorbed it
    v.select("Relu_1")
    assert v.selected_layer == "Conv_0 + Relu_1" and v.highlighted_nodes == ["Conv_0", "Relu_1"]
    v.select(None)
    assert v.selected_layer == "" and v.highlighted_nodes == []
    with pytest.raises(ConfigError, match="no node named"):
        v.select("Conv_999")


def test_colour_modes_are_checked(fp16, resnet18):
    plan, profile = fp16
    v = plan.view(profile=profile, color_by="time")
    assert v.color_by == "time"
    with pytest.raises(ConfigError, match="kind, precision, time"):
        plan.view(profile=profile, color_by="heat")
    with pytest.raises(ConfigError, match="needs a profile"):
        plan.view(color_by="time")
    with pytest.raises(ConfigError, match="not one of"):
        resnet18.view().color_by = "kind"


def test_widget_save_html_matches_the_view(fp16_report, tmp_path):
    v = fp16_report.view(mode="stages", focus=r"^(Conv|Relu|Add)_([5-9])$")
    path = v.save_html(tmp_path / "stages.html")
    assert path.stat().st_size > 400_000  # the library travels with the page
    assert "after vertical fusion" in path.read_text(encoding="utf-8")


def test_without_anywidget_the_error_names_the_extra_and_draw_still_works(resnet18, monkeypatch):
    monkeypatch.setitem(sys.modules, "anywidget", None)
    widget_module.widget_class.cache_clear()
    try:
        with pytest.raises(MissingDependencyError, match="notebook"):
            resnet18.view()
        assert resnet18.draw().figure is not None
    finally:
        widget_module.widget_class.cache_clear()
