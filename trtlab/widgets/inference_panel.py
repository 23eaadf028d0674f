"""``InferencePanel``: run an engine on bound buffers, time it, check it against ONNX Runtime."""

from __future__ import annotations

import html
import os
from typing import Any

import ipywidgets as W
import numpy as np

from ..draw.plots import io_split
from ..errors import BindingError, ConfigError, TrtlabError
from ..graph import OnnxGraph, load_onnx
from ..runtime import InferenceSession, compare_to_onnxruntime, run_onnxruntime
from ..runtime.bindings import numpy_dtype
from ..runtime.inputs import random_array
from ._base import Panel, error_text, image_widget, png_html, set_image, table_html

__all__ = ["InferencePanel"]

_SOURCES = ("random", "zeros", "file")


def _onnx_dtype(name: str | None) -> np.dtype:
    try:
        return np.dtype(name or "float32")
    except TypeError:
        return np.dtype("float32")


class InferencePanel(Panel):
    """The binding table, an input source (random with a seed, zeros, or a .npy/.npz file),
    Run and Benchmark buttons, the H2D / compute / D2H split as a chart, and the outputs
    compared with ONNX Runtime.

    ``engine`` is a :class:`~trtlab.builder.BuiltEngine` (or plan bytes / a .plan path, with
    ``onnx=`` for the reference check). Where no engine can run (no GPU, no CUDA driver, a plan
    for another GPU) the panel says why and keeps what works without a GPU: the binding table
    from the engine's layer information and the ONNX Runtime reference outputs.
    """

    css_class = "trtlab-inference-panel"

    def __init__(self, engine: Any, *, onnx: Any = None, session: Any = None):
        super().__init__()
        self.engine = engine
        self.session = session
        self.unavailable: str | None = None
        self.inputs: dict[str, np.ndarray] | None = None
        self.outputs: dict[str, np.ndarray] | None = None
        self.reference = None
        self.reference_error: str | None = None
        self.benchmark_result = None
        self._onnx_arg = onnx
        self._png: bytes | None = None

        self.bindings = W.HTML()
        self.source = W.ToggleButtons(options=_SOURCES, value="random", description="inputs")
        self.seed = W.IntText(value=0, description="seed", layout=W.Layout(width="160px"))
        self.path = W.Text(placeholder="inputs.npz (one array per input name) or input.npy",
                           description="file", continuous_update=False, disabled=True)
        self.compare = W.Checkbox(value=True, description="compare with ONNX Runtime", indent=False)
        self.run_button = W.Button(description="Run", icon="play", button_style="primary")
        self.iterations = W.BoundedIntText(value=100, min=1, max=100_000, description="iterations",
                                           layout=W.Layout(width="200px"))
        self.bench_button = W.Button(description="Benchmark", icon="tachometer")
        self.chart = image_widget()
        self.result = W.HTML()

        self.source.observe(self.handler(self._on_source), names="value")
        self.run_button.on_click(self.handler(lambda _b: self.run()))
        self.bench_button.on_click(self.handler(lambda _b: self.benchmark()))

        self.children = [
            self.bindings,
            W.HBox([self.source, self.seed]),
            self.path,
            W.HBox([self.run_button, self.compare, self.iterations, self.bench_button]),
            self.status,
            self.chart,
            self.result,
        ]
        self.guard(self._open)

    # ------------------------------------------------------------------ setup
    def _open(self) -> None:
        if self.session is None:
            try:
                self.session = InferenceSession(self.engine)
            except TrtlabError as exc:  # no CUDA driver/GPU (CudaError, MissingDependencyError), foreign plan...
                self.unavailable = error_text(exc)
            except Exception as exc:  # noqa: BLE001 - widget boundary
                self.unavailable = error_text(exc)
        if self.session is not None:
            rows = [list(b.row()) for b in self.session.bindings]
            head = ["name", "mode", "shape", "dtype", "location", "bytes", "profile min / opt / max", "format"]
            self.bindings.value = "<b>Bindings</b>" + table_html(head, rows)
            self.status.show("engine loaded: press Run", "ok")
            return
        why = self.unavailable or "unknown reason"
        self.bench_button.disabled = True
        self.bench_button.tooltip = f"no engine can run here: {why}"
        self.run_button.tooltip = "runs ONNX Runtime only: the engine cannot run here"
        self.bindings.value = self._plan_bindings_html() + (
            f"<p style='color:#b42318'>&#9888; No engine can execute here, so Run computes only the ONNX Runtime "
            f"reference and Benchmark is disabled. Why: {html.escape(why)}</p>")
        self.status.show("the engine cannot run here (reason above); Run shows the ONNX Runtime reference", "info")

    def _plan_bindings_html(self) -> str:
        """I/O tensors from the engine's layer information (works without a GPU)."""
        plan = None
        try:
            plan = getattr(self.engine, "layer_info", None)
        except TrtlabError:
            plan = None
        tensors = list(getattr(plan, "io_tensors", []) or [])
        if tensors:
            rows = [[t.name, t.mode, "x".join(map(str, t.shape)) if t.shape else "?", t.dtype, t.format]
                    for t in tensors]
            return "<b>Bindings</b> (from the layer information)" + table_html(
                ["name", "mode", "shape", "dtype", "format"], rows)
        graph = self._onnx()
        if graph is None:
            return "<b>Bindings</b>: unknown (no session, no layer information, no ONNX model)"
        rows = [[t.name, "input", t.shape, t.dtype, ""] for t in graph.inputs]
        rows += [[t.name, "output", t.shape, t.dtype, ""] for t in graph.outputs]
        return "<b>Bindings</b> (from the ONNX model)" + table_html(["name", "mode", "shape", "dtype", ""], rows)

    def _onnx(self):
        if self._onnx_arg is not None:
            if not isinstance(self._onnx_arg, OnnxGraph):
                self._onnx_arg = load_onnx(self._onnx_arg)
            return self._onnx_arg
        try:
            return getattr(self.engine, "onnx", None)
        except TrtlabError:
            return None

    def _on_source(self, change) -> None:
        self.path.disabled = change["new"] != "file"
        self.seed.disabled = change["new"] != "random"

    # ------------------------------------------------------------------ inputs
    def make_inputs(self) -> dict[str, np.ndarray]:
        """The inputs the controls describe (random with the seed, zeros, or loaded from a file)."""
        specs = self._input_specs()
        src = self.source.value
        if src == "file":
            return self._load_file(self.path.value, specs)
        if src == "zeros":
            return {name: np.zeros(shape, dtype) for name, (shape, dtype) in specs.items()}
        rng = np.random.default_rng(self.seed.value)
        return {name: random_array(rng, shape, dtype) for name, (shape, dtype) in specs.items()}

    def _input_specs(self) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
        if self.session is not None:
            return {b.name: (tuple(b.profile[1] if b.profile else b.shape), numpy_dtype(b.dtype))
                    for b in self.session.bindings.inputs}
        graph = self._onnx()
        if graph is None:
            raise ConfigError("no ONNX model to take input shapes from; pass onnx=... to InferencePanel")
        return {t.name: (tuple(d if isinstance(d, int) and d > 0 else 1 for d in (t.shape or ())), _onnx_dtype(t.dtype))
                for t in graph.inputs}

    @staticmethod
    def _load_file(path: str, specs) -> dict[str, np.ndarray]:
        path = os.path.expanduser((path or "").strip())
        if not path:
            raise ConfigError("no input file given: type the path of a .npz (one array per input) or .npy file")
        if not os.path.isfile(path):
            raise ConfigError(f"input file {path!r} does not exist; give the path of a .npz or .npy file")
        try:
            data = np.load(path, allow_pickle=False)
        except Exception as exc:  # numpy raises ValueError/OSError/UnpicklingError for bad files
            raise ConfigError(f"input file {path!r} is not a numpy .npy/.npz file ({type(exc).__name__}: {exc})") from exc
        if isinstance(data, np.ndarray):
            if len(specs) != 1:
                raise BindingError(f"{path!r} holds one array but the engine has {len(specs)} inputs "
                                   f"({', '.join(specs)}); save them in a .npz with np.savez(path, **inputs)")
            arrays = {next(iter(specs)): data}
        else:
            arrays = {k: data[k] for k in data.files}
        missing = [n for n in specs if n not in arrays]
        if missing:
            raise BindingError(f"{path!r} has arrays {sorted(arrays)} but the engine needs inputs {list(specs)}; "
                               f"missing {missing}")
        for name, (shape, dtype) in specs.items():
            a = arrays[name]
            if tuple(a.shape) != tuple(shape) and len(a.shape) != len(shape):
                raise BindingError(f"input {name!r} from {path!r} has shape {a.shape}; the engine expects rank "
                                   f"{len(shape)} (e.g. {shape})")
        return {n: np.ascontiguousarray(arrays[n]) for n in specs}

    # ------------------------------------------------------------------ actions
    def run(self) -> dict[str, np.ndarray] | None:
        """Run once on the chosen inputs; show the outputs and the comparison with ONNX Runtime."""
        self.inputs = inputs = self.make_inputs()
        self.reference = self.reference_error = None
        parts = []
        if self.session is not None:
            self.status.show("running...", "busy")
            self.outputs = self.session.run(inputs)
            timing = self.session.last_timing
            if timing is not None:
                self._png = set_image(self.chart, io_split(timing.h2d_ms, timing.compute_ms, timing.d2h_ms,
                                                           title="this run"))
            parts.append("<b>Engine outputs</b>" + self._outputs_table(self.outputs))
        else:
            self.outputs = None
            parts.append(f"<p><b>Engine outputs</b>: not available here ({html.escape(self.unavailable or '')})</p>")
        if self.compare.value:
            parts.append(self._reference_html(inputs))
        self.result.value = "".join(parts)
        if self.reference_error is not None:
            self.status.show(f"ONNX Runtime reference failed: {self.reference_error}", "error")
        elif self.session is not None:
            verdict = "" if self.reference is None else (" — matches ONNX Runtime" if self.reference.passed
                                                         else " — DIFFERS from ONNX Runtime")
            self.status.show(f"ran once{verdict}", "ok" if self.reference is None or self.reference.passed else "error")
        else:
            self.status.show("ONNX Runtime reference computed; the engine itself cannot run here", "info")
        return self.outputs

    def _reference_html(self, inputs) -> str:

        graph = self._onnx()
        if graph is None:
            return "<p>ONNX Runtime reference: no ONNX model (pass onnx=... to compare)</p>"
        try:
            if self.outputs is not None:
                precision = getattr(getattr(self.engine, "config", None), "precision", "fp32")
                self.reference = compare_to_onnxruntime(graph.model, inputs, self.outputs, precision=precision)
                return "<b>Compared with ONNX Runtime</b>" + self.reference._repr_html_()
            ref = run_onnxruntime(graph.model, inputs)
            return "<b>ONNX Runtime reference outputs</b>" + self._outputs_table(ref)
        except TrtlabError as exc:
            self.reference_error = error_text(exc)
            return f"<p style='color:#b42318'>ONNX Runtime reference failed: {html.escape(error_text(exc))}</p>"

    @staticmethod
    def _outputs_table(outputs: dict[str, np.ndarray]) -> str:
        rows = []
        for name, a in outputs.items():
            a = np.asarray(a)
            f = a.astype(np.float64) if a.dtype.kind in "fiub" else None
            stats = (f"{f.min():.4g}", f"{f.mean():.4g}", f"{f.max():.4g}") if f is not None and f.size else ("", "", "")
            top = ""
            if f is not None and f.ndim == 2 and f.shape[1] > 1:
                top = ", ".join(str(i) for i in np.argsort(-f[0])[:5])
            rows.append([name, a.shape, a.dtype, *stats, top])
        return table_html(["output", "shape", "dtype", "min", "mean", "max", "top-5 (row 0)"], rows)

    def benchmark(self):
        """Run ``iterations`` times and show trtexec-style statistics and the H2D/compute/D2H split."""
        if self.session is None:
            raise ConfigError(f"benchmarking needs an engine that runs here; {self.unavailable}")
        self.status.show(f"benchmarking {self.iterations.value} iterations...", "busy")
        inputs = self.make_inputs()
        res = self.session.benchmark(n=self.iterations.value, warmup=min(10, self.iterations.value), inputs=inputs)
        self.benchmark_result = res
        self._png = set_image(self.chart, res.plot_split())
        self.result.value = res._repr_html_()
        self.status.show(f"{res.throughput_qps:.1f} inferences/s", "ok")
        return res

    def close(self) -> None:
        """Release the session's GPU memory, then the widget."""
        if self.session is not None:
            try:
                self.session.close()
            except Exception:  # noqa: BLE001 - closing must not raise
                pass
        super().close()

    # ------------------------------------------------------------------ snapshot
    def static_parts(self) -> list[str]:
        parts = [self.bindings.value]
        if self._png:
            parts.append(png_html(self._png, "H2D / compute / D2H"))
        parts.append(self.result.value)
        return parts

    def __repr__(self) -> str:
        state = "session open" if self.session is not None else f"cannot run here: {self.unavailable}"
        return f"InferencePanel({state})"
