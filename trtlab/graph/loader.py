"""Reading ONNX models safely: sources, external data (with path checks), shape inference.

Everything that can fail inside onnx/protobuf is caught here and re-raised as
:class:`~trtlab.errors.ModelLoadError` naming the file and what to do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import onnx
from onnx import external_data_helper, shape_inference

from ..errors import ModelLoadError

__all__ = ["Source", "read_model", "check_external_data", "load_external_data", "infer_shapes"]

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, onnx.ModelProto]


def _describe(src: object) -> str:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return f"<{len(src)} bytes>"
    if isinstance(src, onnx.ModelProto):
        return f"<ModelProto {src.graph.name!r}>"
    return repr(os.fspath(src)) if isinstance(src, (str, os.PathLike)) else repr(src)


def read_model(src: Source, base_dir: str | os.PathLike | None = None) -> tuple[onnx.ModelProto, Path | None, str]:
    """Parse ``src`` into a ModelProto *without* external data.

    Returns ``(model, base_dir, label)``: ``base_dir`` is where external data files are looked
    up (the model's folder for a path, the ``base_dir`` argument otherwise), ``label`` names the
    source in messages. A ModelProto source is copied, so loading external data into it later
    does not modify the caller's object.
    """
    label = _describe(src)
    if isinstance(src, onnx.ModelProto):
        model = onnx.ModelProto()
        model.CopyFrom(src)
        where = Path(base_dir) if base_dir is not None else None
    elif isinstance(src, (bytes, bytearray, memoryview)):
        model = _parse(bytes(src), label)
        where = Path(base_dir) if base_dir is not None else None
    elif isinstance(src, (str, os.PathLike)):
        path = Path(os.fspath(src)).expanduser()
        if not path.exists():
            raise ModelLoadError(f"ONNX model file not found: {str(path)!r}. Check the path (relative paths are "
                                 f"relative to the current directory {os.getcwd()!r}).")
        if not path.is_file():
            raise ModelLoadError(f"{str(path)!r} is not a file; pass the path of an .onnx model file.")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ModelLoadError(f"cannot read ONNX model {str(path)!r}: {exc.strerror or exc}. "
                                 f"Check the file's permissions.") from exc
        model = _parse(data, repr(str(path)))
        label = repr(str(path))
        where = Path(base_dir) if base_dir is not None else path.parent
    else:
        raise ModelLoadError(
            f"cannot load an ONNX model from a {type(src).__name__} ({label[:80]}); pass a file path "
            f"(str or pathlib.Path), the model's bytes, or an onnx.ModelProto."
        )
    if not model.HasField("graph"):
        raise ModelLoadError(
            f"{label} is not an ONNX model: it holds no graph (is the file truncated, or another format?). "
            f"Export the model again, e.g. with torch.onnx.export."
        )
    return model, where, label


def _parse(data: bytes, label: str) -> onnx.ModelProto:
    if not data:
        raise ModelLoadError(f"{label} is empty (0 bytes); it is not an ONNX model.")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:  # google.protobuf.message.DecodeError and friends
        raise ModelLoadError(
            f"{label} is not a valid ONNX model: protobuf could not decode it ({exc}). "
            f"The file may be truncated or corrupt, or not an .onnx file; export it again."
        ) from exc
    return model


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


def check_external_data(model: onnx.ModelProto, base_dir: Path | None, label: str) -> list[onnx.TensorProto]:
    """Validate every external-data location of ``model``; return the tensors that have one.

    Refuses (ModelLoadError) absolute locations and locations that resolve - following symlinks -
    outside ``base_dir``: a model must not make trtlab read arbitrary files
    (``../../etc/passwd``). This check is our own, independent of the installed onnx version.
    """
    tensors = list(_external_tensors(model))
    if not tensors:
        return tensors
    if base_dir is None:
        raise ModelLoadError(
            f"{label} keeps tensor {tensors[0].name!r} in external data, but no folder to read it from "
            f"was given; pass base_dir= (the folder of the .onnx file), or external_data=False to skip weights."
        )
    root = Path(base_dir).resolve()
    for tensor in tensors:
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
        if not target.is_file():
            raise ModelLoadError(
                f"external data file {location!r} of tensor {tensor.name!r} ({label}) was not found in "
                f"{str(root)!r}. Copy the data file next to the model, or pass external_data=False."
            )
        try:
            offset = int(info.get("offset", 0) or 0)
            length = int(info["length"]) if info.get("length") not in (None, "") else None
        except ValueError as exc:
            raise ModelLoadError(f"tensor {tensor.name!r} of {label} has a malformed external-data offset/length: {info}") from exc
        size = target.stat().st_size
        if offset < 0 or offset > size or (length is not None and (length < 0 or offset + length > size)):
            raise ModelLoadError(
                f"tensor {tensor.name!r} of {label} reads bytes {offset}..{offset + (length or 0)} of "
                f"{location!r}, which has only {size} bytes; the data file does not match the model."
            )
    return tensors


def load_external_data(model: onnx.ModelProto, base_dir: Path | None, label: str) -> None:
    """Check, then load, every external tensor of ``model`` in place."""
    if not check_external_data(model, base_dir, label):
        return
    try:
        external_data_helper.load_external_data_for_model(model, str(base_dir))
    except Exception as exc:
        raise ModelLoadError(f"could not load the external data of {label} from {str(base_dir)!r}: {exc}") from exc


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
