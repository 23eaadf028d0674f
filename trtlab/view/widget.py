"""The notebook widget: an ``anywidget.AnyWidget`` running the bundled ES module.

Synced state (read and written from Python and from the page):

- ``data``: the view data (:mod:`trtlab.view.data`);
- ``color_by``: the colour mode shown (a key of ``data["color_modes"]``);
- ``selected``: id of the clicked node ("" for none);
- ``selected_layer``: name of the engine layer lit by the selection ("" for none);
- ``highlighted_nodes``: names of the ONNX nodes lit by the selection;
- ``height``: pixel height of the drawing area.

anywidget is imported when the first view is made; without it :func:`view_widget` raises
``MissingDependencyError`` naming the ``notebook`` extra, and the static ``.draw()`` pictures and
:func:`trtlab.view.save_html` still work.
"""

from __future__ import annotations

import html
import os
from functools import lru_cache
from pathlib import Path

from .._optional import require
from ..errors import ConfigError
from .html import bundle, css, save_html

__all__ = ["view_widget", "widget_class", "lit", "find_node"]


def find_node(data: dict, name: str) -> dict:
    """The node called ``name`` (engine layers first, then ONNX nodes, then any id); ConfigError if none."""
    nodes = [n for p in data["panels"] for n in p["nodes"]]
    for role in ("layer", "onnx", "unit"):
        for n in nodes:
            if n["role"] == role and n["name"] == name:
                return n
    for n in nodes:
        if n["id"] == name:
            return n
    names = [n["name"] for n in nodes[:3]]
    raise ConfigError(f"no node named {name!r} in this view; names look like {names} "
                      f"(engine layer names, or ONNX node names)")


def lit(data: dict, node_id: str) -> tuple[str, list[str]]:
    """(engine layer name, ONNX node names) lit when ``node_id`` is selected: the node, the nodes
    it links to, and theirs (an ONNX node lights its engine layer and that layer's other nodes).
    The page computes the same in graphview.js."""
    by_id = {n["id"]: n for p in data["panels"] for n in p["nodes"]}
    if node_id not in by_id:
        return "", []
    ids = {node_id, *by_id[node_id]["links"]}
    for i in list(ids):
        ids.update(by_id[i]["links"] if i in by_id else [])
    chosen = [by_id[i] for i in ids if i in by_id]
    layers = [n["name"] for n in chosen if n["role"] == "layer"]
    first = by_id[node_id]["name"] if by_id[node_id]["role"] == "layer" else (sorted(layers)[0] if layers else "")
    onnx = sorted(n["name"] for n in chosen if n["role"] == "onnx")
    return first, onnx


@lru_cache(maxsize=1)
def widget_class():
    """The GraphView widget class (made on first use: anywidget is an optional dependency)."""
    anywidget = require("anywidget", "interactive graph views (.view())", extra="notebook")
    traitlets = require("traitlets", "interactive graph views (.view())", extra="notebook")

    class GraphView(anywidget.AnyWidget):
        """Interactive graph view: pan, zoom, search, click to link panels. ``save_html(path)``
        writes the same view as one offline HTML file."""

        _esm = bundle()
        _css = css()
        data = traitlets.Dict().tag(sync=True)
        height = traitlets.Int(640).tag(sync=True)
        color_by = traitlets.Unicode("").tag(sync=True)
        selected = traitlets.Unicode("").tag(sync=True)
        selected_layer = traitlets.Unicode("").tag(sync=True)
        highlighted_nodes = traitlets.List(traitlets.Unicode()).tag(sync=True)

        @traitlets.observe("selected")
        def _on_selected(self, change) -> None:
            self.selected_layer, self.highlighted_nodes = lit(self.data, change["new"])

        @traitlets.validate("color_by")
        def _check_color_by(self, proposal) -> str:
            mode = proposal["value"]
            modes = list(self.data.get("color_modes", {}))
            if mode and mode not in modes:
                raise ConfigError(f"color_by={mode!r} is not one of {', '.join(modes)}")
            return mode

        def select(self, name: str | None) -> "GraphView":
            """Select the engine layer or ONNX node called ``name`` (None clears); returns self."""
            self.selected = "" if name is None else find_node(self.data, name)["id"]
            return self

        def save_html(self, path: str | os.PathLike) -> Path:
            """One self-contained HTML file of this view (library and data inline, no network)."""
            return save_html(self.data, path, height=self.height, color_by=self.color_by)

        def _repr_mimebundle_(self, **kwargs):
            # where no widget manager runs (a notebook rendered on GitHub, nbconvert), say what was here
            bundle = super()._repr_mimebundle_(**kwargs)
            data = bundle[0] if isinstance(bundle, tuple) else bundle  # (data, metadata) or data
            if isinstance(data, dict):
                data["text/html"] = (f"<p><b>{html.escape(self.data.get('title', ''))}</b><br>"
                                       "<i>interactive view: it shows in JupyterLab with a running kernel; "
                                       ".save_html(path) writes it as an offline page, .draw() is the static "
                                       "picture</i></p>")
            return bundle

        def __repr__(self) -> str:
            return f"GraphView({self.data.get('title', '')!r})"

    return GraphView


def view_widget(data: dict, *, height: int = 640, color_by: str | None = None, select: str | None = None):
    """A GraphView widget showing ``data`` (not displayed: return it from the cell or ``display`` it)."""
    cls = widget_class()
    modes = list(data.get("color_modes", {}))
    mode = color_by or data.get("color_by") or (modes[0] if modes else "")
    if mode and mode not in modes:
        hint = "; colour by time needs a profile: .view(profile=trtlab.load_profile(...))" if mode == "time" else ""
        raise ConfigError(f"color_by={mode!r} is not one of {', '.join(modes)}{hint}")
    w = cls(data=data, height=int(height), color_by=mode)
    if select is not None:
        w.select(select)
    return w
