"""Interactive graph views: one Cytoscape.js component for ONNX graphs, engine plans and fusion reports.

- pure data builders (no browser, no widget library): :func:`onnx_view_data`,
  :func:`plan_view_data`, :func:`report_view_data`, :func:`stages_view_data` turn an
  OnnxGraph / EnginePlan / FusionReport into a plain JSON-able dict (see :mod:`trtlab.view.data`);
- :func:`save_html`: one self-contained HTML file (library and data inline) that opens from disk
  with no server and no network;
- :func:`view`: the notebook widget (anywidget), with the same front end.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..engine import EnginePlan
from ..errors import ConfigError
from ..fusion import FusionReport
from ..graph import OnnxGraph
from . import html as _html
from .engine import plan_view_data
from .fusion import report_view_data, stages_view_data
from .onnx import onnx_view_data
from .widget import view_widget

__all__ = ["onnx_view_data", "plan_view_data", "report_view_data", "stages_view_data", "view_data",
           "view", "save_html"]


def view_data(obj, **kw) -> dict:
    """View data of an OnnxGraph, EnginePlan or FusionReport (keywords go to its builder:
    ``profile=`` for a plan; ``mode="stages"``, ``focus=`` for a report)."""
    if isinstance(obj, dict) and "panels" in obj:
        return obj
    if isinstance(obj, OnnxGraph):
        return onnx_view_data(obj, **kw)
    if isinstance(obj, EnginePlan):
        return plan_view_data(obj, **kw)
    if isinstance(obj, FusionReport):
        mode = kw.pop("mode", "side-by-side")
        if mode == "stages":
            return stages_view_data(obj, **kw)
        if mode != "side-by-side":
            raise ConfigError(f"mode={mode!r} is not one of 'side-by-side', 'stages'")
        return report_view_data(obj, **kw)
    raise ConfigError(f"cannot view a {type(obj).__name__}; pass an OnnxGraph, EnginePlan or FusionReport")


def view(obj, *, height: int = 640, color_by: str | None = None, select: str | None = None, **kw):
    """The interactive view widget of ``obj`` (needs anywidget: the ``notebook`` extra)."""
    return view_widget(view_data(obj, **kw), height=height, color_by=color_by, select=select)


def save_html(obj, path: str | os.PathLike, *, height: int = 640, color_by: str | None = None, **kw) -> Path:
    """Write the view of ``obj`` (or view data) as one offline HTML file; needs no widget library."""
    return _html.save_html(view_data(obj, **kw), path, height=height, color_by=color_by)
