"""Notebook widgets (ipywidgets), thin over trtlab's functions.

Each widget is an ``ipywidgets.VBox`` subclass: leave it as the last expression of a cell (or
``display(...)`` it) to interact; ``.widget`` returns the widget itself. Where widgets cannot
render (nbconvert, GitHub), a static snapshot (pictures and text) is shown instead. Errors are
shown in the widget's status line; a handler never raises into the kernel.

The pure plotting functions are in :mod:`trtlab.draw.plots` (matplotlib only).
"""

from __future__ import annotations

import importlib

from .._optional import require

_LAZY = {
    "ModelExplorer": "trtlab.widgets.model_explorer",
    "EngineBuilder": "trtlab.widgets.engine_builder",
    "FusionExplorer": "trtlab.widgets.fusion_explorer",
    "InferencePanel": "trtlab.widgets.inference_panel",
    "ProfilePlots": "trtlab.widgets.profile_plots",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trtlab.widgets' has no attribute {name!r}")
    require("ipywidgets", f"trtlab.widgets.{name}", extra="notebook")  # MissingDependencyError naming the extra
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
