"""Before/after pictures from real data; saved to tests/_output/ to be looked at."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from trtlab.engine import load_layer_info
from trtlab.fusion import draw_stages, map_fusion
from trtlab.draw import engine_graph
from trtlab.draw.fusion_style import layer_colors
from trtlab.graph import load_onnx


def _colors(artists) -> dict:
    return {v: tuple(np.round(c[:3], 3)) for v, c in zip(artists.nodes, artists.facecolors)}


def _label(artists, node) -> str:
    return artists.texts[artists.nodes.index(node)].get_text()


def test_side_by_side_resnet18_colour_is_the_fusion_kind_in_both_panels(resnet18, layerinfo, output_dir):
    report = map_fusion(resnet18, load_layer_info(layerinfo("resnet18-a100-fp16")))
    d = report.draw()
    d.save(output_dir / "fusion_resnet18_fp16_side_by_side.png")
    onnx_col, eng_col = _colors(d.panels["onnx"]), _colors(d.panels["engine"])
    E = engine_graph(report)
    assert len([i for i in E if isinstance(i, int)]) == len(report.layers)  # every engine layer drawn
    checked = 0
    for r in report.layers:
        if r.kind == "reformat":
            continue
        for n in r.onnx_nodes:
            assert onnx_col[n] == eng_col[r.index], (n, r.name)
            checked += 1
    assert checked == 48
    # one colour per kind: layers of one kind share it, layers of different kinds differ
    cols = layer_colors(report)
    by_kind = {}
    for r in report.layers:
        by_kind.setdefault(r.kind, set()).add(cols[r.index])
    assert all(len(c) == 1 for c in by_kind.values())
    assert len({c for cs in by_kind.values() for c in cs}) == len(by_kind)
    legend = [t.get_text() for t in d.figure.legends[0].get_texts()]
    assert any(t.startswith("vertical") for t in legend) and any(t.startswith("reformat") for t in legend)
    # which ONNX nodes make one engine layer is written, not coloured: #index on both sides
    car = report.layer("Conv_5 + Add_6 + Relu_7").index
    assert _label(d.panels["engine"], car).startswith(f"#{car} CAR")
    for n in ("Conv_5", "Add_6", "Relu_7"):
        assert f"\u2192 #{car}" in _label(d.panels["onnx"], n)
    # the picture fits a notebook's output area (968 px at 100 dpi)
    assert d.figure.get_figwidth() <= 9.6 + 1e-9
    d.close()


def test_highlight_one_layer_highlights_its_onnx_nodes(resnet18, layerinfo, output_dir):
    report = map_fusion(resnet18, load_layer_info(layerinfo("resnet18-a100-fp32")))
    d = report.draw(highlight="Conv_5 + Add_6 + Relu_7")
    d.save(output_dir / "fusion_resnet18_fp32_highlight.png")
    assert d.panels["onnx"].highlighted == {"Conv_5", "Add_6", "Relu_7"}
    assert d.panels["engine"].highlighted == {4}
    by_index = report.draw(highlight=4)
    assert by_index.panels["onnx"].highlighted == {"Conv_5", "Add_6", "Relu_7"}
    by_node = report.draw(highlight="Add_6")  # an ONNX node picks the layer that absorbed it
    assert by_node.panels["engine"].highlighted == {4}
    by_node.close()
    d.close()
    by_index.close()


def test_googlenet_horizontal_fusion_is_boxed_and_one_engine_node(googlenet, googlenet_profile, output_dir):
    report = map_fusion(googlenet, googlenet_profile)
    d = report.draw(focus=r"^(inception_3a/|pool2/)")
    d.save(output_dir / "fusion_googlenet_3a_side_by_side.png")
    horiz = [r for r in report.by_kind("horizontal") if r.onnx_nodes[0].startswith("inception_3a/")][0]
    boxes = d.panels["onnx_groups"]
    assert any(set(g.nodes) == set(horiz.onnx_nodes) and g.style == "dashed" for g in boxes)
    assert horiz.index in d.panels["engine"].nodes
    # reformat layers of this block are drawn (as diamonds) in the engine panel
    assert any(report.layers[i].kind == "reformat" for i in d.panels["engine"].nodes if isinstance(i, int))
    d.close()
    full = report.draw()
    full.save(output_dir / "fusion_googlenet_full.png")
    assert full.n_nodes >= len(googlenet) + 70
    full.close()


def test_stages_view_is_the_classic_lesson(googlenet, googlenet_profile, output_dir):
    report = map_fusion(googlenet, googlenet_profile)
    d = report.draw(mode="stages", focus="^inception_3a/")
    d.save(output_dir / "fusion_googlenet_stages_3a.png")
    before, vertical, horizontal = (d.panels[k] for k in ("before", "vertical", "horizontal"))
    real = [lambda v: not (isinstance(v, tuple) and v[0] in ("in", "out", "gone"))] * 3
    n = [sum(1 for v in p.nodes if f(v)) for p, f in zip((before, vertical, horizontal), real)]
    # 14 ONNX nodes; 6 Conv+Relu pairs and the pool -> 7; the three 1x1 branches merge -> 5
    assert n == [14, 7, 5]
    again = draw_stages(report, focus="^inception_3a/", highlight=horiz_index(report, "inception_3a"))
    assert again.panels["horizontal"].highlighted == {horiz_index(report, "inception_3a")}
    d.close()
    again.close()
    whole = report.draw(mode="stages")
    whole.save(output_dir / "fusion_googlenet_stages_full.png")
    whole.close()


def horiz_index(report, block: str) -> int:
    return next(r.index for r in report.by_kind("horizontal") if r.onnx_nodes[0].startswith(block + "/"))


def test_overlay_mode(resnet18, layerinfo, output_dir):
    report = map_fusion(resnet18, load_layer_info(layerinfo("resnet18-a100-fp32")))
    d = report.draw(mode="overlay", focus="^(Conv|Relu|Add)_([0-9]|1[0-2])$")
    d.save(output_dir / "fusion_resnet18_overlay.png")
    assert d.n_nodes == 12
    d.close()


def _big_model(blocks: int):
    """A chain of residual blocks (Conv, Relu, Conv, Add, Relu): 5 nodes per block."""
    nodes, inits = [], []
    prev = "x"
    w = numpy_helper.from_array(np.ones((4, 4, 1, 1), np.float32), "w")
    inits.append(w)
    for b in range(blocks):
        p = f"b{b}"
        nodes += [
            helper.make_node("Conv", [prev, "w"], [f"{p}.c1"], name=f"{p}/conv1"),
            helper.make_node("Relu", [f"{p}.c1"], [f"{p}.r1"], name=f"{p}/relu1"),
            helper.make_node("Conv", [f"{p}.r1", "w"], [f"{p}.c2"], name=f"{p}/conv2"),
            helper.make_node("Add", [f"{p}.c2", prev], [f"{p}.a"], name=f"{p}/add"),
            helper.make_node("Relu", [f"{p}.a"], [f"{p}.out"], name=f"{p}/relu2"),
        ]
        prev = f"{p}.out"
    g = helper.make_graph(nodes, "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 4, 8, 8])], initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def test_a_400_layer_engine_draws(output_dir):
    blocks = 200
    graph = load_onnx(_big_model(blocks))
    layers = []
    for b in range(blocks):
        layers += [f"b{b}/conv1 + b{b}/relu1", f"b{b}/conv2 + b{b}/add + b{b}/relu2"]
    report = map_fusion(graph, load_layer_info({"Layers": layers, "Bindings": []}))
    assert len(report.layers) == 400 and report.coverage == 1.0
    d = report.draw(highlight=123)
    d.save(output_dir / "fusion_400_layers.png")
    assert d.mode == "markers" and d.n_nodes == 1000 + 400
    assert d.panels["engine"].highlighted == {123}
    d.close()


def test_overview_one_box_per_block_in_both_panels(googlenet, googlenet_profile, output_dir):
    from trtlab.errors import ConfigError

    report = map_fusion(googlenet, googlenet_profile)
    d = report.draw(overview=True, highlight="inception_4c/relu_5x5")
    d.save(output_dir / "fusion_googlenet_overview.png")
    assert d.mode == "prefix"
    onnx_blocks, engine_blocks = set(d.panels["onnx"].nodes), set(d.panels["engine"].nodes)
    assert onnx_blocks == engine_blocks and len(onnx_blocks) == 18
    assert {"inception_3a/", "inception_5b/", "conv1/", "prob"} <= onnx_blocks
    assert d.panels["onnx"].highlighted == d.panels["engine"].highlighted == {"inception_4c/"}
    # same colour for a block in both panels; the engine box counts the block's layers
    assert _colors(d.panels["onnx"])["inception_4a/"] == _colors(d.panels["engine"])["inception_4a/"]
    n_3a = sum(1 for r in report.layers if r.kind != "reformat" and r.onnx_nodes
               and r.onnx_nodes[0].startswith("inception_3a/"))
    assert f"\n{n_3a} layers" in _label(d.panels["engine"], "inception_3a/")
    d.close()
    with pytest.raises(ConfigError, match="overview="):
        report.draw(overview="zoom")


def _png_width(png: bytes) -> int:
    return int.from_bytes(png[16:20], "big")  # the IHDR chunk's width


def test_every_picture_fits_a_notebook_output_area(resnet18, googlenet, googlenet_profile, layerinfo):
    """JupyterLab's output area is 968 px wide at 1400 px; pictures render at 100 dpi."""
    from trtlab.draw import plots
    from trtlab.engine import load_profile

    report = map_fusion(googlenet, googlenet_profile)
    resnet = map_fusion(resnet18, load_layer_info(layerinfo("resnet18-a100-fp16")))
    drawings = [
        report.draw(mode="stages", focus="^inception_3a/"),
        report.draw(mode="stages"),
        report.draw(focus=r"^(inception_3a/|pool2/)"),
        report.draw(overview=True),
        resnet.draw(),
        resnet.draw(mode="overlay"),
        googlenet.draw(),
        resnet.plan.draw(profile=load_profile(layerinfo("resnet18-a100-fp16", "profile"))),
        plots.compare_profiles(load_profile(layerinfo("resnet18-a100-fp32", "profile")),
                               load_profile(layerinfo("resnet18-a100-fp16", "profile"))),
    ]
    for d in drawings:
        assert _png_width(d.to_png()) <= 968, d
        d.close()
