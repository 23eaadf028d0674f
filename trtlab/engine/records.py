"""Layer, tensor and I/O records of layer information -> the model objects of :mod:`.model`.

Shared by the JSON reader (:mod:`.jsonplan`) and the one-line reader (:mod:`.oneline`): both turn a
record into a dict with TensorRT's keys first, then call :func:`make_layer` / :func:`make_io`.
"""

from __future__ import annotations

import re

from ..errors import LayerInfoError
from ._html import shorten
from .formats import dtype_word, parse_format
from .model import EngineLayer, EngineTensor, IOTensor
from .names import is_reformat_name, split_profile_suffix

__all__ = ["parse_metadata", "make_tensor", "make_layer", "make_io", "assign_uids", "io_from_bindings"]

# --------------------------------------------------------------------------- metadata

_META_SPLIT = re.compile(r"(?=\[ONNX Layer: )")
_ONNX_LAYER = "[ONNX Layer:"


def parse_metadata(text: object) -> list[str]:
    """ONNX node names from a layer's Metadata: ``[ONNX Layer: a]\\x1f[ONNX Layer: b]`` -> [a, b].

    Entries are separated by ``\\x1e`` (TensorRT 8.6, TensorRT for RTX) or ``\\x1f`` (10+), or
    simply concatenated; a ``| Local Function: ...`` suffix is dropped; duplicates are removed.
    Linear in the length of the text (a dict keeps the names seen).
    """
    if not isinstance(text, str) or _ONNX_LAYER not in text:
        return []
    out: dict[str, None] = {}
    for chunk in text.replace("\x1e", "\x1f").split("\x1f"):
        pieces = _META_SPLIT.split(chunk) if chunk.count(_ONNX_LAYER) > 1 else (chunk,)
        for piece in pieces:
            body = _metadata_name(piece)
            if body:
                out[body] = None
    return list(out)


def _metadata_name(chunk: str) -> str:
    """``[ONNX Layer: a | Local Function: f]`` -> ``a``; text that is no entry -> ``""``."""
    chunk = chunk.strip()
    if not chunk.startswith(_ONNX_LAYER):
        return ""
    body = chunk[12:-1] if chunk.endswith("]") else chunk[12:]
    if "Local Function:" in body:
        body = body.split("| Local Function:")[0]
    return body.strip()


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
        dtype = dtype_word(dt)
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
    tensors = {key: _tensor_list(raw, key, where) for key in ("Inputs", "Outputs", "Constants")}
    layer_type = raw.get("LayerType")
    layer_type = str(layer_type) if isinstance(layer_type, (str, int)) and layer_type != "" else None
    origin = raw.get("Origin")
    origin = origin if isinstance(origin, str) and origin else None
    onnx_nodes = parse_metadata(raw.get("Metadata"))
    lt = (layer_type or "").lower()
    is_sync = lt in _SYNC_TYPES and not tensors["Inputs"] and not tensors["Outputs"]
    is_reformat = _is_inserted_reformat(name, lt, origin, bool(onnx_nodes))
    base, prof = split_profile_suffix(name)
    return EngineLayer(
        index=index, uid=name, name=name, base_name=base, profile_index=prof,
        layer_type=layer_type, inputs=tensors["Inputs"], outputs=tensors["Outputs"],
        tactic=_tactic(raw), origin=origin, onnx_nodes_from_metadata=onnx_nodes,
        stream_id=_int_or_none(raw.get("StreamId")), is_reformat=is_reformat, raw=raw, is_sync=is_sync,
        is_noop=lt == "noop" and not is_reformat, constants=tensors["Constants"],
    )


def _tensor_list(raw: dict, key: str, where: _Where) -> list[EngineTensor]:
    v = raw.get(key, [])
    if v is None:
        return []
    if not isinstance(v, list):
        raise LayerInfoError(f"{where}: '{key}' must be a list of tensors, got {type(v).__name__}")
    return [make_tensor(t, where) for t in v]


def _tactic(raw: dict) -> str | None:
    tactic = raw.get("TacticName")
    if isinstance(tactic, str) and tactic:
        return tactic
    tv = raw.get("TacticValue")
    return tv if isinstance(tv, str) and tv else None


def _is_inserted_reformat(name: str, layer_type: str, origin: str | None, has_metadata: bool) -> bool:
    """Whether TensorRT inserted the layer to convert or copy a tensor.

    Reformat/NoOp layers are, unless they implement one of the network's nodes: an ONNX Q/DQ node
    (Origin ``QDQ``) or a node named in ``[ONNX Layer: ...]`` metadata (a NoOp ``/Unsqueeze``).
    Names TensorRT gives its own copies decide on their own.
    """
    origin_word = (origin or "").upper()
    return bool(
        (layer_type in _REFORMAT_TYPES and origin_word != "QDQ" and not has_metadata)
        or origin_word == "REFORMAT"
        or is_reformat_name(name)
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
    dtype = dtype_word(raw.get("DataType", raw.get("Datatype")))
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


