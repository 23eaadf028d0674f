"""Random inputs for an engine's input bindings (one generator for the session and the widgets)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .bindings import numpy_dtype

__all__ = ["random_array", "random_inputs"]


def random_array(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """A contiguous random array: normal floats, 0/1 booleans, integers in 0..2 (valid indices)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f" or dtype.name == "bfloat16" or dtype.name.startswith("float8"):
        arr = rng.standard_normal(shape, dtype=np.float32).astype(dtype)
    elif dtype.kind == "b":
        arr = rng.integers(0, 2, shape).astype(bool)
    else:
        arr = rng.integers(0, 3, shape).astype(dtype)
    return np.ascontiguousarray(arr)


def random_inputs(session: Any, shapes: Mapping[str, Any] | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Random inputs for every input of ``session`` (dynamic inputs at their opt shape unless given)."""
    rng = np.random.default_rng(seed)
    shapes = dict(shapes or {})
    return {b.name: random_array(rng, tuple(shapes.get(b.name) or (b.profile[1] if b.profile else b.shape)),
                                 numpy_dtype(b.dtype))
            for b in session.bindings.inputs}
