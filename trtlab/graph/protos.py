"""Plain Python values out of ONNX protobuf messages: dtypes, declared types, attributes."""

from __future__ import annotations

import onnx
from onnx import AttributeProto, numpy_helper

from .types import Shape, TensorInfo

__all__ = ["dtype_name", "type_info", "merged", "constant_shape", "attribute_value", "tensor_value"]

_DTYPE_NAMES: dict[int, str] = {}


def dtype_name(elem_type: int) -> str | None:
    """numpy-style name of an ONNX element type (``"float32"``, ``"string"``); None when unset."""
    if not elem_type:
        return None
    name = _DTYPE_NAMES.get(elem_type)
    if name is None:
        if elem_type == onnx.TensorProto.STRING:
            name = "string"
        else:
            try:
                name = onnx.helper.tensor_dtype_to_np_dtype(elem_type).name
            except (KeyError, ValueError, TypeError):  # a type numpy has no dtype for
                try:
                    name = onnx.TensorProto.DataType.Name(elem_type).lower()
                except ValueError:
                    name = f"dtype{elem_type}"
        _DTYPE_NAMES[elem_type] = name
    return name


def type_info(name: str, tp: onnx.TypeProto) -> TensorInfo:
    """The :class:`TensorInfo` a ``TypeProto`` declares (tensor, sequence, optional or map)."""
    kind = tp.WhichOneof("value")
    if kind == "tensor_type" or kind == "sparse_tensor_type":
        tt = getattr(tp, kind)
        shape: Shape = None
        if tt.HasField("shape"):
            dims = []
            for d in tt.shape.dim:
                which = d.WhichOneof("value")
                if which == "dim_value" and d.dim_value >= 0:
                    dims.append(int(d.dim_value))
                elif which == "dim_param" and d.dim_param:
                    dims.append(d.dim_param)
                else:  # unset, or the -1 some exporters write for "dynamic"
                    dims.append(None)
            shape = tuple(dims)
        return TensorInfo(name, shape, dtype_name(tt.elem_type))
    if kind == "sequence_type":
        inner = type_info(name, tp.sequence_type.elem_type)
        return TensorInfo(name, None, f"seq({inner.dtype or '?'})")
    if kind == "optional_type":
        inner = type_info(name, tp.optional_type.elem_type)
        return TensorInfo(name, inner.shape, f"optional({inner.dtype or '?'})")
    if kind == "map_type":
        return TensorInfo(name, None, "map")
    return TensorInfo(name)


def merged(old: TensorInfo | None, new: TensorInfo) -> TensorInfo:
    """``new``, with shape/dtype taken from ``old`` where ``new`` does not know them."""
    if old is None:
        return new
    return TensorInfo(new.name, new.shape if new.shape is not None else old.shape, new.dtype or old.dtype)


def constant_shape(node: onnx.NodeProto) -> tuple[int, ...] | None:
    """Shape of the value of a Constant node (None if it has no recognizable value)."""
    for a in node.attribute:
        if a.name == "value" and a.HasField("t"):
            return tuple(a.t.dims)
        if a.name == "sparse_value" and a.HasField("sparse_value"):
            return tuple(a.sparse_value.dims)
        if a.name in ("value_float", "value_int", "value_string"):
            return ()
        if a.name == "value_floats":
            return (len(a.floats),)
        if a.name == "value_ints":
            return (len(a.ints),)
        if a.name == "value_strings":
            return (len(a.strings),)
    return None


def attribute_value(a: onnx.AttributeProto) -> object:
    """A node attribute as a plain Python value (str, list, numpy array, ...)."""
    t = a.type
    if t == AttributeProto.STRING:
        return a.s.decode("utf-8", "replace")
    if t == AttributeProto.STRINGS:
        return [s.decode("utf-8", "replace") for s in a.strings]
    if t == AttributeProto.TENSOR:
        return tensor_value(a.t)
    if t == AttributeProto.TENSORS:
        return [tensor_value(x) for x in a.tensors]
    if t in (AttributeProto.TYPE_PROTO, AttributeProto.TYPE_PROTOS):
        return str(onnx.helper.get_attribute_value(a))
    if t == AttributeProto.UNDEFINED and a.ref_attr_name:
        return f"@{a.ref_attr_name}"
    value = onnx.helper.get_attribute_value(a)
    return list(value) if t in (AttributeProto.INTS, AttributeProto.FLOATS) else value


def tensor_value(t: onnx.TensorProto) -> object:
    """A tensor attribute as a numpy array, or a short text for unloaded external data."""
    if t.data_location == onnx.TensorProto.EXTERNAL and not t.raw_data:
        return f"<external tensor {'x'.join(map(str, t.dims)) or 'scalar'}>"
    return numpy_helper.to_array(t)
