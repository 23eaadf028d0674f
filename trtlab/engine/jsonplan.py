"""The JSON layer information of ``trtexec --exportLayerInfo`` and the engine inspector -> :class:`EnginePlan`.

Handles TensorRT 8.x and 10.x (``Layers`` + ``Bindings``, tensors with ``Format/Datatype``), the
TensorRT 11 / TensorRT for RTX form (``I/O Tensors`` objects, tensors with separate ``Datatype``
and ``Format``), the ``LAYER_NAMES_ONLY`` form (layers are bare strings) and ``NONE``.
"""

from __future__ import annotations

from ..errors import LayerInfoError
from ._html import shorten
from .model import MORE_DETAIL, EnginePlan
from .records import assign_uids, io_from_bindings, make_io, make_layer

__all__ = ["plan_from_json", "json_version"]

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


# Which TensorRT wrote a file, told by the keys it uses. Key names as TensorRT writes them: 8.x/10.x in
# the trtexec --exportLayerInfo files of ../shared/fixtures/trt-layerinfo (8.4-8.5) and trt10/ (10.4,
# 10.16); 11 in the IEngineInspector JSON of TensorRT for RTX builds (tests/engine/test_rtx_logs.py).
#: top-level keys only TensorRT 11 writes ("I/O Tensors" replaces "Bindings")
_TRT11_TOP = ("I/O Tensors", "Engine Metadata")
#: per-layer keys only TensorRT 11 writes
_TRT11_LAYER = ("Constants", "custom_layer")
#: per-tensor keys only TensorRT 11 writes ("Datatype" and "Format" replace "Format/Datatype")
_TRT11_TENSOR = ("Strides", "StrideOrder")
#: layer types of Myelin's own kernels, listed one by one from TensorRT 10 on (8.x shows one
#: "Myelin" layer named {ForeignNode[...]} instead)
_TRT10_LAYER_TYPES = frozenset(("kgen", "gemm", "shape_call", "runtime_fusion", "signal", "wait", "custom_layer"))


def json_version(data: dict, layers_raw: list) -> str:
    """``json-11``, ``json-10`` or ``json-8``, from the set of keys the file uses.

    11: a top-level ``I/O Tensors`` (with ``IOMode`` and min/opt/max shapes) or ``Engine Metadata``;
    per-layer ``Constants`` or ``custom_layer`` entries; tensors with ``Strides``/``StrideOrder`` or
    separate ``Datatype`` and ``Format``. 10: Myelin kernels as layers of their own (LayerType
    ``kgen``, ``gemm``, ``shape_call``...) or Metadata entries joined by ``\\x1f``. Otherwise 8.x -
    ``StreamId`` and ``Metadata`` alone say nothing: TensorRT 8.6 writes them too.
    """
    if any(key in data for key in _TRT11_TOP):
        return "json-11"
    ten = False
    for raw in layers_raw:
        if not isinstance(raw, dict):
            continue
        if any(key in raw for key in _TRT11_LAYER) or str(raw.get("LayerType", "")) == "custom_layer":
            return "json-11"
        if any(_is_trt11_tensor(t) for key in ("Inputs", "Outputs") for t in (raw.get(key) or [])):
            return "json-11"
        metadata = raw.get("Metadata")
        ten = ten or str(raw.get("LayerType", "")) in _TRT10_LAYER_TYPES or (
            isinstance(metadata, str) and "\x1f" in metadata)
    return "json-10" if ten else "json-8"


def _is_trt11_tensor(t: object) -> bool:
    if not isinstance(t, dict):
        return False
    return any(k in t for k in _TRT11_TENSOR) or ("Format/Datatype" not in t and ("Datatype" in t or "DataType" in t))


def plan_from_json(data: object, label: str = "the layer information") -> EnginePlan:
    """Build an EnginePlan from parsed engine-inspector JSON (dict with ``Layers``, or a list)."""
    if isinstance(data, list):
        data = _list_as_document(data, label)
    if not isinstance(data, dict):
        raise LayerInfoError(f"{label} must be a JSON object with 'Layers', got {type(data).__name__}")
    if "Layers" not in data:
        return _without_layers(data, label)
    layers_raw = data["Layers"]
    if not isinstance(layers_raw, list):
        raise LayerInfoError(f"{label}: 'Layers' must be a list, got {type(layers_raw).__name__} {shorten(layers_raw, 60)!r}")
    layers = [make_layer(i, raw) for i, raw in enumerate(layers_raw)]
    assign_uids(layers)
    io = _io_tensors(data, layers, label)
    verbosity, source, note = _verbosity(data, layers_raw)
    return EnginePlan(layers, io, source, verbosity, note)


def _list_as_document(data: list, label: str) -> dict:
    """A top-level list of layers or names as ``{"Layers": [...]}``; profiles and timings refused."""
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
        return {"Layers": data}
    raise LayerInfoError(
        f"{label} is a JSON list whose entries are neither layers nor names "
        f"(first entry: {shorten(data[0], 80)!r}); expected the --exportLayerInfo JSON object "
        "with 'Layers' (and 'Bindings' or 'I/O Tensors')"
    )


def _without_layers(data: dict, label: str) -> EnginePlan:
    """An empty object is an engine built with ProfilingVerbosity NONE; anything else is refused."""
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


def _io_tensors(data: dict, layers: list, label: str) -> list:
    """The engine's I/O tensors: TensorRT 11 ``I/O Tensors`` objects, else 8.x/10.x ``Bindings`` names."""
    io_raw = data.get("I/O Tensors")
    if io_raw is not None:
        if not isinstance(io_raw, list):
            raise LayerInfoError(f"{label}: 'I/O Tensors' must be a list, got {type(io_raw).__name__}")
        return [make_io(t) for t in io_raw]
    bindings = data.get("Bindings", [])
    if bindings is None:
        bindings = []
    if not isinstance(bindings, list):
        raise LayerInfoError(f"{label}: 'Bindings' must be a list of names, got {type(bindings).__name__}")
    return io_from_bindings(bindings, layers)


def _verbosity(data: dict, layers_raw: list) -> tuple[str, str, str | None]:
    """(verbosity, source label, note) of a layer list."""
    verbosity_key = str(data.get("ProfilingVerbosity", "")).lower()
    if not layers_raw:
        return "none", "none", f"the engine reported no layers (ProfilingVerbosity NONE, or an empty engine); {MORE_DETAIL}"
    if all(isinstance(x, str) for x in layers_raw) or "layer_names" in verbosity_key:
        return ("layer_names_only", "names-only",
                f"only layer names are known (ProfilingVerbosity LAYER_NAMES_ONLY, the default); {MORE_DETAIL}")
    note = "some layers are bare names without details" if any(isinstance(x, str) for x in layers_raw) else None
    return "detailed", json_version(data, layers_raw), note
