"""Engine layer information: dataclasses, the engine graph, and the JSON parser.

Handles the engine-inspector / ``trtexec --exportLayerInfo`` JSON of TensorRT 8.x and 10.x
(``Layers`` + ``Bindings``, tensors with ``Format/Datatype``), the TensorRT 11 / TensorRT for RTX
form (``I/O Tensors`` objects, tensors with separate ``Datatype`` and ``Format``), the
``LAYER_NAMES_ONLY`` form (layers are bare strings) and ``NONE``.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import networkx as nx

from ..errors import LayerInfoError
from ._html import html_table, shorten
from ._source import gc_paused, read_source
from .names import is_reformat_name, split_profile_suffix

__all__ = [
    "EngineTensor",
    "EngineLayer",
    "IOTensor",
    "EnginePlan",
    "load_layer_info",
    "parse_metadata",
    "parse_format",
    "MORE_DETAIL",
]

MORE_DETAIL = (
    "rebuild the engine with detailed profiling verbosity (trtexec --profilingVerbosity=detailed, "
    "or config.profiling_verbosity = ProfilingVerbosity.DETAILED) to see tensors, formats, "
    "tactics and the ONNX nodes of each layer"
)

# --------------------------------------------------------------------------- dtypes and formats

# Words TensorRT uses for data types in format strings -> canonical names.
_DTYPE_WORDS = {
    "fp32": "FP32", "float": "FP32", "float32": "FP32",
    "fp16": "FP16", "half": "FP16", "float16": "FP16",
    "bf16": "BF16", "bfloat16": "BF16",
    "fp8": "FP8", "e4m3": "FP8", "fp4": "FP4", "e2m1": "FP4", "e8m0": "E8M0",
    "int8": "INT8", "int4": "INT4", "int32": "INT32", "int64": "INT64", "int16": "INT16",
    "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32", "uint64": "UINT64",
    "bool": "BOOL", "double": "FP64", "fp64": "FP64",
}
_DTYPE_RE = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(sorted(map(re.escape, _DTYPE_WORDS), key=len, reverse=True)) + r")(?![A-Za-z0-9])",
    re.I,
)
_VECTOR_WIDTH = {"two": 2, "four": 4, "sixteen": 16, "thirty-two": 32}


def _layout_code(text: str) -> str | None:
    """A short layout code (LINEAR, CHW32, HWC8, ...) for TensorRT's long format description."""
    m = re.search(r"\(k([A-Z][A-Z0-9_]*)\)", text)  # "... format (kLINEAR)"
    if m:
        return m.group(1)
    t = text.lower()
    spatial3 = "3 spatial" in t
    if "row major linear" in t or t.strip() in ("linear",):
        return "LINEAR"
    m = re.search(r"(two|four|sixteen|thirty-two) wide channel vectorized", t)
    if m:
        return f"{'CDHW' if spatial3 else 'CHW'}{_VECTOR_WIDTH[m.group(1)]}"
    if "channel major" in t:
        m = re.search(r"channel (?:%|==) (\d+)", t)
        n = m.group(1) if m else ""
        return f"{'DHWC' if spatial3 else 'HWC'}{n}"
    if "row major" in t:
        return "LINEAR"
    return None


def parse_format(text: object) -> tuple[str | None, str | None]:
    """Split TensorRT's ``Format/Datatype`` text into ``(dtype, format)``.

    ``"Channel major FP16 format where channel % 8 == 0"`` -> ``("FP16", "Channel major format
    where channel % 8 == 0 (HWC8)")``; ``"Float"`` (Myelin/kgen) -> ``("FP32", None)``.
    """
    if not isinstance(text, str):
        return None, None
    return _parse_format(text)


@lru_cache(maxsize=1024)  # an engine uses a handful of distinct format strings
def _parse_format(text: str) -> tuple[str | None, str | None]:
    if not text.strip():
        return None, None
    m = _DTYPE_RE.search(text)
    dtype = _DTYPE_WORDS[m.group(1).lower()] if m else None
    rest = (text[: m.start()] + text[m.end():]) if m else text
    rest = " ".join(rest.replace(" .", ".").split()).strip(" ,.")
    if not rest or rest.lower() == "format":
        return dtype, None
    if "(" not in rest:  # no layout code written yet: add the short one ("(NHWC) ..." has one)
        code = _layout_code(rest)
        if code:
            rest = f"{rest} ({code})"
    return dtype, rest


def _dtype_word(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    return _dtype_word_cached(text)


@lru_cache(maxsize=256)
def _dtype_word_cached(text: str) -> str | None:
    if not text.strip():
        return None
    m = _DTYPE_RE.search(text)
    return _DTYPE_WORDS[m.group(1).lower()] if m else text.strip().upper()


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class EngineTensor:
    """A tensor read or written by an engine layer."""

    name: str
    shape: tuple[int, ...] | None
    dtype: str | None
    format: str | None
    raw_format: str | None


@dataclass
class EngineLayer:
    """One layer of a built engine, as TensorRT reported it.

    ``is_reformat`` marks layers TensorRT inserted to convert or copy tensors (Reformat / NoOp
    layers, ``Reformatting CopyNode ...`` / ``... reformatter N`` / ``copied_...`` names); a
    ``Reformat`` layer whose Origin is ``QDQ`` implements an ONNX Q/DQ node and is not one.
    ``is_sync`` marks stream synchronisation layers (Myelin/RTX ``signal`` / ``wait``) that read
    and write no tensor.
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

    @property
    def precision(self) -> str | None:
        """The dominant data type of the layer's outputs (inputs if it has none)."""
        dtypes = [t.dtype for t in (self.outputs or self.inputs) if t.dtype]
        if not dtypes:
            return None
        return Counter(dtypes).most_common(1)[0][0]

    def _repr_html_(self) -> str:
        rows = [[k, shorten(v, 160)] for k, v in (
            ("name", self.name), ("type", self.layer_type), ("precision", self.precision),
            ("inputs", ", ".join(f"{t.name} {list(t.shape) if t.shape else ''} {t.dtype or ''}" for t in self.inputs)),
            ("outputs", ", ".join(f"{t.name} {list(t.shape) if t.shape else ''} {t.dtype or ''}" for t in self.outputs)),
            ("tactic", self.tactic), ("origin", self.origin),
            ("ONNX nodes", ", ".join(self.onnx_nodes_from_metadata)), ("stream", self.stream_id),
            ("reformat", self.is_reformat),
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
    ``"tensors"`` (tensor names). The engine's I/O tensors are not nodes.
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

    def summary(self) -> dict[str, object]:
        """Counts users ask for first: layers, reformat layers, layer types and precisions."""
        return {
            "layers": len(self.layers),
            "reformat_layers": sum(layer.is_reformat for layer in self.layers),
            "sync_layers": sum(layer.is_sync for layer in self.layers),
            "layer_types": dict(Counter(layer.layer_type or "?" for layer in self.layers).most_common()),
            "precisions": dict(Counter(layer.precision or "?" for layer in self.layers).most_common()),
        }

    def __repr__(self) -> str:
        return f"EnginePlan({len(self.layers)} layers, {len(self.io_tensors)} I/O tensors, source={self.source!r}, verbosity={self.verbosity!r})"

    def _repr_html_(self) -> str:
        def shapes(ts: list[EngineTensor]) -> str:
            return "; ".join("x".join(map(str, t.shape)) if t.shape else "?" for t in ts)

        rows = [
            [layer.index, shorten(layer.name, 90), layer.layer_type, layer.precision,
             shapes(layer.inputs), shapes(layer.outputs), shorten(layer.tactic, 40),
             "reformat" if layer.is_reformat else ("sync" if layer.is_sync else "")]
            for layer in self.layers
        ]
        io = ", ".join(f"{t.mode} {t.name} {'x'.join(map(str, t.shape)) if t.shape else ''} {t.dtype or ''}".strip()
                       for t in self.io_tensors)
        s = self.summary()
        return html_table(
            ["#", "layer", "type", "precision", "inputs", "outputs", "tactic", ""], rows,
            title=f"Engine plan: {len(self.layers)} layers ({s['reformat_layers']} reformat), "
                  f"source {self.source}, verbosity {self.verbosity}",
            notes=[self.note or "", f"I/O: {shorten(io, 400)}" if io else ""],
        )

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


# --------------------------------------------------------------------------- metadata

_META_SPLIT = re.compile(r"(?=\[ONNX Layer: )")


def parse_metadata(text: object) -> list[str]:
    """ONNX node names from a layer's Metadata: ``[ONNX Layer: a]\\x1f[ONNX Layer: b]`` -> [a, b].

    Entries are separated by ``\\x1e`` (TensorRT 8.6, TensorRT for RTX) or ``\\x1f`` (10+), or
    simply concatenated; a ``| Local Function: ...`` suffix is dropped; duplicates are removed.
    """
    if not isinstance(text, str) or "[ONNX Layer:" not in text:
        return []
    if "\x1e" in text or "\x1f" in text:
        chunks = text.replace("\x1e", "\x1f").split("\x1f")
        if any(c.count("[ONNX Layer:") > 1 for c in chunks):  # mixed: also split concatenations
            chunks = [p for c in chunks for p in _META_SPLIT.split(c)]
    else:
        chunks = _META_SPLIT.split(text)
    out: list[str] = []
    for chunk in chunks:
        chunk = chunk.strip()
        if not chunk.startswith("[ONNX Layer:"):
            continue
        body = chunk[12:-1] if chunk.endswith("]") else chunk[12:]
        if "Local Function:" in body:
            body = body.split("| Local Function:")[0]
        body = body.strip()
        if body and body not in out:
            out.append(body)
    return out


# --------------------------------------------------------------------------- building layers

_REFORMAT_TYPES = {"reformat", "noop"}
_SYNC_TYPES = {"signal", "wait"}


def _int_or_none(v: object) -> int | None:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            return None
    return None


def _shape(v: object, where: str) -> tuple[int, ...] | None:
    if v is None:
        return None
    if type(v) is list and all(type(d) is int for d in v):  # fast path: what TensorRT writes
        return tuple(v)
    if isinstance(v, (list, tuple)):
        out = []
        for d in v:
            if isinstance(d, bool) or not isinstance(d, (int, float, str)):
                raise LayerInfoError(f"{where}: Dimensions must be a list of integers, got {v!r}")
            try:
                out.append(int(d))
            except (ValueError, OverflowError) as exc:
                raise LayerInfoError(f"{where}: Dimensions must be a list of integers, got {v!r}") from exc
        return tuple(out)
    raise LayerInfoError(f"{where}: Dimensions must be a list of integers, got {type(v).__name__} {v!r}")


class _Where:
    """Says which layer an error is about; formatted only when an error message needs it."""

    __slots__ = ("index", "name")

    def __init__(self, index: int, name: str):
        self.index, self.name = index, name

    def __str__(self) -> str:
        return f"layer {self.index} ({shorten(self.name, 60)!r})"


def make_tensor(raw: object, where: object) -> EngineTensor:
    """An EngineTensor from a JSON/one-line tensor record (8.x/10.x or 11.x keys)."""
    if isinstance(raw, str):  # some writers list tensor names only
        return EngineTensor(raw, None, None, None, None)
    if not isinstance(raw, dict):
        raise LayerInfoError(f"{where}: a tensor must be an object with a 'Name', got {type(raw).__name__} {shorten(raw, 60)!r}")
    name = raw.get("Name")
    if not isinstance(name, str):
        raise LayerInfoError(f"{where}: tensor has no string 'Name' (keys: {sorted(map(str, raw))})")
    dims = raw.get("Dimensions")
    if type(dims) is list and all(type(d) is int for d in dims):
        shape = tuple(dims)
    else:
        shape = _shape(dims, f"{where}, tensor {name!r}")
    if "Format/Datatype" in raw:
        raw_format = raw.get("Format/Datatype")
        raw_format = raw_format if isinstance(raw_format, str) else None
        dtype, fmt = parse_format(raw_format)
    else:
        dt = raw.get("Datatype", raw.get("DataType"))
        fmt_text = raw.get("Format")
        raw_format = fmt_text if isinstance(fmt_text, str) else None
        dtype = _dtype_word(dt)
        fmt = parse_format(raw_format)[1] if raw_format else None
        if dtype is None and raw_format:
            dtype = parse_format(raw_format)[0]
    return EngineTensor(name, shape, dtype, fmt, raw_format)


def make_layer(index: int, raw: object) -> EngineLayer:
    """An EngineLayer from one JSON / one-line layer record (a dict) or a bare name."""
    if isinstance(raw, str):
        base, prof = split_profile_suffix(raw)
        return EngineLayer(index, raw, raw, base, prof, None, [], [], None, None, [], None,
                           is_reformat_name(raw), {"Name": raw})
    if not isinstance(raw, dict):
        raise LayerInfoError(
            f"layer {index} must be an object (or a name string), got {type(raw).__name__} {shorten(raw, 60)!r}"
        )
    name = raw.get("Name")
    if not isinstance(name, str):
        raise LayerInfoError(f"layer {index} has no string 'Name' (keys: {sorted(map(str, raw))[:12]}); "
                             "every layer record of TensorRT's layer information has one")
    where = _Where(index, name)
    tensors = {}
    for key in ("Inputs", "Outputs"):
        v = raw.get(key, [])
        if v is None:
            v = []
        if not isinstance(v, list):
            raise LayerInfoError(f"{where}: '{key}' must be a list of tensors, got {type(v).__name__}")
        tensors[key] = [make_tensor(t, where) for t in v]
    layer_type = raw.get("LayerType")
    layer_type = str(layer_type) if isinstance(layer_type, (str, int)) and layer_type != "" else None
    origin = raw.get("Origin")
    origin = origin if isinstance(origin, str) and origin else None
    tactic = raw.get("TacticName")
    if not (isinstance(tactic, str) and tactic):
        tv = raw.get("TacticValue")
        tactic = tv if isinstance(tv, str) and tv else None
    lt = (layer_type or "").lower()
    is_sync = lt in _SYNC_TYPES and not tensors["Inputs"] and not tensors["Outputs"]
    is_reformat = bool(
        (lt in _REFORMAT_TYPES and (origin or "").upper() != "QDQ")
        or (origin or "").upper() == "REFORMAT"
        or is_reformat_name(name)
    )
    base, prof = split_profile_suffix(name)
    return EngineLayer(
        index=index, uid=name, name=name, base_name=base, profile_index=prof,
        layer_type=layer_type, inputs=tensors["Inputs"], outputs=tensors["Outputs"],
        tactic=tactic, origin=origin,
        onnx_nodes_from_metadata=parse_metadata(raw.get("Metadata")),
        stream_id=_int_or_none(raw.get("StreamId")), is_reformat=is_reformat, raw=raw, is_sync=is_sync,
    )


def assign_uids(layers: list[EngineLayer]) -> None:
    """Give repeated names unique uids: the second ``X`` becomes ``X#1``, the third ``X#2``."""
    seen: set[str] = set()
    counts: dict[str, int] = {}
    names = {layer.name for layer in layers}
    for layer in layers:
        uid = layer.name
        if uid in seen:
            k = counts.get(layer.name, 0)
            while True:
                k += 1
                uid = f"{layer.name}#{k}"
                if uid not in seen and uid not in names:
                    break
            counts[layer.name] = k
        seen.add(uid)
        layer.uid = uid


def io_from_bindings(bindings: list, layers: list[EngineLayer]) -> list[IOTensor]:
    """I/O tensors from TensorRT 8/10 ``Bindings`` (names only): mode, shape and type from the layers."""
    consumed: dict[str, EngineTensor] = {}
    produced: dict[str, EngineTensor] = {}
    for layer in layers:
        for t in layer.inputs:
            consumed.setdefault(t.name, t)
        for t in layer.outputs:
            produced.setdefault(t.name, t)
    out = []
    for b in bindings:
        if isinstance(b, dict):  # tolerate I/O-tensor style objects inside "Bindings"
            out.append(make_io(b, "Bindings"))
            continue
        if not isinstance(b, str):
            raise LayerInfoError(f"'Bindings' must list tensor names (strings), got {type(b).__name__} {shorten(b, 60)!r}")
        t = produced.get(b)
        mode = "output" if t is not None else ("input" if b in consumed else "unknown")
        t = t or consumed.get(b)
        out.append(IOTensor(b, mode, t.shape if t else None, t.dtype if t else None,
                            t.format if t else None, None, None))
    return out


def make_io(raw: object, where: str = "'I/O Tensors'") -> IOTensor:
    """An IOTensor from a TensorRT 11 ``I/O Tensors`` object (JSON or one-line)."""
    if isinstance(raw, str):
        return IOTensor(raw, "unknown", None, None, None, None, None)
    if not isinstance(raw, dict):
        raise LayerInfoError(f"{where} must list objects with a 'Name', got {type(raw).__name__} {shorten(raw, 60)!r}")
    name = raw.get("Name")
    if not isinstance(name, str):
        raise LayerInfoError(f"{where}: an entry has no string 'Name' (keys: {sorted(map(str, raw))})")
    mode_raw = str(raw.get("IOMode", raw.get("Mode", ""))).lower()
    mode = "input" if "input" in mode_raw else "output" if "output" in mode_raw else "unknown"
    shape = _shape(raw.get("Dimensions"), f"{where}, tensor {name!r}")
    dtype = _dtype_word(raw.get("DataType", raw.get("Datatype")))
    fmt = None
    profile = None
    pinfo = raw.get("ProfileInfo")
    if isinstance(pinfo, list) and pinfo and isinstance(pinfo[0], dict):
        p0 = pinfo[0]
        if isinstance(p0.get("Format"), str):
            pdtype, fmt = parse_format(p0["Format"])
            dtype = dtype or pdtype
        if any(k in p0 for k in ("MinShape", "OptShape", "MaxShape")):
            profile = {k: _shape(p0.get(key), f"{where}, tensor {name!r}")
                       for k, key in (("min", "MinShape"), ("opt", "OptShape"), ("max", "MaxShape"))}
    elif isinstance(raw.get("Format"), str):
        fmt = parse_format(raw["Format"])[1]
    location = raw.get("Location")
    return IOTensor(name, mode, shape, dtype, fmt, location if isinstance(location, str) else None, profile)


# --------------------------------------------------------------------------- JSON dispatch

_PROFILE_KEYS = {"timeMs", "averageMs", "average_time_ms", "medianMs"}
_TIMING_KEYS = {"latencyMs", "startEnqMs", "computeMs", "startComputeMs"}


def _kind_of_list(data: list) -> str:
    """Guess what a top-level JSON list is: profile, timing, layers, names or unknown."""
    head = [x for x in data[:3]]
    if any(isinstance(x, dict) and ("count" in x and len(x) <= 2) for x in head[:1]):
        return "profile"
    dicts = [x for x in head if isinstance(x, dict)]
    if dicts and any(_PROFILE_KEYS & set(x) for x in dicts):
        return "profile"
    if dicts and any(_TIMING_KEYS & set(x) for x in dicts):
        return "timing"
    if dicts and all("Name" in x for x in dicts):
        return "layers"
    if head and all(isinstance(x, str) for x in head):
        return "names"
    return "unknown"


def _json_source(data: dict, layers_raw: list) -> str:
    """Which TensorRT wrote the JSON: 11 has "I/O Tensors" and tensors with separate Datatype and
    Format; 10 adds StreamId to 8.x's layers. (Called after the layers were validated.)"""
    if "I/O Tensors" in data:
        return "json-11"
    for raw in layers_raw[:50]:
        if not isinstance(raw, dict):
            continue
        tensors = [t for key in ("Inputs", "Outputs") for t in (raw.get(key) or []) if isinstance(t, dict)]
        if any("Format/Datatype" not in t and ("Datatype" in t or "DataType" in t) for t in tensors):
            return "json-11"
        if "StreamId" in raw:
            return "json-10"
    return "json-8"


def plan_from_json(data: object, label: str = "the layer information") -> EnginePlan:
    """Build an EnginePlan from parsed engine-inspector JSON (dict with ``Layers``, or a list)."""
    if isinstance(data, list):
        kind = _kind_of_list(data)
        if kind == "profile":
            raise LayerInfoError(
                f"{label} is a per-layer profile (trtexec --exportProfile: entries with name/timeMs/"
                "averageMs), not layer information; read it with trtlab.load_profile(...), and pass the "
                "--exportLayerInfo file (engine.graph.json) to load_layer_info"
            )
        if kind == "timing":
            raise LayerInfoError(
                f"{label} is a per-iteration timing file (trtexec --exportTimes: latencyMs, startEnqMs, ...), "
                "not layer information; read it with trtlab.load_timing(...)"
            )
        if kind in ("layers", "names") or not data:
            data = {"Layers": data}
        else:
            raise LayerInfoError(
                f"{label} is a JSON list whose entries are neither layers nor names "
                f"(first entry: {shorten(data[0], 80)!r}); expected the --exportLayerInfo JSON object "
                "with 'Layers' (and 'Bindings' or 'I/O Tensors')"
            )
    if not isinstance(data, dict):
        raise LayerInfoError(f"{label} must be a JSON object with 'Layers', got {type(data).__name__}")
    if "Layers" not in data:
        if _PROFILE_KEYS & set(data) or "count" in data:
            raise LayerInfoError(f"{label} looks like a profile entry, not layer information; use trtlab.load_profile")
        if not data:
            return EnginePlan([], [], "none", "none",
                              f"the engine reported no layer information (ProfilingVerbosity NONE); {MORE_DETAIL}")
        raise LayerInfoError(
            f"{label} has no 'Layers' key (keys: {sorted(map(str, data))[:10]}); expected TensorRT's "
            "layer information: trtexec --exportLayerInfo=FILE or "
            "IEngineInspector.get_engine_information(LayerInformationFormat.JSON)"
        )
    layers_raw = data["Layers"]
    if not isinstance(layers_raw, list):
        raise LayerInfoError(f"{label}: 'Layers' must be a list, got {type(layers_raw).__name__} {shorten(layers_raw, 60)!r}")

    layers = [make_layer(i, raw) for i, raw in enumerate(layers_raw)]
    assign_uids(layers)

    io_raw = data.get("I/O Tensors")
    if io_raw is not None:
        if not isinstance(io_raw, list):
            raise LayerInfoError(f"{label}: 'I/O Tensors' must be a list, got {type(io_raw).__name__}")
        io = [make_io(t) for t in io_raw]
    else:
        bindings = data.get("Bindings", [])
        if bindings is None:
            bindings = []
        if not isinstance(bindings, list):
            raise LayerInfoError(f"{label}: 'Bindings' must be a list of names, got {type(bindings).__name__}")
        io = io_from_bindings(bindings, layers)

    verbosity_key = str(data.get("ProfilingVerbosity", "")).lower()
    names_only = bool(layers_raw) and all(isinstance(x, str) for x in layers_raw)
    note = None
    if not layers_raw:
        verbosity, source = "none", "none"
        note = f"the engine reported no layers (ProfilingVerbosity NONE, or an empty engine); {MORE_DETAIL}"
    elif names_only or "layer_names" in verbosity_key:
        verbosity, source = "layer_names_only", "names-only"
        note = f"only layer names are known (ProfilingVerbosity LAYER_NAMES_ONLY, the default); {MORE_DETAIL}"
    else:
        verbosity, source = "detailed", _json_source(data, layers_raw)
        if any(isinstance(x, str) for x in layers_raw):
            note = "some layers are bare names without details"
    return EnginePlan(layers, io, source, verbosity, note)


def load_layer_info(src: object) -> EnginePlan:
    """Read TensorRT engine layer information into an :class:`EnginePlan`.

    ``src`` is an EnginePlan (returned as is), a path to (or the text of) the JSON from ``trtexec --exportLayerInfo`` /
    ``IEngineInspector.get_engine_information(LayerInformationFormat.JSON)`` (TensorRT 8.x, 10.x,
    11.x, TensorRT for RTX; DETAILED, LAYER_NAMES_ONLY or NONE verbosity), the parsed JSON
    (dict or list), or one-line text / a builder verbose log (see :func:`parse_oneline`).
    Raises :class:`LayerInfoError` saying what is wrong with anything else.
    """
    if isinstance(src, EnginePlan):
        return src
    label = None
    try:
        with gc_paused():
            data, kind, label = read_source(src, "layer information")
            if kind == "text":
                from .oneline import parse_oneline

                return parse_oneline(data)
            return plan_from_json(data, label)
    except LayerInfoError as exc:
        # errors found inside a layer or a line name the layer; say which file it is in
        if label is not None and label.startswith("layer information file") and label not in str(exc):
            raise LayerInfoError(f"{label}: {exc}") from exc
        raise
    except Exception as exc:  # last line of defence: a notebook must get a trtlab error
        raise LayerInfoError(
            f"could not read layer information ({type(exc).__name__}: {shorten(exc, 200)}); "
            "expected trtexec --exportLayerInfo JSON or a TensorRT one-line layer listing"
        ) from exc
