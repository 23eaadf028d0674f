"""``ModelExplorer``: pick an ONNX model, read its summary, draw it, filter and zoom in."""

from __future__ import annotations

import html
import os
from typing import Any

import ipywidgets as W

from .._optional import optional
from ._base import ModelPicker, Panel, error_text, image_widget, png_html, set_image

__all__ = ["ModelExplorer"]

_ALL = "(all op types)"


class ModelExplorer(Panel):
    """Pick a model (a bundled model or a path), see its summary and graph, filter nodes
    by op type or name regex (matches are highlighted), and draw one node's neighbourhood.

    ``ModelExplorer()`` starts on the first bundled model; ``ModelExplorer("model.onnx")`` (a path,
    bytes, ``onnx.ModelProto`` or :class:`~trtlab.graph.OnnxGraph`) on that one. Bad input (a
    missing file, a corrupt model, a bad regex) is shown in the widget's status line.
    """

    css_class = "trtlab-model-explorer"

    def __init__(self, model: Any = None):
        super().__init__()
        self.graph = None
        self._png: bytes | None = None
        self.picker = ModelPicker(self, self.load, "type a path to an .onnx file and press Load")
        self.source, self.path = self.picker.source, self.picker.path
        self.load_button = W.Button(description="Load", icon="folder-open", tooltip="load the model at this path")
        self.summary = W.HTML()
        self.op_type = W.Dropdown(options=[_ALL], value=_ALL, description="op type")
        self.pattern = W.Text(placeholder="regex on node names, e.g. ^Conv_", description="name",
                              continuous_update=False)
        self.matches = W.Select(options=[], rows=8, description="nodes")
        self.radius = W.IntSlider(value=1, min=1, max=6, description="radius")
        self.zoom_button = W.Button(description="Neighbourhood", icon="search-plus",
                                    tooltip="draw only the nodes within `radius` edges of the chosen node")
        self.whole_button = W.Button(description="Whole graph", icon="sitemap")
        self.image = image_widget()
        self.caption = W.HTML()
        # the interactive view of the whole graph (when anywidget is installed), full width below
        self.view = None
        self.view_box = W.Box(layout=W.Layout(width="100%"))

        self.load_button.on_click(self.handler(lambda _b: self.load(self.path.value)))
        self.op_type.observe(self.handler(lambda _ch: self.apply_filter()), names="value")
        self.pattern.observe(self.handler(lambda _ch: self.apply_filter()), names="value")
        self.zoom_button.on_click(self.handler(lambda _b: self.expand()))
        self.whole_button.on_click(self.handler(lambda _b: self.show_graph()))
        self.matches.observe(self.handler(self._on_match), names="value")

        self.children = [
            W.HBox([self.source, self.path, self.load_button]),
            self.status,
            self.summary,
            W.HBox([W.VBox([self.op_type, self.pattern, self.matches,
                            W.HBox([self.radius]), W.HBox([self.zoom_button, self.whole_button])]),
                    W.VBox([self.caption, self.image], layout=W.Layout(flex="1"))]),
            self.view_box,
        ]
        self.picker.start(model)

    # ------------------------------------------------------------------ actions
    def load(self, model: Any) -> None:
        """Load ``model`` (path, bytes, ModelProto or OnnxGraph), show its summary and graph."""
        from ..graph import OnnxGraph, load_onnx

        if isinstance(model, str) and not model.strip():
            self.status.error("no path given: type the path of an .onnx file")
            return
        self.status.show("loading...", "busy")
        graph = model if isinstance(model, OnnxGraph) else load_onnx(
            os.path.expanduser(model) if isinstance(model, str) else model)
        self.graph = graph
        summary = graph.summary()
        self.summary.value = summary._repr_html_()
        ops = sorted({graph.node(n).op_type for n in graph.nx})
        with self.op_type.hold_trait_notifications():
            self.op_type.options = [_ALL] + ops
            self.op_type.value = _ALL
        self.pattern.value = ""
        self.matches.options = list(graph.topological_order())
        self.show_graph()
        self._attach_view(graph)
        self.status.show(f"{graph.name or 'model'}: {len(graph)} nodes", "ok")

    def _attach_view(self, graph) -> None:
        if optional("anywidget") is None:
            return
        self.view = graph.view(height=560) if len(graph) else None
        self.view_box.children = [self.view] if self.view is not None else []

    def _on_match(self, change) -> None:
        """The node chosen in the list is selected in the interactive view."""
        if self.view is not None and change["new"]:
            self.view.select(change["new"])

    def _require_graph(self):
        if self.graph is None:
            from ..errors import ConfigError

            raise ConfigError("no model is loaded; pick a bundled model or load a path first")
        return self.graph

    def apply_filter(self, op_type: str | None = None, pattern: str | None = None) -> list[str]:
        """Nodes matching the op type and name regex (also set the controls when given);
        the matches are listed and highlighted in the picture. Returns their names."""
        graph = self._require_graph()
        if op_type is not None:
            self.op_type.value = op_type
        if pattern is not None:
            self.pattern.value = pattern
        op = None if self.op_type.value in (None, _ALL) else self.op_type.value
        pat = self.pattern.value.strip() or None
        names = graph.find(op_type=op, pattern=pat)
        self.matches.options = names
        if op is None and pat is None:
            self.show_graph()
        else:
            what = " and ".join(x for x in (f"op type {op}" if op else "", f"name ~ /{pat}/" if pat else "") if x)
            self._draw(graph.draw(highlight=names, title=f"{len(names)} nodes with {what}"),
                       f"{len(names)} of {len(graph)} nodes match {html.escape(what)}")
            self.status.show(f"{len(names)} nodes match", "ok" if names else "info")
        return names

    def expand(self, name: str | None = None, radius: int | None = None) -> None:
        """Draw the neighbourhood of node ``name`` (default: the node chosen in the list)."""
        graph = self._require_graph()
        if radius is not None:
            self.radius.value = radius
        name = name or self.matches.value
        if not name:
            self.status.error("choose a node in the list first (filter by op type or name to find it)")
            return
        graph.node(name)  # a clear error for an unknown name
        self._draw(graph.draw(neighborhood=(name, self.radius.value), highlight=[name]),
                   f"neighbourhood of <b>{html.escape(name)}</b>, radius {self.radius.value}")
        self.status.show(f"neighbourhood of {name}", "ok")

    def show_graph(self) -> None:
        """Draw the whole graph (large graphs are drawn as an overview)."""
        graph = self._require_graph()
        self._draw(graph.draw(), f"{html.escape(graph.name or 'model')}: {len(graph)} nodes")

    def _draw(self, drawing, caption: str) -> None:
        self._png = set_image(self.image, drawing)
        self.caption.value = caption

    # ------------------------------------------------------------------ snapshot
    def static_parts(self) -> list[str]:
        parts = [self.summary.value]
        if self._png:
            parts += [f"<p>{self.caption.value}</p>", png_html(self._png, "model graph")]
        return parts

    def __repr__(self) -> str:
        try:
            return f"ModelExplorer({self.graph!r})"
        except Exception as exc:  # repr must not raise
            return f"ModelExplorer(<{error_text(exc)}>)"
