"""EnginePlan.draw: the engine graph from real layer information alone (no ONNX model)."""

from __future__ import annotations

import numpy as np
import pytest

import trtlab
from trtlab.draw.fusion_style import KIND_COLORS
from trtlab.errors import ConfigError


@pytest.fixture(scope="module")
def resnet_fp16(fixtures):
    folder = fixtures / "trt-layerinfo" / "resnet18-a100-fp16"
    return trtlab.load_layer_info(folder / "engine.graph.json"), trtlab.load_profile(folder / "engine.profile.json")


def _label(artists, node) -> str:
    return artists.texts[artists.nodes.index(node)].get_text()


def _hex(artists, node) -> str:
    from matplotlib.colors import to_hex

    return to_hex(artists.facecolors[artists.nodes.index(node)][:3])


def test_every_layer_is_drawn_with_type_precision_and_kind_colour(resnet_fp16, output_dir):
    plan, _ = resnet_fp16
    d = plan.draw()
    d.save(output_dir / "engine_resnet18_fp16_kind.png")
    art = d.panels["engine"]
    assert set(art.nodes) == {layer.uid for layer in plan.layers}
    for layer in plan.layers:
        text = _label(art, layer.uid)
        assert text.startswith(f"#{layer.index} {layer.layer_type}") and layer.compute_precision in text
        assert _hex(art, layer.uid) == KIND_COLORS[str(layer.kind)]
    legend = [t.get_text() for t in d.figure.legends[0].get_texts()]
    assert any(t.startswith("vertical") for t in legend)
    assert d.figure.get_figwidth() <= 9.6
    d.close()


def test_edges_carry_the_tensor_shapes_of_the_plan(resnet_fp16):
    plan, _ = resnet_fp16
    d = plan.draw()
    drawn = {t.get_text() for t in d.ax.texts}
    for u, v, data in plan.nx.edges(data=True):
        out = {t.name: t for t in plan.layer(u).outputs}
        t = out[data["tensors"][0]]
        assert f"{'x'.join(map(str, t.shape))} {t.dtype}" in "\n".join(drawn)
    d.close()


def test_profile_adds_time_and_share_and_heat_follows_time(resnet_fp16, output_dir):
    plan, profile = resnet_fp16
    d = plan.draw(profile=profile, color_by="time")
    d.save(output_dir / "engine_resnet18_fp16_time.png")
    art = d.panels["engine"]
    times = {lt.name: lt.average_ms for lt in profile.layers}
    total = sum(times[layer.name] for layer in plan.layers)
    for layer in plan.layers:
        ms = times[layer.name]
        assert f"{ms:.3f} ms ({100 * ms / total:.0f}%)" in _label(art, layer.uid)
    # heat: a slower layer is never drawn lighter than a faster one
    order = sorted(plan.layers, key=lambda layer: times[layer.name])
    darkness = [1 - np.mean(art.facecolors[art.nodes.index(layer.uid)][:3]) for layer in order]
    assert all(a <= b + 1e-9 for a, b in zip(darkness, darkness[1:]))
    assert f"{total:.3f} ms per inference" in "\n".join(t.get_text() for t in d.figure.texts)
    d.close()


def test_colour_by_precision_on_an_int8_engine(fixtures, output_dir):
    plan = trtlab.load_layer_info(fixtures / "trt-layerinfo" / "mobilenet-qat-titanrtx-int8" / "engine.graph.json")
    d = plan.draw(color_by="precision")
    d.save(output_dir / "engine_mobilenet_int8_precision.png")
    art = d.panels["engine"]
    by_precision = {}
    for layer in plan.layers:
        by_precision.setdefault(layer.compute_precision, set()).add(_hex(art, layer.uid))
    assert {"INT8", "FP16"} <= set(by_precision) and all(len(c) == 1 for c in by_precision.values())
    assert len(set.union(*by_precision.values())) == len(by_precision)
    d.close()
    marked = plan.draw(highlight=plan.layers[6].name)
    assert marked.panels["engine"].highlighted == {plan.layers[6].uid}
    marked.close()


def test_trt10_plans_draw(fixtures, output_dir):
    for folder in sorted((fixtures / "trt10").glob("*/engine.graph.json")):
        plan = trtlab.load_layer_info(folder)
        d = plan.draw()
        d.save(output_dir / f"engine_trt10_{folder.parent.name}.png")
        assert d.n_nodes == len([layer for layer in plan.layers if not layer.is_sync])
        d.close()


def test_big_plans_become_an_overview():
    layers = [{"Name": f"/block{b}/layer{i}/conv", "LayerType": "CaskConvolution",
               "Inputs": [{"Name": f"t{b}_{i}", "Dimensions": [1, 8, 8, 8], "Format/Datatype": "Row major linear FP32"}],
               "Outputs": [{"Name": f"t{b}_{i + 1}" if i < 39 else f"t{b + 1}_0", "Dimensions": [1, 8, 8, 8],
                            "Format/Datatype": "Row major linear FP32"}]}
              for b in range(12) for i in range(40)]
    plan = trtlab.load_layer_info({"Layers": layers, "Bindings": []})
    d = plan.draw()
    assert d.mode == "prefix" and d.n_nodes == 12
    assert "40 layers: 40 CaskConvolution" in _label(d.panels["engine"], "block0/")
    d.close()
    every = plan.draw(overview="markers")
    assert every.mode == "markers" and every.n_nodes == 480
    every.close()


def test_bad_options_are_config_errors(resnet_fp16):
    plan, _ = resnet_fp16
    with pytest.raises(ConfigError, match="color_by"):
        plan.draw(color_by="speed")
    with pytest.raises(ConfigError, match="profile="):
        plan.draw(color_by="time")
    with pytest.raises(ConfigError, match="overview"):
        plan.draw(overview="zoom")


def test_details_show_tactic_and_format_with_both_ends(resnet_fp16, output_dir):
    plan, _ = resnet_fp16
    d = plan.draw(details=True)
    d.save(output_dir / "engine_resnet18_fp16_details.png")
    art = d.panels["engine"]
    for layer in plan.layers:
        lines = _label(art, layer.uid).split("\n")
        assert all(len(line) <= 28 for line in lines[1:]), lines
        if layer.tactic:
            tactic = next(line for line in lines if line.startswith("tactic "))[7:]
            assert layer.tactic.startswith(tactic.split("\u2026")[0]) and layer.tactic.endswith(tactic.split("\u2026")[-1])
    d.close()


def test_engines_with_several_shape_profiles_draw_the_first():
    def layer(name, i, o):
        fmt = "Row major linear FP32"
        return {"Name": name, "LayerType": "CaskConvolution",
                "Inputs": [{"Name": i, "Dimensions": [1, 4], "Format/Datatype": fmt}],
                "Outputs": [{"Name": o, "Dimensions": [1, 4], "Format/Datatype": fmt}]}

    layers = [layer("conv_a + relu_a", "x", "t"), layer("conv_b", "t", "y"),
              layer("conv_a + relu_a [profile 1]", "x [profile 1]", "t [profile 1]"),
              layer("conv_b [profile 1]", "t [profile 1]", "y [profile 1]")]
    plan = trtlab.load_layer_info({"Layers": layers, "Bindings": []})
    d = plan.draw()
    assert [plan.layer(u).name for u in d.panels["engine"].nodes] == ["conv_a + relu_a", "conv_b"]
    assert "2 copies for other shape profiles" in " ".join(t.get_text().replace("\n", " ") for t in d.figure.texts)
    d.close()
