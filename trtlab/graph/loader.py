"""Reading ONNX models safely: sources, external data (with path checks), shape inference.

Everything that can fail inside onnx/protobuf is caught here and re-raised as
:class:`~trtlab.errors.ModelLoadError` naming the file and what to do.

``onnx.checker`` is deliberately not run on load: it rejects many real, usable models (onnx
1.2x refuses graph outputs without a shape, i.e. most of Polygraphy's test models, and custom
domains without an opset import), and it needs a file path to check external data. trtlab's
own checks below refuse only what would make the graph wrong or unsafe (undecodable files,
corrupt tensor sizes, external data outside the model's folder, cycles, tensors produced twice)
and report the rest as warnings on the graph.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

import onnx
from google.protobuf.message import DecodeError
from onnx import external_data_helper, shape_inference

from .._boundary import boundary
from ..errors import ModelLoadError

__all__ = ["Source", "ModelSource", "open_model", "is_model_source", "read_model", "check_external_data",
           "load_external_data", "infer_shapes"]

_PROTOBUF_LIMIT = 2**31  # protobuf cannot parse a message of 2 GiB or more

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, onnx.ModelProto]


def _describe(src: object) -> str:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return f"<{len(src)} bytes>"
    if isinstance(src, onnx.ModelProto):
        return f"<ModelProto {src.graph.name!r}>"
    return repr(os.fspath(src)) if isinstance(src, (str, os.PathLike)) else repr(src)


@dataclass
class ModelSource:
    """One ONNX model as every part of trtlab reads it (graph loading, building, references).

    ``data`` (the serialized model) and ``proto()`` (the parsed model, shared: do not modify)
    are made on first use; :meth:`external_tensors` checks every external-data location --
    initializers, ``Constant`` values and tensors inside ``If``/``Loop``/``Scan`` bodies --
    against ``base_dir`` before anything is read; :attr:`digest` hashes the model and the
    external files it names, so a changed weights file changes it.
    """

    label: str                     # names the source in messages
    base_dir: Path | None          # where external data files are looked up
    path: Path | None = None       # the file it was read from, if any
    _data: bytes | None = field(default=None, repr=False)
    _proto: onnx.ModelProto | None = field(default=None, repr=False)
    _borrowed: bool = False        # _proto belongs to the caller: copy before changing it
    _external: list | None = field(default=None, repr=False)
    _digest: str | None = field(default=None, repr=False)

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self._proto.SerializeToString() if self._path_free() else _read_file(self.path)
        return self._data

    def _path_free(self) -> bool:
        return self.path is None and self._proto is not None

    def proto(self) -> onnx.ModelProto:
        """The parsed model (shared; use :meth:`editable_proto` to change it)."""
        if self._proto is None:
            self._proto = _parse(self.data, self.label)
            _require_graph(self._proto, self.label)
        return self._proto

    def editable_proto(self) -> onnx.ModelProto:
        """A parsed model the caller may change (a copy when the caller's own object was given)."""
        proto = self.proto()
        if self._borrowed:
            copy = onnx.ModelProto()
            copy.CopyFrom(proto)
            return copy
        self._borrowed = True  # handed out once; later callers get copies
        return proto

    def external_tensors(self) -> list[onnx.TensorProto]:
        """Every tensor kept in external data, each location checked (see :func:`check_external_data`)."""
        if self._external is None:
            if self._data is not None and b"location" not in self._data and self._proto is None:
                self._external = []  # every external-data entry has a "location" key: no parse needed
            else:
                self._external = check_external_data(self.proto(), self.base_dir, self.label)
        return self._external

    def external_files(self) -> list[Path]:
        """The external data files, in the order the model first names them (checked, inside base_dir)."""
        files: list[Path] = []
        for tensor in self.external_tensors():
            target = self.base_dir / _location(tensor)
            if target not in files:
                files.append(target)
        return files

    @property
    def digest(self) -> str:
        """sha256 of the serialized model and of each external data file (name and bytes)."""
        if self._digest is None:
            h = hashlib.sha256(self.data)
            for target in self.external_files():
                h.update(os.fsencode(target.relative_to(self.base_dir)))
                h.update(_read_file(target, limit=None))
            self._digest = h.hexdigest()
        return self._digest

    def for_onnxruntime(self) -> bytes | str:
        """What to hand ONNX Runtime: the checked file's path when it has external data, else bytes."""
        if not self.external_tensors():
            return self.data
        if self.path is not None and self.base_dir == self.path.parent:
            return str(self.path)  # every location was checked to stay inside the model's folder
        model = self.editable_proto()
        load_external_data(model, self.base_dir, self.label)
        return model.SerializeToString()


def is_model_source(src: object) -> bool:
    """Whether ``src`` is something :func:`open_model` reads (a path, bytes, a ModelProto, an OnnxGraph)."""
    return isinstance(src, (str, os.PathLike, bytes, bytearray, memoryview, onnx.ModelProto)) or isinstance(
        getattr(src, "model", None), onnx.ModelProto)


def open_model(src: Source, base_dir: str | os.PathLike | None = None) -> ModelSource:
    """The one reader of ONNX models: a path, bytes, an ``onnx.ModelProto`` or an ``OnnxGraph``.

    Nothing is parsed yet; a path is checked to be an existing file under protobuf's 2 GiB limit.
    ``base_dir`` is where external data is looked up (default: the model file's folder).
    """
    if isinstance(getattr(src, "model", None), onnx.ModelProto):  # an OnnxGraph
        src = src.model
    label = _describe(src)
    where = Path(base_dir) if base_dir is not None else None
    if isinstance(src, onnx.ModelProto):
        _require_graph(src, label)
        return ModelSource(label, where, _proto=src, _borrowed=True)
    if isinstance(src, (bytes, bytearray, memoryview)):
        return ModelSource(label, where, _data=bytes(src))
    if isinstance(src, (str, os.PathLike)):
        path = _checked_path(src)
        return ModelSource(repr(str(path)), where if where is not None else path.parent, path=path)
    raise ModelLoadError(
        f"cannot load an ONNX model from a {type(src).__name__} ({label[:80]}); pass a file path "
        f"(str or pathlib.Path), the model's bytes, or an onnx.ModelProto."
    )


def read_model(src: Source, base_dir: str | os.PathLike | None = None) -> tuple[onnx.ModelProto, Path | None, str]:
    """Parse ``src`` into a ModelProto *without* external data, which the caller may change.

    Returns ``(model, base_dir, label)``: ``base_dir`` is where external data files are looked
    up (the model's folder for a path, the ``base_dir`` argument otherwise), ``label`` names the
    source in messages. A ModelProto source is copied, so loading external data into it later
    does not modify the caller's object.
    """
    source = open_model(src, base_dir)
    return source.editable_proto(), source.base_dir, source.label


def _checked_path(src: str | os.PathLike) -> Path:
    path = Path(os.fspath(src)).expanduser()
    if not path.exists():
        raise ModelLoadError(f"ONNX model file not found: {str(path)!r}. Check the path (relative paths are "
                             f"relative to the current directory {os.getcwd()!r}).")
    if not path.is_file():
        raise ModelLoadError(f"{str(path)!r} is not a file; pass the path of an .onnx model file.")
    size = path.stat().st_size
    if size >= _PROTOBUF_LIMIT:
        raise ModelLoadError(
            f"{str(path)!r} is {size / 2**30:.1f} GiB, over protobuf's 2 GiB limit for one message, so it "
            f"cannot be an ONNX model file; large models keep their weights in external data files "
            f"(onnx.save(model, path, save_as_external_data=True))."
        )
    return path


def _read_file(path: Path, limit: int | None = _PROTOBUF_LIMIT) -> bytes:
    try:
        size = path.stat().st_size
        if limit is not None and size >= limit:
            raise ModelLoadError(f"{str(path)!r} is {size / 2**30:.1f} GiB, over protobuf's 2 GiB limit; "
                                 f"it cannot be an ONNX model file.")
        return path.read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"cannot read {str(path)!r}: {exc.strerror or exc}. "
                             f"Check the file's permissions.") from exc


def _require_graph(model: onnx.ModelProto, label: str) -> None:
    if not model.HasField("graph"):
        raise ModelLoadError(
            f"{label} is not an ONNX model: it holds no graph (is the file truncated, or another format?). "
            f"Export the model again, e.g. with torch.onnx.export."
        )


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    if not data:
        raise ModelLoadError(f"{label} is empty (0 bytes); it is not an ONNX model.")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError, RecursionError) as exc:
        raise ModelLoadError(
            f"{label} is not a valid ONNX model: protobuf could not decode it ({exc}). "
            f"The file may be truncated or corrupt, or not an .onnx file; export it again."
        ) from exc
    _check_wire_types(model, label)
    _check_wire_types(model.graph, label)
    return model


def _check_wire_types(message, label: str) -> None:
    """Refuse known fields that arrived with the wrong wire type.

    protobuf keeps such fields as "unknown" instead of failing, so a corrupt file could
    otherwise load as a different, plausible model. Unknown field *numbers* are fine (a newer
    ONNX version may add fields); a known number with a mismatched encoding is corruption.
    """
    try:
        from google.protobuf import unknown_fields
    except ImportError:  # pragma: no cover - protobuf < 4.22
        return
    known = message.DESCRIPTOR.fields_by_number
    for field in unknown_fields.UnknownFieldSet(message):
        if field.field_number in known:
            name = known[field.field_number].name
            raise ModelLoadError(
                f"{label} is not a valid ONNX model: field {message.DESCRIPTOR.name}.{name} "
                f"(number {field.field_number}) has the wrong protobuf encoding (wire type "
                f"{field.wire_type}). The file is corrupt or not an .onnx file; export it again."
            )


def _all_tensors(graph: onnx.GraphProto):
    # Written here because onnx only offers this walk as a private helper
    # (external_data_helper._get_all_tensors): initializers, tensor attributes, subgraphs.
    yield from graph.initializer
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("g"):
                yield from _all_tensors(attr.g)
            for sub in attr.graphs:
                yield from _all_tensors(sub)


def _external_tensors(model: onnx.ModelProto):
    for tensor in _all_tensors(model.graph):
        if tensor.HasField("data_location") and tensor.data_location == onnx.TensorProto.EXTERNAL:
            yield tensor


# bits per element of the types whose raw_data is packed below a byte
_SUB_BYTE_BITS = {"INT4": 4, "UINT4": 4, "FLOAT4E2M1": 4, "INT2": 2, "UINT2": 2}
_DTYPE_NAMES = {v: k for k, v in onnx.TensorProto.DataType.items()}


@functools.lru_cache(maxsize=None)
def _itemsize_bits(data_type: int) -> int | None:
    name = _DTYPE_NAMES.get(data_type, "")
    if name in _SUB_BYTE_BITS:
        return _SUB_BYTE_BITS[name]
    if not name or name in ("STRING", "UNDEFINED"):
        return None
    try:
        return onnx.helper.tensor_dtype_to_np_dtype(data_type).itemsize * 8
    except (KeyError, ValueError, TypeError):  # a type numpy has no dtype for
        return None


def _expected_bytes(tensor: onnx.TensorProto) -> int | None:
    bits = _itemsize_bits(tensor.data_type)
    if bits is None:
        return None
    numel = 1
    for d in tensor.dims:
        numel *= d
    return (numel * bits + 7) // 8


def check_tensor_sizes(model: onnx.ModelProto, label: str, warnings: list[str]) -> None:
    """Refuse tensors whose stored data does not match their declared dims and type.

    A tensor claiming 2**40 elements while holding 108 would make every consumer (drawing,
    TensorRT's parser, onnxruntime) misbehave; it is caught here, before anything reads it.
    Tensors holding no data at all (weights stripped to share a model's structure) load with a
    warning: their shapes are still known.
    """
    stripped = []
    for tensor in _all_tensors(model.graph):
        where = f"tensor {tensor.name!r} of {label}"
        if any(d < 0 for d in tensor.dims):
            raise ModelLoadError(f"{where} has negative dims {list(tensor.dims)}; the model is corrupt.")
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            continue  # checked against its file by check_external_data
        expected = _expected_bytes(tensor)
        if tensor.HasField("raw_data"):
            have = len(tensor.raw_data)
            if expected is not None and have != expected:
                raise ModelLoadError(
                    f"{where} declares dims {list(tensor.dims)} ({_DTYPE_NAMES.get(tensor.data_type, '?')}, "
                    f"{expected:,} bytes) but stores {have:,} bytes; the model is corrupt. Export it again."
                )
            continue
        counts = [len(tensor.float_data), len(tensor.int32_data), len(tensor.int64_data), len(tensor.double_data),
                  len(tensor.uint64_data), len(tensor.string_data)]
        have_values = sum(counts)
        numel = 1
        for d in tensor.dims:
            numel *= d
        if have_values == 0:
            if numel > 0:
                stripped.append(tensor.name)
            continue
        name = _DTYPE_NAMES.get(tensor.data_type, "")
        if name.startswith("COMPLEX"):
            allowed = {2 * numel}
        elif name in _SUB_BYTE_BITS:  # packed into int32_data
            per = 8 // _SUB_BYTE_BITS[name]
            allowed = {(numel + per - 1) // per, numel}
        else:
            allowed = {numel}
        if have_values not in allowed:
            raise ModelLoadError(
                f"{where} declares dims {list(tensor.dims)} ({numel:,} elements) but stores {have_values:,} values; "
                f"the model is corrupt. Export it again."
            )
    if stripped:
        shown = ", ".join(repr(n) for n in stripped[:3]) + (" ..." if len(stripped) > 3 else "")
        warnings.append(f"{len(stripped)} tensor(s) hold no data (weights stripped?): {shown}")


def _location(tensor: onnx.TensorProto) -> str:
    return next((e.value for e in tensor.external_data if e.key == "location"), "")


def check_external_data(model: onnx.ModelProto, base_dir: Path | None, label: str) -> list[onnx.TensorProto]:
    """Validate every external-data location of ``model``; return the tensors that have one.

    Covers every tensor of the model: initializers, tensor attributes (``Constant`` values) and
    the tensors of ``If``/``Loop``/``Scan`` bodies. Refuses (ModelLoadError) absolute locations,
    symbolic links and locations that resolve - following symlinks - outside ``base_dir``: a
    model must not make trtlab (or TensorRT, or ONNX Runtime) read arbitrary files
    (``../../etc/passwd``). This check is our own, independent of the installed onnx version.
    """
    tensors = list(_external_tensors(model))
    if not tensors:
        return tensors
    if base_dir is None:
        raise ModelLoadError(
            f"{label} keeps tensor {tensors[0].name!r} in external data, but no folder to read it from "
            f"is known; pass the .onnx file's path (load_onnx also takes base_dir=, the folder of the "
            f".onnx file, or external_data=False to skip weights)."
        )
    root = Path(base_dir).resolve()
    for tensor in tensors:
        try:
            _check_external_tensor(tensor, root, label)
        except (OSError, ValueError) as exc:
            if isinstance(exc, ModelLoadError):
                raise
            # a location with a NUL byte, a name too long for the file system, ...
            raise ModelLoadError(
                f"tensor {tensor.name!r} of {label} names external data {_location(tensor)[:200]!r} that "
                f"cannot be a file in the model's folder ({exc}); export the model again, keeping its "
                f"weights next to it."
            ) from exc
    return tensors


def _check_external_tensor(tensor: onnx.TensorProto, root: Path, label: str) -> None:
    info = {e.key: e.value for e in tensor.external_data}
    location = info.get("location", "")
    if not location:
        raise ModelLoadError(f"tensor {tensor.name!r} of {label} is marked external but names no file.")
    if os.path.isabs(location) or Path(location).is_absolute() or location.startswith(("/", "\\")):
        raise ModelLoadError(
            f"tensor {tensor.name!r} of {label} points to external data at the absolute path {location!r}; "
            f"only files inside the model's folder {str(root)!r} are allowed. Move the data next to the model."
        )
    target = (root / location).resolve()
    if target != root and root not in target.parents:
        raise ModelLoadError(
            f"tensor {tensor.name!r} of {label} points to external data {location!r}, which resolves to "
            f"{str(target)!r}, outside the model's folder {str(root)!r}; refusing to read it. "
            f"Only files inside the model's folder are allowed."
        )
    if (root / location).is_symlink():
        # onnx's own loader refuses symlinks too; saying so here keeps the message clear
        # and the behaviour independent of the onnx version
        raise ModelLoadError(
            f"external data file {location!r} of tensor {tensor.name!r} ({label}) is a symbolic link; "
            f"links are not followed. Copy the data file next to the model instead."
        )
    if not target.is_file():
        raise ModelLoadError(
            f"external data file {location!r} of tensor {tensor.name!r} ({label}) was not found in "
            f"{str(root)!r}. Copy the data file next to the model, or pass external_data=False."
        )
    _check_external_range(tensor, info, target, location, label)


def _check_external_range(tensor: onnx.TensorProto, info: dict, target: Path, location: str, label: str) -> None:
    try:
        offset = int(info.get("offset", 0) or 0)
        length = int(info["length"]) if info.get("length") not in (None, "") else None
    except ValueError as exc:
        raise ModelLoadError(
            f"tensor {tensor.name!r} of {label} has a malformed external-data offset/length: {info}") from exc
    size = target.stat().st_size
    expected = _expected_bytes(tensor)
    if length is None:
        length = expected if expected is not None else size - offset
    if offset < 0 or length < 0 or offset + length > size:
        raise ModelLoadError(
            f"tensor {tensor.name!r} of {label} reads bytes {offset}..{offset + length} of "
            f"{location!r}, which has only {size} bytes; the data file does not match the model."
        )
    if expected is not None and length != expected:
        raise ModelLoadError(
            f"tensor {tensor.name!r} of {label} declares dims {list(tensor.dims)} ({expected:,} bytes) but its "
            f"external data {location!r} holds {length:,} bytes; the data file does not match the model."
        )


def load_external_data(model: onnx.ModelProto, base_dir: Path | None, label: str) -> None:
    """Check, then load, every external tensor of ``model`` in place."""
    if not check_external_data(model, base_dir, label):
        return
    with boundary(ModelLoadError, f"loading the external data of {label} from {str(base_dir)!r}",
                  "Check that the data files next to the model are complete."):
        external_data_helper.load_external_data_for_model(model, str(base_dir))


def _node_domains(graph: onnx.GraphProto, out: set[str]) -> set[str]:
    for node in graph.node:
        out.add(node.domain)
        for attr in node.attribute:
            if attr.HasField("g"):
                _node_domains(attr.g, out)
            for sub in attr.graphs:
                _node_domains(sub, out)
    return out


def infer_shapes(model: onnx.ModelProto, warnings: list[str]) -> onnx.ModelProto:
    """Run ONNX shape inference and return the inferred copy; on failure keep ``model`` and warn.

    Custom-op domains the model does not import (TensorRT plugins, contrib ops) make onnx's
    inference give up on the whole graph; declaring them for the duration of the call lets it
    infer everything except those ops' outputs. Strict mode first, so inconsistencies are
    reported in ``warnings``; then lenient mode, which infers what it can around them.
    """
    imported = {o.domain for o in model.opset_import} | {"ai.onnx"}
    missing = sorted(_node_domains(model.graph, set()) - imported - {""})
    for domain in missing:
        model.opset_import.append(onnx.helper.make_opsetid(domain, 1))
    try:
        if missing:
            warnings.append(
                f"custom op domain(s) {', '.join(map(repr, missing))} are not declared in the model's opset "
                f"imports; shapes of their ops' outputs are unknown"
            )
        try:
            return shape_inference.infer_shapes(model, check_type=False, strict_mode=True, data_prop=True)
        except Exception as exc:
            strict_error = _first_line(exc)
        try:
            inferred = shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
            warnings.append(f"shape inference reported a problem, some shapes may be missing: {strict_error}")
            return inferred
        except Exception as exc:
            warnings.append(f"shape inference failed, using the shapes stored in the model: {_first_line(exc)}")
            return model
    finally:
        if missing:
            del model.opset_import[len(model.opset_import) - len(missing):]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
