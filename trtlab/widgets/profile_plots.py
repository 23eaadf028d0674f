"""``ProfilePlots``: where an engine spends its time, and how two engines compare."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, Sequence

import ipywidgets as W
import numpy as np

from .._optional import optional
from ..errors import ConfigError
from ..draw import plots
from ._base import Panel, image_widget, png_html, set_image

__all__ = ["ProfilePlots"]

TOP_LAYERS = "top layers"
BY_TYPE = "by layer type"
BY_KIND = "by fusion kind"
LATENCY = "latency"
SPLIT = "H2D/compute/D2H"
COMPARE = "compare"


class ProfilePlots(Panel):
    """Per-layer time bars (top N), time by fusion kind and by layer type, the latency
    histogram and H2D/compute/D2H split of a trtexec timing file, and two engines compared.

    ``profile`` is a :class:`~trtlab.engine.Profile` or a path to ``--exportProfile`` output;
    ``plan`` (layer information) enables *by layer type*; ``report`` (a FusionReport whose
    layers carry times) enables *by fusion kind*; ``timing`` (``--exportTimes``) enables
    *latency* and the split; ``compare`` (a second profile) with ``labels`` enables *compare*.
    Only the views with data are offered. The pictures come from :mod:`trtlab.draw.plots`.
    """

    css_class = "trtlab-profile-plots"

    def __init__(self, profile: Any = None, *, plan: Any = None, report: Any = None, timing: Any = None,
                 compare: Any = None, labels: Sequence[str] = ("A", "B"), top: int = 15):
        super().__init__()
        self.profile = self.plan = self.report = self.timing = self.other = None
        self.labels = tuple(labels)
        self._png: bytes | None = None
        self.view = W.ToggleButtons(options=[], description="view", style={"button_width": "auto"})
        self.top = W.IntSlider(value=top if isinstance(top, int) and top > 0 else 15, min=3, max=60,
                               description="top N", continuous_update=False)
        self.image = image_widget()
        self.info = W.HTML()
        self.view.observe(self.handler(lambda _ch: self.redraw()), names="value")
        self.top.observe(self.handler(lambda _ch: self.redraw()), names="value")
        # with a plan and a profile: the engine graph coloured by time (interactive, when anywidget is installed)
        self.graph_view = None
        self.graph_box = W.Box(layout=W.Layout(width="100%"))
        self.children = [W.HBox([self.view, self.top]), self.status, self.info, self.image, self.graph_box]
        self.guard(self.set_data, profile, plan=plan, report=report, timing=timing, compare=compare)

    @classmethod
    def from_folder(cls, folder: Any, *, compare: Any = None, labels: Sequence[str] | None = None,
                    **kw) -> "ProfilePlots":
        """Read trtexec's files from a folder (``engine.profile.json``, ``engine.graph.json``,
        ``engine.timing.json``; the ones present). ``compare`` is a second folder."""
        folder = Path(folder)
        if not folder.is_dir():
            widget = cls(**kw)
            widget.status.error(ConfigError(f"folder {str(folder)!r} does not exist; give a folder holding "
                                            f"trtexec's engine.profile.json (and engine.graph.json, engine.timing.json)"))
            return widget

        def pick(name):
            p = folder / name
            return p if p.is_file() else None

        other = None
        if compare is not None:
            cmp_folder = Path(compare)
            other = cmp_folder / "engine.profile.json" if cmp_folder.is_dir() else cmp_folder
        labels = labels or (folder.name, Path(compare).name if compare is not None else "B")
        return cls(pick("engine.profile.json"), plan=pick("engine.graph.json"), timing=pick("engine.timing.json"),
                   compare=other, labels=labels, **kw)

    # ------------------------------------------------------------------ data
    def set_data(self, profile: Any = None, *, plan: Any = None, report: Any = None, timing: Any = None,
                 compare: Any = None) -> None:
        """Load (paths) or take the objects, and offer the views they allow."""
        from ..engine import load_layer_info, load_profile, load_timing

        def prof(x):
            return x if x is None or hasattr(x, "layers") else load_profile(x)

        self.profile = prof(profile)
        self.plan = plan if plan is None or hasattr(plan, "layers") else load_layer_info(plan)
        self.report = report
        self.timing = timing if timing is None or hasattr(timing, "series") else load_timing(timing)
        self.other = prof(compare)
        if self.profile is None and self.report is not None and getattr(self.report, "profile", None) is not None:
            self.profile = self.report.profile
        views = []
        if self.profile is not None:
            views.append(TOP_LAYERS)
            if self.plan is not None:
                views.append(BY_TYPE)
        if self.report is not None and any(r.time_ms is not None for r in self.report.layers):
            views.append(BY_KIND)
        if self.timing is not None:
            views += [LATENCY, SPLIT]
        if self.profile is not None and self.other is not None:
            views.append(COMPARE)
        if not views:
            raise ConfigError("nothing to plot: give a profile (trtexec --exportProfile), a timing file "
                              "(--exportTimes) or a FusionReport with layer times")
        self.view.options = views
        self.view.value = views[0]
        self.redraw()
        self._attach_graph_view()

    def _attach_graph_view(self) -> None:
        """The engine graph of ``plan``, coloured by each layer's share of the time."""
        self.graph_view = None
        self.graph_box.children = []
        if self.plan is None or self.profile is None or optional("anywidget") is None:
            return
        self.graph_view = self.plan.view(profile=self.profile, color_by="time", height=520)
        self.graph_box.children = [self.graph_view]

    # ------------------------------------------------------------------ drawing
    def drawing(self, view: str | None = None):
        """The :class:`~trtlab.draw.Drawing` of one view (default: the chosen one)."""
        view = view or self.view.value
        top = self.top.value
        if view == TOP_LAYERS:
            return plots.layer_time_bars(self.profile, top=top)
        if view == BY_TYPE:
            return plots.time_bars(plots.times_by_layer_type(self.plan, self.profile),
                                   title="time by TensorRT layer type")
        if view == BY_KIND:
            return plots.time_bars(plots.times_by_kind(self.report), title="time by fusion kind")
        if view == LATENCY:
            return plots.latency_histogram(self.timing)
        if view == SPLIT:
            s = self.timing.series
            means = [float(np.mean(s[k])) if k in s and len(s[k]) else 0.0 for k in ("h2d", "compute", "d2h")]
            title = f"mean of {len(self.timing)} iterations (trtexec --exportTimes)"
            if means[0] == 0 and means[2] == 0:
                title += ": no copies timed (trtexec ran with --noDataTransfers)"
            return plots.io_split(*means, title=title)
        if view == COMPARE:
            return plots.compare_profiles(self.profile, self.other, self.labels, top=top)
        raise ConfigError(f"view {view!r} is not one of {', '.join(self.view.options)}")

    def redraw(self) -> None:
        if not self.view.options:
            return
        self._png = set_image(self.image, self.drawing())
        self.top.disabled = self.view.value not in (TOP_LAYERS, COMPARE)
        self.info.value = self._info_html()
        self.status.show(f"{self.view.value}", "ok")

    def _info_html(self) -> str:
        bits = []
        if self.profile is not None:
            bits.append(f"{len(self.profile.layers)} profiled layers, {self.profile.total_ms:.3f} ms per inference")
        if self.timing is not None and "latency" in self.timing.stats:
            s = self.timing.stats["latency"]
            bits.append(f"{len(self.timing)} timed iterations, latency median {s.median:.3f} ms, p99 {s.p99:.3f} ms")
        if self.other is not None:
            bits.append(f"compared with {html.escape(self.labels[1])}: {self.other.total_ms:.3f} ms per inference")
        return "<br/>".join(html.escape(b) if "<" not in b else b for b in bits)

    def static_parts(self) -> list[str]:
        parts = [self.info.value]
        if self._png:
            parts.append(png_html(self._png, str(self.view.value)))
        return parts

    def __repr__(self) -> str:
        return f"ProfilePlots(views={list(self.view.options)})"
