"""Getting a deserialized ``ICudaEngine`` and the TensorRT callback objects a session needs.

Only TensorRT's name-based runtime API (TensorRT 10/11) is used; every member is listed in
``trtlab.builder.api.RUNTIME_API`` and checked against the real TensorRT 11 runtime classes by
the tests. TensorRT objects are held in variables named as ``trtlab.builder.api.VARIABLES``
says (``cuda_engine``, ``context``, ``trt_runtime``).
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from typing import Any

from .._boundary import boundary
from ..builder.backend import resolve_backend
from ..builder.bundle import read_plan
from ..errors import BackendError, BundleError, ConfigError
from .cuda import CudaBackend, DeviceBuffer

__all__ = ["LoadedEngine", "is_cuda_engine", "load_cuda_engine", "make_output_allocator", "make_profiler"]


def trt_of(obj: Any):
    """The TensorRT module an engine object comes from (tensorrt, tensorrt_lean_bindings, ...)."""
    mod = sys.modules.get(type(obj).__module__)
    if mod is None or not hasattr(mod, "TensorIOMode"):
        raise BackendError(
            f"cannot tell which TensorRT module made the engine object of type {type(obj).__qualname__}; "
            f"pass the plan bytes or a BuiltEngine instead"
        )
    return mod


def is_cuda_engine(obj: Any) -> bool:
    return hasattr(obj, "num_io_tensors") and hasattr(obj, "create_execution_context")


def runtime_module(backend: str | None):
    """The TensorRT module to deserialize plans with: trtlab.builder's resolution."""
    try:
        return resolve_backend(backend)
    except BackendError:
        # A runtime-only install (the TensorRT lean runtime) has no Builder but can deserialize.
        try:
            import tensorrt_lean_bindings as lean  # optional: the lean runtime wheel
        except ImportError:
            raise
        return lean


class LoadedEngine:
    """A deserialized engine with the runtime and logger that must outlive it."""

    def __init__(self, cuda_engine: Any, trt: Any, trt_runtime: Any = None, logger: Any = None):
        self.cuda_engine, self.trt, self.trt_runtime, self.logger = cuda_engine, trt, trt_runtime, logger


def _plan_of(engine: Any, trusted: bool) -> tuple[bytes, str | None]:
    """The plan bytes of ``engine`` and the TensorRT module name it was built with (if known).

    A ``.plan`` path is verified against its sidecar like :func:`trtlab.load_engine`; a plan
    without a sidecar is refused unless ``trusted`` (a plan runs native code chosen by whoever
    wrote it).
    """
    plan = getattr(engine, "plan", None)
    if plan is not None:  # a BuiltEngine: deserialize with the module it was built with
        info = getattr(engine, "backend", None)
        return plan, info if isinstance(info, str) else getattr(info, "module", None)
    if isinstance(engine, (bytes, bytearray, memoryview)):
        return bytes(engine), None
    if isinstance(engine, (str, os.PathLike)):
        plan, meta = read_plan(engine, trusted=trusted)
        return plan, meta.get("backend")
    raise ConfigError(
        f"engine of type {type(engine).__name__} is not supported; pass a BuiltEngine, plan bytes, "
        f"a .plan path or a deserialized ICudaEngine"
    )


def load_cuda_engine(engine: Any, backend: str | None = None, trusted: bool = False) -> LoadedEngine:
    """Deserialize ``engine`` (BuiltEngine, plan bytes, .plan path) or take an ``ICudaEngine`` as is."""
    if is_cuda_engine(engine):
        return LoadedEngine(engine, trt_of(engine))
    plan, built_with = _plan_of(engine, trusted)
    if not plan:
        raise BundleError("the engine plan is empty; rebuild the engine")
    trt = runtime_module(backend or built_with)
    logger = trt.Logger(trt.Logger.WARNING)
    trt_runtime = trt.Runtime(logger)
    with boundary(BundleError, f"TensorRT ({trt.__name__}) deserializing the plan", "rebuild the engine here"):
        cuda_engine = trt_runtime.deserialize_cuda_engine(plan)
    if cuda_engine is None:
        raise BundleError(
            f"TensorRT ({trt.__name__} {getattr(trt, '__version__', '')}) could not deserialize the plan "
            f"({len(plan)} bytes): it was built by another TensorRT version or for another GPU, or is "
            f"damaged (see the TensorRT log above); rebuild it here"
        )
    return LoadedEngine(cuda_engine, trt, trt_runtime, logger)


def make_output_allocator(trt, cuda: CudaBackend):
    """An ``IOutputAllocator`` for outputs whose shape depends on the data."""

    class OutputAllocator(trt.IOutputAllocator):
        def __init__(self) -> None:
            trt.IOutputAllocator.__init__(self)
            self.buffer: DeviceBuffer | None = None
            self.shape: tuple[int, ...] | None = None

        def _grow(self, size: int) -> int:
            if self.buffer is None or self.buffer.nbytes < size:
                if self.buffer is not None:
                    self.buffer.free()
                self.buffer = DeviceBuffer(max(int(size), 1), cuda)
            return self.buffer.ptr

        def reallocate_output(self, tensor_name, memory, size, alignment):
            return self._grow(size)

        def reallocate_output_async(self, tensor_name, memory, size, alignment, stream):
            return self._grow(size)

        def notify_shape(self, tensor_name, shape):
            self.shape = tuple(int(d) for d in shape)

        def free(self) -> None:
            if self.buffer is not None:
                self.buffer.free()
                self.buffer = None

    return OutputAllocator()


def make_profiler(trt):
    """An ``IProfiler`` collecting the time TensorRT reports for each layer."""

    class LayerProfiler(trt.IProfiler):
        def __init__(self) -> None:
            trt.IProfiler.__init__(self)
            self.times: dict[str, list[float]] = defaultdict(list)
            self.order: list[str] = []
            self.enabled = True

        def report_layer_time(self, layer_name, ms):
            if not self.enabled:
                return
            if layer_name not in self.times:
                self.order.append(layer_name)
            self.times[layer_name].append(float(ms))

    return LayerProfiler()
