"""The CUDA memory layer: device buffers, page-locked host buffers, streams and events.

One small interface (:class:`CudaBackend`) with two implementations:

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

import atexit
import ctypes
import importlib.util
import threading
from typing import Any

import numpy as np

from ..errors import BindingError, ConfigError, CudaError, MissingDependencyError

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

_NO_DRIVER_HINT = (
    "trtlab runs engines only on a machine with an NVIDIA GPU and its driver (libcuda). "
    "On a CPU-only machine you can still inspect engines, draw graphs and use "
    "compare_to_onnxruntime(..., outputs=...)."
)


class CudaBackend:
    """The interface the rest of trtlab uses; raw pointers are Python ints.

    Host-side arguments are contiguous numpy arrays of exactly the bytes to copy.
    Streams, events and graphs are opaque backend objects; ``stream_handle`` gives the
    ``cudaStream_t`` as an int (what TensorRT's ``execute_async_v3`` takes).
    """

    name = "abstract"
    device = 0

    def mem_alloc(self, nbytes: int) -> int: raise NotImplementedError
    def mem_free(self, ptr: int) -> None: raise NotImplementedError
    def host_alloc(self, nbytes: int) -> tuple[int, np.ndarray]: raise NotImplementedError
    def host_free(self, ptr: int) -> None: raise NotImplementedError
    def memcpy_htod(self, dst: int, src: np.ndarray, stream: Any) -> None: raise NotImplementedError
    def memcpy_dtoh(self, dst: np.ndarray, src: int, stream: Any) -> None: raise NotImplementedError
    def memcpy_dtod(self, dst: int, src: int, nbytes: int, stream: Any) -> None: raise NotImplementedError

    # Pinned copies by address: the per-call path of bound buffers. ``arr`` is the pinned
    # buffer's uint8 array (backends that copy from a buffer object use it, others the address).
    def memcpy_htod_pinned(self, dst: int, src: int, arr: np.ndarray, nbytes: int, stream: Any) -> None:
        self.memcpy_htod(dst, arr[:nbytes], stream)

    def memcpy_dtoh_pinned(self, dst: int, arr: np.ndarray, src: int, nbytes: int, stream: Any) -> None:
        self.memcpy_dtoh(arr[:nbytes], src, stream)

    def stream_create(self) -> Any: raise NotImplementedError
    def stream_handle(self, stream: Any) -> int: raise NotImplementedError
    def stream_synchronize(self, stream: Any) -> None: raise NotImplementedError
    def stream_destroy(self, stream: Any) -> None: raise NotImplementedError
    def event_create(self) -> Any: raise NotImplementedError
    def event_record(self, event: Any, stream: Any) -> None: raise NotImplementedError
    def event_synchronize(self, event: Any) -> None: raise NotImplementedError
    def event_elapsed_ms(self, start: Any, end: Any) -> float: raise NotImplementedError
    def event_destroy(self, event: Any) -> None: raise NotImplementedError
    def mem_get_info(self) -> tuple[int, int]: raise NotImplementedError
    def graph_begin_capture(self, stream: Any) -> None: raise NotImplementedError
    def graph_end_capture(self, stream: Any) -> Any: raise NotImplementedError
    def graph_launch(self, graph: Any, stream: Any) -> None: raise NotImplementedError
    def graph_destroy(self, graph: Any) -> None: raise NotImplementedError
    def stream_wait_event(self, stream: Any, event: Any) -> None: raise NotImplementedError

    def __repr__(self) -> str:
        return f"<trtlab CUDA backend {self.name!r} on device {self.device}>"


# --------------------------------------------------------------------------- cuda-python

def _cudart():
    try:
        from cuda.bindings import runtime
    except ImportError as exc:
        raise MissingDependencyError("cuda.bindings", "cuda-python", "The cuda-python CUDA backend") from exc
    return runtime


class _CudaRtChecker:
    """Checks the ``(status, *values)`` tuples cuda-python returns."""

    def __init__(self, rt):
        self.rt = rt

    def __call__(self, what: str, result):
        if isinstance(result, tuple):
            err, rest = result[0], result[1:]
        else:
            err, rest = result, ()
        if int(err) != 0:
            try:
                name = self.rt.cudaGetErrorName(err)[1].decode()
                text = self.rt.cudaGetErrorString(err)[1].decode()
            except Exception:  # naming the error must never hide it
                name, text = f"cudaError {int(err)}", ""
            raise CudaError(_cuda_message(what, name, text))
        if not rest:
            return None
        return rest[0] if len(rest) == 1 else rest


def _cuda_message(what: str, name: str, text: str) -> str:
    fix = {
        "cudaErrorMemoryAllocation": "free memory (close other sessions, smaller batch) and retry",
        "CUDA_ERROR_OUT_OF_MEMORY": "free memory (close other sessions, smaller batch) and retry",
        "cudaErrorNoDevice": "check that the GPU is visible (nvidia-smi, CUDA_VISIBLE_DEVICES)",
        "cudaErrorInsufficientDriver": "update the NVIDIA driver to one that supports this CUDA version",
        "cudaErrorInvalidValue": "this is likely a trtlab bug; please report it with the call that failed",
    }.get(name, "check the GPU with nvidia-smi; a sticky error needs a new Python process (restart the kernel)")
    detail = f" ({text})" if text else ""
    return f"CUDA call {what} failed with {name}{detail}; {fix}"


class CudaPythonBackend(CudaBackend):
    """The memory layer through NVIDIA's cuda-python (``cuda.bindings.runtime``)."""

    name = "cuda-python"

    def __init__(self, device: int = 0):
        rt = _cudart()
        self.rt = rt
        self.device = device
        self._check = _CudaRtChecker(rt)
        try:
            count = rt.cudaGetDeviceCount()
        except Exception as exc:  # the library loader raises when libcuda is missing
            raise CudaError(f"no CUDA driver found ({exc}). {_NO_DRIVER_HINT}") from exc
        if int(count[0]) != 0:
            name = rt.cudaGetErrorName(count[0])[1].decode()
            what = "no CUDA driver found" if name == "cudaErrorInsufficientDriver" else "no usable CUDA device"
            raise CudaError(f"{what} (cudaGetDeviceCount failed with {name}). {_NO_DRIVER_HINT}")
        if not 0 <= device < count[1]:
            raise ConfigError(f"CUDA device {device} does not exist; this machine has {count[1]} device(s): 0..{count[1] - 1}")
        self._check("cudaSetDevice", rt.cudaSetDevice(device))
        self._pinned: dict[int, np.ndarray] = {}
        self._ok = rt.cudaError_t.cudaSuccess
        self._h2d = rt.cudaMemcpyKind.cudaMemcpyHostToDevice
        self._d2h = rt.cudaMemcpyKind.cudaMemcpyDeviceToHost

    def mem_alloc(self, nbytes):
        return int(self._check(f"cudaMalloc({nbytes})", self.rt.cudaMalloc(max(int(nbytes), 1))))

    def mem_free(self, ptr):
        self._check("cudaFree", self.rt.cudaFree(ptr))

    def host_alloc(self, nbytes):
        n = max(int(nbytes), 1)
        ptr = int(self._check(f"cudaHostAlloc({n})", self.rt.cudaHostAlloc(n, self.rt.cudaHostAllocDefault)))
        # cuda-python hands back an address; numpy needs a buffer object over it
        arr = np.ctypeslib.as_array((ctypes.c_uint8 * n).from_address(ptr))
        self._pinned[ptr] = arr
        return ptr, arr

    def host_free(self, ptr):
        self._pinned.pop(ptr, None)
        self._check("cudaFreeHost", self.rt.cudaFreeHost(ptr))

    def memcpy_htod(self, dst, src, stream):
        self.memcpy_htod_pinned(dst, src.__array_interface__["data"][0], src, src.nbytes, stream)

    def memcpy_dtoh(self, dst, src, stream):
        self.memcpy_dtoh_pinned(dst.__array_interface__["data"][0], dst, src, dst.nbytes, stream)

    # The per-call path: one cuda-python call and one comparison (no array attribute lookups,
    # no message formatting unless the call failed).
    def memcpy_htod_pinned(self, dst, src, arr, nbytes, stream):
        err, = self.rt.cudaMemcpyAsync(dst, src, nbytes, self._h2d, stream)
        if err != self._ok:
            self._check("cudaMemcpyAsync(host->device)", (err,))

    def memcpy_dtoh_pinned(self, dst, arr, src, nbytes, stream):
        err, = self.rt.cudaMemcpyAsync(dst, src, nbytes, self._d2h, stream)
        if err != self._ok:
            self._check("cudaMemcpyAsync(device->host)", (err,))

    def memcpy_dtod(self, dst, src, nbytes, stream):
        self._check("cudaMemcpyAsync(device->device)", self.rt.cudaMemcpyAsync(
            dst, src, nbytes, self.rt.cudaMemcpyKind.cudaMemcpyDeviceToDevice, stream))

    def stream_create(self):
        return self._check("cudaStreamCreateWithFlags", self.rt.cudaStreamCreateWithFlags(self.rt.cudaStreamNonBlocking))

    def stream_handle(self, stream):
        return int(stream)

    def stream_synchronize(self, stream):
        self._check("cudaStreamSynchronize", self.rt.cudaStreamSynchronize(stream))

    def stream_destroy(self, stream):
        self._check("cudaStreamDestroy", self.rt.cudaStreamDestroy(stream))

    def event_create(self):
        return self._check("cudaEventCreate", self.rt.cudaEventCreate())

    def event_record(self, event, stream):
        err, = self.rt.cudaEventRecord(event, stream)
        if err != self._ok:
            self._check("cudaEventRecord", (err,))

    def stream_wait_event(self, stream, event):
        self._check("cudaStreamWaitEvent", self.rt.cudaStreamWaitEvent(stream, event, 0))

    def event_synchronize(self, event):
        self._check("cudaEventSynchronize", self.rt.cudaEventSynchronize(event))

    def event_elapsed_ms(self, start, end):
        return float(self._check("cudaEventElapsedTime", self.rt.cudaEventElapsedTime(start, end)))

    def event_destroy(self, event):
        self._check("cudaEventDestroy", self.rt.cudaEventDestroy(event))

    def mem_get_info(self):
        free, total = self._check("cudaMemGetInfo", self.rt.cudaMemGetInfo())
        return int(free), int(total)

    def graph_begin_capture(self, stream):
        self._check("cudaStreamBeginCapture", self.rt.cudaStreamBeginCapture(
            stream, self.rt.cudaStreamCaptureMode.cudaStreamCaptureModeThreadLocal))

    def graph_end_capture(self, stream):
        graph = self._check("cudaStreamEndCapture", self.rt.cudaStreamEndCapture(stream))
        try:
            exe = self._check("cudaGraphInstantiate", self.rt.cudaGraphInstantiate(graph, 0))
        finally:
            self._check("cudaGraphDestroy", self.rt.cudaGraphDestroy(graph))
        return exe

    def graph_launch(self, graph, stream):
        err, = self.rt.cudaGraphLaunch(graph, stream)
        if err != self._ok:
            self._check("cudaGraphLaunch", (err,))

    def graph_destroy(self, graph):
        self._check("cudaGraphExecDestroy", self.rt.cudaGraphExecDestroy(graph))


# --------------------------------------------------------------------------- pycuda

class PyCudaBackend(CudaBackend):
    """The memory layer through :mod:`pycuda.driver`, on the device's primary context."""

    name = "pycuda"

    def __init__(self, device: int = 0):
        if importlib.util.find_spec("pycuda") is None:
            raise MissingDependencyError("pycuda", "gpu", "The pycuda CUDA backend")
        try:
            import pycuda.driver as drv
        except ImportError as exc:  # pycuda is installed but libcuda.so is not
            raise CudaError(f"no CUDA driver found (importing pycuda.driver: {exc}). {_NO_DRIVER_HINT}") from exc
        self.drv = drv
        self.device = device
        try:
            drv.init()
            count = drv.Device.count()
        except drv.Error as exc:
            raise CudaError(f"no usable CUDA device: {exc}. {_NO_DRIVER_HINT}") from exc
        if not 0 <= device < count:
            raise ConfigError(f"CUDA device {device} does not exist; this machine has {count} device(s): 0..{count - 1}")
        with self._guard("retaining the primary context"):
            self._ctx = drv.Device(device).retain_primary_context()
            self._ctx.push()
        self._device_allocs: dict[int, Any] = {}
        self._host_allocs: dict[int, np.ndarray] = {}
        atexit.register(self._shutdown)

    def _shutdown(self) -> None:
        try:
            for ptr in list(self._device_allocs):
                self.mem_free(ptr)
            for ptr in list(self._host_allocs):
                self.host_free(ptr)
            self.drv.Context.pop()
        except Exception:  # interpreter shutdown: nothing left to report to
            pass

    def _guard(self, what: str):
        return _PyCudaGuard(self.drv, what)

    def mem_alloc(self, nbytes):
        with self._guard(f"cuMemAlloc({nbytes})"):
            alloc = self.drv.mem_alloc(max(int(nbytes), 1))
        ptr = int(alloc)
        self._device_allocs[ptr] = alloc
        return ptr

    def mem_free(self, ptr):
        alloc = self._device_allocs.pop(ptr)
        with self._guard("cuMemFree"):
            alloc.free()

    def host_alloc(self, nbytes):
        with self._guard(f"cuMemHostAlloc({nbytes})"):
            arr = self.drv.pagelocked_empty(max(int(nbytes), 1), np.uint8)
        ptr = int(arr.ctypes.data)
        self._host_allocs[ptr] = arr
        return ptr, arr

    def host_free(self, ptr):
        arr = self._host_allocs.pop(ptr)
        with self._guard("cuMemFreeHost"):
            arr.base.free()

    # Copies are the per-call path: a plain try (free when nothing is raised) instead of a
    # guard object per call.
    def memcpy_htod(self, dst, src, stream):
        try:
            self.drv.memcpy_htod_async(dst, src, stream)
        except self.drv.Error as exc:
            raise _pycuda_error("cuMemcpyHtoDAsync", exc) from exc

    def memcpy_dtoh(self, dst, src, stream):
        try:
            self.drv.memcpy_dtoh_async(dst, src, stream)
        except self.drv.Error as exc:
            raise _pycuda_error("cuMemcpyDtoHAsync", exc) from exc

    def memcpy_htod_pinned(self, dst, src, arr, nbytes, stream):
        self.memcpy_htod(dst, arr if arr.nbytes == nbytes else arr[:nbytes], stream)

    def memcpy_dtoh_pinned(self, dst, arr, src, nbytes, stream):
        self.memcpy_dtoh(arr if arr.nbytes == nbytes else arr[:nbytes], src, stream)

    def memcpy_dtod(self, dst, src, nbytes, stream):
        with self._guard("cuMemcpyDtoDAsync"):
            self.drv.memcpy_dtod_async(dst, src, nbytes, stream)

    def stream_create(self):
        with self._guard("cuStreamCreate"):
            return self.drv.Stream()

    def stream_handle(self, stream):
        return int(stream.handle)

    def stream_synchronize(self, stream):
        with self._guard("cuStreamSynchronize"):
            stream.synchronize()

    def stream_destroy(self, stream):
        pass  # pycuda destroys the stream when the object is collected

    def event_create(self):
        with self._guard("cuEventCreate"):
            return self.drv.Event()

    def event_record(self, event, stream):
        try:
            event.record(stream)
        except self.drv.Error as exc:
            raise _pycuda_error("cuEventRecord", exc) from exc

    def stream_wait_event(self, stream, event):
        with self._guard("cuStreamWaitEvent"):
            stream.wait_for_event(event)

    def event_synchronize(self, event):
        with self._guard("cuEventSynchronize"):
            event.synchronize()

    def event_elapsed_ms(self, start, end):
        with self._guard("cuEventElapsedTime"):
            return float(end.time_since(start))

    def event_destroy(self, event):
        pass  # pycuda destroys the event when the object is collected

    def mem_get_info(self):
        with self._guard("cuMemGetInfo"):
            free, total = self.drv.mem_get_info()
        return int(free), int(total)

    # pycuda has no CUDA-graph API: capture goes through cuda-python on the same primary
    # context and raw stream handle.
    def _graphs(self) -> CudaPythonBackend:
        if not hasattr(self, "_rt_backend"):
            self._rt_backend = CudaPythonBackend(self.device)
        return self._rt_backend

    def graph_begin_capture(self, stream):
        self._graphs().graph_begin_capture(self.stream_handle(stream))

    def graph_end_capture(self, stream):
        return self._graphs().graph_end_capture(self.stream_handle(stream))

    def graph_launch(self, graph, stream):
        self._graphs().graph_launch(graph, int(stream.handle))

    def graph_destroy(self, graph):
        self._graphs().graph_destroy(graph)


class _PyCudaGuard:
    """Turns pycuda.driver.Error into CudaError (pycuda's text carries the CUDA call and error)."""

    def __init__(self, drv, what: str):
        self.drv, self.what = drv, what

    def __enter__(self):
        return self

    def __exit__(self, et, exc, tb):
        if exc is not None and isinstance(exc, self.drv.Error):
            raise _pycuda_error(self.what, exc) from exc
        return False


def _pycuda_error(what: str, exc: Exception) -> CudaError:
    text = str(exc)
    name = "CUDA_ERROR_OUT_OF_MEMORY" if "out of memory" in text else type(exc).__name__
    return CudaError(_cuda_message(what, name, text))


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
