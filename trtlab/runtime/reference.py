"""Check engine outputs against ONNX Runtime on the CPU, with tolerances per precision."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from .._boundary import boundary
from .._optional import require
from ..builder import BuildConfig, build_engine
from ..errors import BindingError, ConfigError, ModelLoadError
from ..graph.loader import open_model
from .session import InferenceSession

__all__ = ["TOLERANCES", "OutputComparison", "ReferenceReport", "compare_to_onnxruntime", "run_onnxruntime"]

#: precision -> (rtol, atol). An element passes when
#:     |out - ref| <= atol * scale + rtol * |ref|,   scale = max(1, max |ref| of that output)
#: i.e. numpy.allclose's rule with atol relative to the output's magnitude, so unnormalized
#: outputs (logits of ~100) and probabilities (<= 1) are judged alike. The values leave room
#: above each format's rounding: fp32 engines differ from ONNX Runtime by summation order only;
#: tf32 and fp16 keep 10 mantissa bits (unit roundoff 2**-11 ~ 4.9e-4: an fp16 ResNet-18, GoogLeNet,
#: inception block or transformer block lands at ~4e-4 * scale); bf16 keeps 7 bits (8x coarser);
#: int8 / fp8 quantize activations to 8 bits (loosest). Pass rtol/atol to override.
TOLERANCES: dict[str, tuple[float, float]] = {
    "fp32": (1e-4, 1e-5),
    "tf32": (5e-3, 5e-3),
    "fp16": (1e-2, 5e-3),
    "bf16": (5e-2, 4e-2),
    "int8": (1e-1, 1e-1),
    "fp8": (1e-1, 1e-1),
}


@dataclass(frozen=True)
class OutputComparison:
    """One output: worst absolute/relative error against ONNX Runtime, and the verdict."""

    name: str
    shape: tuple[int, ...]
    max_abs: float
    max_rel: float             # over elements with |ref| > atol * scale (tiny references make any error huge)
    mean_abs: float
    mismatched: float          # fraction of elements outside the tolerance
    rtol: float
    atol: float
    passed: bool
    note: str = ""
    rel_l2: float = 0.0        # ||out - ref|| / ||ref||
    outside: int = 0           # number of elements outside the tolerance
    scale: float = 1.0         # max(1, max |ref|): what atol is relative to

    def row(self) -> tuple[str, ...]:
        n = int(np.prod(self.shape)) if self.shape else 1
        return (self.name, str(self.shape), f"{self.max_abs:.3g}", f"{self.max_rel:.3g}", f"{self.mean_abs:.3g}",
                f"{self.rel_l2:.3g}", f"{self.outside} of {n}", "pass" if self.passed else "FAIL", self.note)


_HEAD = ("output", "shape", "max abs err", "max rel err", "mean abs err", "rel L2 err", "outside tol", "verdict", "note")


@dataclass
class ReferenceReport:
    """Per-output errors of engine outputs against ONNX Runtime (CPU) for the same inputs."""

    outputs: list[OutputComparison]
    precision: str
    rtol: float
    atol: float
    reference: dict[str, np.ndarray]

    @property
    def passed(self) -> bool:
        return all(o.passed for o in self.outputs)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        names = ", ".join(o.name for o in self.outputs)
        return f"<ReferenceReport {'PASS' if self.passed else 'FAIL'} at {self.precision} tolerance: {names}>"

    def __getitem__(self, name: str) -> OutputComparison:
        for o in self.outputs:
            if o.name == name:
                return o
        raise KeyError(name)

    def rows(self) -> list[tuple[str, ...]]:
        return [o.row() for o in self.outputs]

    def __str__(self) -> str:
        rows = [_HEAD] + self.rows()
        w = [max(len(r[i]) for r in rows) for i in range(len(_HEAD))]
        lines = ["  ".join(c.ljust(x) for c, x in zip(r, w)).rstrip() for r in rows]
        verdict = "PASS" if self.passed else "FAIL"
        return "\n".join(lines + [f"{verdict} at {self.precision} tolerance (rtol={self.rtol:g}, atol={self.atol:g} x scale)"])

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in _HEAD)
        body = ""
        for o in self.outputs:
            color = "#d9f2d9" if o.passed else "#f8d7da"
            body += f"<tr style='background:{color}'>" + "".join(f"<td>{html.escape(c)}</td>" for c in o.row()) + "</tr>"
        cap = (f"Reference check against ONNX Runtime (CPU): {'PASS' if self.passed else 'FAIL'} at "
               f"{self.precision} tolerance (rtol={self.rtol:g}, atol={self.atol:g} x max(1, max|ref|))")
        return f"<table><caption>{html.escape(cap)}</caption><tr>{head}</tr>{body}</table>"


def _model_bytes(model: Any) -> bytes | str:
    """The model for ONNX Runtime, through trtlab's one model reader (external data checked first)."""
    return open_model(model).for_onnxruntime()


def run_onnxruntime(model: Any, inputs: Mapping[str, np.ndarray], output_names: list[str] | None = None) -> dict[str, np.ndarray]:
    """Run ``model`` with ONNX Runtime's CPU provider; returns ``{output name: array}``."""
    ort = require("onnxruntime", "The ONNX Runtime reference check", extra="reference")
    src = _model_bytes(model)
    with boundary(ModelLoadError, "ONNX Runtime loading the model", "check that it is a valid ONNX model"):
        so = ort.SessionOptions()
        so.log_severity_level = 3
        sess = ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    unknown = [k for k in inputs if k not in names]
    missing = [n for n in names if n not in inputs]
    if unknown or missing:
        raise BindingError(f"inputs {sorted(inputs)} do not match the model's inputs {names}"
                           + (f"; unknown: {unknown}" if unknown else "") + (f"; missing: {missing}" if missing else ""))
    outs = [o.name for o in sess.get_outputs()]
    wanted = output_names or outs
    bad = [n for n in wanted if n not in outs]
    if bad:
        raise BindingError(f"output(s) {bad} are not outputs of the model; its outputs are {outs}")
    with boundary(BindingError, "ONNX Runtime", "check the inputs' shapes and dtypes against the model's"):
        values = sess.run(wanted, {k: np.asarray(v) for k, v in inputs.items()})
    return dict(zip(wanted, values))


def _compare(name: str, out: Any, ref: np.ndarray, rtol: float, atol: float) -> OutputComparison:
    out = np.asarray(out)
    if out.shape != ref.shape:
        return OutputComparison(name, tuple(out.shape), float("inf"), float("inf"), float("inf"), 1.0, rtol, atol, False,
                                f"shape {tuple(out.shape)} differs from the reference's {tuple(ref.shape)}",
                                float("inf"), int(out.size))
    a = out.astype(np.float64)
    r = ref.astype(np.float64)
    if a.size == 0:
        return OutputComparison(name, tuple(out.shape), 0.0, 0.0, 0.0, 0.0, rtol, atol, True, "empty")
    nan_a, nan_r = np.isnan(a), np.isnan(r)
    nan_mismatch = int(np.count_nonzero(nan_a != nan_r))
    both = nan_a & nan_r
    a, r = np.where(both, 0.0, a), np.where(both, 0.0, r)
    finite_r = r[np.isfinite(r)]
    scale = max(1.0, float(np.abs(finite_r).max())) if finite_r.size else 1.0
    diff = np.abs(a - r)
    bad = ~(diff <= atol * scale + rtol * np.abs(r))   # NaN compares False, so NaN counts as bad
    diff_f = np.where(np.isnan(diff), np.inf, diff)
    big = np.abs(r) > atol * scale
    max_rel = float((diff_f[big] / np.abs(r[big])).max()) if big.any() else 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        norm_r = float(np.linalg.norm(r))
        rel_l2 = float(np.linalg.norm(diff_f) / norm_r) if norm_r > 0 else float(np.linalg.norm(diff_f))
    outside = int(np.count_nonzero(bad))
    note = f"{nan_mismatch} NaN mismatch(es)" if nan_mismatch else ""
    return OutputComparison(name, tuple(out.shape), float(diff_f.max()), max_rel, float(np.mean(diff_f)),
                            outside / a.size, rtol, atol, outside == 0, note, rel_l2, outside, scale)


def compare_to_onnxruntime(model: Any, inputs: Mapping[str, np.ndarray], outputs: Any = None, *,
                           precision: str = "fp32", rtol: float | None = None, atol: float | None = None) -> ReferenceReport:
    """Compare engine outputs with ONNX Runtime (CPU) on the same inputs.

    ``outputs`` is either a dict ``{name: array}`` (saved outputs, or another run's — this works
    without a GPU), an :class:`InferenceSession` (run here on ``inputs``), or None (build an
    engine from ``model`` at ``precision`` with :func:`trtlab.build_engine` and run it; needs a
    GPU). The verdict uses :data:`TOLERANCES` for ``precision`` unless ``rtol``/``atol`` are given.
    """
    if precision not in TOLERANCES:
        raise ConfigError(f"precision {precision!r} is not one of {', '.join(TOLERANCES)}")
    d_rtol, d_atol = TOLERANCES[precision]
    rtol = d_rtol if rtol is None else float(rtol)
    atol = d_atol if atol is None else float(atol)
    if outputs is None:
        built = build_engine(model, BuildConfig(precision=precision))
        with InferenceSession(built) as session:
            produced = session.run(dict(inputs))
    elif isinstance(outputs, Mapping):
        produced = dict(outputs)
    elif hasattr(outputs, "run") and hasattr(outputs, "bindings"):
        produced = outputs.run(dict(inputs))
    else:
        raise ConfigError(f"outputs of type {type(outputs).__name__} is not supported; pass a dict of arrays, "
                          f"an InferenceSession, or None")
    reference = run_onnxruntime(model, inputs, list(produced))
    rows = [_compare(name, produced[name], reference[name], rtol, atol) for name in produced]
    return ReferenceReport(rows, precision, rtol, atol, reference)
