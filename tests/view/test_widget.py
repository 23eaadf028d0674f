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


def test_fusion_explorer_list_and_view_are_linked(fp16_report):
    from trtlab.widgets import FusionExplorer

    fx = FusionExplorer(fp16_report)
    fx.select("Conv_5 + Add_6 + Relu_7")
    assert fx.view.selected_layer == "Conv_5 + Add_6 + Relu_7"
    assert fx.view.highlighted_nodes == ["Add_6", "Conv_5", "Relu_7"]
    fx.view.select("Relu_1")  # what a click on the ONNX node Relu_1 in the page sets
    assert fx.selected.name == "Conv_0 + Relu_1"
    assert "Conv_0, Relu_1" in fx.details.value


def test_model_explorer_selects_the_listed_node_in_the_view(resnet18):
    from trtlab.widgets import ModelExplorer

    mx = ModelExplorer(resnet18)
    assert len(mx.view.data["panels"][0]["nodes"]) == len(resnet18)
    mx.matches.value = "Add_6"
    assert mx.view.selected == "onnx:Add_6" and mx.view.highlighted_nodes == ["Add_6"]


@pytest.mark.rtx
def test_engine_builder_shows_the_built_engine_as_a_view():
    pytest.importorskip("tensorrt_rtx_bindings")
    import trtlab
    from trtlab.widgets import EngineBuilder

    eb = EngineBuilder(trtlab.bundled_model("inception_block"))
    eb.build(wait=True)
    assert eb.status.kind == "ok", eb.status.text
    assert eb.view is not None and eb.view_box.children == (eb.view,)
    assert eb.report.counts().sentence() in eb.view.data["title"]
    layers = [n for n in eb.view.data["panels"][1]["nodes"] if n["role"] == "layer"]
    assert len(layers) == sum(1 for r in eb.report.layers if r.kind != "sync")


def test_profile_plots_show_the_engine_graph_by_time(fixtures):
    from trtlab.widgets import ProfilePlots

    pp = ProfilePlots.from_folder(fixtures / "trt-layerinfo" / "resnet18-a100-fp16")
    assert pp.graph_view is not None and pp.graph_view.color_by == "time"
    heat = {n["name"]: n["heat"] for n in pp.graph_view.data["panels"][0]["nodes"]}
    assert heat[pp.profile.top(1)[0].name] == 1.0


def test_without_a_widget_manager_the_output_says_what_was_there(resnet18):
    bundle = resnet18.view()._repr_mimebundle_()
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "resnet18" in bundle["text/html"] and ".draw()" in bundle["text/html"]
