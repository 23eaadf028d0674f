"""FusionExplorer on real TensorRT layer information (ResNet-18 on an A100) and bad inputs."""

from __future__ import annotations

import pytest

import trtlab
from trtlab.widgets import FusionExplorer

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def report(resnet18_fp16_report):
    return resnet18_fp16_report


def test_lists_every_engine_layer_and_the_summary(report):
    fx = FusionExplorer(report)
    assert fx.status.kind == "ok", fx.status.text
    assert [v for _, v in fx.layers.options] == [layer.index for layer in report.layers]
    assert len(fx.layers.options) == 36  # the real FP16 engine has 36 layers
    assert set(fx.kind.options) == {"all kinds"} | {layer.kind for layer in report.layers}
    assert "engine layers" in fx.summary.value
    assert bytes(fx.image.value).startswith(PNG)
    assert "trtlab-fusion-explorer" in fx._dom_classes


def test_picking_a_layer_highlights_it_and_shows_its_details(report):
    fx = FusionExplorer(report)
    before = fx.image.value
    fused = fx.select("Conv_5 + Add_6 + Relu_7")
    assert fused.onnx_nodes == ["Conv_5", "Add_6", "Relu_7"]
    assert fx.selected is fused
    assert bytes(fx.image.value).startswith(PNG) and fx.image.value != before
    details = fx.details.value
    for text in ("Conv_5, Add_6, Relu_7", "vertical", fused.tactic, "FP16", f"{fused.time_ms:.4f} ms"):
        assert text in details, text
    assert "3 ONNX nodes highlighted" in fx.status.text
    # choosing in the list (what a click does) goes through the same path
    fx.layers.value = 1
    assert fx.selected.name == "Conv_0 + Relu_1"
    assert "Conv_0, Relu_1" in fx.details.value


def test_picking_a_reformat_layer_says_it_absorbed_no_onnx_node(report):
    fx = FusionExplorer(report)
    reformat = next(layer for layer in report.layers if layer.kind == "reformat")
    fx.select(reformat.name)
    assert "absorbed no ONNX node" in fx.status.text
    assert "0 ONNX nodes highlighted" not in fx.status.text
    assert f"layer {reformat.index}" in fx.status.text


def test_kind_filter_and_view_mode(report):
    fx = FusionExplorer(report)
    fx.kind.value = "reformat"
    shown = [report.layer(v) for _, v in fx.layers.options]
    assert shown and all(layer.kind == "reformat" for layer in shown)
    assert len(shown) == len(report.by_kind("reformat"))
    # selecting a layer that the filter hides switches back to all kinds
    fx.select(1)
    assert fx.kind.value == "all kinds" and fx.layers.value == 1
    side = fx.image.value
    fx.mode.value = "overlay"
    assert fx.status.kind == "ok" and fx.image.value != side


def test_unknown_layer_name_is_a_clear_error_in_the_widget(report):
    fx = FusionExplorer(report)
    fx.guard(fx.select, "Conv_5 + Add_6")
    assert fx.status.kind == "error"
    assert fx.status.text.startswith("MappingError: no engine layer named 'Conv_5 + Add_6'")


def test_from_files_with_bad_inputs_shows_errors_and_never_raises(fixtures, tmp_path):
    folder = fixtures / "trt-layerinfo" / "resnet18-a100-fp16"
    model = trtlab.bundled_model("resnet18")
    missing = FusionExplorer.from_files(tmp_path / "nope.onnx", folder / "engine.graph.json")
    assert missing.status.kind == "error" and "ModelLoadError" in missing.status.text
    assert "nope.onnx" in missing.status.text
    assert missing.report is None and missing.layers.options == ()

    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(model.read_bytes()[:5000])
    bad = FusionExplorer.from_files(corrupt, folder / "engine.graph.json")
    assert bad.status.kind == "error" and bad.status.text.startswith("ModelLoadError")

    not_json = tmp_path / "engine.graph.json"
    not_json.write_text("{ this is not json")
    bad_li = FusionExplorer.from_files(model, not_json)
    assert bad_li.status.kind == "error" and bad_li.status.text.startswith("LayerInfoError")

    bad_mode = FusionExplorer(mode="sideways")
    assert bad_mode.status.kind == "error" and "'sideways'" in bad_mode.status.text

    wrong = FusionExplorer("not a report")
    assert wrong.status.kind == "error" and "needs a FusionReport" in wrong.status.text


def test_mismatched_layer_info_is_reported_not_raised(fixtures):
    """GoogLeNet's graph with ResNet-18's engine: the widget says they do not belong together."""
    folder = fixtures / "trt-layerinfo" / "resnet18-a100-fp16"
    fx = FusionExplorer.from_files(trtlab.bundled_model("googlenet"), folder / "engine.graph.json")
    assert fx.status.kind == "error"
    assert "another model" in fx.status.text or "MappingError" in fx.status.text


def test_static_fallback_has_the_picture_and_the_details(report):
    fx = FusionExplorer(report)
    fx.select(3)
    bundle = fx._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    snapshot = bundle["text/html"]
    assert "data:image/png;base64," in snapshot
    assert "Conv_3, Relu_4" in snapshot and "trtlab-fusion-explorer" in snapshot


def test_explores_a_real_rtx_build_on_this_cpu(tmp_path):
    pytest.importorskip("tensorrt_rtx_bindings")
    engine = trtlab.build_engine(trtlab.bundled_model("inception_block"), cache=tmp_path)
    fx = FusionExplorer(engine)  # anything with .fusion()
    assert fx.status.kind in ("ok", "error")
    assert fx.report is not None and len(fx.layers.options) == len(engine.layer_info)
    fused = next(layer for layer in fx.report.layers if len(layer.onnx_nodes) > 1)
    fx.select(fused.index)
    assert ", ".join(fused.onnx_nodes) in fx.details.value
