"""Rendering real graphs: legend, highlight, collapse, overview, bodies, saving, no pyplot."""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
from matplotlib.colors import to_rgba

import trtlab
from trtlab.draw import Drawing, Group, draw_dag, draw_onnx_graph, new_figure, op_color
from trtlab.errors import ConfigError

MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


def _legend_labels(drawing: Drawing) -> list[str]:
    return [t.get_text() for t in drawing.artists.legend.get_texts()]


def test_legend_lists_every_op_type_present(residual_block, output_dir):
    d = residual_block.draw(show_shapes=True)
    ops = {residual_block.node(n).op_type for n in residual_block.nx}
    assert set(_legend_labels(d)) == ops | {"graph input / output"}
    # and each legend entry has the colour of its op type
    for text, handle in zip(d.artists.legend.get_texts(), d.artists.legend.legend_handles):
        if text.get_text() in ops:
            assert to_rgba(handle.get_facecolor()) == to_rgba(op_color(text.get_text()))
    d.save(output_dir / "residual_block_shapes.png")


def test_nodes_are_coloured_by_op_type_and_labelled(residual_block):
    d = residual_block.draw(show_io=False)
    art = d.artists
    assert art.nodes == d.nodes == list(residual_block.nx)
    for i, v in enumerate(art.nodes):
        assert tuple(art.facecolors[i]) == to_rgba(op_color(residual_block.node(v).op_type))
    labels = [t.get_text() for t in art.texts]
    assert "Conv\nConv_0" in labels and "Sum\nSum_14" in labels
    assert art.labelled and art.font_size >= 6  # readable at 15 nodes


def test_shapes_on_edges_on_demand(residual_block):
    shown = residual_block.draw(show_shapes=True)
    hidden = residual_block.draw()
    texts = {t.get_text() for t in shown.ax.texts}
    assert "?x64x112x112" in texts or "1x64x112x112" in texts or any("x64x112x112" in t for t in texts)
    assert not any("x112" in t.get_text() for t in hidden.ax.texts)


def test_highlight_dims_the_others(residual_block, output_dir):
    d = residual_block.draw(highlight=r"^Conv_", show_io=False)
    art = d.artists
    hl = {v for v in art.nodes if v.startswith("Conv_")}
    assert art.highlighted == hl and len(hl) == 5
    for i, v in enumerate(art.nodes):
        own = np.array(to_rgba(op_color(residual_block.node(v).op_type)))
        if v in hl:
            assert np.allclose(art.facecolors[i], own)
        else:  # dimmed: blended towards white
            assert art.facecolors[i][:3].sum() > own[:3].sum() + 0.3
    d.save(output_dir / "residual_block_highlight.png")


def test_graph_inputs_and_outputs_are_boxes_with_shapes(residual_block):
    d = residual_block.draw()
    assert d.nodes == list(residual_block.nx)  # I/O boxes are not graph nodes
    io = [v for v in d.artists.nodes if v not in residual_block.nx]
    assert len(io) == len(residual_block.inputs) + len(residual_block.outputs)
    texts = [t.get_text() for t in d.artists.texts]
    for t in residual_block.inputs + residual_block.outputs:
        assert any(t.shape_str() in x and x.split()[0] in ("input", "output") for x in texts), t
    # the input box feeds the first Conv
    first = next(v for v in io if v.startswith("input:"))
    assert (first, "Conv_0") in d.artists.layout.routes


def test_highlight_accepts_names_and_functions(residual_block):
    by_name = residual_block.draw(highlight=["Relu_2", "Sum_14"]).artists.highlighted
    assert by_name == {"Relu_2", "Sum_14"}
    by_fn = residual_block.draw(highlight=lambda info: info.op_type == "BatchNormalization").artists.highlighted
    assert by_fn == {n for n in residual_block.nx if n.startswith("BatchNormalization")}
    by_hood = residual_block.draw(highlight=("MaxPool_3", 1)).artists.highlighted
    assert by_hood == {"Relu_2", "MaxPool_3", "Conv_4", "Conv_5"}
    with pytest.raises(ConfigError, match="'Relu_22'.*did you mean"):
        residual_block.draw(highlight=["Relu_22"])
    with pytest.raises(ConfigError, match="matches no node"):
        residual_block.draw(highlight="Softmax")
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        residual_block.draw(highlight="Conv_(")


def test_neighborhood_draws_only_nearby_nodes(residual_block):
    d = residual_block.draw(neighborhood=("MaxPool_3", 1))
    assert set(d.nodes) == {"Relu_2", "MaxPool_3", "Conv_4", "Conv_5"}
    assert d.artists.highlighted == {"MaxPool_3"}
    with pytest.raises(ConfigError, match="MaxPool_33"):
        residual_block.draw(neighborhood=("MaxPool_33", 1))


def test_collapse_gives_one_box_per_inception_block(googlenet, output_dir):
    blocks = {n.split("/")[0] for n in googlenet if n.startswith("inception_")}
    others = [n for n in googlenet if not n.startswith("inception_")]
    assert len(blocks) == 9  # 3a, 3b, 4a-4e, 5a, 5b
    d = draw_onnx_graph(googlenet, collapse=r"^(inception_\w+)/", title="GoogLeNet, inception blocks collapsed")
    assert d.n_nodes == len(others) + len(blocks)
    assert set(blocks) <= set(d.nodes)
    assert "block (tint: main op)" in _legend_labels(d)
    # the block box says how many nodes it stands for
    label = next(t.get_text() for t in d.artists.texts if t.get_text().startswith("inception_4a"))
    assert "14 nodes" in label
    d.save(output_dir / "googlenet_collapsed.png")


def test_collapse_list_of_patterns_and_bad_patterns(googlenet):
    d = draw_onnx_graph(googlenet, collapse=[r"^inception_4", r"^inception_3"])
    # everything inception_4* is one box, everything inception_3* another
    assert {"inception_4", "inception_3"} <= set(d.nodes)
    with pytest.raises(ConfigError, match="matches no node"):
        draw_onnx_graph(googlenet, collapse=r"^resnet_")


def test_full_googlenet_is_readable(googlenet, output_dir):
    d = draw_onnx_graph(googlenet, title="GoogLeNet (BVLC deploy prototxt)")
    assert d.mode == "labels" and d.n_nodes == len(googlenet)
    assert d.artists.font_size >= 6
    d.save(output_dir / "googlenet.png")


def test_overview_by_name_prefix_above_300_nodes(graph_scale):
    g = trtlab.load_onnx(graph_scale.make_model(2000))
    d = g.draw()
    assert d.mode == "prefix" and 2 < d.n_nodes <= 300
    flat = trtlab.load_onnx(graph_scale.make_model(600, names="flat"))
    d = flat.draw()
    assert d.mode == "markers" and d.n_nodes == 600 and not d.artists.labelled


def test_a_5000_node_graph_renders(graph_scale, output_dir):
    g = trtlab.load_onnx(graph_scale.make_model(5000))
    d = draw_onnx_graph(g, overview="markers")
    png = d.to_png()
    assert png.startswith(MAGIC["png"]) and d.n_nodes == 5000
    assert d._repr_svg_() is None  # too big for SVG in a notebook; the PNG is shown
    d.save(output_dir / "generated_5000_markers.png")
    d = g.draw()
    assert d.mode == "prefix"
    d.save(output_dir / "generated_5000_overview.png")


def test_loop_body_is_collapsed_and_can_be_expanded(fixtures, output_dir):
    g = trtlab.load_onnx(fixtures / "onnx" / "loop.onnx")
    loop = g.find(op_type="Loop")[0]
    d = g.draw()
    label = next(t.get_text() for t in d.artists.texts if t.get_text().startswith("Loop"))
    assert "[+body]" in label
    assert len(d.figure.axes) == 1
    e = g.draw(expand=[loop])
    assert len(e.figure.axes) == 2
    body = e.figure.axes[1]
    assert "body of" in body.get_title(loc="left")
    assert len(body.texts) >= len(g.node(loop).subgraphs["body"])
    e.save(output_dir / "loop_expanded.png")
    with pytest.raises(ConfigError, match="no subgraph"):
        g.draw(expand=[g.find(op_type="Reshape")[0]])


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_save_writes_valid_files(residual_block, tmp_path, fmt):
    path = residual_block.draw().save(tmp_path / f"g.{fmt}")
    data = path.read_bytes()
    if fmt == "svg":
        assert b"<svg" in data[:2000]
    else:
        assert data.startswith(MAGIC[fmt])


def test_bad_suffix_is_a_config_error(residual_block, tmp_path):
    d = residual_block.draw()
    with pytest.raises(ConfigError, match=r"'\.jpg'.*\.png, \.svg, \.pdf"):
        d.save(tmp_path / "g.jpg")
    with pytest.raises(ConfigError, match="does not exist"):
        d.save(tmp_path / "missing" / "g.png")


def test_notebook_display_and_close(residual_block):
    d = residual_block.draw()
    assert d._repr_png_().startswith(MAGIC["png"])
    assert "<svg" in d._repr_svg_()
    d.close()
    assert d._repr_png_() is None and "closed" in repr(d)
    with pytest.raises(ConfigError, match="closed"):
        d.figure


def test_bad_options_are_config_errors(residual_block):
    with pytest.raises(ConfigError, match="'sideways'"):
        residual_block.draw(direction="sideways")
    with pytest.raises(ConfigError, match="overview"):
        residual_block.draw(overview="tiny")
    with pytest.raises(ConfigError, match="OnnxGraph"):
        draw_onnx_graph([1, 2, 3])


def test_draw_dag_is_payload_agnostic_with_groups(output_dir):
    # an engine-like graph: plain string nodes, colours and labels passed in as mappings
    G = nx.DiGraph([("in", "a"), ("in", "b"), ("in", "c"), ("a", "cat"), ("b", "cat"), ("c", "cat")])
    fig = new_figure((5, 4))
    ax = fig.add_axes((0, 0, 0.8, 1))
    art = draw_dag(
        G, ax=ax, direction="TB", colors={"a": "#8ec1ec", "b": "#8ec1ec"},
        labels={v: v.upper() for v in G}, groups=[Group(["a", "b", "c"], color="#c0392b", label="a || b || c")],
        legend={"fused": "#8ec1ec"},
    )
    assert art.labelled and len(art.texts) == 5
    assert any(t.get_text() == "a || b || c" for t in ax.texts)
    Drawing(fig, ax=ax, artists=art, nodes=list(G)).save(output_dir / "draw_dag_groups.png")
    with pytest.raises(ConfigError, match="style"):
        Group(["a"], style="wavy")


def test_no_pyplot_is_imported():
    code = (
        "import sys, trtlab, trtlab.draw\n"
        "from trtlab.draw import draw_onnx_graph\n"
        "import networkx as nx\n"
        "d = draw_onnx_graph(nx.DiGraph([('a', 'b')]))\n"
        "d.to_png(); d.to_svg()\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_collapse_that_creates_a_cycle_still_draws():
    # a -> b -> c with a and c in one block: the block both feeds and reads b
    G = nx.DiGraph([("blk/a", "b"), ("b", "blk/c"), ("blk/c", "d")])
    d = draw_onnx_graph(G, collapse=r"^(blk)/")
    assert sorted(d.nodes) == ["b", "blk", "d"]
    assert d.artists.layout.reversed_edges  # one edge of the cycle is drawn pointing back
    assert d.to_png().startswith(MAGIC["png"])
