"""A CPU test double of the CUDA memory layer that behaves like CUDA where the session cares.

* device memory lives at fake addresses (never valid host pointers), backed by numpy arrays;
* streams are queues: copies and kernels run only when the stream is synchronized (so a session
  that reads outputs before synchronizing gets stale data, as on a GPU);
* events read a simulated clock that copies advance by ``bytes / bandwidth`` (pinned host
  memory is faster than pageable, like a real PCIe link), so phase timings are checkable;
* stream capture records the enqueued work into a graph that ``graph_launch`` replays;
* ``used`` counts live device bytes (``mem_get_info`` reports from it).
"""

from __future__ import annotations

import itertools

import numpy as np

from trtlab.errors import CudaError
from trtlab.runtime.cuda import CudaBackend

PINNED_GBPS = 50.0
PAGEABLE_GBPS = 10.0
DTOD_GBPS = 1000.0


class _Stream:
    def __init__(self, sid: int):
        self.id = sid
        self.queue: list = []
        self.capture: list | None = None


class _Event:
    def __init__(self):
        self.time_ms: float | None = None


class FakeCuda(CudaBackend):
    name = "fake"

    def __init__(self, total: int = 1 << 30):
        self.device = 0
        self.total = total
        self.used = 0
        self.clock_ms = 0.0
        self._next = itertools.count(0x7F00_0000_0000, 1 << 20)
        self._mem: dict[int, np.ndarray] = {}
        self._pinned: dict[int, np.ndarray] = {}
        self._streams: dict[int, _Stream] = {}
        self._sid = itertools.count(1)
        self.graph_launches = 0
        self.captures = 0
        self.htod_calls = 0
        self.htod_pinned: list[bool] = []    # per host->device copy: was the source page-locked
        self.dtoh_pinned: list[bool] = []
        self.calls: list[str] = []

    # ---------------------------------------------------------------- memory
    def mem_alloc(self, nbytes):
        if self.used + nbytes > self.total:
            raise CudaError("CUDA call cudaMalloc failed with cudaErrorMemoryAllocation (fake)")
        ptr = next(self._next)
        self._mem[ptr] = np.zeros(max(nbytes, 1), np.uint8)
        self.used += max(nbytes, 1)
        return ptr

    def mem_free(self, ptr):
        buf = self._mem.pop(ptr)
        self.used -= buf.size

    def host_alloc(self, nbytes):
        arr = np.zeros(max(nbytes, 1), np.uint8)
        ptr = arr.ctypes.data
        self._pinned[ptr] = arr
        return ptr, arr

    def host_free(self, ptr):
        self._pinned.pop(ptr)

    def _region(self, ptr: int, nbytes: int) -> np.ndarray:
        for base, buf in self._mem.items():
            if base <= ptr and ptr + nbytes <= base + buf.size:
                return buf[ptr - base: ptr - base + nbytes]
        raise CudaError(f"CUDA call on fake device memory failed with cudaErrorIllegalAddress ({ptr:#x}, {nbytes} B)")

    def read(self, ptr: int, nbytes: int) -> np.ndarray:
        return self._region(ptr, nbytes).copy()

    def write(self, ptr: int, data: np.ndarray) -> None:
        raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        self._region(ptr, raw.size)[:] = raw

    def _is_pinned(self, arr: np.ndarray) -> bool:
        p = arr.ctypes.data
        return any(b <= p < b + a.size for b, a in self._pinned.items())

    def _enqueue(self, stream: _Stream, fn) -> None:
        (stream.capture if stream.capture is not None else stream.queue).append(fn)

    def _advance(self, nbytes: int, gbps: float) -> None:
        self.clock_ms += nbytes / (gbps * 1e9) * 1e3

    def memcpy_htod(self, dst, src, stream):
        self.htod_calls += 1
        self._region(dst, src.nbytes)  # bad addresses fail at enqueue time, like CUDA
        gbps = PINNED_GBPS if self._is_pinned(src) else PAGEABLE_GBPS
        self.htod_pinned.append(gbps == PINNED_GBPS)
        if gbps == PAGEABLE_GBPS:  # CUDA copies pageable memory before the call returns
            data = src.copy()
        else:
            data = src

        def op():
            self.write(dst, data)
            self._advance(src.nbytes, gbps)
        self._enqueue(stream, op)

    def memcpy_dtoh(self, dst, src, stream):
        self._region(src, dst.nbytes)
        gbps = PINNED_GBPS if self._is_pinned(dst) else PAGEABLE_GBPS
        self.dtoh_pinned.append(gbps == PINNED_GBPS)

        def op():
            dst.reshape(-1).view(np.uint8)[:] = self.read(src, dst.nbytes)
            self._advance(dst.nbytes, gbps)
        self._enqueue(stream, op)

    def memcpy_dtod(self, dst, src, nbytes, stream):
        def op():
            self.write(dst, self.read(src, nbytes))
            self._advance(nbytes, DTOD_GBPS)
        self._enqueue(stream, op)

    def launch(self, stream, fn) -> None:
        """Enqueue a host function as if it were a kernel."""
        self._enqueue(stream, fn)

    # ---------------------------------------------------------------- streams / events
    def stream_create(self):
        s = _Stream(next(self._sid))
        self._streams[s.id] = s
        return s

    def stream_handle(self, stream):
        return stream.id

    def stream_by_handle(self, handle: int) -> _Stream:
        return self._streams[handle]

    def stream_synchronize(self, stream):
        if stream.capture is not None:
            raise CudaError("CUDA call cudaStreamSynchronize failed with cudaErrorStreamCaptureUnsupported (fake)")
        while stream.queue:
            stream.queue.pop(0)()

    def stream_destroy(self, stream):
        self._streams.pop(stream.id, None)

    def event_create(self):
        return _Event()

    def event_record(self, event, stream):
        event.time_ms = None
        event.stream = stream

        def op():
            event.time_ms = self.clock_ms
        self._enqueue(stream, op)

    def stream_wait_event(self, stream, event):
        other = getattr(event, "stream", None)

        def op():   # the waiting stream runs the recording stream's queue first
            if other is not None and other is not stream and other.capture is None:
                self.stream_synchronize(other)
        self._enqueue(stream, op)

    def event_synchronize(self, event):
        for s in self._streams.values():
            if s.capture is None:
                self.stream_synchronize(s)

    def event_elapsed_ms(self, start, end):
        if start.time_ms is None or end.time_ms is None:
            raise CudaError("CUDA call cudaEventElapsedTime failed with cudaErrorNotReady (fake)")
        return end.time_ms - start.time_ms

    def event_destroy(self, event):
        pass

    def mem_get_info(self):
        return self.total - self.used, self.total

    # ---------------------------------------------------------------- graphs
    def graph_begin_capture(self, stream):
        stream.capture = []

    def graph_end_capture(self, stream):
        ops, stream.capture = stream.capture, None
        self.captures += 1
        return list(ops)

    def graph_launch(self, graph, stream):
        self.graph_launches += 1
        for op in graph:
            self._enqueue(stream, op)

    def graph_destroy(self, graph):
        graph.clear()


class FakeDeviceArray:
    """A device array on the fake GPU, exposing ``__cuda_array_interface__`` like torch/cupy."""

    def __init__(self, cuda: FakeCuda, shape, dtype, strides=None):
        self.cuda = cuda
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.nbytes = int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize
        self.ptr = cuda.mem_alloc(self.nbytes)
        self.strides = strides

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": self.dtype.str, "data": (self.ptr, False),
                "version": 3, "strides": self.strides}

    def get(self) -> np.ndarray:
        return self.cuda.read(self.ptr, self.nbytes).view(self.dtype).reshape(self.shape)

    def set(self, arr: np.ndarray) -> None:
        self.cuda.write(self.ptr, np.ascontiguousarray(arr, self.dtype))
