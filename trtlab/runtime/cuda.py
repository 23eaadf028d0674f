"""The CUDA memory layer: device buffers, page-locked host buffers, streams and events.

One small interface (:class:`CudaBackend`) with two implementations (``backends.py``):

* ``"pycuda"`` — :mod:`pycuda.driver` on the device's primary context (the default when
  pycuda is installed);
* ``"cuda-python"`` — :mod:`cuda.bindings.runtime` (NVIDIA's cuda-python).

Both use the device's *primary* context, the one the CUDA runtime, PyTorch, CuPy and TensorRT
use, so device pointers are interchangeable between them. Every CUDA status is checked and a
failure raises :class:`~trtlab.errors.CudaError` naming the CUDA error and what to do.

The user-facing objects (:class:`DeviceBuffer`, :class:`HostBuffer`, :class:`Stream`,
:class:`Event`) are context managers that free what they allocate.
"""

from __future__ import annotations

import importlib.util
import threading

import numpy as np

from ..errors import BindingError, ConfigError, MissingDependencyError
from .backends import CudaBackend, CudaPythonBackend, PyCudaBackend

__all__ = [
    "BACKENDS",
    "CudaBackend",
    "DeviceBuffer",
    "Event",
    "HostBuffer",
    "Stream",
    "available_backends",
    "cuda_array_info",
    "get_backend",
    "mem_get_info",
]

BACKENDS = ("pycuda", "cuda-python")

# --------------------------------------------------------------------------- selection

_LOCK = threading.Lock()
_CACHE: dict[tuple[str, int], CudaBackend] = {}


def available_backends() -> list[str]:
    """Backends whose Python module is installed (they may still find no driver)."""
    out = []
    if importlib.util.find_spec("pycuda") is not None:
        out.append("pycuda")
    try:
        if importlib.util.find_spec("cuda.bindings") is not None:
            out.append("cuda-python")
    except ModuleNotFoundError:
        pass
    return out


def get_backend(backend: str | CudaBackend | None = None, device: int = 0) -> CudaBackend:
    """The CUDA backend ``backend`` ("pycuda", "cuda-python", None = the first installed).

    A :class:`CudaBackend` instance is returned as is. Raises MissingDependencyError when no
    backend module is installed and CudaError when there is no driver or device.
    """
    if isinstance(backend, CudaBackend):
        return backend
    if backend is None:
        names = available_backends()
        if not names:
            raise MissingDependencyError(
                "pycuda", "gpu",
                "Running engines on the GPU (neither pycuda nor cuda-python is installed; "
                "pip install 'trtlab[gpu]' or pip install 'trtlab[cuda-python]')",
            )
        backend = names[0]
    if backend not in BACKENDS:
        raise ConfigError(f"CUDA backend {backend!r} is not one of {', '.join(BACKENDS)}; pass one of those or None for the default")
    key = (backend, int(device))
    with _LOCK:
        if key not in _CACHE:
            cls = PyCudaBackend if backend == "pycuda" else CudaPythonBackend
            _CACHE[key] = cls(int(device))
        return _CACHE[key]


def mem_get_info(backend: str | CudaBackend | None = None) -> tuple[int, int]:
    """(free, total) device memory in bytes, as cuMemGetInfo reports it."""
    return get_backend(backend).mem_get_info()


# --------------------------------------------------------------------------- objects

class _Owned:
    """Shared close/context-manager logic: free exactly once, tolerate interpreter shutdown."""

    _freed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.free()

    def free(self) -> None:
        if not self._freed:
            self._freed = True
            self._release()

    def _release(self) -> None:
        raise NotImplementedError

    @property
    def freed(self) -> bool:
        return self._freed

    def __del__(self):
        try:
            self.free()
        except Exception:  # never raise from a finalizer
            pass


class Stream(_Owned):
    """A CUDA stream (non-blocking). ``handle`` is the ``cudaStream_t`` as an int."""

    def __init__(self, backend: str | CudaBackend | None = None):
        self.backend = get_backend(backend)
        self.raw = self.backend.stream_create()
        self.handle = self.backend.stream_handle(self.raw)
        self._freed = False

    def synchronize(self) -> None:
        self.backend.stream_synchronize(self.raw)

    def wait(self, event: "Event") -> None:
        """Make work enqueued on this stream from now on wait for ``event``."""
        self.backend.stream_wait_event(self.raw, event.raw)

    def _release(self) -> None:
        raw, self.raw = self.raw, None   # pycuda destroys its stream when the last reference goes
        self.backend.stream_destroy(raw)


class Event(_Owned):
    """A CUDA event; ``end.elapsed_ms(start)`` is the time between two recorded events."""

    def __init__(self, backend: str | CudaBackend | None = None):
        self.backend = get_backend(backend)
        self.raw = self.backend.event_create()
        self._freed = False

    def record(self, stream: Stream) -> "Event":
        self.backend.event_record(self.raw, stream.raw)
        return self

    def synchronize(self) -> None:
        self.backend.event_synchronize(self.raw)

    def elapsed_ms(self, start: "Event") -> float:
        """Milliseconds from ``start`` to this event (both recorded and completed)."""
        return self.backend.event_elapsed_ms(start.raw, self.raw)

    def _release(self) -> None:
        raw, self.raw = self.raw, None
        self.backend.event_destroy(raw)


class DeviceBuffer(_Owned):
    """``nbytes`` of device memory at ``ptr``; exposes ``__cuda_array_interface__`` (bytes)."""

    def __init__(self, nbytes: int, backend: str | CudaBackend | None = None):
        if int(nbytes) < 0:
            raise ConfigError(f"buffer size {nbytes} is negative; pass a byte count >= 0")
        self.backend = get_backend(backend)
        self.nbytes = int(nbytes)
        self.ptr = self.backend.mem_alloc(self.nbytes)
        self._freed = False

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": (self.nbytes,), "typestr": "|u1", "data": (self.ptr, False), "version": 3, "strides": None}

    def copy_from_host(self, src: np.ndarray | "HostBuffer", stream: Stream, nbytes: int | None = None) -> None:
        """Enqueue a host→device copy of ``src`` (contiguous) on ``stream``.

        From a :class:`HostBuffer` the copy goes by address: no array is sliced or inspected.
        """
        if type(src) is HostBuffer:
            n = src.nbytes if nbytes is None else int(nbytes)
            _check_fits(n, min(self.nbytes, src.nbytes), "host→device copy")
            self.backend.memcpy_htod_pinned(self.ptr, src.ptr, src._flat, n, stream.raw)
            return
        arr = _host_bytes(src, nbytes)
        _check_fits(arr.nbytes, self.nbytes, "host→device copy")
        self.backend.memcpy_htod(self.ptr, arr, stream.raw)

    def copy_to_host(self, dst: np.ndarray | "HostBuffer", stream: Stream, nbytes: int | None = None) -> None:
        """Enqueue a device→host copy into ``dst`` (contiguous, writable) on ``stream``."""
        if type(dst) is HostBuffer:
            n = dst.nbytes if nbytes is None else int(nbytes)
            _check_fits(n, min(self.nbytes, dst.nbytes), "device→host copy")
            self.backend.memcpy_dtoh_pinned(dst.ptr, dst._flat, self.ptr, n, stream.raw)
            return
        arr = _host_bytes(dst, nbytes)
        _check_fits(arr.nbytes, self.nbytes, "device→host copy")
        self.backend.memcpy_dtoh(arr, self.ptr, stream.raw)

    def _release(self) -> None:
        self.backend.mem_free(self.ptr)

    def __repr__(self) -> str:
        return f"<DeviceBuffer {self.nbytes} B at {self.ptr:#x} ({self.backend.name}){' freed' if self._freed else ''}>"


class HostBuffer(_Owned):
    """``nbytes`` of page-locked (pinned) host memory; ``view(dtype, shape)`` is a numpy array over it."""

    def __init__(self, nbytes: int, backend: str | CudaBackend | None = None):
        if int(nbytes) < 0:
            raise ConfigError(f"buffer size {nbytes} is negative; pass a byte count >= 0")
        self.backend = get_backend(backend)
        self.nbytes = int(nbytes)
        self.ptr, self._bytes = self.backend.host_alloc(self.nbytes)
        self._flat = self._bytes[: self.nbytes]   # made once: copies use it on every call
        self._freed = False

    @property
    def bytes(self) -> np.ndarray:
        """The buffer as a flat uint8 array."""
        return self._flat

    def view(self, dtype, shape) -> np.ndarray:
        """A numpy array of ``dtype``/``shape`` over the start of the buffer (no copy)."""
        dtype = np.dtype(dtype)
        n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        _check_fits(n, self.nbytes, f"view {tuple(shape)} {dtype}")
        return self._bytes[:n].view(dtype).reshape(shape)

    def _release(self) -> None:
        self.backend.host_free(self.ptr)

    def __repr__(self) -> str:
        return f"<HostBuffer {self.nbytes} B pinned at {self.ptr:#x} ({self.backend.name}){' freed' if self._freed else ''}>"


def _host_bytes(obj, nbytes: int | None) -> np.ndarray:
    arr = obj.bytes if isinstance(obj, HostBuffer) else obj
    if not isinstance(arr, np.ndarray):
        raise BindingError(f"host buffer of type {type(obj).__name__} is not a numpy array or HostBuffer; pass one of those")
    if not arr.flags.c_contiguous:
        raise BindingError("host array is not C-contiguous; pass np.ascontiguousarray(array)")
    flat = arr.reshape(-1).view(np.uint8)
    return flat if nbytes is None else flat[:nbytes]


def _check_fits(n: int, capacity: int, what: str) -> None:
    if n > capacity:
        raise BindingError(f"{what} of {n} bytes does not fit the buffer of {capacity} bytes; allocate a larger buffer")


# --------------------------------------------------------------------------- device arrays

_TYPESTR_OK = set("biufc")


def cuda_array_info(obj) -> tuple[int, tuple[int, ...], np.dtype, bool]:
    """``(pointer, shape, dtype, c_contiguous)`` of an object with ``__cuda_array_interface__``."""
    # hand-written rather than trtlab._boundary.boundary: this runs for every device array of
    # every run, and a context manager per call costs more than the rest of this function
    try:
        cai = obj.__cuda_array_interface__
    except Exception as exc:
        raise BindingError(f"object of type {type(obj).__name__} has no usable __cuda_array_interface__ ({exc})") from exc
    shape = tuple(cai["shape"])
    typestr = cai["typestr"]
    dtype = _DTYPE_OF.get(typestr) or _DTYPE_OF.setdefault(typestr, np.dtype(typestr))
    ptr = cai["data"][0]
    strides = cai.get("strides")
    contiguous = True
    if strides is not None:
        expected, step = [], dtype.itemsize
        for s in reversed(shape):
            expected.append(step)
            step *= s
        expected.reverse()
        contiguous = all(st == ex for st, ex, dim in zip(strides, expected, shape) if dim > 1)
    return int(ptr), shape, dtype, contiguous


_DTYPE_OF: dict[str, np.dtype] = {}   # typestr -> dtype: parsing a typestr costs more than the rest
