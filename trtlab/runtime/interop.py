"""Device arrays of other frameworks (torch, CuPy): bound by address, returned in their kind.

Inputs and outputs with ``__cuda_array_interface__`` (torch CUDA tensors, CuPy arrays, Numba)
are bound by their device pointer, without a copy. Objects that only speak DLPack
(``__dlpack__`` on a CUDA device) are viewed through CuPy, also without a copy. torch and CuPy
are imported only when an array of theirs is asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np

from ..errors import BindingError, ConfigError
from .cuda import cuda_array_info

__all__ = ["OUTPUT_KINDS", "as_device_array", "empty_device_array", "is_device_array"]

OUTPUT_KINDS = ("numpy", "torch", "cupy")
_DLPACK_CUDA = 2  # kDLCUDA


def is_device_array(value: Any) -> bool:
    """Whether ``value`` lives in GPU memory (``__cuda_array_interface__`` or a CUDA DLPack device)."""
    if isinstance(value, np.ndarray):
        return False
    if hasattr(value, "__cuda_array_interface__"):
        return True
    device = getattr(value, "__dlpack_device__", None)
    return device is not None and int(device()[0]) == _DLPACK_CUDA


def as_device_array(value: Any) -> tuple[Any, tuple[int, tuple[int, ...], np.dtype, bool]]:
    """``(object holding the memory, (pointer, shape, dtype, c_contiguous))`` without a copy."""
    if not hasattr(value, "__cuda_array_interface__"):
        cupy = _framework("cupy", "Binding a DLPack-only device array")
        value = cupy.from_dlpack(value)   # a view: same device memory
    return value, cuda_array_info(value)


def _framework(name: str, purpose: str):
    """Import torch or cupy (not trtlab extras: whoever asks for their arrays has them)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise BindingError(f"{purpose} needs {name}, which is not installed; pip install {name}, "
                           f"or leave outputs as numpy") from exc


def _torch_dtype(torch, dtype: np.dtype):
    return torch.from_numpy(np.empty(0, dtype)).dtype


def empty_device_array(kind: str, shape: tuple[int, ...], dtype: np.dtype, device: int) -> Any:
    """A new uninitialised GPU array of ``kind`` ("torch" or "cupy") on ``device``."""
    if kind == "torch":
        torch = _framework("torch", "outputs='torch'")
        return torch.empty(shape, dtype=_torch_dtype(torch, dtype), device=f"cuda:{device}")
    if kind == "cupy":
        cupy = _framework("cupy", "outputs='cupy'")
        with cupy.cuda.Device(device):
            return cupy.empty(shape, dtype=dtype)
    raise ConfigError(f"outputs={kind!r} is not one of {OUTPUT_KINDS}; pass one of those or a dict of device arrays")


def check_output_kind(kind: str) -> str:
    if kind not in OUTPUT_KINDS:
        raise BindingError(f"outputs={kind!r} is not one of {OUTPUT_KINDS}; pass one of those or a dict of device arrays")
    return kind
