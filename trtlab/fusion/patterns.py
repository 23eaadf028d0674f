"""Op-type vocabulary of the fusion report: short labels ("CBR"), elementwise ops, vanish reasons."""

from __future__ import annotations

import re

__all__ = ["op_letter", "short_pattern", "ELEMENTWISE_OPS", "SHAPE_OPS", "TRIVIAL_OPS", "QDQ_OPS"]

# The classic teaching letters: Conv+BatchNormalization+Relu reads "CBR", Conv+Add+Relu "CAR".
_LETTERS = {
    "Conv": "C",
    "ConvTranspose": "Ct",
    "BatchNormalization": "B",
    "InstanceNormalization": "IN",
    "LayerNormalization": "LN",
    "GroupNormalization": "GN",
    "Relu": "R",
    "LeakyRelu": "R",
    "PRelu": "R",
    "Add": "A",
    "Sum": "A",
    "Sub": "Sb",
    "Mul": "M",
    "Div": "D",
    "MatMul": "MM",
    "Gemm": "FC",
    "MaxPool": "P",
    "AveragePool": "P",
    "GlobalAveragePool": "GP",
    "GlobalMaxPool": "GP",
    "Softmax": "S",
    "Sigmoid": "Sg",
    "Tanh": "Th",
    "Clip": "Cl",
    "Gelu": "Ge",
    "Erf": "Erf",
    "Concat": "Cat",
    "LRN": "LRN",
    "QuantizeLinear": "Q",
    "DequantizeLinear": "DQ",
    "Transpose": "T",
    "Reshape": "Rs",
    "Flatten": "Fl",
    "Identity": "I",
    "Dropout": "Do",
    "Pow": "Pw",
    "Sqrt": "Sq",
    "ReduceMean": "RM",
    "Resize": "Up",
}

#: ops computed element by element (BatchNormalization at inference is a per-channel scale+shift)
ELEMENTWISE_OPS = frozenset(
    """Add Sub Mul Div Sum Max Min Mean Pow Sqrt Reciprocal Abs Neg Exp Log Erf Floor Ceil Round Sign
    Sin Cos Tan Relu LeakyRelu PRelu Elu Selu Celu Sigmoid HardSigmoid HardSwish Tanh Softplus Softsign
    Clip Gelu Mish ThresholdedRelu BatchNormalization Cast Where Not And Or Xor Equal Greater Less
    GreaterOrEqual LessOrEqual QuantizeLinear DequantizeLinear Identity Dropout BitShift Mod IsNaN
    IsInf Shrink""".split()
)
#: ops that only reinterpret a tensor's shape; TensorRT merges them into neighbouring layers
SHAPE_OPS = frozenset("Reshape Flatten Squeeze Unsqueeze".split())
#: ops that never become engine layers: they carry no computation
TRIVIAL_OPS = frozenset("Constant Identity Dropout".split())
QDQ_OPS = frozenset(("QuantizeLinear", "DequantizeLinear"))

_CAPS = re.compile(r"[A-Z]")


def op_letter(op_type: str) -> str:
    """Short label of one op type: ``Conv`` -> ``C``; unknown ops -> their capitals (``HardSwish`` -> ``HS``)."""
    if op_type in _LETTERS:
        return _LETTERS[op_type]
    caps = "".join(_CAPS.findall(op_type))
    return caps or op_type[:2].capitalize() or "?"


def short_pattern(groups: list[list[str]]) -> str:
    """Short label of fused op types: ``[["Conv", "BatchNormalization", "Relu"]]`` -> ``"CBR"``.

    Several groups (the branches of a horizontal fusion) are joined with ``||``: ``"CR||CR||CR"``.
    """
    return "||".join("".join(op_letter(t) for t in g) for g in groups if g)
