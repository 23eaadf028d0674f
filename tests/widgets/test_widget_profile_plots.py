"""ProfilePlots and the pure plotting functions on real trtexec output (ResNet-18, A100)."""

from __future__ import annotations

import numpy as np
import pytest

import trtlab
from trtlab.errors import ConfigError
from trtlab.draw import plots
from trtlab.widgets import ProfilePlots

PNG = b"\x89PNG\r\n\x1a\n"


def _bars(drawing):
    """The horizontal bars drawn on a Drawing's axes, as (label, width)."""
    out = []
    for ax in drawing.figure.axes:
        labels = [t.get_text() for t in ax.get_yticklabels()]
        patches = [p for p in ax.patches]
        if labels and len(labels) == len(patches):
            out += list(zip(labels, [p.get_width() for p in patches]))
    return out


def test_layer_time_bars_are_the_slowest_layers(resnet_fp32):
    prof = trtlab.load_profile(resnet_fp32 / "engine.profile.json")
    d = plots.layer_time_bars(prof, top=5)
    bars = _bars(d)
    expected = sorted(prof.layers, key=lambda lt: -lt.average_ms)[:5]
    assert [w for _, w in bars][::-1] == pytest.approx([lt.average_ms for lt in expected])
    assert bars[-1][0] == expected[0].name == "Conv_0 + Relu_1"
    assert d._repr_png_().startswith(PNG)
    d.close()


def test_time_by_layer_type_adds_up_to_the_profile(resnet_fp16):
    plan = trtlab.load_layer_info(resnet_fp16 / "engine.graph.json")
    prof = trtlab.load_profile(resnet_fp16 / "engine.profile.json")
    by_type = plots.times_by_layer_type(plan, prof)
    assert sum(by_type.values()) == pytest.approx(sum(lt.average_ms for lt in prof.layers))
    assert "(not in layer info)" not in by_type  # every profiled layer is in the layer info
    assert by_type["CaskConvolution"] > by_type["Reformat"] > 0


def test_time_by_fusion_kind(resnet_fp16):
    graph = trtlab.load_onnx(trtlab.bundled_model("resnet18"))
    report = trtlab.map_fusion(graph, trtlab.load_layer_info(resnet_fp16 / "engine.graph.json"),
                               trtlab.load_profile(resnet_fp16 / "engine.profile.json"))
    kinds = plots.times_by_kind(report)
    assert sum(kinds.values()) == pytest.approx(report.total_ms)
    assert set(kinds) <= {"vertical", "single", "reformat"}


def test_latency_histogram_marks_percentiles(resnet_fp32):
    timing = trtlab.load_timing(resnet_fp32 / "engine.timing.json")
    d = plots.latency_histogram(timing)
    ax = d.figure.axes[0]
    p50 = float(np.percentile(timing.latency_ms, 50))
    assert any(f"p50 = {p50:.3f} ms" == t.get_text() for t in ax.get_legend().get_texts())
    assert "1600 iterations" in ax.get_title()
    d.close()


def test_compare_fp32_with_fp16(resnet_fp32, resnet_fp16):
    a = trtlab.load_profile(resnet_fp32 / "engine.profile.json")
    b = trtlab.load_profile(resnet_fp16 / "engine.profile.json")
    d = plots.compare_profiles(a, b, ("FP32", "FP16"), top=8)
    totals = d.figure.axes[0]
    assert [p.get_height() for p in totals.patches] == pytest.approx([a.total_ms, b.total_ms])
    assert f"{b.total_ms / a.total_ms:.2f}x" in totals.get_title()
    assert len(d.figure.axes[1].get_yticklabels()) == 8
    d.close()


def test_plot_arguments_are_checked():
    with pytest.raises(ConfigError, match="top=0"):
        plots.time_bars({"a": 1.0}, top=0)
    with pytest.raises(ConfigError, match="host . device time -1"):
        plots.io_split(-1, 1, 1)
    with pytest.raises(ConfigError, match="labels"):
        plots.compare_profiles([], [], ("only one",))
    with pytest.raises(ConfigError, match="cannot read latencies"):
        plots.latency_histogram(object())


def test_widget_offers_the_views_its_data_allows(resnet_fp32, resnet_fp16):
    pp = ProfilePlots.from_folder(resnet_fp32, compare=resnet_fp16, labels=("FP32", "FP16"))
    assert pp.status.kind == "ok", pp.status.text
    assert list(pp.view.options) == ["top layers", "by layer type", "latency", "H2D/compute/D2H", "compare"]
    seen = set()
    for view in pp.view.options:
        pp.view.value = view
        assert pp.status.kind == "ok", (view, pp.status.text)
        seen.add(bytes(pp.image.value))
    assert len(seen) == 5  # five different pictures
    pp.view.value = "top layers"
    pp.top.value = 5
    assert pp.status.kind == "ok"
    pp.view.value = "H2D/compute/D2H"
    assert pp.top.disabled  # top N means nothing for this view
    assert "2.124 ms per inference" in pp.info.value  # the FP32 profile's sum of layer times
    # only a profile: only the views it allows
    only = ProfilePlots(resnet_fp16 / "engine.profile.json")
    assert list(only.view.options) == ["top layers"]


def test_widget_with_a_fusion_report_offers_time_by_fusion_kind(fixtures):
    prof = trtlab.load_profile(fixtures / "trt-profiles" / "googlenet-jetson-gpu.profile.json")
    report = trtlab.map_fusion(trtlab.load_onnx(trtlab.bundled_model("googlenet")), prof)
    pp = ProfilePlots(report=report)
    assert list(pp.view.options) == ["top layers", "by fusion kind"]  # the profile comes with the report
    pp.view.value = "by fusion kind"
    assert pp.status.kind == "ok"
    bars = dict(_bars(pp.drawing()))
    assert bars["horizontal"] == pytest.approx(sum(r.time_ms for r in report.by_kind("horizontal")))


def test_widget_bad_inputs_are_shown(tmp_path, resnet_fp32):
    missing = ProfilePlots.from_folder(tmp_path / "nope")
    assert missing.status.kind == "error" and "does not exist" in missing.status.text
    bad = tmp_path / "profile.json"
    bad.write_text('[{"count": 10}, {"name": "a", "timeMs": "fast"}]')
    pp = ProfilePlots(bad)
    assert pp.status.kind == "error" and pp.status.text.startswith("LayerInfoError")
    empty = ProfilePlots()
    assert empty.status.kind == "error" and "nothing to plot" in empty.status.text
    # a layer-info file given as a profile
    wrong = ProfilePlots(resnet_fp32 / "engine.graph.json")
    assert wrong.status.kind == "error" and "LayerInfoError" in wrong.status.text


def test_static_fallback(resnet_fp32):
    pp = ProfilePlots.from_folder(resnet_fp32)
    html = pp._repr_mimebundle_()["text/html"]
    assert "data:image/png;base64," in html and "32 profiled layers" in html
