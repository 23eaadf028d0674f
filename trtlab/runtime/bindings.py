"""The binding table: an engine's I/O tensors, read through TensorRT's name-based API."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import numpy as np

from ..errors import BindingError

__all__ = ["Binding", "BindingTable", "DTYPES", "binding_table", "numpy_dtype", "read_bindings"]

# TensorRT DataType member name -> (numpy dtype name, bytes per element).
# bfloat16 and fp8 have no numpy dtype of their own; ml_dtypes supplies them when installed.
DTYPES: dict[str, tuple[str, float]] = {
    "FLOAT": ("float32", 4),
    "HALF": ("float16", 2),
    "BF16": ("bfloat16", 2),
    "INT8": ("int8", 1),
    "UINT8": ("uint8", 1),
    "INT32": ("int32", 4),
    "INT64": ("int64", 8),
    "BOOL": ("bool", 1),
    "FP8": ("float8_e4m3fn", 1),
    "E8M0": ("float8_e8m0fnu", 1),
    "INT4": ("int4", 0.5),
    "FP4": ("float4_e2m1fn", 0.5),
}


def numpy_dtype(name: str) -> np.dtype:
    """The numpy dtype for a dtype name of the table above (ml_dtypes for bf16/fp8)."""
    try:
        return np.dtype(name)
    except TypeError:
        pass
    try:
        import ml_dtypes  # optional: only engines with bf16/fp8 I/O need it
        return np.dtype(getattr(ml_dtypes, name))
    except (ImportError, AttributeError) as exc:
        raise BindingError(
            f"the engine uses dtype {name!r} at its inputs/outputs, which numpy lacks; "
            f"pip install ml_dtypes, or rebuild the engine with float32/float16 I/O"
        ) from exc


@dataclass(frozen=True)
class Binding:
    """One I/O tensor of an engine.

    ``shape`` has -1 for dynamic dimensions; ``profile`` is ``(min, opt, max)`` of the
    session's optimization profile for inputs with dynamic dimensions; ``nbytes`` is the size
    at the largest shape the profile allows (None when data-dependent).
    """

    name: str
    mode: str                     # "input" | "output"
    shape: tuple[int, ...]
    dtype: str                    # numpy-style name: "float32", "float16", "bfloat16", ...
    trt_dtype: str                # TensorRT DataType name: "FLOAT", "HALF", ...
    location: str                 # "device" | "host"
    nbytes: int | None
    profile: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]] | None = None
    format: str | None = None

    @property
    def is_input(self) -> bool:
        return self.mode == "input"

    @property
    def dynamic(self) -> bool:
        return any(d < 0 for d in self.shape)

    @property
    def itemsize(self) -> float:
        return DTYPES.get(self.trt_dtype, (self.dtype, 0))[1]

    def row(self) -> tuple[str, ...]:
        prof = ""
        if self.profile:
            prof = " / ".join("x".join(map(str, s)) for s in self.profile)
        return (
            self.name,
            self.mode,
            "(" + ", ".join("?" if d < 0 else str(d) for d in self.shape) + ")",
            self.dtype,
            self.location,
            _fmt_bytes(self.nbytes),
            prof,
            self.format or "",
        )


_HEAD = ("name", "mode", "shape", "dtype", "location", "bytes", "profile min / opt / max", "format")


def _fmt_bytes(n: int | None) -> str:
    if n is None:
        return "at run time"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


class BindingTable(Sequence[Binding]):
    """The I/O tensors of an engine, in TensorRT's order; index by position or by name."""

    def __init__(self, bindings: list[Binding], note: str | None = None):
        self._items = list(bindings)
        self._by_name = {b.name: b for b in self._items}
        self.note = note

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Binding]:
        return iter(self._items)

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            try:
                return self._by_name[key]
            except KeyError:
                raise BindingError(f"no I/O tensor named {key!r}; the engine has {self.names}") from None
        return self._items[key]

    def __contains__(self, name) -> bool:
        return name in self._by_name

    @property
    def names(self) -> list[str]:
        return [b.name for b in self._items]

    @property
    def inputs(self) -> list[Binding]:
        return [b for b in self._items if b.is_input]

    @property
    def outputs(self) -> list[Binding]:
        return [b for b in self._items if not b.is_input]

    def rows(self) -> list[tuple[str, ...]]:
        return [b.row() for b in self._items]

    def __str__(self) -> str:
        rows = [_HEAD] + self.rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(_HEAD))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines + ([self.note] if self.note else []))

    def __repr__(self) -> str:
        return f"<BindingTable {len(self)} tensors: {', '.join(self.names)}>"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEAD)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(c)}</td>" for c in r) + "</tr>"
            for r in self.rows()
        )
        note = f"<p><i>{html.escape(self.note)}</i></p>" if self.note else ""
        return f"<table><caption>Engine I/O tensors (bindings)</caption><tr>{head}</tr>{body}</table>{note}"


def _dims(d) -> tuple[int, ...]:
    return tuple(int(x) for x in d)


def read_bindings(cuda_engine: Any, trt: Any, profile_index: int = 0) -> BindingTable:
    """Read every I/O tensor of ``cuda_engine`` with the name-based API (TensorRT >= 10)."""
    out = []
    for i in range(cuda_engine.num_io_tensors):
        name = cuda_engine.get_tensor_name(i)
        is_input = cuda_engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT
        trt_dtype = cuda_engine.get_tensor_dtype(name).name
        dtype = DTYPES.get(trt_dtype, (trt_dtype.lower(), 0))[0]
        shape = _dims(cuda_engine.get_tensor_shape(name))
        location = "host" if cuda_engine.get_tensor_location(name) == trt.TensorLocation.HOST else "device"
        profile = None
        if is_input and any(d < 0 for d in shape):
            mn, opt, mx = (_dims(s) for s in cuda_engine.get_tensor_profile_shape(name, profile_index))
            profile = (mn, opt, mx)
        try:
            fmt = cuda_engine.get_tensor_format_desc(name)
        except Exception:  # purely descriptive; some versions need a profile index
            fmt = None
        size_shape = profile[2] if profile else shape
        itemsize = DTYPES.get(trt_dtype, (None, 0))[1]
        nbytes = None if any(d < 0 for d in size_shape) else int(np.ceil(int(np.prod(size_shape, dtype=np.int64)) * itemsize))
        out.append(Binding(name, "input" if is_input else "output", shape, dtype, trt_dtype, location,
                           nbytes, profile, fmt))
    note = None
    if any(b.dynamic and not b.is_input for b in out):
        note = "Outputs with '?' get their shape from the inputs at run time (or from the data, through an output allocator)."
    return BindingTable(out, note)


# dtype names in layer information (inspector JSON, builder log) -> TensorRT DataType names
_LAYER_INFO_DTYPES = {"FP32": "FLOAT", "FLOAT": "FLOAT", "FP16": "HALF", "HALF": "HALF", "BF16": "BF16",
                      "INT8": "INT8", "UINT8": "UINT8", "INT32": "INT32", "INT64": "INT64", "BOOL": "BOOL",
                      "FP8": "FP8", "INT4": "INT4", "FP4": "FP4", "E8M0": "E8M0"}


def _from_io_tensor(t) -> Binding:
    trt_dtype = _LAYER_INFO_DTYPES.get(str(t.dtype or "").upper(), str(t.dtype or "?").upper())
    dtype, itemsize = DTYPES.get(trt_dtype, (trt_dtype.lower(), 0))
    shape = tuple(int(d) for d in (t.shape or ()))
    profile = None
    if t.profile and t.mode == "input":
        mn, opt, mx = (tuple(int(d) for d in t.profile[k]) for k in ("min", "opt", "max"))
        if mn != mx:
            profile = (mn, opt, mx)
            shape = tuple(d if a == b else -1 for d, a, b in zip(shape or mx, mn, mx))
    size_shape = profile[2] if profile else shape
    nbytes = None if not shape or any(d < 0 for d in size_shape) or not itemsize else \
        int(np.ceil(int(np.prod(size_shape, dtype=np.int64)) * itemsize))
    location = (t.location or "device").lower()
    return Binding(t.name, t.mode, shape, dtype, trt_dtype, location, nbytes, profile, t.format)


def binding_table(engine: Any) -> BindingTable:
    """The binding table of ``engine`` without running it (works on a machine without a GPU).

    ``engine`` is an :class:`InferenceSession` (its ``bindings``), a ``BuiltEngine`` or an
    ``EnginePlan`` (read from the engine's layer information, which names each I/O tensor with
    its shape, type, format and profile).
    """
    if isinstance(getattr(engine, "bindings", None), BindingTable):
        return engine.bindings
    plan = getattr(engine, "layer_info", engine)
    io = getattr(plan, "io_tensors", None)
    if io is None:
        raise BindingError(f"cannot read I/O tensors from a {type(engine).__name__}; pass an InferenceSession, "
                           f"a BuiltEngine or an EnginePlan")
    note = None
    if not io:
        note = "The layer information names no I/O tensors (build with profiling verbosity 'detailed' to see them)."
    return BindingTable([_from_io_tensor(t) for t in io], note)
