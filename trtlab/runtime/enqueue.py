"""Enqueueing a session run: H2D copies, the engine, D2H copies, between CUDA events.

:class:`EnqueueSteps` holds the session methods that enqueue the work on the session's stream,
capture it into a CUDA graph (the engine's enqueue alone, or with the copies) and replay it
while shapes and buffers stay the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import CudaError
from .slots import Slot, size

__all__ = ["EnqueueSteps"]


class EnqueueSteps:
    """Session methods that enqueue work and manage the CUDA graph (mixed into ``InferenceSession``)."""

    # ------------------------------------------------------------------ step 4: enqueue
    def _enqueue(self, copies: list, feeds, out_shapes, dds: list, pinned: bool) -> tuple[Any, dict]:
        """H2D copies, the engine, D2H copies, between four events; returns the graph mode used."""
        stream, (e0, e1, e2, e3) = self._stream, self._events
        raw, cuda = stream.raw, self._cuda
        e0.record(stream)
        if self.cuda_graph == "with-copies" and pinned and not dds and self._profiler is None:
            key = self._graph_key_now()
            if self._replay_or_capture(key, lambda: self._enqueue_work(copies, feeds, out_shapes, raw)):
                e3.record(stream)
                return "with-copies", {}
        for slot, nbytes, pageable in copies:
            if pageable is None:
                cuda.memcpy_htod_pinned(slot.device.ptr, slot.host.ptr, slot.host._flat, nbytes, raw)
            else:
                cuda.memcpy_htod(slot.device.ptr, pageable, raw)
        e1.record(stream)
        used_graph = self._execute(not dds)
        e2.record(stream)
        if dds:
            stream.synchronize()  # data-dependent shapes are final once the enqueue completed
        host = self._enqueue_d2h(feeds, out_shapes, dds, pinned)
        e3.record(stream)
        return used_graph, host

    def _enqueue_work(self, copies, feeds, out_shapes, raw) -> None:
        """Everything a graph-with-copies holds: pinned H2D, the engine, pinned D2H."""
        cuda = self._cuda
        for slot, nbytes, _ in copies:
            cuda.memcpy_htod_pinned(slot.device.ptr, slot.host.ptr, slot.host._flat, nbytes, raw)
        self._execute_now()
        self._enqueue_d2h(feeds, out_shapes, [], True)

    def _enqueue_d2h(self, feeds, out_shapes, dds: list, pinned: bool) -> dict[str, np.ndarray]:
        """Device→host copies of every output the caller did not bind; returns the host arrays."""
        host, raw, cuda = {}, self._stream.raw, self._cuda
        for slot in self._output_slots:
            name = slot.name
            if name in feeds:
                continue
            if slot.on_host:
                host[name] = slot.host_view(out_shapes[name])   # read after the final synchronize
                continue
            if dds and slot in dds:
                shape, src = self._dds_output(slot, pinned)
                nbytes = size(shape, slot.binding.itemsize)
            else:
                shape, src, nbytes = out_shapes[name], slot.device.ptr, self._out_nbytes[name]
            if pinned:
                dst = slot.host_view(shape)
                if nbytes:
                    cuda.memcpy_dtoh_pinned(slot.host.ptr, slot.host._flat, src, nbytes, raw)
            else:
                dst = np.empty(shape, slot.dtype)
                if nbytes:
                    cuda.memcpy_dtoh(dst, src, raw)
            host[name] = dst
        return host

    def _dds_output(self, slot: Slot, pinned: bool) -> tuple[tuple[int, ...], int]:
        alloc = slot.allocator
        shape = alloc.shape if alloc.shape is not None else tuple(int(d) for d in self.context.get_tensor_shape(slot.binding.name))
        if pinned:
            self._ensure_host(slot, size(shape, slot.binding.itemsize))
        return shape, alloc.buffer.ptr if alloc.buffer is not None else 0

    def _graph_key_now(self) -> tuple:
        return tuple((n, s.shape, s.address, s.host.ptr if s.host is not None else 0) for n, s in self._slots.items())

    def _replay_or_capture(self, key: tuple, work) -> bool:
        """Launch the graph for ``key`` (capturing ``work`` on the second run with it); False = run plainly."""
        if self._graph is not None and self._graph_key == key:
            self._cuda.graph_launch(self._graph, self._stream.raw)
            return True
        if self._graph_seen != key:   # the first run with these buffers settles TensorRT's state
            self._graph_seen = key
            return False
        self._drop_graph()
        self._cuda.graph_begin_capture(self._stream.raw)
        try:
            work()
        finally:
            graph = self._cuda.graph_end_capture(self._stream.raw)
        self._graph, self._graph_key = graph, key
        self._cuda.graph_launch(graph, self._stream.raw)
        return True

    def _execute(self, graph_ok: bool) -> bool:
        """Enqueue the engine on the session stream, through a CUDA graph when enabled and possible."""
        if self.cuda_graph is True and graph_ok and self._profiler is None:
            if self._replay_or_capture(self._graph_key_now(), self._execute_now):
                return True
        self._execute_now()
        return False

    def _execute_now(self) -> None:
        if not self.context.execute_async_v3(self._stream.handle):
            raise CudaError("TensorRT's execute_async_v3 returned False (see the TensorRT log above for why); "
                            "check the inputs, or rebuild the engine for this GPU")

    def _drop_graph(self) -> None:
        if self._graph is not None:
            graph, self._graph, self._graph_key = self._graph, None, None
            self._cuda.graph_destroy(graph)

