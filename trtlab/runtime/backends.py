"""The two implementations of trtlab's CUDA memory layer: cuda-python and pycuda.

:class:`CudaBackend` is the small interface the rest of trtlab uses (raw pointers are Python
ints). :class:`CudaPythonBackend` goes through :mod:`cuda.bindings.runtime`,
:class:`PyCudaBackend` through :mod:`pycuda.driver`; both use the device's *primary* context,
the one the CUDA runtime, PyTorch, CuPy and TensorRT use. Every CUDA status is checked and a
failure raises :class:`~trtlab.errors.CudaError` naming the CUDA error and what to do. The
per-call paths (copies, event records, graph launches) check a status with one comparison and
build no message unless the call failed.
"""

from __future__ import annotations

import atexit
import ctypes
import importlib.util
from typing import Any

import numpy as np

from ..errors import ConfigError, CudaError, MissingDependencyError

__all__ = ["CudaBackend", "CudaPythonBackend", "PyCudaBackend", "NO_DRIVER_HINT"]

NO_DRIVER_HINT = (
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
            raise CudaError(f"no CUDA driver found ({exc}). {NO_DRIVER_HINT}") from exc
        if int(count[0]) != 0:
            name = rt.cudaGetErrorName(count[0])[1].decode()
            what = "no CUDA driver found" if name == "cudaErrorInsufficientDriver" else "no usable CUDA device"
            raise CudaError(f"{what} (cudaGetDeviceCount failed with {name}). {NO_DRIVER_HINT}")
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
            raise CudaError(f"no CUDA driver found (importing pycuda.driver: {exc}). {NO_DRIVER_HINT}") from exc
        self.drv = drv
        self.device = device
        try:
            drv.init()
            count = drv.Device.count()
        except drv.Error as exc:
            raise CudaError(f"no usable CUDA device: {exc}. {NO_DRIVER_HINT}") from exc
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


