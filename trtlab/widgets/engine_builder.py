"""``EngineBuilder``: build a TensorRT engine from a notebook, with live progress and Cancel."""

from __future__ import annotations

import html
import os
import threading
from typing import Any

import ipywidgets as W

from .._optional import optional
from ..errors import BuildCancelled, ConfigError, TrtlabError
from ._base import ModelPicker, Panel, error_text, table_html

__all__ = ["EngineBuilder"]

_DEFAULT = "default"


class EngineBuilder(Panel):
    """Choose a model and build options, press Build, watch the progress bar, Cancel if needed.

    Controls: precision, optimization level, workspace limit (MiB, 0 = TensorRT's default),
    a dynamic-shape profile (min / opt / max fields, shapes like ``1x3x224x224``) for each input
    with a symbolic or unknown dimension (left empty: batch 1 is used),
    timing cache and engine cache toggles. Controls the backend cannot honour are disabled with
    the reason in their tooltip and in the notes below them (no TensorRT installed; no timing
    cache on TensorRT for RTX; precisions the backend lacks are not offered).

    The build runs in a thread so the kernel stays responsive; TensorRT's progress events move
    the bar. The result shows build time, backend, layer count and the fusion summary; the
    engine is in ``.engine`` (a :class:`~trtlab.builder.BuiltEngine`) and its fusion report in
    ``.report``. ``cache`` is the :class:`~trtlab.builder.EngineCache` (or path) used when the
    engine cache is on (default: the user cache folder).
    """

    css_class = "trtlab-engine-builder"

    def __init__(self, model: Any = None, *, cache: Any = None, backend: str | None = None):
        super().__init__()
        self.model: Any = None
        self.engine = None
        self.report = None
        self.backend = backend
        self.info = None
        self._cache_arg = cache
        self._thread: threading.Thread | None = None
        self._token = None
        self._backend_error: Exception | None = None

        self.picker = ModelPicker(self, self.set_model, "type a path to an .onnx file")
        self.source, self.path = self.picker.source, self.picker.path
        self.inputs = W.HTML()
        self.precision = W.Dropdown(options=["fp32"], value="fp32", description="precision")
        self.opt_level = W.Dropdown(options=[_DEFAULT, 0, 1, 2, 3, 4, 5], value=_DEFAULT, description="opt level",
                                    tooltip="builder optimization level: higher searches more tactics (slower build)")
        self.workspace = W.BoundedIntText(value=0, min=0, max=1 << 20, description="workspace",
                                          tooltip="workspace memory limit in MiB (0 = TensorRT's default)")
        self.profile_fields: dict[str, tuple[W.Text, W.Text, W.Text]] = {}
        self.shapes = W.VBox()  # one row of min/opt/max fields per dynamic input (see set_model)
        self.timing_cache = W.Checkbox(value=False, description="timing cache", indent=False)
        self.engine_cache = W.Checkbox(value=True, description="engine cache", indent=False)
        self.notes = W.HTML()
        self.build_button = W.Button(description="Build", icon="cogs", button_style="primary")
        self.cancel_button = W.Button(description="Cancel", icon="stop", disabled=True,
                                      tooltip="stop the running build")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="progress", bar_style="info")
        self.phase = W.Label("")
        self.result = W.HTML()
        self.fusion_summary = W.HTML()
        # the built engine's fusion as the interactive view (when anywidget is installed)
        self.view = None
        self.view_box = W.Box(layout=W.Layout(width="100%"))

        self.build_button.on_click(self.handler(lambda _b: self.build()))
        self.cancel_button.on_click(self.handler(lambda _b: self.cancel()))

        self.children = [
            W.HBox([self.source, self.path]),
            self.inputs,
            W.HBox([self.precision, self.opt_level, self.workspace]),
            self.shapes,
            W.HBox([self.timing_cache, self.engine_cache]),
            self.notes,
            W.HBox([self.build_button, self.cancel_button, self.progress, self.phase]),
            self.status,
            self.result,
            self.fusion_summary,
            self.view_box,
        ]
        self.refresh_backend()
        self.picker.start(model)

    # ------------------------------------------------------------------ backend state
    def refresh_backend(self) -> None:
        """Ask which TensorRT backend is here and enable/disable the controls to match."""
        from ..builder import backend_info

        notes = []
        try:
            self.info = backend_info(self.backend)
        except TrtlabError as exc:  # no TensorRT installed (BackendError) or a broken one
            self.info = None
            why = error_text(exc)
            for ctl in (self.build_button, self.precision, self.opt_level, self.workspace,
                        self.timing_cache, self.engine_cache, *self._shape_fields()):
                ctl.disabled = True
            self.build_button.tooltip = why
            self.notes.value = f"<p style='color:#b42318'>Building is disabled: {html.escape(why)}</p>"
            self._backend_error = exc
            self.status.error(exc)
            return
        self._backend_error = None
        info = self.info
        for ctl in (self.precision, self.opt_level, self.workspace, self.engine_cache, *self._shape_fields()):
            ctl.disabled = False
        self.build_button.disabled = not info.can_build
        self.build_button.tooltip = "build the engine" if info.can_build else f"{info.module} cannot build engines"
        current = self.precision.value
        self.precision.options = list(info.precisions)
        self.precision.value = current if current in info.precisions else info.precisions[0]
        from ..builder.config import PRECISIONS

        missing = [p for p in PRECISIONS if p not in info.precisions]
        if missing:
            notes.append(f"precisions {', '.join(missing)} are not available with {info.module} {info.version}")
        if info.strongly_typed:
            notes.append("strongly typed backend: fp16 converts the model's float tensors; int8/fp8 need Q/DQ nodes")
        if info.family == "tensorrt_rtx":
            self.timing_cache.value = False
            self.timing_cache.disabled = True
            why = f"{info.module} has no timing cache (no-op since TensorRT for RTX 1.2)"
            self.timing_cache.tooltip = why
            notes.append(f"timing cache disabled: {why}")
        else:
            self.timing_cache.disabled = False
        if not info.can_execute:
            notes.append(f"engines built here cannot run here: {info.execute_reason}")
        head = f"backend: <b>{html.escape(info.module)} {html.escape(info.version)}</b>, target {html.escape(info.device)}"
        self.notes.value = head + "".join(f"<br/><span style='color:#555'>{html.escape(n)}</span>" for n in notes)

    # ------------------------------------------------------------------ model
    def set_model(self, model: Any) -> None:
        """Use ``model`` (path, bytes, ModelProto or OnnxGraph); its inputs are listed, dynamic
        dimensions marked, so shape profiles can be written for them."""
        from ..graph import OnnxGraph, load_onnx

        if isinstance(model, str):
            model = os.path.expanduser(model.strip())
        graph = model if isinstance(model, OnnxGraph) else load_onnx(model)
        self.model = model if not isinstance(model, OnnxGraph) else graph.model
        rows = []
        dynamic = []
        for t in graph.inputs:
            shape = "?" if t.shape is None else "x".join("?" if d is None else str(d) for d in t.shape)
            is_dyn = t.shape is None or any(not isinstance(d, int) for d in t.shape)
            if is_dyn:
                dynamic.append(t.name)
            rows.append([t.name, shape, t.dtype, "dynamic: give a profile (or batch 1 is used)" if is_dyn else ""])
        self.inputs.value = f"<b>{html.escape(graph.name or 'model')}</b>: {len(graph)} nodes" + table_html(
            ["input", "shape", "dtype", ""], rows)
        self._make_profile_fields(graph, dynamic)
        if self._backend_error is not None:  # keep saying why Build is disabled
            self.status.error(self._backend_error)
        else:
            self.status.show(f"model ready: {len(graph)} nodes, {len(dynamic)} dynamic inputs", "ok")

    def _make_profile_fields(self, graph, dynamic: list[str]) -> None:
        self.profile_fields = {}
        rows = []
        for t in graph.inputs:
            if t.name not in dynamic:
                continue
            dims = t.shape or ()
            example = "x".join(str(d) if isinstance(d, int) else "1" for d in dims) or "1x3x224x224"
            fields = tuple(W.Text(placeholder=example, description=k, layout=W.Layout(width="220px"),
                                  disabled=self.info is None) for k in ("min", "opt", "max"))
            self.profile_fields[t.name] = fields
            shape = "x".join("?" if not isinstance(d, int) else str(d) for d in dims) or "?"
            rows.append(W.HBox([W.Label(f"profile of {t.name} ({shape})", layout=W.Layout(width="220px")), *fields]))
        self.shapes.children = rows

    def _shape_fields(self) -> list:
        return [f for fields in self.profile_fields.values() for f in fields]

    def set_profile(self, input_name: str, min: str = "", opt: str = "", max: str = "") -> None:
        """Fill the min/opt/max fields of a dynamic input (shapes like ``"1x3x224x224"``)."""
        if input_name not in self.profile_fields:
            raise ConfigError(f"{input_name!r} is not a dynamic input of this model; dynamic inputs: "
                              f"{sorted(self.profile_fields) or 'none'}")
        for field, value in zip(self.profile_fields[input_name], (min, opt, max)):
            field.value = value

    # ------------------------------------------------------------------ config
    def config(self):
        """The :class:`~trtlab.builder.BuildConfig` the controls describe (ConfigError if invalid)."""
        from ..builder import BuildConfig, parse_shapes

        profiles = []
        for name, fields in self.profile_fields.items():
            values = [f.value.strip() for f in fields]
            if not any(values):
                continue  # no profile: the backend's default dynamic dims (batch 1)
            if not all(values):
                raise ConfigError(f"shape profile of {name!r}: give all three of min, opt and max "
                                  f"(got {values}); shapes are ints joined by 'x', e.g. 1x3x224x224")
            profiles.append(parse_shapes(f"{name}:{','.join(values)}"))
        profiles = tuple(profiles)
        timing_cache = None
        if self.timing_cache.value and not self.timing_cache.disabled and self.info is not None:
            timing_cache = str(self._cache().timing_cache_path(self.info))
        return BuildConfig(
            precision=self.precision.value,
            opt_level=None if self.opt_level.value == _DEFAULT else int(self.opt_level.value),
            workspace_mib=self.workspace.value or None,
            profiles=profiles,
            timing_cache=timing_cache,
        )

    def _cache(self):
        from ..builder import EngineCache

        c = self._cache_arg
        return c if isinstance(c, EngineCache) else EngineCache(c)

    # ------------------------------------------------------------------ build
    @property
    def building(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def build(self, wait: bool = False) -> threading.Thread | None:
        """Start the build in a thread (``wait=True`` joins it); returns the thread.

        Errors (no backend, bad options, a model TensorRT cannot parse) are shown in the status
        line, never raised.
        """
        from ..builder import CancelToken

        if self.building:
            self.status.show("a build is already running; Cancel it first", "info")
            return self._thread
        if self.info is None:
            self.refresh_backend()
            if self.info is None:
                return None  # refresh_backend showed why
        if self.model is None:
            raise ConfigError("no model chosen: pick a bundled model or type the path of an .onnx file")
        config = self.config()
        cache = self._cache() if self.engine_cache.value else None
        self._token = CancelToken()
        self.engine = self.report = None
        self.result.value = self.fusion_summary.value = ""
        self.view, self.view_box.children = None, []
        self.progress.value, self.progress.max, self.progress.bar_style = 0, 1, "info"
        self.phase.value = "starting TensorRT..."
        self.build_button.disabled = True
        self.cancel_button.disabled = False
        self.status.show(f"building ({config.precision})...", "busy")
        self._thread = threading.Thread(target=self._run, args=(config, cache, self._token),
                                        name="trtlab-build", daemon=True)
        self._thread.start()
        if wait:
            self.wait()
        return self._thread

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a running build; True when none is running any more."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.building

    def cancel(self) -> None:
        """Ask the running build to stop (TensorRT stops at its next progress step)."""
        if self._token is not None and self.building:
            self._token.cancel()
            self.cancel_button.disabled = True
            self.status.show("cancelling at the next TensorRT step...", "busy")

    def _on_progress(self, ev) -> None:
        if ev.depth == 0 and ev.kind == "start":
            self.progress.max = max(1, ev.steps or 1)
            self.progress.value = 0
            self.phase.value = ev.phase
        elif ev.depth == 0 and ev.kind == "step":
            self.progress.value = min(self.progress.max, (ev.step or 0) + 1)
        elif ev.kind == "start":
            self.phase.value = ev.phase

    def _run(self, config, cache, token) -> None:
        """The build thread: the widget boundary of the build (everything is caught and shown)."""
        from ..builder import build_engine

        try:
            engine = build_engine(self.model, config, progress=self._on_progress, cache=cache, cancel=token,
                                  backend=self.backend)
            self.engine = engine
            self.progress.value = self.progress.max
            self.progress.bar_style = "success"
            self.phase.value = "done"
            self._show_result(engine)
        except BuildCancelled as exc:
            self.progress.bar_style = "warning"
            self.phase.value = "cancelled"
            self.status.show(f"build cancelled: {exc}", "info")
        except Exception as exc:  # noqa: BLE001 - widget boundary: TrtlabError or anything else, shown
            self.progress.bar_style = "danger"
            self.phase.value = "failed"
            self.status.error(exc)
        finally:
            self.build_button.disabled = self.info is None or not self.info.can_build
            self.cancel_button.disabled = True

    def _show_result(self, engine) -> None:
        plan = engine.layer_info
        how = "from the engine cache" if engine.from_cache else f"{engine.build_seconds:.2f} s"
        rows = [
            ["build time", how],
            ["backend", f"{engine.backend} {engine.backend_version}"],
            ["target", engine.device],
            ["precision", engine.config.precision],
            ["engine layers", str(len(plan))],
            ["plan size", f"{engine.size / 2**20:.2f} MiB"],
            ["layer information", f"{engine.layer_info_format} ({plan.verbosity})"],
        ]
        self.result.value = table_html(["", "engine"], rows)
        self.status.show(f"built: {len(plan)} engine layers ({how})", "ok")
        try:
            self.report = engine.fusion()
            self.fusion_summary.value = "<b>Fusion</b>" + self.report.summary()._repr_html_()
            if optional("anywidget") is not None:
                self.view = self.report.view(height=520)
                self.view_box.children = [self.view]
        except TrtlabError as exc:
            self.fusion_summary.value = f"<p>fusion summary unavailable: {html.escape(error_text(exc))}</p>"

    # ------------------------------------------------------------------ snapshot
    def static_parts(self) -> list[str]:
        return [self.notes.value, self.inputs.value, self.result.value, self.fusion_summary.value]

    def __repr__(self) -> str:
        return f"EngineBuilder(engine={self.engine!r})"
