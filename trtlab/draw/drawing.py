"""`Drawing`: a matplotlib Figure with notebook displays and `save(path)`, without pyplot."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..errors import ConfigError, TrtlabError

__all__ = ["Drawing", "new_figure", "SAVE_FORMATS", "MAX_WIDTH_IN", "DPI"]

SAVE_FORMATS = ("png", "svg", "pdf")

#: pictures are rendered at this many dots per inch ...
DPI = 100
#: ... and are at most this wide (inches), so they fit a notebook's output area (968 px in
#: JupyterLab at 1400 px) without a scrollbar
MAX_WIDTH_IN = 9.6

# Above this many drawn nodes the notebook gets only the PNG: an SVG of thousands of nodes is
# many megabytes and slow for the browser.
SVG_MAX_NODES = 400


def new_figure(figsize: tuple[float, float], dpi: float = 100) -> Figure:
    """A Figure with its own Agg canvas (no pyplot, no global state)."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


class Drawing:
    """A rendered picture: ``.figure`` (matplotlib Figure), notebook display, ``save(path)``.

    ``nodes`` lists the nodes drawn (after collapsing/overview, so a collapsed block counts as
    one); ``artists`` holds what :func:`~trtlab.draw.draw_dag` returned for the main axes;
    ``panels`` (read only) maps panel names (``"onnx"``, ``"engine"``, ...) to the artists of
    each panel of a picture with several.
    """

    def __init__(self, figure: Figure, *, ax=None, artists=None, nodes=None, mode: str = "labels",
                 note: str | None = None, dpi: float = DPI, tight: bool = True,
                 panels: Mapping[str, object] | None = None):
        if figure.canvas is None or not isinstance(figure.canvas, FigureCanvasAgg):
            FigureCanvasAgg(figure)
        self._figure: Figure | None = figure
        self.ax = ax
        self.artists = artists
        self.nodes = list(nodes) if nodes is not None else []
        self.mode = mode
        self.note = note
        self.dpi = dpi
        # tight=True trims the saved picture to what was drawn (at the cost of drawing twice);
        # drawings whose figure was sized to fit their content pass tight=False
        self.tight = tight
        self._panels = MappingProxyType(dict(panels or {}))

    @property
    def panels(self) -> Mapping[str, object]:
        """Panel name -> what was drawn in it (read only)."""
        return self._panels

    @property
    def figure(self) -> Figure:
        """The matplotlib Figure (raises ConfigError after :meth:`close`)."""
        if self._figure is None:
            raise ConfigError("this Drawing was closed; draw the graph again to get a new one")
        return self._figure

    @property
    def n_nodes(self) -> int:
        """Number of nodes (or collapsed boxes) drawn."""
        return len(self.nodes)

    def _render(self, fmt: str, dpi: float | None = None) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format=fmt, dpi=dpi or self.dpi, bbox_inches="tight" if self.tight else None,
                            facecolor="white")
        return buf.getvalue()

    def to_png(self, dpi: float | None = None) -> bytes:
        """The picture as PNG bytes."""
        return self._render("png", dpi)

    def to_svg(self) -> str:
        """The picture as an SVG document."""
        return self._render("svg").decode("utf-8")

    def _repr_png_(self) -> bytes | None:
        if self._figure is None:
            return None
        return self.to_png()

    def _repr_svg_(self) -> str | None:
        # None tells IPython to skip SVG and show the PNG: large drawings stay light
        if self._figure is None or self.n_nodes > SVG_MAX_NODES:
            return None
        return self.to_svg()

    def save(self, path: str | os.PathLike, *, dpi: float | None = None) -> Path:
        """Write the picture to ``path``; the format comes from the suffix (.png, .svg, .pdf)."""
        p = Path(path)
        fmt = p.suffix.lower().lstrip(".")
        if fmt not in SAVE_FORMATS:
            raise ConfigError(
                f"cannot save a drawing as {p.name!r}: suffix {p.suffix or '(none)'!r} is not one of "
                f"{', '.join('.' + f for f in SAVE_FORMATS)}; use e.g. {p.with_suffix('.png').name!r}"
            )
        if not p.parent.is_dir():
            raise ConfigError(f"cannot save to {str(p)!r}: folder {str(p.parent)!r} does not exist; create it first")
        try:
            data = self._render(fmt, dpi)
            p.write_bytes(data)
        except OSError as exc:
            raise TrtlabError(f"cannot write {str(p)!r}: {exc.strerror or exc}; choose a writable path") from exc
        return p

    def close(self) -> None:
        """Release the figure's memory; the Drawing cannot be shown afterwards."""
        if self._figure is not None:
            self._figure.clear()
        self._figure = None
        self.artists = None

    def __repr__(self) -> str:
        if self._figure is None:
            return "<Drawing (closed)>"
        w, h = self._figure.get_size_inches()
        return f"<Drawing: {self.n_nodes} nodes, {self.mode}, {w:.1f}x{h:.1f} in>"
