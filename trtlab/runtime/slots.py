"""Per-tensor state of a session (:class:`Slot`) and one checked input or output of a run (:class:`Feed`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .bindings import Binding, numpy_dtype
from .cuda import DeviceBuffer, HostBuffer

__all__ = ["Feed", "Slot", "size"]


def size(shape, itemsize: float) -> int:
    return math.ceil(math.prod(shape) * itemsize)


class Slot:
    """Per-tensor state: the binding, its device buffer, its pinned staging buffer, its shape."""

    def __init__(self, binding: Binding):
        self.device: DeviceBuffer | None = None
        self.host: HostBuffer | None = None
        self.allocator = None          # output allocator for data-dependent outputs
        self.address: int | None = None
        self.given: np.ndarray | None = None   # the last array input_buffer handed out
        self._view: np.ndarray | None = None
        self._view_of: HostBuffer | None = None
        self.rebind(binding)

    def rebind(self, binding: Binding) -> None:
        """Take ``binding`` (another profile's) and forget the shape set under the old one."""
        self.binding = binding
        self.name = binding.name
        self.dtype = numpy_dtype(binding.dtype) if binding.itemsize >= 1 else None
        self.dynamic = binding.dynamic
        self.on_host = binding.location == "host"
        self.shape: tuple[int, ...] | None = None if binding.dynamic else binding.shape

    def host_view(self, shape: tuple[int, ...]) -> np.ndarray:
        """The pinned buffer as an array of ``shape`` (made once per shape and buffer)."""
        view = self._view
        if view is None or view.shape != shape or self._view_of is not self.host:
            view = self._view = self.host.view(self.dtype, shape)
            self._view_of = self.host
        return view

    def free(self) -> None:
        for buf in (self.device, self.host):
            if buf is not None:
                buf.free()
        if self.allocator is not None:
            self.allocator.free()
        self.device = self.host = self.allocator = self._view = None


class Feed:
    """One checked input or output of a run: host or device memory, its array and shape."""

    __slots__ = ("on_device", "value", "shape", "ptr")

    def __init__(self, on_device: bool, value: Any, shape: tuple[int, ...], ptr: int = 0):
        self.on_device, self.value, self.shape, self.ptr = on_device, value, shape, ptr


