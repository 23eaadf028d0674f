"""The engine's layers and tensors as TensorRT reported them: :class:`EnginePlan` and its parts.

The readers (:mod:`.jsonplan` for JSON, :mod:`.oneline` for one-line text and logs) build these;
nothing here parses files.
"""

from __future__ import annotations

import difflib
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import networkx as nx

from .._boundary import gc_paused
from .._optional import require
from ..errors import LayerInfoError
from ._html import html_table, shorten
from .formats import dtype_bytes, dtype_word, tactic_precision
from .kinds import Kind, inserted_reason, internal_reason
from .names import name_kind
from .summaries import LayerCounts, PrecisionSummary

if TYPE_CHECKING:  # pragma: no cover
    from ..draw import Drawing

__all__ = ["EngineTensor", "EngineLayer", "IOTensor", "EnginePlan", "MORE_DETAIL"]

MORE_DETAIL = (
    "rebuild the engine with detailed profiling verbosity (trtexec --profilingVerbosity=detailed, "
    "or config.profiling_verbosity = ProfilingVerbosity.DETAILED) to see tensors, formats, "
    "tactics and the ONNX nodes of each layer"
)


@dataclass(frozen=True)
class EngineTensor:
    """A tensor read or written by an engine layer."""

    name: str
    shape: tuple[int, ...] | None
    dtype: str | None
    format: str | None
    raw_format: str | None

    @property
    def nbytes(self) -> int | None:
        """Size in bytes (elements x element size, before any vectorised-format padding); None when
        the shape is unknown or dynamic (a -1 dimension) or the data type unknown."""
        size = dtype_bytes(self.dtype)
        if size is None or self.shape is None or any(d < 0 for d in self.shape):
            return None
        return math.ceil(math.prod(self.shape) * size)


def _sum_bytes(tensors: list[EngineTensor]) -> int | None:
    sizes = [t.nbytes for t in tensors]
    return None if not sizes or None in sizes else sum(sizes)


def _weights_bytes(value: object) -> int | None:
    """Bytes of a ``Weights``/``Bias`` entry: ``{"Type": "Float", "Count": 800}`` (a JSON object, or the
    same object as text in the one-line form)."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, dict):
        return None
    count, size = value.get("Count"), dtype_bytes(dtype_word(value.get("Type")))
    if isinstance(count, bool) or not isinstance(count, int) or count < 0 or size is None:
        return None
    return math.ceil(count * size)


@dataclass
class EngineLayer:
    """One layer of a built engine, as TensorRT reported it.

    ``is_reformat`` marks layers TensorRT inserted to convert or copy tensors (Reformat / NoOp
    layers without ONNX metadata, ``Reformatting CopyNode ...`` / ``... reformatter N`` /
    ``copied_...`` names); a ``Reformat`` layer whose Origin is ``QDQ`` implements an ONNX Q/DQ node
    and is not one. ``is_noop`` marks a NoOp layer that carries ``[ONNX Layer: ...]`` metadata: one of
    the network's own nodes (an Unsqueeze, a Reshape) that runs no kernel. ``is_sync`` marks stream
    synchronisation layers (Myelin/RTX ``signal`` / ``wait``) that read and write no tensor.
    ``constants`` are the per-layer constant tensors of TensorRT 11 layer information.
    """

    index: int
    uid: str
    name: str
    base_name: str
    profile_index: int | None
    layer_type: str | None
    inputs: list[EngineTensor]
    outputs: list[EngineTensor]
    tactic: str | None
    origin: str | None
    onnx_nodes_from_metadata: list[str]
    stream_id: int | None
    is_reformat: bool
    raw: dict = field(repr=False)
    is_sync: bool = False
    is_noop: bool = False
    constants: list[EngineTensor] = field(default_factory=list, repr=False)

    # ------------------------------------------------------------------ precision
    @property
    def precision(self) -> str | None:
        """The dominant data type of the layer's OUTPUTS (inputs if it has none); see
        :attr:`compute_precision` for the precision the layer computes in."""
        dtypes = [t.dtype for t in (self.outputs or self.inputs) if t.dtype]
        if not dtypes:
            return None
        return Counter(dtypes).most_common(1)[0][0]

    @property
    def output_precision(self) -> str | None:
        """The dominant data type of the outputs (None without outputs)."""
        dtypes = [t.dtype for t in self.outputs if t.dtype]
        return Counter(dtypes).most_common(1)[0][0] if dtypes else None

    @property
    def input_precisions(self) -> tuple[str | None, ...]:
        """The data type of each input, in order."""
        return tuple(t.dtype for t in self.inputs)

    @property
    def compute_precision(self) -> str | None:
        """The precision the layer computes in: from the kernel's tactic name when it says
        (``...i8f16...`` is an INT8 convolution writing FP16), else the type of its first input,
        else its output type."""
        return self._compute_precision()[0]

    @property
    def compute_precision_source(self) -> str | None:
        """What :attr:`compute_precision` rests on: ``"tactic"``, ``"inputs"``, ``"outputs"`` or None."""
        return self._compute_precision()[1]

    def _compute_precision(self) -> tuple[str | None, str | None]:
        from_tactic = tactic_precision(self.tactic)
        if from_tactic is not None:
            return from_tactic, "tactic"
        first = next((t.dtype for t in self.inputs if t.dtype), None)
        if first is not None:
            return first, "inputs"
        out = self.output_precision
        return (out, "outputs") if out is not None else (None, None)

    # ------------------------------------------------------------------ kind and sizes
    @cached_property
    def kind(self) -> Kind:
        """What the layer is (:class:`~trtlab.engine.kinds.Kind`), from its type, name and metadata
        (worked out once, on first use)."""
        if self.is_sync:
            return Kind.SYNC
        if internal_reason(self.base_name, self.layer_type):
            return Kind.INTERNAL
        if self.is_reformat or (not self.onnx_nodes_from_metadata and inserted_reason(self.base_name)):
            return Kind.REFORMAT
        if self.is_noop:
            return Kind.NOOP
        kind = name_kind(self.base_name)
        if kind == Kind.SINGLE and self.layer_type == "Myelin":
            return Kind.MYELIN
        if kind == Kind.SINGLE and len(set(self.onnx_nodes_from_metadata)) > 1:
            # named after one node, but its metadata lists several: TensorRT for RTX names a fused
            # Conv+Relu after its Conv; the mapping finds the same vertical fusion
            return Kind.VERTICAL
        return kind

    @property
    def input_bytes(self) -> int | None:
        """Bytes of all inputs, when every input's shape and type are known."""
        return _sum_bytes(self.inputs)

    @property
    def output_bytes(self) -> int | None:
        """Bytes of all outputs, when every output's shape and type are known."""
        return _sum_bytes(self.outputs)

    @property
    def weight_bytes(self) -> int | None:
        """Bytes of the layer's weights and bias (``Weights``/``Bias`` counts) or, in TensorRT 11
        layer information, of its ``Constants``; None when the file does not say."""
        sizes = [_weights_bytes(self.raw.get(key)) for key in ("Weights", "Bias") if key in self.raw]
        if self.constants:
            sizes.append(_sum_bytes(self.constants))
        sizes = [s for s in sizes if s is not None]
        return sum(sizes) if sizes else None

    def to_row(self) -> dict[str, object]:
        """The layer as a flat dict (one row of :meth:`EnginePlan.to_dataframe`)."""
        return {
            "index": self.index, "name": self.name, "kind": str(self.kind), "layer_type": self.layer_type,
            "compute_precision": self.compute_precision, "output_precision": self.output_precision,
            "input_precisions": ",".join(p or "?" for p in self.input_precisions),
            "tactic": self.tactic, "origin": self.origin, "n_inputs": len(self.inputs), "n_outputs": len(self.outputs),
            "input_bytes": self.input_bytes, "output_bytes": self.output_bytes, "weight_bytes": self.weight_bytes,
            "onnx_nodes": list(self.onnx_nodes_from_metadata), "stream_id": self.stream_id,
            "profile_index": self.profile_index,
        }

    def _repr_html_(self) -> str:
        rows = [[k, shorten(v, 160)] for k, v in (
            ("name", self.name), ("type", self.layer_type), ("kind", self.kind),
            ("computes in", f"{self.compute_precision} (from {self.compute_precision_source})"),
            ("inputs", ", ".join(f"{t.name} {list(t.shape) if t.shape else ''} {t.dtype or ''}" for t in self.inputs)),
            ("outputs", ", ".join(f"{t.name} {list(t.shape) if t.shape else ''} {t.dtype or ''}" for t in self.outputs)),
            ("weights (bytes)", self.weight_bytes),
            ("tactic", self.tactic), ("origin", self.origin),
            ("ONNX nodes", ", ".join(self.onnx_nodes_from_metadata)), ("stream", self.stream_id),
        )]
        return html_table(["field", "value"], rows, title=f"Engine layer {self.index}")


@dataclass
class IOTensor:
    """An input or output tensor of the engine (a binding)."""

    name: str
    mode: str
    shape: tuple[int, ...] | None
    dtype: str | None
    format: str | None
    location: str | None
    profile: dict | None = None


@dataclass
class EnginePlan:
    """The layers of a built engine and its I/O tensors.

    ``nx`` connects the layers through their tensors (edge u -> v when an output of u is an
    input of v); node keys are ``EngineLayer.uid``, node attribute ``"layer"``, edge attribute
    ``"tensors"`` (tensor names). The engine's I/O tensors are not nodes. ``source`` says which
    form was read (``json-8``, ``json-10``, ``json-11``, ``oneline``, ``names-only``, ...).
    """

    layers: list[EngineLayer]
    io_tensors: list[IOTensor]
    source: str
    verbosity: str
    note: str | None = None

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    @cached_property
    def _by_key(self) -> dict[str, EngineLayer]:
        index: dict[str, EngineLayer] = {}
        for layer in reversed(self.layers):  # first occurrence wins for names
            index[layer.base_name] = layer
        for layer in reversed(self.layers):
            index[layer.name] = layer
        for layer in self.layers:
            index[layer.uid] = layer
        return index

    def layer(self, name_or_uid: str) -> EngineLayer:
        """The layer with this uid or name (first one of that name); LayerInfoError if none."""
        try:
            return self._by_key[name_or_uid]
        except (KeyError, TypeError):
            pass
        names = [layer.uid for layer in self.layers]
        close = difflib.get_close_matches(str(name_or_uid), names, n=3) if len(names) < 5000 else []
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise LayerInfoError(
            f"no engine layer named {name_or_uid!r} among the {len(self.layers)} layers{hint} "
            "(plan.layers lists them; uids of repeated names end in '#k')"
        )

    @cached_property
    def nx(self) -> nx.DiGraph:
        with gc_paused():
            return _build_graph(self.layers)

    @property
    def inputs(self) -> list[IOTensor]:
        return [t for t in self.io_tensors if t.mode == "input"]

    @property
    def outputs(self) -> list[IOTensor]:
        return [t for t in self.io_tensors if t.mode == "output"]

    @property
    def profiles(self) -> list[int | None]:
        """The optimization profiles the layers belong to (``[None]`` for a one-profile engine)."""
        return list(dict.fromkeys(layer.profile_index for layer in self.layers)) or [None]

    def by_profile(self) -> dict[int | None, list[EngineLayer]]:
        """The layers grouped by optimization profile: an engine with two profiles lists every layer
        again with a `` [profile 1]`` suffix (profile 0 carries no suffix: key None)."""
        groups: dict[int | None, list[EngineLayer]] = {}
        for layer in self.layers:
            groups.setdefault(layer.profile_index, []).append(layer)
        return groups

    def counts(self) -> LayerCounts:
        """How many layers compute, are inserted reformats, sync, Myelin internals, no-ops, constants."""
        return LayerCounts.of((layer.kind for layer in self.layers), (layer.layer_type for layer in self.layers))

    def precision_summary(self) -> PrecisionSummary:
        """Which computing layers run in INT8, FP16, FP32 ... (per engine and per LayerType)."""
        rows = [(layer.name, layer.compute_precision, layer.layer_type)
                for layer in self.layers if not layer.kind.is_inserted and layer.kind != Kind.NOOP]
        return PrecisionSummary.of(rows, "layer type")

    def summary(self) -> dict[str, object]:
        """Counts users ask for first: layers, reformat layers, layer types and precisions."""
        counts = self.counts()
        return {
            "layers": len(self.layers),
            "reformat_layers": sum(layer.is_reformat for layer in self.layers),
            "sync_layers": sum(layer.is_sync for layer in self.layers),
            "counts": counts.as_dict(),
            "sentence": counts.sentence(),
            "layer_types": dict(Counter(layer.layer_type or "?" for layer in self.layers).most_common()),
            "precisions": dict(Counter(layer.precision or "?" for layer in self.layers).most_common()),
            "compute_precisions": self.precision_summary().counts,
        }

    def to_dataframe(self):
        """The layers as a pandas DataFrame, one row per layer (needs pandas: ``pip install 'trtlab[reference]'``)."""
        pd = require("pandas", "EnginePlan.to_dataframe()")
        return pd.DataFrame([layer.to_row() for layer in self.layers]).set_index("index")

    def __repr__(self) -> str:
        return f"EnginePlan({len(self.layers)} layers, {len(self.io_tensors)} I/O tensors, source={self.source!r}, verbosity={self.verbosity!r})"

    def _repr_html_(self) -> str:
        def shapes(ts: list[EngineTensor]) -> str:
            return "; ".join("x".join(map(str, t.shape)) if t.shape else "?" for t in ts)

        rows = [
            [layer.index, shorten(layer.name, 90), layer.layer_type, layer.compute_precision, layer.output_precision,
             shapes(layer.inputs), shapes(layer.outputs), shorten(layer.tactic, 40),
             "" if layer.kind in (Kind.SINGLE, Kind.VERTICAL, Kind.HORIZONTAL, Kind.POINTWISE, Kind.MYELIN)
             else str(layer.kind)]
            for layer in self.layers
        ]
        io = ", ".join(f"{t.mode} {t.name} {'x'.join(map(str, t.shape)) if t.shape else ''} {t.dtype or ''}".strip()
                       for t in self.io_tensors)
        return html_table(
            ["#", "layer", "type", "computes in", "writes", "inputs", "outputs", "tactic", ""], rows,
            title=f"Engine plan: {self.counts().sentence()}; source {self.source}, verbosity {self.verbosity}",
            notes=[self.note or "", f"I/O: {shorten(io, 400)}" if io else ""],
        )


    def draw(self, profile=None, color_by: str = "kind", **kw) -> "Drawing":
        """The engine graph from this layer information alone (no ONNX model needed).

        One box per layer: ``#index`` and layer type, its name (shortened, both ends kept), the
        precision it computes in and, with ``profile`` (a :class:`~trtlab.engine.Profile`), its
        time per inference and share of the total; tensor shapes and data types on the edges.
        ``color_by``: ``"kind"`` (fusion kind), ``"time"`` (heat, needs ``profile``) or
        ``"precision"``. Keywords: ``highlight`` (layer index, name or uid: red outline, the rest
        dimmed), ``direction`` (``"TB"`` or ``"LR"``), ``show_shapes``, ``details`` (add each
        layer's tactic and output format, cut in the middle when long), ``overview`` (None:
        automatic above 300 layers - one box per name prefix when names have ``a/b/...``
        structure, else markers; True/"prefix", "markers", False), ``figsize``, ``title``. Sync
        layers (no tensors) and other shape profiles' copies are left out.
        """
        # imported here so that reading layer information never loads matplotlib (0.3 s)
        from ..draw.engine_view import draw_plan

        return draw_plan(self, profile=profile, color_by=color_by, **kw)

    def view(self, profile=None, **kw):
        """Interactive engine graph from the layer information alone: per layer its kind, type,
        precision, tactic, formats (and time and share of time with ``profile=``); tensor shapes
        and formats on the edges. Colour by kind, time or precision (``color_by=``). Needs
        anywidget (the ``notebook`` extra); ``.view().save_html(path)`` writes an offline page."""
        from ..view import view

        return view(self, profile=profile, **kw)


def _build_graph(layers: list[EngineLayer]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from((layer.uid, {"layer": layer}) for layer in layers)
    # Tensor names are normally unique, but TensorRT reuses them in two ways:
    # - several layers write one buffer in turn with no read in between: a concatenation done in
    #   place (each inception branch of a Myelin GoogLeNet writes its slice of
    #   "inception_3a/output"), so a reader depends on ALL of those writers;
    # - a name is written again after it was read (Myelin and loops reuse names): a reader
    #   depends on the writers since the last read.
    # So each name keeps its current group of writers; a write after a read starts a new group.
    writers: dict[str, list[str]] = {}
    read_since_write: dict[str, bool] = {}
    first_writers: dict[str, list[str]] = {}
    pending: list[tuple[str, str]] = []
    edges: dict[tuple[str, str], list[str]] = {}
    for layer in layers:
        for t in layer.inputs:
            group = writers.get(t.name)
            if group is None:
                pending.append((t.name, layer.uid))
                continue
            read_since_write[t.name] = True
            for u in group:
                if u != layer.uid:
                    ts = edges.setdefault((u, layer.uid), [])
                    if t.name not in ts:
                        ts.append(t.name)
        for t in layer.outputs:
            if t.name not in writers or read_since_write.get(t.name, False):
                writers[t.name] = [layer.uid]
                read_since_write[t.name] = False
            elif layer.uid not in writers[t.name]:
                writers[t.name].append(layer.uid)
            first_writers.setdefault(t.name, writers[t.name])
    # inputs read before any writer (listing order differs from execution order): the first group
    for name, v in pending:
        for u in first_writers.get(name, ()):
            if u != v:
                ts = edges.setdefault((u, v), [])
                if name not in ts:
                    ts.append(name)
    g.add_edges_from((u, v, {"tensors": ts}) for (u, v), ts in edges.items())
    return g
