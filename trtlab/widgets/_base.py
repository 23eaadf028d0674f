"""What every trtlab widget shares: a status line, error capture, pictures, a static fallback.

Every widget is an ``ipywidgets.VBox`` subclass (so ``display(w)`` or leaving it as the last
expression of a cell shows it) with ``.widget`` returning itself, for code written against
"a class with ``.widget``". Its ``_repr_mimebundle_`` adds a ``text/html`` snapshot (pictures
as inline PNG and text) next to the widget view, the way ipympl does: JupyterLab shows the live
widget, renderers without a widget manager (nbconvert, GitHub, a reopened notebook without a
kernel) show the snapshot.
"""

from __future__ import annotations

import base64
import html
import io
import os
import threading
from typing import Any, Callable

import ipywidgets as W

from ..data import DATA_DIR, bundled_model, bundled_models
from ..errors import TrtlabError

__all__ = ["Panel", "Status", "ModelPicker", "error_text", "png_bytes", "png_html"]


def error_text(exc: BaseException) -> str:
    """One line naming the error type and its message (trtlab messages already say the fix)."""
    name = type(exc).__name__
    if isinstance(exc, TrtlabError):
        return f"{name}: {exc}"
    return f"unexpected {name}: {exc}"


def png_bytes(obj: Any) -> bytes:
    """PNG bytes of a matplotlib Figure, a trtlab Drawing, or anything with ``_repr_png_``."""
    fig = getattr(obj, "figure", None)
    if fig is None and hasattr(obj, "savefig"):
        fig = obj
    if fig is not None and hasattr(fig, "savefig"):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    data = obj._repr_png_()
    return data if isinstance(data, bytes) else base64.b64decode(data)


def png_html(data: bytes, alt: str = "") -> str:
    """An ``<img>`` tag holding PNG bytes inline."""
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img alt="{html.escape(alt)}" style="max-width:100%" src="data:image/png;base64,{b64}"/>'


class Status(W.HTML):
    """A one-line status: empty, information, success or error (red, with the error type).

    ``kind`` is ``""``, ``"info"``, ``"ok"``, ``"busy"`` or ``"error"``; ``text`` is the plain text
    shown. Tests and callers read these instead of parsing HTML.
    """

    _COLORS = {"info": "#333", "ok": "#1a7f37", "busy": "#555", "error": "#b42318"}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.kind = ""
        self.text = ""
        self.add_class("trtlab-status")

    def show(self, text: str, kind: str = "info") -> None:
        self.kind, self.text = kind, text
        if not text:
            self.value = ""
            return
        color = self._COLORS.get(kind, "#333")
        icon = {"error": "&#9888; ", "ok": "&#10003; ", "busy": "&#8987; "}.get(kind, "")
        body = html.escape(text).replace("\n", "<br/>")
        self.value = f'<div class="trtlab-status-{kind}" style="color:{color};white-space:normal">{icon}{body}</div>'

    def error(self, exc: BaseException | str) -> None:
        self.show(exc if isinstance(exc, str) else error_text(exc), "error")

    def clear(self) -> None:
        self.show("", "")


class Panel(W.VBox):
    """Base class of trtlab widgets (see the module docstring)."""

    css_class = "trtlab-widget"

    def __init__(self, children=(), **kwargs):
        super().__init__(list(children), **kwargs)
        self.add_class("trtlab-widget")
        if self.css_class != "trtlab-widget":
            self.add_class(self.css_class)
        self.status = Status()
        self._lock = threading.RLock()

    # -- public helpers -------------------------------------------------------------------------
    @property
    def widget(self) -> "Panel":
        """The widget to display (the panel itself)."""
        return self

    def guard(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn``; show any error in the status line instead of raising.

        This is the widget boundary: a handler must never take the kernel down, so besides
        trtlab's own errors, *any* exception is caught here and shown with its type.
        """
        try:
            return fn(*args, **kwargs)
        except TrtlabError as exc:
            self.status.error(exc)
        except Exception as exc:  # noqa: BLE001 - widget boundary, shown to the user with its type
            self.status.error(exc)
        return None

    def handler(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """Wrap ``fn`` as an ipywidgets callback (button click / observe) that never raises."""

        def _callback(*args: Any) -> None:
            self.guard(fn, *args)

        return _callback

    # -- static fallback ------------------------------------------------------------------------
    def static_parts(self) -> list[str]:
        """HTML fragments of the snapshot shown where widgets cannot render. Override."""
        return []

    def static_html(self) -> str:
        """The snapshot: title, status line and :meth:`static_parts`."""
        parts = [f"<h4>{html.escape(type(self).__name__)}</h4>"]
        try:
            parts += self.static_parts()
        except Exception as exc:  # noqa: BLE001 - a snapshot must never break display
            parts.append(f"<p>(snapshot unavailable: {html.escape(error_text(exc))})</p>")
        if self.status.text:
            parts.append(self.status.value)
        parts.append(
            "<p style='color:#777;font-size:90%'>Static snapshot: run the notebook in JupyterLab "
            "for the interactive widget.</p>"
        )
        return f'<div class="trtlab-static {html.escape(self.css_class)}">' + "".join(parts) + "</div>"

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        data["text/html"] = self.static_html()
        return data


def image_widget(**layout: str) -> W.Image:
    """An empty PNG image widget that scales to the notebook width."""
    # hidden until it holds a picture: an empty <img> shows as a broken-image icon
    img = W.Image(format="png", layout=W.Layout(max_width="100%", display="none", **layout))
    img.add_class("trtlab-figure")
    return img


def clear_image(img: W.Image) -> None:
    """Empty an Image widget and hide it."""
    img.value = b""
    img.layout.display = "none"


def bundled_name(model: Any) -> str | None:
    """The bundled model's name if ``model`` is the path of one (so pickers can show it)."""
    if isinstance(model, (str, os.PathLike)):
        try:
            path = os.path.realpath(os.fspath(model))
        except (TypeError, ValueError):
            return None
        if os.path.dirname(path) == os.path.realpath(DATA_DIR) and path.endswith(".onnx"):
            return os.path.basename(path)[:-5]
    return None


class ModelPicker:
    """A bundled model or a path: the dropdown and text field of ModelExplorer and EngineBuilder.

    ``use(model)`` is called with a bundled model's path when one is picked in ``source`` and
    with the text of ``path`` when it changes; ``prompt`` is shown when "(a path...)" is picked.
    """

    PATH = "(a path...)"

    def __init__(self, panel: Panel, use: Callable[[Any], None], prompt: str):
        self.names = bundled_models()
        self.source = W.Dropdown(options=self.names + [self.PATH], value=None, description="model")
        self.path = W.Text(placeholder="path/to/model.onnx", description="path", continuous_update=False)
        self._panel, self._use, self._prompt = panel, use, prompt
        self.source.observe(panel.handler(self._on_source), names="value")
        self.path.observe(panel.handler(lambda ch: use(ch["new"]) if ch["new"] else None), names="value")

    def start(self, model: Any) -> None:
        """Show ``model``, or the first bundled model when None (picking one loads it)."""
        name = bundled_name(model) if model is not None else None
        if name in self.names:
            self.source.value = name
        elif model is not None:
            self._panel.guard(self._use, model)
        elif self.names:
            self.source.value = self.names[0]

    def _on_source(self, change) -> None:
        name = change["new"]
        if name is None:
            return
        if name == self.PATH:
            self._panel.status.show(self._prompt, "info")
            return
        self._use(bundled_model(name))


def set_image(img: W.Image, obj: Any) -> bytes:
    """Render a Figure/Drawing into an Image widget and close the figure (no leak); return PNG."""
    data = png_bytes(obj)
    img.value = data
    img.layout.display = None
    close = getattr(obj, "close", None)
    if callable(close):
        close()
    return data


def table_html(headers: list[str], rows: list[list[Any]], max_rows: int = 200) -> str:
    """A small HTML table (escaped), cut at ``max_rows`` with a note."""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{html.escape(str(h))}</th>" for h in headers)
    body = []
    for row in rows[:max_rows]:
        cells = "".join(
            f"<td style='padding:2px 8px'>{html.escape('' if v is None else str(v))}</td>" for v in row
        )
        body.append(f"<tr>{cells}</tr>")
    more = f"<p>... {len(rows) - max_rows} more rows</p>" if len(rows) > max_rows else ""
    return f"<table class='trtlab-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"
