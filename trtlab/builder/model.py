"""Reading the model to build, and preparing it for the precision asked for."""

from __future__ import annotations

import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import onnx

from .._optional import require
from ..errors import ConfigError, ModelLoadError
from ..graph.loader import check_external_data

__all__ = ["ModelSource", "read_model", "to_fp16", "has_qdq"]


@dataclass
class ModelSource:
    """The model's serialized bytes, where it came from, and a content digest for the cache.

    The bytes are read and parsed only when needed: a cache hit needs the digest alone.
    """

    path: Path | None        # file it was read from (external weights are resolved next to it)
    digest: str              # sha256 of the model bytes and of any external-data files
    _data: bytes | None = None
    _proto: onnx.ModelProto | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.path.read_bytes()
        return self._data

    def proto(self) -> onnx.ModelProto:
        """The parsed model; ModelLoadError if the bytes are not a valid, non-empty ONNX model."""
        if self._proto is None:
            self._proto = _parse(self.data, self.path)
        return self._proto


def _parse(data: bytes, path: Path | None) -> onnx.ModelProto:
    where = repr(str(path)) if path else "the given bytes"
    try:
        proto = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf DecodeError and friends
        raise ModelLoadError(
            f"{where} is not a valid ONNX model ({type(exc).__name__}: {exc}); "
            "check that the file is a complete .onnx export (not truncated, not a different format)"
        ) from exc
    if len(proto.graph.node) == 0 and len(proto.graph.output) == 0:
        raise ModelLoadError(f"{where} has an empty graph (no nodes, no outputs); export the model again")
    return proto


def _external_files(model: onnx.ModelProto) -> list[str]:
    files = []
    for t in model.graph.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL:
            for e in t.external_data:
                if e.key == "location" and e.value not in files:
                    files.append(e.value)
    return files


def _stat_sig(path: Path) -> tuple:
    st = path.stat()
    # ctime changes on every write and cannot be set by the user, so this identifies the content
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# absolute path -> (stat signatures of the model and its external files, digest): repeat builds
# of an unchanged file skip reading and hashing it (like make/ccache trust file metadata)
_DIGESTS: dict[str, tuple[tuple, tuple, str]] = {}


def _digest(data: bytes, path: Path | None, proto_fn) -> tuple[str, list[Path]]:
    h = hashlib.sha256(data)
    ext_paths: list[Path] = []
    # "location" is the key of every external-data entry: without it, nothing to read (no parse needed)
    if b"location" in data:
        names = _external_files(proto_fn())
        if names and path is not None:
            # refuse absolute locations, "../" escapes and symlinks out of the model's folder
            # before reading anything (the same check as trtlab.load_onnx)
            try:
                check_external_data(proto_fn(), path.parent, repr(str(path)))
            except ModelLoadError:
                raise
            except (OSError, ValueError) as exc:  # a location with a NUL byte, a name too long, ...
                raise ModelLoadError(
                    f"model {str(path)!r} names external data that cannot be a file in its folder ({exc}); "
                    "export the model again, keeping its weights next to it"
                ) from exc
        for name in names:
            if path is None:
                raise ModelLoadError(
                    f"the model keeps weights in an external file {name!r}, but was given as bytes; "
                    "pass the .onnx file's path so the weights next to it can be read"
                )
            ext = path.parent / name
            if not ext.is_file():
                raise ModelLoadError(f"external weights file {str(ext)!r} of model {str(path)!r} is missing")
            h.update(ext.read_bytes())
            ext_paths.append(ext)
    return h.hexdigest(), ext_paths


def read_model(model) -> ModelSource:
    """Accept a path, bytes, an ``onnx.ModelProto`` or an ``OnnxGraph`` (anything with ``.model``)."""
    if hasattr(model, "model") and isinstance(getattr(model, "model"), onnx.ModelProto):
        model = model.model
    if isinstance(model, onnx.ModelProto):
        data = model.SerializeToString()
        src = ModelSource(None, "", data, model)
        src.digest = _digest(data, None, lambda: model)[0]
        return src
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
        src = ModelSource(None, "", data)
        src.digest = _digest(data, None, src.proto)[0]
        return src
    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if not path.is_file():
            raise ModelLoadError(f"model file {str(path)!r} does not exist; give the path of an .onnx file")
        key = str(path.resolve())
        memo = _DIGESTS.get(key)
        if memo is not None:
            sigs, ext_names, digest = memo
            try:
                if sigs == tuple(_stat_sig(p) for p in [path, *map(Path, ext_names)]):
                    return ModelSource(path, digest)
            except OSError:
                pass
        src = ModelSource(path, "", path.read_bytes())
        src.digest, ext = _digest(src.data, path, src.proto)
        _DIGESTS[key] = (tuple(_stat_sig(p) for p in [path, *ext]), tuple(str(p) for p in ext), src.digest)
        return src
    raise ModelLoadError(
        f"model {type(model).__name__!r} is not an ONNX model; give a path, bytes, an onnx.ModelProto or an OnnxGraph"
    )


def has_qdq(proto: onnx.ModelProto) -> bool:
    return any(n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in proto.graph.node)


def to_fp16(src: ModelSource) -> tuple[bytes, int]:
    """Convert float32 tensors to float16, keeping float32 graph inputs/outputs (Casts at the I/O).

    Strongly typed backends (TensorRT for RTX) take precision from the network's types, so
    FP16 means an FP16 model. We use onnxconverter-common's converter, which is maintained
    with the ONNX ecosystem and handles initializers, Constant nodes, value_info and the
    ops that must stay float32 (e.g. Resize scales), rather than writing our own.

    Returns the converted model and how many Cast nodes the conversion inserted.
    """
    f16 = require("onnxconverter_common.float16", "FP16 builds on a strongly typed backend", extra="rtx")
    proto = src.proto()
    if src.path is not None and _external_files(proto):
        proto = onnx.load(str(src.path))  # bring external weights in before converting them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "float32 number will be truncated" for tiny weights
        try:
            out = f16.convert_float_to_float16(proto, keep_io_types=True)
        except Exception as exc:
            raise ConfigError(
                f"converting the model to float16 failed ({type(exc).__name__}: {exc}); "
                "build with precision='fp32', or export an FP16 model yourself"
            ) from exc
    casts = _count_casts(out.graph) - _count_casts(proto.graph)
    return out.SerializeToString(), casts


def _count_casts(graph: onnx.GraphProto) -> int:
    return sum(1 for node in graph.node if node.op_type == "Cast")
