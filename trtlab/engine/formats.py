"""Data types, tensor formats and precisions as TensorRT writes them in layer information.

- :func:`parse_format` splits ``Format/Datatype`` text (``"Channel major FP16 format where channel % 8 == 0"``)
  into a data type and a layout;
- :func:`tactic_precision` reads the precision a kernel computes in from its tactic name;
- :func:`dtype_bytes` gives the size of one element of a data type.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["parse_format", "dtype_word", "tactic_precision", "dtype_bytes", "PRECISION_ORDER"]


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


def dtype_word(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    return _dtype_word_cached(text)


@lru_cache(maxsize=256)
def _dtype_word_cached(text: str) -> str | None:
    if not text.strip():
        return None
    m = _DTYPE_RE.search(text)
    return _DTYPE_WORDS[m.group(1).lower()] if m else text.strip().upper()



# --------------------------------------------------------------------------- element sizes

_BYTES = {"FP64": 8, "INT64": 8, "UINT64": 8, "FP32": 4, "INT32": 4, "UINT32": 4, "FP16": 2, "BF16": 2,
          "INT16": 2, "UINT16": 2, "FP8": 1, "INT8": 1, "UINT8": 1, "BOOL": 1, "E8M0": 1, "FP4": 0.5, "INT4": 0.5}


def dtype_bytes(dtype: str | None) -> float | None:
    """Bytes per element of a canonical data type (``"FP16"`` -> 2, ``"INT4"`` -> 0.5); None if unknown."""
    return _BYTES.get(dtype) if dtype else None


# --------------------------------------------------------------------------- tactic names

#: precisions from lowest to highest: when a tactic name shows several, the kernel computes in the
#: lowest (``turing_fp16_i8816cudnn_int8`` multiplies INT8 and writes FP16)
PRECISION_ORDER = ("FP4", "INT4", "FP8", "INT8", "BF16", "FP16", "FP32")

# Tokens of kernel names (split at "_"), matched at the start of a token. The naming follows the
# kernels TensorRT reports: xmma kernels spell ``<A><B>_<C><acc>_<epilogue>`` types
# (``sm80_xmma_fprop_implicit_gemm_interleaved_i8f16_i8i32_f32`` reads INT8 and writes FP16,
# ``..._f16f16_f16f16_f16`` FP16, ``..._f32f32_f32f32_f32`` FP32); cuDNN-style names carry the MMA
# shape (``h884``/``h1688``/``h16816`` half, ``s884``/``s1688`` single precision through TF32
# tensor cores, ``i8816``/``imma``/``int8x4`` integer) and the data type (``int8``, ``fp16``, ``fp32``).
_TACTIC_TOKENS = (
    ("FP4", ("e2m1", "fp4", "nvfp4")),
    ("INT4", ("int4", "i4i4", "i4f")),
    ("FP8", ("e4m3", "e5m2", "fp8", "f8f")),
    ("INT8", ("i8", "int8", "imma", "icudnn")),
    ("BF16", ("bf16", "bfloat16")),
    ("FP16", ("f16", "fp16", "h884", "h1688", "h16816", "hmma", "hcudnn", "half")),
    ("FP32", ("f32", "fp32", "tf32", "s884", "s1688", "s16816", "sgemm", "scudnn", "ffma", "float")),
)


@lru_cache(maxsize=4096)  # an engine uses a few hundred distinct tactics
def tactic_precision(tactic: str | None) -> str | None:
    """The precision a kernel computes in, read from its tactic name; None when the name does not say.

    >>> tactic_precision("sm80_xmma_fprop_implicit_gemm_interleaved_i8f16_i8i32_f32_nchw_vect_c_32")
    'INT8'
    >>> tactic_precision("0x00000000000003ea") is None
    True
    """
    if not tactic or tactic.startswith("0x"):
        return None
    tokens = [t for t in tactic.lower().split("_") if t]
    for precision, prefixes in _TACTIC_TOKENS:
        if any(t.startswith(prefixes) for t in tokens):
            return precision
    return None
