"""Stable colours per operator type, shared by every trtlab drawing.

Common operators get fixed, hand-picked colours so a Conv is the same blue in every picture,
notebook and session; any other op type gets a colour derived from a hash of its name, so it is
also stable between runs (Python's ``hash`` is salted per process, so CRC32 is used instead).
"""

from __future__ import annotations

import zlib

__all__ = ["op_color", "FIXED_COLORS", "COLLAPSED_COLOR", "lighten"]

# Light fills so black labels stay readable. Families share a hue: convolutions blue,
# activations green, normalisation orange, pooling purple, elementwise arithmetic yellow,
# shape/layout grey-blue, quantisation red, matrix products teal, control flow pink.
FIXED_COLORS: dict[str, str] = {
    "Conv": "#8ec1ec",
    "ConvTranspose": "#a9c8f0",
    "QLinearConv": "#7fb3e0",
    "ConvInteger": "#7fb3e0",
    "BatchNormalization": "#f7c58c",
    "InstanceNormalization": "#f9d2a5",
    "LayerNormalization": "#f5b574",
    "GroupNormalization": "#f9d8b0",
    "LRN": "#fbe0bd",
    "Relu": "#9fdc9f",
    "LeakyRelu": "#b5e6a9",
    "PRelu": "#b5e6a9",
    "Clip": "#c3e9b5",
    "Sigmoid": "#aee3c8",
    "Tanh": "#b9e8d3",
    "Gelu": "#9ad7b7",
    "HardSigmoid": "#c6ecd6",
    "HardSwish": "#c6ecd6",
    "Softplus": "#c6ecd6",
    "Elu": "#c6ecd6",
    "Selu": "#c6ecd6",
    "Erf": "#c6ecd6",
    "MaxPool": "#cdb5e8",
    "AveragePool": "#d8c6ee",
    "GlobalAveragePool": "#bfa3e0",
    "GlobalMaxPool": "#bfa3e0",
    "Add": "#f3e38c",
    "Sum": "#f3e38c",
    "Sub": "#f6ea9f",
    "Mul": "#e3cf57",
    "Div": "#f6ea9f",
    "Pow": "#f6ea9f",
    "Sqrt": "#f8eeb3",
    "ReduceMean": "#f8eeb3",
    "ReduceSum": "#f8eeb3",
    "Concat": "#f4a6a0",
    "Split": "#f7bdb8",
    "Slice": "#d5dde5",
    "Gather": "#c9d3dd",
    "Reshape": "#d5dde5",
    "Flatten": "#d5dde5",
    "Transpose": "#b7c5d6",
    "Squeeze": "#dde3ea",
    "Unsqueeze": "#d3dccf",
    "Shape": "#e4e8ed",
    "Expand": "#dde3ea",
    "Cast": "#e6ddd0",
    "Identity": "#eceff2",
    "Constant": "#eceff2",
    "ConstantOfShape": "#eceff2",
    "Dropout": "#eceff2",
    "Pad": "#dde3ea",
    "Resize": "#c9d3dd",
    "Upsample": "#c9d3dd",
    "MatMul": "#8fd6d0",
    "Gemm": "#7fcdc6",
    "MatMulInteger": "#8fd6d0",
    "Einsum": "#a7dfda",
    "Softmax": "#f2b8d8",
    "LogSoftmax": "#f2b8d8",
    "TopK": "#f5c9e1",
    "ArgMax": "#f5c9e1",
    "QuantizeLinear": "#ef8f8f",
    "DequantizeLinear": "#f3aaaa",
    "If": "#e7a1e0",
    "Loop": "#e7a1e0",
    "Scan": "#e7a1e0",
}

#: fill of a box that stands for several collapsed nodes
COLLAPSED_COLOR = "#ffffff"

# Colours for op types without a fixed colour: light tints of matplotlib's tab20 (written out
# so this module does not need matplotlib's colormap registry at import time).
_HASHED = [
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2",
    "#c7c7c7", "#dbdb8d", "#9edae5", "#bcd4ee", "#ffd0a6", "#bde9b4", "#ffc0bf",
    "#dacbe3", "#dcc3bd", "#fbd0e5", "#dbdbdb", "#e8e8b4", "#c2e8ef",
]


def op_color(op_type: str) -> str:
    """A stable hex colour for ``op_type`` (fixed for common ops, hashed for the rest)."""
    op = str(op_type)
    fixed = FIXED_COLORS.get(op)
    if fixed is not None:
        return fixed
    return _HASHED[zlib.crc32(op.encode("utf-8")) % len(_HASHED)]


def lighten(color: str | tuple, amount: float) -> tuple[float, float, float, float]:
    """``color`` blended towards white by ``amount`` (0 = unchanged, 1 = white), as RGBA."""
    from matplotlib.colors import to_rgba

    r, g, b, a = to_rgba(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount, a)
