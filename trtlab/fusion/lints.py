"""Lints: things in an engine worth a second look, each explained for someone learning TensorRT.

``lint(report_or_plan)`` (and ``FusionReport.lints()``) returns a :class:`Lints` table of
:class:`Lint` rows: the layer, what was found, the evidence from the layer information, and what
to try. Four checks:

- ``reformat-time``: layers TensorRT inserted to convert tensor layouts or types that cost more
  than ``reformat_pct`` percent of the engine's time (needs a profile);
- ``int8-fallback``: in an engine that runs INT8, layers left in FP32/FP16 next to quantized
  layers or Q/DQ layers;
- ``channels``: convolutions whose channel counts are not multiples of what the Tensor Core
  kernels of their precision work on (8 for FP16, 16 for INT8, 4 for TF32);
- ``qdq-unfolded``: quantize/dequantize nodes TensorRT ran as layers of their own instead of
  folding them into the neighbouring convolution.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass

import networkx as nx

from .._boundary import boundary
from .._optional import require
from ..engine import EnginePlan, Profile, load_profile
from ..engine._html import html_table, shorten
from ..engine.kinds import Kind
from ..errors import MappingError
from ..graph import OnnxGraph
from ._rows import as_plan
from ._views import LayerView, RowTable, is_qdq_only, views_of
from .report import FusionReport

__all__ = ["lint", "Lint", "Lints", "CHANNEL_MULTIPLE", "CODES"]

#: the lint codes, in the order the checks run
CODES = ("reformat-time", "int8-fallback", "channels", "qdq-unfolded")
#: channel multiple the Tensor Core kernels of each precision work on
CHANNEL_MULTIPLE = {"FP32": 4, "TF32": 4, "FP16": 8, "BF16": 8, "INT8": 16, "FP8": 16}
_FLOAT = frozenset(("FP32", "TF32", "FP16", "BF16"))
_CONV_OPS = frozenset(("Conv", "ConvTranspose"))


@dataclass(frozen=True)
class Lint:
    """One finding: ``layer`` (engine layer name), ``finding`` (what), ``evidence`` (the numbers
    from the layer information it rests on), ``what_to_try``, ``severity`` (warning | info) and
    ``code`` (one of :data:`CODES`)."""

    layer: str
    finding: str
    evidence: str
    what_to_try: str
    severity: str
    code: str


@dataclass(repr=False, eq=False)
class Lints(RowTable):
    """The lints of one engine, in engine order; ``checked`` names the checks that ran and ``skipped``
    says why a check could not run (e.g. no profile for reformat time)."""

    rows: list[Lint]
    checked: tuple[str, ...]
    skipped: dict[str, str]

    def by_code(self, code: str) -> list[Lint]:
        """The findings of one check (one of :data:`CODES`)."""
        if code not in CODES:
            raise MappingError(f"lint code {code!r} is not one of {', '.join(CODES)}.")
        return [r for r in self.rows if r.code == code]

    def summary(self) -> str:
        warnings = sum(r.severity == "warning" for r in self.rows)
        parts = [f"{len(self.rows)} findings ({warnings} warnings)"]
        parts += [f"{code} not checked: {why}" for code, why in self.skipped.items()]
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"Lints({self.summary()})"

    def __str__(self) -> str:
        lines = [self.summary()]
        for r in self.rows:
            lines += [f"[{r.severity}] {r.code}: {r.layer}", f"    {r.finding}", f"    evidence: {r.evidence}",
                      f"    try: {r.what_to_try}"]
        return "\n".join(lines)

    def to_dataframe(self):
        """The findings as a pandas DataFrame (needs pandas: ``pip install 'trtlab[reference]'``)."""
        pd = require("pandas", "Lints.to_dataframe()")
        return pd.DataFrame([asdict(r) for r in self.rows], columns=["severity", "code", "layer", "finding",
                                                                      "evidence", "what_to_try"])

    def _repr_html_(self) -> str:
        rows = [[r.severity, r.code, shorten(r.layer, 60), r.finding, r.evidence, r.what_to_try] for r in self.rows]
        return html_table(["severity", "check", "layer", "finding", "evidence", "what to try"], rows,
                          title=self.summary(), max_rows=100)


# ----------------------------------------------------------------------------- entry point
def lint(source: object, profile: object = None, *, reformat_pct: float = 5.0) -> Lints:
    """The lints of an engine: a :class:`FusionReport`, an :class:`EnginePlan` or a path to layer
    information (times from ``profile``, a trtexec ``--exportProfile`` file or Profile).
    ``reformat_pct``: a reformat layer is reported when it takes more than this percent of the time."""
    if isinstance(reformat_pct, bool) or not isinstance(reformat_pct, (int, float)) or not 0 <= reformat_pct <= 100:
        raise MappingError(f"reformat_pct {reformat_pct!r} must be a percentage between 0 and 100, e.g. 5.")
    with boundary(MappingError, "linting an engine", "check the layer information and profile files"):
        views, plan, graph = _read(source, profile)
        return _run(views, plan, graph, float(reformat_pct))


def _read(source: object, profile: object) -> tuple[list[LayerView], EnginePlan | None, OnnxGraph | None]:
    prof = load_profile(profile) if profile is not None else None
    if isinstance(source, FusionReport):
        if prof is not None:
            raise MappingError("a FusionReport carries its own profile: pass profile= to map_fusion instead.")
        plan = source.plan if isinstance(source.plan, EnginePlan) else None
        return views_of(source), plan, source.onnx_graph
    if isinstance(source, (EnginePlan, Profile, str, os.PathLike, dict, list)):
        plan = as_plan(source)
        return views_of(plan, prof), plan if isinstance(plan, EnginePlan) else None, None
    raise MappingError(f"lint needs a FusionReport, an EnginePlan or a layer-information file, "
                       f"not a {type(source).__name__}.")


def _run(views: list[LayerView], plan: EnginePlan | None, graph: OnnxGraph | None, pct: float) -> Lints:
    skipped: dict[str, str] = {}
    timed = any(v.time_ms is not None for v in views)
    rows: list[tuple[int, Lint]] = []
    if timed:
        rows += _reformat_time(views, pct)
    else:
        skipped["reformat-time"] = "no per-layer times (pass a profile: trtexec --exportProfile)"
    near = _Neighbours(views, plan)
    rows += _int8_fallback(views, near)
    rows += _channels(views, graph, near)
    rows += _qdq_unfolded(views, near)
    rows.sort(key=lambda pair: (pair[0], CODES.index(pair[1].code)))
    checked = tuple(c for c in CODES if c not in skipped)
    return Lints([lint for _, lint in rows], checked, skipped)


# ----------------------------------------------------------------------------- neighbours
class _Neighbours:
    """The layers before and after a layer (through the engine's tensors when the plan has them,
    else the engine order), looking through reformat layers."""

    def __init__(self, views: list[LayerView], plan: EnginePlan | None):
        self.views = views
        self.by_uid = {v.layer.uid: v for v in views if v.layer is not None}
        self.G: nx.DiGraph | None = plan.nx if plan is not None and len(self.by_uid) == len(views) else None
        self.pos = {id(v): i for i, v in enumerate(views)}
        produced = {t.name for v in views if v.layer is not None for t in v.layer.outputs}
        self.network_inputs = {t.name for v in views if v.layer is not None for t in v.layer.inputs} - produced

    def _step(self, v: LayerView, forward: bool) -> list[LayerView]:
        if self.G is not None and v.layer is not None and v.layer.uid in self.G:
            keys = self.G.successors(v.layer.uid) if forward else self.G.predecessors(v.layer.uid)
            return [self.by_uid[k] for k in keys if k in self.by_uid]
        i = self.pos[id(v)] + (1 if forward else -1)
        return [self.views[i]] if 0 <= i < len(self.views) else []

    def of(self, v: LayerView, forward: bool) -> list[LayerView]:
        """The nearest layers that are not reformats, in one direction."""
        out, seen, todo = [], {id(v)}, self._step(v, forward)
        while todo:
            w = todo.pop(0)
            if id(w) in seen:
                continue
            seen.add(id(w))
            if w.kind == Kind.REFORMAT:
                todo += self._step(w, forward)
            elif w.kind not in (Kind.SYNC, Kind.INTERNAL):
                out.append(w)
        return out

    def reads_network_input(self, v: LayerView) -> bool:
        if v.layer is None:
            return v.index == 0
        if any(t.name in self.network_inputs for t in v.layer.inputs):
            return True
        return any((w.kind == Kind.REFORMAT or is_qdq_only(w)) and self.reads_network_input(w)
                   for w in self._step(v, False))


def _describe(v: LayerView) -> str:
    """``'name' (INT8, writes FP16)``: a layer with the precision it computes in and, when different,
    the type it writes."""
    if is_qdq_only(v):
        return f"'{shorten(v.name, 60)}' ({_quantize_word(v)})"
    writes = f", writes {v.output_precision}" if v.output_precision and v.output_precision != v.precision else ""
    return f"'{shorten(v.name, 60)}' ({v.precision or '?'}{writes})"


def _quantize_word(v: LayerView) -> str:
    return "a dequantize layer" if "DequantizeLinear" in v.known_ops else "a quantize layer"


def _op_word(v: LayerView) -> str:
    return v.main_ops[0] if v.main_ops else (v.layer_type or "layer")


def _tensor_word(t) -> str:
    return " ".join(x for x in (t.dtype, t.format) if x) or "?"


# ----------------------------------------------------------------------------- the checks
def _reformat_time(views: list[LayerView], pct: float) -> list[tuple[int, Lint]]:
    total = sum(v.time_ms or 0.0 for v in views)
    reformats = [v for v in views if v.kind == Kind.REFORMAT and v.time_ms is not None]
    if total <= 0:
        return []
    out = []
    for v in reformats:
        share = v.time_ms / total
        if share * 100 <= pct:
            continue
        conversion = ""
        if v.layer is not None and v.layer.inputs and v.layer.outputs:
            conversion = f"; converts {_tensor_word(v.layer.inputs[0])} -> {_tensor_word(v.layer.outputs[0])}"
        out.append((v.index, Lint(
            layer=v.name, finding=f"a reformat layer takes {share:.1%} of the engine's time (more than {pct:g}%)",
            evidence=f"{v.time_ms:.4f} ms of {total:.4f} ms per inference{conversion}",
            what_to_try=("TensorRT inserts a reformat where two neighbouring kernels want a tensor in different "
                         "layouts or types, or where the engine's input/output format differs from what the "
                         "first/last layer wants. At the network's input or output, give the engine the format "
                         "its layer wants (trtexec --inputIOFormats/--outputIOFormats, e.g. fp16:hwc8), or feed "
                         "FP16 data to an FP16 engine. Between layers, keep neighbours in one precision and use "
                         "channel counts that are multiples of 8 (FP16) or 32 (INT8) so they can share a layout."),
            severity="warning", code="reformat-time")))
    together = sum(v.time_ms for v in reformats)
    if len(reformats) > 1 and together / total * 100 > pct:
        out.append((min(v.index for v in reformats), Lint(
            layer=f"({len(reformats)} reformat layers)",
            finding=f"reformat layers take {together / total:.1%} of the engine's time together",
            evidence=f"{together:.4f} ms of {total:.4f} ms per inference in {len(reformats)} layers TensorRT inserted",
            what_to_try=("Each reformat only converts a tensor between layouts or types. Look at the largest ones "
                         "(report.by_kind('reformat')) and at the layers they serve: a different I/O format, one "
                         "precision for neighbouring layers or aligned channel counts often removes them."),
            severity="info", code="reformat-time")))
    return out


def _int8_fallback(views: list[LayerView], near: _Neighbours) -> list[tuple[int, Lint]]:
    computing = [v for v in views if not v.is_inserted and v.kind != Kind.NOOP]
    if not any(v.precision == "INT8" for v in computing):
        return []
    out = []
    for v in computing:
        if v.precision not in _FLOAT or is_qdq_only(v):
            continue
        before, after = near.of(v, False), near.of(v, True)
        quantized = [w for w in before + after if w.precision == "INT8" or is_qdq_only(w)]
        if not quantized:
            continue
        sides = []
        if before:
            sides.append("reads from " + ", ".join(_describe(w) for w in before[:2]))
        if after:
            sides.append("feeds " + ", ".join(_describe(w) for w in after[:2]))
        op = _op_word(v)
        out.append((v.index, Lint(
            layer=v.name, finding=f"this {op} runs in {v.precision} in an engine that runs INT8, next to quantized layers",
            evidence=f"computes in {v.precision}; " + "; ".join(sides),
            what_to_try=(f"In a Q/DQ (explicitly quantized) model TensorRT runs a layer in INT8 only where "
                         f"QuantizeLinear/DequantizeLinear nodes surround it; this {op} has none, so the tensors "
                         f"around it are converted from and back to INT8. Quantize its input too (e.g. "
                         f"pytorch-quantization's QuantMaxPool2d/QuantAdaptiveAvgPool2d, or Q/DQ placed by NVIDIA "
                         f"ModelOpt) and rebuild; for cheap, memory-bound layers such as pooling compare the "
                         f"times before and after, the gain may be small."),
            severity="warning", code="int8-fallback")))
    return out


def _conv_channels(v: LayerView, graph: OnnxGraph | None) -> tuple[int | None, int | None, int, str] | None:
    """(input channels per group, output channels, groups, source) of a convolution layer, or None:
    from the convolution's weights in the ONNX model when there is one, else the layer's tensors."""
    return (_channels_from_onnx(v, graph) if graph is not None else None) or _channels_from_layer(v)


def _channels_from_onnx(v: LayerView, graph: OnnxGraph) -> tuple[int, int, int, str] | None:
    for n in v.nodes:
        if n not in graph.nx or graph.node(n).op_type not in _CONV_OPS:
            continue
        node = graph.node(n)
        shape = graph.initializers.get(node.inputs[1]) if len(node.inputs) > 1 else None
        if shape and len(shape) >= 2 and all(isinstance(d, int) for d in shape[:2]):
            # Conv weights are (out, in/group, ...); ConvTranspose weights (in, out/group, ...)
            k, c = (shape[1], shape[0]) if node.op_type == "ConvTranspose" else (shape[0], shape[1])
            return c, k, int(node.attributes.get("group", 1) or 1), f"weights of ONNX node {n}"
    return None


def _channels_from_layer(v: LayerView) -> tuple[int | None, int | None, int, str] | None:
    layer = v.layer
    is_conv = bool(set(v.main_ops) & _CONV_OPS) or (not v.main_ops and layer is not None
                                                     and layer.raw.get("ParameterType") == "Convolution")
    if layer is None or not is_conv or not layer.inputs or not layer.inputs[0].shape:
        return None
    groups = layer.raw.get("Groups", 1)
    groups = groups if isinstance(groups, int) and groups > 0 else 1
    shape_in = layer.inputs[0].shape
    out_maps = layer.raw.get("OutMaps")
    if not isinstance(out_maps, int) and layer.outputs and layer.outputs[0].shape and len(layer.outputs[0].shape) > 1:
        out_maps = layer.outputs[0].shape[1]
    c = shape_in[1] // groups if len(shape_in) > 1 and shape_in[1] > 0 else None
    return c, out_maps if isinstance(out_maps, int) else None, groups, "the engine layer's tensor shapes"


def _channels(views: list[LayerView], graph: OnnxGraph | None, near: _Neighbours) -> list[tuple[int, Lint]]:
    out = []
    for v in views:
        if v.is_inserted or v.precision not in CHANNEL_MULTIPLE:
            continue
        found = _conv_channels(v, graph)
        if found is None or found[2] > 1:  # grouped/depthwise convolutions are not Tensor Core GEMMs
            continue
        c, k, _, source = found
        m = CHANNEL_MULTIPLE[v.precision]
        bad = [(what, n) for what, n in (("input", c), ("output", k)) if isinstance(n, int) and n > 0 and n % m]
        if bad:
            first_layer = bad == [("input", c)] and c <= 4 and near.reads_network_input(v)
            out.append((v.index, _channel_lint(v, bad, m, source, first_layer)))
    return out


def _channel_lint(v: LayerView, bad: list[tuple[str, int]], m: int, source: str, first_layer: bool) -> Lint:
    padded = ", ".join(f"{what} channels {n} (padded to {math.ceil(n / m) * m}: "
                       f"{1 - n / (math.ceil(n / m) * m):.0%} of that work is padding)" for what, n in bad)
    if first_layer:
        advice = (f"Usual for the first layer, which reads an image with {bad[0][1]} colour channels: TensorRT "
                  f"has dedicated first-layer kernels and pads the rest. Nothing to do unless this layer is slow; "
                  f"an input padded to {m} channels (zeros) avoids the padding step.")
    else:
        best = " (32 is best: INT8 kernels use a 32-channel layout)" if v.precision == "INT8" else ""
        advice = (f"{v.precision} Tensor Core kernels work on groups of {m} channels{best}; other counts are "
                  f"padded, wasting work, or fall back to slower kernels and add reformats. Choose layer widths "
                  f"that are multiples of {m} when designing or pruning the network (e.g. 24 -> 32), or pad "
                  f"the weights with zero channels before export.")
    return Lint(layer=v.name, finding=f"convolution channels not a multiple of {m} for {v.precision}",
                evidence=f"{padded}; from {source}", what_to_try=advice,
                severity="info" if first_layer else "warning", code="channels")


def _qdq_unfolded(views: list[LayerView], near: _Neighbours) -> list[tuple[int, Lint]]:
    out = []
    for v in views:
        if v.is_inserted or not is_qdq_only(v):
            continue
        before, after = near.of(v, False), near.of(v, True)
        evidence = _qdq_evidence(v, before, after)
        if "DequantizeLinear" in v.known_ops:
            out.append((v.index, _dequantize_lint(v, evidence)))
        elif before or not near.reads_network_input(v):
            out.append((v.index, Lint(
                layer=v.name, severity="warning", code="qdq-unfolded",
                finding="a QuantizeLinear runs as a layer of its own instead of folding into the layer before it",
                evidence=evidence, what_to_try=_quantize_advice(before[0] if before else None))))
        else:
            out.append((v.index, Lint(
                layer=v.name, severity="info", code="qdq-unfolded",
                finding="the network input is quantized by a layer of its own", evidence=evidence,
                what_to_try=("Expected: the input arrives in FP32/FP16 and must be converted to INT8 once. "
                             "Feeding INT8 input (trtexec --inputIOFormats=int8:chw4 with the model's input "
                             "scale) removes this pass when the caller can provide quantized data."))))
    return out


def _qdq_evidence(v: LayerView, before: list[LayerView], after: list[LayerView]) -> str:
    """Time, conversion and neighbours of a Q/DQ layer."""
    parts = []
    if v.time_ms is not None:
        parts.append(f"{v.time_ms:.4f} ms" + ("" if v.share is None else f" ({v.share:.1%})"))
    if v.layer is not None and v.layer.inputs and v.layer.outputs:
        parts.append(f"converts {_tensor_word(v.layer.inputs[0])} -> {_tensor_word(v.layer.outputs[0])}")
    if before:
        parts.append("after " + ", ".join(_describe(w) for w in before[:2]))
    if after:
        parts.append("before " + ", ".join(_describe(w) for w in after[:2]))
    return "; ".join(parts)


def _dequantize_lint(v: LayerView, evidence: str) -> Lint:
    pair = "QuantizeLinear" in v.known_ops
    return Lint(
        layer=v.name, severity="warning", code="qdq-unfolded",
        finding=("a Q/DQ pair runs as a layer of its own: it quantizes and dequantizes again"
                 if pair else "a DequantizeLinear runs as a layer of its own"),
        evidence=evidence,
        what_to_try=("TensorRT folds a DequantizeLinear into the layer that consumes it when that layer has an "
                     "INT8 kernel. Here it could not: the consumer has no INT8 implementation, or the DQ feeds "
                     "several consumers. Move the Q/DQ pair to the input of an op that can run INT8 (convolution, "
                     "matrix multiply, pooling, add) or remove it; a Q/DQ pair that stays unfused only loses "
                     "precision and costs time."))


def _quantize_advice(producer: LayerView | None) -> str:
    """Why a QuantizeLinear did not fold into its producer, and what to try, from what the producer is."""
    head = ("TensorRT folds a QuantizeLinear into the layer that produces its input when that layer can write "
            "INT8 directly; here the quantization is an extra pass over the tensor. ")
    if producer is None:
        return head + "Look at the layer before it in report.layers and at the Q/DQ placement around it."
    name = _describe(producer)
    if producer.precision != "INT8":
        return head + (f"Its producer {name} does not run in INT8 (see its int8-fallback finding): once Q/DQ "
                       f"let it run INT8, this quantization folds into it.")
    if "Add" in producer.main_ops:
        return head + (f"Its producer {name} fuses a residual Add whose skip input has no Q/DQ, so it must write "
                       f"a wider type. Quantize the residual branch too (NVIDIA's Q/DQ placement recommendation "
                       f"for ResNet-like networks): the Add then fuses into the convolution with INT8 output.")
    return head + (f"Its producer {name} writes a wider type because its output also feeds a layer that needs it "
                   f"unquantized, typically the skip input of a residual Add without Q/DQ. Quantize that input too "
                   f"so every consumer takes INT8 and the quantization folds into the producer.")
