"""``FusionExplorer``: the ONNX graph before and the engine after fusion, one layer at a time."""

from __future__ import annotations

import warnings
from typing import Any

import ipywidgets as W

from .._optional import optional
from ..errors import ConfigError
from ._base import Panel, clear_image, image_widget, png_html, set_image, table_html

__all__ = ["FusionExplorer"]

_ALL = "all kinds"
_MODES = ("side-by-side", "overlay", "stages")


def _layer_label(layer) -> str:
    time = f"  {layer.time_ms:.4f} ms" if layer.time_ms is not None else ""
    name = layer.name if len(layer.name) <= 70 else layer.name[:67] + "..."
    return f"{layer.index:3d} [{layer.kind}] {name}{time}"


class FusionExplorer(Panel):
    """Before/after view of a :class:`~trtlab.fusion.FusionReport`.

    Choose an engine layer from the list (filtered by fusion kind) and its ONNX nodes are
    highlighted in both panels; the layer's details (kind, pattern, ONNX nodes, tactic,
    precision, formats, time) are listed beside. ``mode`` switches between the side-by-side
    picture, the ONNX graph with each layer boxed (``overlay``) and the three-stage lesson
    (``stages``). ``focus`` (regex or node names) restricts the picture to part of a big network.

    Build one from a report (``FusionExplorer(trtlab.map_fusion(graph, plan))``), from a built
    engine (``FusionExplorer(engine)``, anything with ``.fusion()``), or from files with
    :meth:`from_files`.
    """

    css_class = "trtlab-fusion-explorer"

    def __init__(self, report: Any = None, *, focus: Any = None, mode: str = "side-by-side"):
        super().__init__()
        self.report = None
        self.focus = focus
        self._png: bytes | None = None
        self.kind = W.ToggleButtons(options=[_ALL], value=_ALL, description="kind",
                                    style={"button_width": "auto"})
        self.layers = W.Select(options=[], rows=14, description="layer", layout=W.Layout(width="480px"))
        self.mode = W.Dropdown(options=_MODES, value=mode if mode in _MODES else _MODES[0], description="view")
        self.clear_button = W.Button(description="No highlight", icon="eraser",
                                     tooltip="draw the whole mapping without highlighting a layer")
        self.summary = W.HTML()
        self.details = W.HTML(layout=W.Layout(width="480px"))
        self.image = image_widget()

        self._quiet = False
        self.kind.observe(self.handler(lambda _ch: None if self._quiet else self._fill_layers()), names="value")
        self.layers.observe(self.handler(self._on_layer), names="value")
        self.mode.observe(self.handler(lambda _ch: self.redraw()), names="value")
        self.clear_button.on_click(self.handler(lambda _b: self.select(None)))

        # the summary table is long: keep it folded so the layer list and picture stay in view
        self.summary_box = W.Accordion(children=[self.summary], titles=("fusion summary",), selected_index=None)
        # tall before/after pictures: full width of the column, scrolled vertically (never squeezed)
        self.image.layout = W.Layout(flex="0 0 auto", width="100%", height="auto", display="none")
        self.picture = W.VBox([self.image], layout=W.Layout(flex="1", max_height="760px", overflow="auto"))
        self.controls = W.VBox([self.layers, W.HBox([self.mode, self.clear_button]), self.details])
        self.top = W.HBox([self.controls, self.picture])
        # the interactive view (when anywidget is installed) takes the full width under the list;
        # the static picture then waits, folded, for exports and places without JavaScript
        self.view = None
        self.view_box = W.Box(layout=W.Layout(width="100%"))
        self.picture_box = W.Accordion(children=[], titles=(), selected_index=None)
        self.children = [self.status, self.kind, self.top, self.view_box, self.picture_box, self.summary_box]
        if mode not in _MODES:
            self.status.error(ConfigError(f"mode {mode!r} is not one of {', '.join(_MODES)}"))
        if report is not None:
            self.guard(self.set_report, report)

    @classmethod
    def from_files(cls, onnx: Any, layer_info: Any, profile: Any = None, **kw) -> "FusionExplorer":
        """Load an ONNX model and an engine's layer information (and optionally a per-layer
        profile), map them, and explore. Errors (bad path, corrupt model, layer information of
        another model) are shown in the widget instead of raised."""
        explorer = cls(**kw)
        explorer.guard(explorer.load, onnx, layer_info, profile)
        return explorer

    # ------------------------------------------------------------------ actions
    def load(self, onnx: Any, layer_info: Any, profile: Any = None) -> None:
        """Load the files (see :meth:`from_files`) and show the mapping."""
        from ..engine import load_layer_info, load_profile
        from ..fusion import map_fusion
        from ..graph import load_onnx

        self.status.show("loading...", "busy")
        graph = load_onnx(onnx)
        plan = load_layer_info(layer_info)
        prof = load_profile(profile) if profile is not None else None
        # map_fusion warns on a mismatch; the widget shows it in its status line instead of stderr
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            report = map_fusion(graph, plan, prof)
        self.set_report(report)

    def set_report(self, report: Any) -> None:
        """Show ``report`` (a FusionReport, or an engine whose ``.fusion()`` gives one)."""
        if not hasattr(report, "layers") and callable(getattr(report, "fusion", None)):
            report = report.fusion()
        if not hasattr(report, "layers") or not hasattr(report, "draw"):
            raise ConfigError(
                f"FusionExplorer needs a FusionReport (from trtlab.map_fusion) or a built engine, "
                f"not a {type(report).__name__}"
            )
        self.report = report
        self.summary.value = report.summary()._repr_html_()
        kinds = [k for k in dict.fromkeys(layer.kind for layer in report.layers)]
        self._quiet = True
        try:
            self.kind.options = [_ALL] + kinds
            self.kind.value = _ALL
        finally:
            self._quiet = False
        mismatch = getattr(report, "is_mismatch", False)
        self._attach_view(report)
        self._fill_layers(draw=not mismatch)  # a picture of a mismatch shows nothing: draw on demand
        if mismatch:
            clear_image(self.image)
            self._png = None
            self.status.error(f"the layer information most likely belongs to another model: {report.mismatch_reason}")
        else:
            self.status.show(f"{len(report.layers)} engine layers for {len(report.onnx_graph.nx)} ONNX nodes", "ok")

    def _attach_view(self, report) -> None:
        """Show ``report.view()`` linked with the layer list, when anywidget is installed."""
        if optional("anywidget") is None or getattr(report, "onnx_graph", None) is None:
            return
        self.view = report.view(height=560)
        self.view.observe(self.handler(self._on_view_layer), names="selected_layer")
        self.view_box.children = [self.view]
        self.top.children = [self.controls]
        self.picture_box.children = [self.picture]
        self.picture_box.set_title(0, "static picture (PNG)")

    def _on_view_layer(self, change) -> None:
        """A layer clicked in the view becomes the list's selection."""
        name = change["new"]
        if not name or self._quiet:
            return
        fused = self.report.layer(name)
        if self.layers.value != fused.index:
            self.select(fused.index)

    def _visible_layers(self) -> list:
        if self.report is None:
            return []
        if self.kind.value in (None, _ALL):
            return list(self.report.layers)
        return self.report.by_kind(self.kind.value)

    def _fill_layers(self, draw: bool = True) -> None:
        options = [(_layer_label(layer), layer.index) for layer in self._visible_layers()]
        with self.layers.hold_trait_notifications():
            self.layers.options = options
            self.layers.value = None
        self.details.value = ""
        if draw:
            self.redraw()

    def _on_layer(self, change) -> None:
        if change["new"] is None:
            return
        self._show(change["new"])

    def select(self, layer: int | str | None) -> Any:
        """Highlight one engine layer (index or name; None for no highlight); return it."""
        if self.report is None:
            raise ConfigError("no fusion report is loaded; create the explorer from a report or files first")
        if layer is None:
            self.layers.value = None
            self.details.value = ""
            if self.view is not None:
                self.view.selected = ""
            self.redraw()
            return None
        fused = self.report.layer(layer)
        if fused.index not in [v for _, v in self.layers.options]:
            self.kind.value = _ALL  # refills the list with every layer
        self.layers.value = fused.index  # -> _on_layer -> _show
        return fused

    def _show(self, index: int) -> None:
        fused = self.report.layer(index)
        self.details.value = self._details_html(fused)
        if self.view is not None and self.view.selected_layer != fused.name:
            self._quiet = True
            try:
                self.view.selected = f"engine:L{fused.index}" if f"engine:L{fused.index}" in self._view_ids() else ""
            finally:
                self._quiet = False
        self.redraw()

    def _view_ids(self) -> set:
        return {n["id"] for p in self.view.data["panels"] for n in p["nodes"]}

    def redraw(self) -> None:
        """Draw the report with the chosen layer (if any) highlighted."""
        if self.report is None:
            return
        self.status.show("drawing...", "busy")
        hl = self.layers.value
        drawing = self.report.draw(highlight=hl, mode=self.mode.value, focus=self.focus)
        self._png = set_image(self.image, drawing)
        if hl is None:
            self.status.show(f"{self.report.counts().sentence()}. Pick a layer to highlight its ONNX nodes", "ok")
        else:
            self.status.show(self._selection_text(self.report.layer(hl)), "ok")

    @staticmethod
    def _selection_text(fused) -> str:
        """What the highlight shows, also for layers that absorbed no ONNX node."""
        count = len(fused.onnx_nodes)
        if count:
            return f"layer {fused.index}: {count} ONNX node{'s' if count != 1 else ''} highlighted"
        why = fused.note or f"a {fused.kind} layer"
        serves = f" for {fused.target}" if fused.target else ""
        return f"layer {fused.index} absorbed no ONNX node: {why}{serves}; nothing to highlight in the ONNX panel"

    @property
    def selected(self):
        """The highlighted :class:`~trtlab.fusion.FusedLayer`, or None."""
        return None if self.report is None or self.layers.value is None else self.report.layer(self.layers.value)

    # ------------------------------------------------------------------ text
    @staticmethod
    def _details_html(fused) -> str:
        layer = fused.layer
        fmt_in = fmt_out = None
        if layer is not None:
            fmt_in = ", ".join(f"{t.dtype or '?'} {t.format or ''}".strip() for t in layer.inputs) or None
            fmt_out = ", ".join(f"{t.dtype or '?'} {t.format or ''}".strip() for t in layer.outputs) or None
        rows = [
            ["name", fused.name],
            ["kind", fused.kind],
            ["pattern", f"{fused.pattern} ({fused.short})" if fused.pattern else fused.short],
            ["ONNX nodes", ", ".join(fused.onnx_nodes) or "(none: inserted by TensorRT)"],
            ["layer type", fused.layer_type],
            ["tactic", fused.tactic],
            ["precision", fused.precision],
            ["input formats", fmt_in],
            ["output formats", fmt_out or fused.format],
            ["time", f"{fused.time_ms:.4f} ms" + (f" ({100 * fused.share:.1f}%)" if fused.share is not None else "")
             if fused.time_ms is not None else None],
            ["evidence", fused.evidence],
        ]
        if len(fused.groups) > 1:
            rows.append(["branches", " || ".join(" + ".join(g) for g in fused.groups)])
        if fused.note:
            rows.append(["note", fused.note])
        rows = [[k, v] for k, v in rows if v not in (None, "")]
        return table_html(["", f"engine layer {fused.index}"], rows)

    def static_parts(self) -> list[str]:
        parts = [self.summary.value]
        if self.details.value:
            parts.append(self.details.value)
        if self._png:
            parts.append(png_html(self._png, "fusion before/after"))
        return parts

    def __repr__(self) -> str:
        return f"FusionExplorer({self.report!r})"
