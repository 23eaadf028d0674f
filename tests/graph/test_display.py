"""Notebook displays and drawing delegation of OnnxGraph."""

from __future__ import annotations

from pathlib import Path

import pytest

import trtlab.draw.graphview as graphview
from trtlab.graph import load_onnx

PNG = b"\x89PNG\r\n\x1a\n"


def test_draw_and_save_use_the_drawing_module(fixtures: Path, tmp_path: Path):
    g = load_onnx(fixtures / "onnx" / "residual_block.onnx")
    drawing = g.draw()
    try:
        assert drawing._repr_png_().startswith(PNG)
    finally:
        drawing.close()
    out = g.save(tmp_path / "rb.svg")
    assert out.read_text().lstrip().startswith(("<?xml", "<svg"))
    png = g._repr_png_()
    assert png.startswith(PNG)
    assert g._repr_png_() is png  # drawn once, reused by the html display


def test_draw_passes_options_through(fixtures: Path, monkeypatch):
    seen = {}

    def fake(graph, **kw):
        seen.update(kw, graph=graph)
        return "drawing"

    monkeypatch.setattr(graphview, "draw_onnx_graph", fake)
    g = load_onnx(fixtures / "onnx" / "conv.onnx")
    assert g.draw(direction="LR", highlight=["conv"]) == "drawing"
    assert seen == {"graph": g, "direction": "LR", "highlight": ["conv"]}


def test_repr_png_never_raises(fixtures: Path, monkeypatch):
    def broken(graph, **kw):
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(graphview, "draw_onnx_graph", broken)
    g = load_onnx(fixtures / "onnx" / "conv.onnx")
    with pytest.warns(UserWarning, match="layout exploded"):
        assert g._repr_png_() is None
    with pytest.warns(UserWarning):
        html = g._repr_html_()
    assert "<table>" in html and "<img" not in html


def test_repr_html_has_summary_picture_and_warnings(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "custom_op_node.onnx")
    html = g._repr_html_()
    assert "NegPosModel" in html and "ai.onnx.contrib::NegPos" in html
    assert '<img src="data:image/png;base64,' in html
    assert "warning(s)" in html
    assert repr(g).startswith("OnnxGraph('NegPosModel', 1 nodes")


def test_empty_graph_displays(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "empty.onnx")
    html = g._repr_html_()
    assert "nodes</b> 0" in html and "<img" not in html
