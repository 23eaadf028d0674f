"""Reading the model to build, and preparing it for the precision asked for."""

from __future__ import annotations

import warnings
from pathlib import Path

import onnx

from .._boundary import boundary
from .._optional import require
from ..errors import ConfigError, ModelLoadError
from ..graph.loader import ModelSource, load_external_data, open_model

__all__ = ["ModelSource", "read_model", "require_nodes", "to_fp16", "has_qdq"]


def _stat_sig(path: Path) -> tuple:
    st = path.stat()
    # ctime changes on every write and cannot be set by the user, so this identifies the content
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


# absolute path -> (stat signatures of the model and its external files, their paths, digest):
# repeat builds of an unchanged file skip reading and hashing it (as make/ccache trust file metadata)
_DIGESTS: dict[str, tuple[tuple, tuple, str]] = {}


def read_model(model) -> ModelSource:
    """The model to build, through trtlab's one model reader (:func:`trtlab.graph.loader.open_model`).

    Accepts a path, bytes, an ``onnx.ModelProto`` or an ``OnnxGraph``. Every external-data
    location (initializers, ``Constant`` values, ``If``/``Loop``/``Scan`` bodies) is checked
    before TensorRT may read it, and the digest -- the engine cache's key -- covers each
    external file. A file's digest is remembered by its stat signature.
    """
    src = open_model(model)
    if src.path is None:
        src.external_tensors()
        return src
    key = str(src.path.resolve())
    memo = _DIGESTS.get(key)
    if memo is not None:
        sigs, ext_names, digest = memo
        try:
            if sigs == tuple(_stat_sig(p) for p in [src.path, *map(Path, ext_names)]):
                src._digest = digest
                return src
        except OSError:
            pass
    ext = src.external_files()
    _DIGESTS[key] = (tuple(_stat_sig(p) for p in [src.path, *ext]), tuple(str(p) for p in ext), src.digest)
    return src


def require_nodes(src: ModelSource) -> onnx.ModelProto:
    """The parsed model; ModelLoadError if it has no nodes and no outputs (nothing to build)."""
    proto = src.proto()
    if len(proto.graph.node) == 0 and len(proto.graph.output) == 0:
        raise ModelLoadError(f"{src.label} has an empty graph (no nodes, no outputs); export the model again")
    return proto


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
    if src.external_tensors():  # bring the (checked) external weights in before converting them
        proto = src.editable_proto()
        load_external_data(proto, src.base_dir, src.label)
    with warnings.catch_warnings(), boundary(ConfigError, "converting the model to float16",
                                             "Build with precision='fp32', or export an FP16 model yourself."):
        warnings.simplefilter("ignore")  # "float32 number will be truncated" for tiny weights
        out = f16.convert_float_to_float16(proto, keep_io_types=True)
    casts = _count_casts(out.graph) - _count_casts(proto.graph)
    return out.SerializeToString(), casts


def _count_casts(graph: onnx.GraphProto) -> int:
    return sum(1 for node in graph.node if node.op_type == "Cast")
