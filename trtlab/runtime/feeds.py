"""Checking what a run is given and binding it: the feed and buffer steps of a session run.

:class:`FeedSteps` holds the session methods that check inputs and outputs before any state
changes, grow the device and pinned buffers (never shrinking them), stage numpy inputs, and
give TensorRT each tensor's address (only when it changed).
"""

from __future__ import annotations

import time
from typing import Any, Mapping

import numpy as np

from .._boundary import boundary
from ..errors import BindingError
from .bindings import Binding, numpy_dtype
from .cuda import DeviceBuffer, HostBuffer
from .interop import as_device_array, empty_device_array, is_device_array
from .loading import make_output_allocator
from .slots import Feed, Slot

__all__ = ["FeedSteps"]


class FeedSteps:
    """Session methods for feeds, buffers and addresses (mixed into ``InferenceSession``)."""

    # ------------------------------------------------------------------ step 1: feeds
    def _feeds(self, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Feed]:
        """Check every input before touching any state."""
        if not isinstance(inputs, Mapping):
            raise BindingError(f"inputs must be a dict of name -> array, not {type(inputs).__name__}; "
                               f"this engine's inputs are {self.input_names}")
        if len(inputs) != len(self._input_slots) or any(s.binding.name not in inputs for s in self._input_slots):
            self._name_errors(inputs)
        if outputs:
            bad = [k for k in outputs if k not in self._slots or self._slots[k].binding.is_input]
            if bad:
                raise BindingError(f"unknown output name(s) {bad}; this engine's outputs are {self.output_names}")
        feeds = {name: self._feed(self._slots[name], value) for name, value in inputs.items()}
        for name, value in outputs.items():
            feeds[name] = self._feed(self._slots[name], value)
        return feeds

    def _name_errors(self, inputs: Mapping[str, Any]) -> None:
        unknown = [k for k in inputs if k not in self._slots or not self._slots[k].binding.is_input]
        if unknown:
            raise BindingError(f"unknown input name(s) {unknown}; this engine's inputs are {self.input_names}")
        missing = [n for n in self.input_names if n not in inputs]
        raise BindingError(f"missing input(s) {missing}; pass a value for each of {self.input_names}")

    def _feed(self, slot: Slot, value: Any) -> Feed:
        b = slot.binding
        ptr = 0
        if type(value) is np.ndarray:
            on_device, shape, dtype, contiguous = False, value.shape, value.dtype, value.flags.c_contiguous
        elif is_device_array(value):
            value, (ptr, shape, dtype, contiguous) = as_device_array(value)
            on_device = True
        elif isinstance(value, (np.ndarray, list, tuple, int, float, bool, np.generic)):
            value = self._as_array(b, value)
            on_device, shape, dtype, contiguous = False, value.shape, value.dtype, value.flags.c_contiguous
        else:
            raise BindingError(
                f"{b.mode} {b.name!r} is a {type(value).__name__}; pass a numpy array or a device array "
                f"with __cuda_array_interface__ (torch.Tensor on cuda, cupy.ndarray)"
            )
        if not on_device and not b.is_input:
            raise BindingError(f"output {b.name!r}: only device arrays (__cuda_array_interface__) can be bound "
                               f"as outputs; host outputs are returned by run()")
        if dtype != slot.dtype:
            want = slot.dtype if slot.dtype is not None else numpy_dtype(b.dtype)
            raise BindingError(f"{b.mode} {b.name!r} has dtype {np.dtype(dtype).name}; the engine expects {want.name}; "
                               f"convert it, e.g. x.astype(np.{want.name})")
        if not contiguous:
            raise BindingError(f"{b.mode} {b.name!r} is not C-contiguous; pass np.ascontiguousarray(x) "
                               f"(or x.contiguous() for torch)")
        shape = tuple(shape)
        if shape != b.shape and b.is_input:
            shape = self._check_shape(b, shape)
        return Feed(on_device, value, shape, ptr)

    @staticmethod
    def _as_array(b: Binding, value: Any) -> np.ndarray:
        if isinstance(value, np.ndarray):
            return value
        with boundary(BindingError, f"converting {b.mode} {b.name!r} to a {b.dtype} array", "pass a numpy array"):
            return np.asarray(value, dtype=numpy_dtype(b.dtype))

    # ------------------------------------------------------------------ step 3: buffers and addresses
    def _ensure(self, slot: Slot, nbytes: int, host: bool) -> None:
        """Grow the slot's device (and pinned host) buffer to ``nbytes``; never shrink."""
        if slot.device is None or slot.device.nbytes < nbytes:
            if slot.device is not None:
                slot.device.free()
                self._drop_graph()
            slot.device = None
            slot.device = DeviceBuffer(nbytes, self._cuda)
        if host:
            self._ensure_host(slot, nbytes)

    def _ensure_host(self, slot: Slot, nbytes: int) -> None:
        """Grow the slot's pinned host buffer to ``nbytes``; never shrink."""
        if slot.host is None or slot.host.nbytes < nbytes:
            if slot.host is not None:
                slot.host.free()
                self._drop_graph()
            slot.host = None  # a failed allocation below must not leave a freed buffer here
            slot.host = HostBuffer(nbytes, self._cuda)
            slot.given = None   # an array handed out over the old buffer is no longer the staging buffer

    def _bind(self, slot: Slot, address: int) -> None:
        if slot.address != address:
            if not self.context.set_tensor_address(slot.binding.name, address):
                raise BindingError(f"TensorRT refused the address {address:#x} for {slot.binding.name!r} (see its log above)")
            slot.address = address
            self._drop_graph()

    def _bind_inputs(self, feeds: dict[str, Feed], pinned: bool) -> tuple[list, float]:
        """Bind every input; returns the host→device copies to enqueue and the staging time (ms)."""
        copies, stage_ms = [], 0.0
        for slot in self._input_slots:
            feed = feeds[slot.name]
            if slot.on_host:
                # shape tensors TensorRT reads on the host: bind a host buffer, copy nothing to the GPU
                if feed.on_device:
                    raise BindingError(f"input {slot.name!r} lives in host memory (a shape tensor); pass a numpy array")
                self._ensure_host(slot, feed.value.nbytes)
                np.copyto(slot.host_view(feed.shape), feed.value)
                self._bind(slot, slot.host.ptr)
            elif feed.on_device:
                if slot.address != feed.ptr:
                    self._bind(slot, feed.ptr)
            else:
                nbytes = feed.value.nbytes
                if slot.device is None or slot.device.nbytes < nbytes or (pinned and (slot.host is None or slot.host.nbytes < nbytes)):
                    self._ensure(slot, nbytes, host=pinned)
                if slot.address != slot.device.ptr:
                    self._bind(slot, slot.device.ptr)
                if pinned:
                    stage_ms += self._stage(slot, feed)
                copies.append((slot, nbytes, None if pinned else feed.value))
        return copies, stage_ms

    @staticmethod
    def _stage(slot: Slot, feed: Feed) -> float:
        """Copy a numpy input into the pinned buffer unless it already is that buffer; ms spent."""
        value = feed.value
        if value is slot.given or (value.base is not None and value.__array_interface__["data"][0] == slot.host.ptr):
            return 0.0
        t = time.perf_counter()
        np.copyto(slot.host_view(feed.shape), value)
        return (time.perf_counter() - t) * 1e3

    def _bind_outputs(self, feeds: dict[str, Feed], out_shapes, kind: str, pinned: bool) -> tuple[dict, list]:
        """Bind every output; returns arrays made for the caller (torch/cupy) and data-dependent outputs."""
        made, dds = {}, []
        for slot in self._output_slots:
            name = slot.name
            nbytes = self._out_nbytes[name]
            feed = feeds.get(name)
            if feed is None and kind != "numpy" and not slot.on_host and nbytes >= 0:
                made[name] = empty_device_array(kind, out_shapes[name], slot.dtype, self._cuda.device)
                feed = feeds[name] = Feed(True, *self._device_feed(made[name]))
            if feed is not None:
                if nbytes < 0 or feed.shape != out_shapes[name]:
                    raise BindingError(f"output {name!r}: the device array has shape {feed.shape}, "
                                       f"the engine produces {out_shapes[name]}")
                self._bind(slot, feed.ptr)
            elif slot.on_host:
                self._ensure_host(slot, nbytes)
                self._bind(slot, slot.host.ptr)
            elif nbytes < 0:
                dds.append(slot)
                if slot.allocator is None:
                    slot.allocator = make_output_allocator(self.trt, self._cuda)
                    if not self.context.set_output_allocator(name, slot.allocator):
                        raise BindingError(f"TensorRT refused an output allocator for {name!r}")
            else:
                if slot.device is None or slot.device.nbytes < nbytes or (pinned and (slot.host is None or slot.host.nbytes < nbytes)):
                    self._ensure(slot, nbytes, host=pinned)
                if slot.address != slot.device.ptr:
                    self._bind(slot, slot.device.ptr)
        return made, dds

    @staticmethod
    def _device_feed(array: Any) -> tuple[Any, tuple[int, ...], int]:
        value, (ptr, shape, _, _) = as_device_array(array)
        return value, shape, ptr

