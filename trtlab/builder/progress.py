"""Build progress: TensorRT's IProgressMonitor events to a callback, a tqdm bar or a widget.

TensorRT reports nested phases (``phase_start(name, parent, steps)``, ``step_complete(name,
step)`` -> keep going?, ``phase_finish(name)``). trtlab turns them into
:class:`ProgressEvent` objects and hands them to a callback; returning ``False`` from the
callback, or setting a :class:`CancelToken`, cancels the build.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Union

from .._optional import require
from ..errors import ConfigError

__all__ = ["ProgressEvent", "CancelToken", "make_progress", "TqdmProgress", "WidgetProgress"]


@dataclass(frozen=True)
class ProgressEvent:
    """One TensorRT progress report. ``kind`` is ``start``, ``step`` or ``finish``."""

    kind: str
    phase: str
    parent: str | None = None
    step: int | None = None      # for "step": index of the step just completed
    steps: int | None = None     # for "start": number of steps in the phase
    depth: int = 0               # nesting depth of the phase (0 = top level)


class CancelToken:
    """Cancel a running build from another thread or a widget button: ``token.cancel()``."""

    def __init__(self):
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"


Callback = Callable[[ProgressEvent], Union[bool, None]]


class TqdmProgress:
    """A tqdm bar over the top-level phase's steps; the current sub-phase is the description."""

    def __init__(self, **tqdm_kwargs):
        self._tqdm = require("tqdm", "a build progress bar (progress='tqdm')", extra="rtx")
        self._kwargs = tqdm_kwargs
        self._bar = None

    def __call__(self, ev: ProgressEvent):
        if ev.depth == 0 and ev.kind == "start":
            self._bar = self._tqdm.tqdm(total=ev.steps or 0, desc=ev.phase, unit="step", **self._kwargs)
        elif self._bar is not None:
            if ev.kind == "step" and ev.depth == 0:
                self._bar.update(1)
            elif ev.kind == "start":
                self._bar.set_postfix_str(ev.phase, refresh=False)
            elif ev.kind == "finish" and ev.depth == 0:
                self._bar.n = self._bar.total
                self._bar.close()
                self._bar = None
        return None


class WidgetProgress:
    """An ipywidgets progress bar (top-level steps) with the current phase as a label."""

    def __init__(self, display: bool = True):
        widgets = require("ipywidgets", "a build progress widget (progress='widget')", extra="notebook")
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description="Build", bar_style="info")
        self.label = widgets.Label("waiting for TensorRT...")
        self.box = widgets.HBox([self.bar, self.label])
        if display:
            try:
                from IPython.display import display as _display

                _display(self.box)
            except ImportError:  # outside IPython: the widget is still usable via .box
                pass

    def __call__(self, ev: ProgressEvent):
        if ev.depth == 0 and ev.kind == "start":
            self.bar.max = max(1, ev.steps or 1)
            self.bar.value = 0
        elif ev.depth == 0 and ev.kind == "step":
            self.bar.value = min(self.bar.max, (ev.step or 0) + 1)
        elif ev.kind == "start":
            self.label.value = ev.phase
        elif ev.depth == 0 and ev.kind == "finish":
            self.bar.value = self.bar.max
            self.bar.bar_style = "success"
            self.label.value = "done"
        return None


def make_progress(progress) -> Callback | None:
    """``None``, a callable, ``"tqdm"`` or ``"widget"`` -> a callback (or None)."""
    if progress is None or progress is False:
        return None
    if progress == "tqdm":
        return TqdmProgress()
    if progress == "widget":
        return WidgetProgress()
    if callable(progress):
        return progress
    raise ConfigError(
        f"progress {progress!r} is not one of None, 'tqdm', 'widget' or a callable taking a ProgressEvent"
    )
