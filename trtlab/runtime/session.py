"""``InferenceSession``: run a TensorRT engine on bound device buffers.

Only TensorRT's name-based API (TensorRT 10/11) is used: ``num_io_tensors``,
``get_tensor_name/mode/dtype/shape/location``, ``get_tensor_profile_shape``,
``set_input_shape``, ``set_tensor_address``, ``execute_async_v3``. Every TensorRT member used
here is listed in ``trtlab.builder.api.RUNTIME_API`` and checked against the real TensorRT 11
runtime classes by the tests. TensorRT objects are held in variables named as
``trtlab.builder.api.VARIABLES`` says (``cuda_engine``, ``context``, ``trt_runtime``).
"""

from __future__ import annotations

import html
import os
import sys
import time
from collections import defaultdict
from typing import Any, Mapping

import numpy as np

from ..builder.bundle import read_plan
from ..errors import BackendError, BindingError, BundleError, ConfigError, CudaError, SessionClosedError, TrtlabError
from .bindings import Binding, BindingTable, numpy_dtype, read_bindings
from .cuda import CudaBackend, DeviceBuffer, Event, HostBuffer, Stream, cuda_array_info, get_backend
from .timing import BenchmarkResult, RunTiming

__all__ = ["InferenceSession", "random_inputs"]


def _trt_of(obj: Any):
    """The TensorRT module an engine object comes from (tensorrt, tensorrt_lean_bindings, ...)."""
    mod = sys.modules.get(type(obj).__module__)
    if mod is None or not hasattr(mod, "TensorIOMode"):
        raise BackendError(
            f"cannot tell which TensorRT module made the engine object of type {type(obj).__qualname__}; "
            f"pass the plan bytes or a BuiltEngine instead"
        )
    return mod


def _is_cuda_engine(obj: Any) -> bool:
    return hasattr(obj, "num_io_tensors") and hasattr(obj, "create_execution_context")


def _runtime_module(backend: str | None):
    """The TensorRT module to deserialize plans with: trtlab.builder's resolution."""
    from ..builder.backend import resolve_backend

    try:
        return resolve_backend(backend)
    except BackendError:
        # A runtime-only install (the TensorRT lean runtime) has no Builder but can deserialize.
        try:
            import tensorrt_lean_bindings as lean
        except ImportError:
            raise
        return lean


def _size(shape, itemsize: float) -> int:
    return int(np.ceil(int(np.prod(shape, dtype=np.int64)) * itemsize))


class _Slot:
    """Per-tensor state: the binding, its device buffer, its pinned staging buffer, its shape."""

    def __init__(self, binding: Binding):
        self.binding = binding
        self.device: DeviceBuffer | None = None
        self.host: HostBuffer | None = None
        self.shape: tuple[int, ...] | None = None if binding.dynamic else binding.shape
        self.allocator = None          # output allocator for data-dependent outputs
        self.address: int | None = None

    def free(self) -> None:
        for buf in (self.device, self.host):
            if buf is not None:
                buf.free()
        if self.allocator is not None:
            self.allocator.free()
        self.device = self.host = self.allocator = None


def _make_output_allocator(trt, cuda: CudaBackend):
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


def _make_profiler(trt):
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


class InferenceSession:
    """Run a TensorRT engine on device buffers bound once and reused.

    ``engine`` is a ``BuiltEngine`` (from :func:`trtlab.build_engine`), plan bytes, the path
    of a ``.plan`` file, or a deserialized ``ICudaEngine``. ``cuda`` picks the memory layer
    ("pycuda", "cuda-python", None = the first installed). ``pinned`` stages host inputs and
    outputs through page-locked buffers (fast DMA) instead of copying from pageable numpy
    memory. ``cuda_graph`` captures the engine's enqueue into a CUDA graph after the first run
    with given shapes and replays it while shapes and buffers stay the same.

    ``session.bindings`` is the table of I/O tensors; ``session.run({...})`` returns the
    outputs as numpy arrays; ``session.last_timing`` holds H2D / compute / D2H times.

    A ``.plan`` path is verified against its sidecar (``name.plan.json``, written by
    ``BuiltEngine.save``) like :func:`trtlab.load_engine`; a plan without a sidecar is refused
    unless ``trusted=True`` (a plan runs native code chosen by whoever wrote it).
    """

    def __init__(self, engine: Any, *, cuda: str | CudaBackend | None = None, pinned: bool = True,
                 cuda_graph: bool = False, profile_index: int = 0, device: int = 0,
                 backend: str | None = None, trusted: bool = False):
        self._closed = True
        self._slots: dict[str, _Slot] = {}
        self.pinned = bool(pinned)
        self.cuda_graph = bool(cuda_graph)
        self.profile_index = int(profile_index)
        self.last_timing: RunTiming | None = None
        # CUDA first: without a driver TensorRT must not even be asked to create a runtime.
        self._cuda = get_backend(cuda, device)
        self._trt_runtime = None
        self.cuda_engine, self.trt = self._load(engine, backend, trusted)
        self._owns_engine = not _is_cuda_engine(engine)
        try:
            self.context = self.cuda_engine.create_execution_context()
        except Exception as exc:
            raise CudaError(f"TensorRT could not create an execution context ({exc}); the GPU may be out of memory") from exc
        if self.context is None:
            raise CudaError("TensorRT could not create an execution context (it returned None); "
                            "the GPU may be out of memory; close other sessions and retry")
        n_profiles = int(getattr(self.cuda_engine, "num_optimization_profiles", 1) or 1)
        if not 0 <= self.profile_index < n_profiles:
            raise ConfigError(f"optimization profile {profile_index} does not exist; the engine has {n_profiles}: 0..{n_profiles - 1}")
        self.bindings: BindingTable = read_bindings(self.cuda_engine, self.trt, self.profile_index)
        self._stream = Stream(self._cuda)
        self._events = [Event(self._cuda) for _ in range(4)]
        self._slots = {b.name: _Slot(b) for b in self.bindings}
        self._graph = None
        self._graph_key = None
        self._graph_seen = None
        self._profiler = None
        self._closed = False
        if self.profile_index and hasattr(self.context, "set_optimization_profile_async"):
            self.context.set_optimization_profile_async(self.profile_index, self._stream.handle)

    # ------------------------------------------------------------------ loading
    def _load(self, engine: Any, backend: str | None, trusted: bool = False):
        if _is_cuda_engine(engine):
            return engine, _trt_of(engine)
        module_name = backend
        plan = getattr(engine, "plan", None)
        if plan is not None:  # a BuiltEngine: deserialize with the module it was built with
            info = getattr(engine, "backend", None)
            module_name = module_name or (info if isinstance(info, str) else getattr(info, "module", None))
        elif isinstance(engine, (bytes, bytearray, memoryview)):
            plan = bytes(engine)
        elif isinstance(engine, (str, os.PathLike)):
            # the same sidecar hash check as load_engine; a plan without one runs only when trusted
            plan, meta = read_plan(engine, trusted=trusted)
            module_name = module_name or meta.get("backend")
        else:
            raise ConfigError(
                f"engine of type {type(engine).__name__} is not supported; pass a BuiltEngine, plan bytes, "
                f"a .plan path or a deserialized ICudaEngine"
            )
        if not plan:
            raise BundleError("the engine plan is empty; rebuild the engine")
        trt = _runtime_module(module_name)
        self._trt_logger = trt.Logger(trt.Logger.WARNING)
        self._trt_runtime = trt_runtime = trt.Runtime(self._trt_logger)
        try:
            cuda_engine = trt_runtime.deserialize_cuda_engine(plan)
        except Exception as exc:
            raise BundleError(f"TensorRT ({trt.__name__}) could not deserialize the plan: {exc}") from exc
        if cuda_engine is None:
            raise BundleError(
                f"TensorRT ({trt.__name__} {getattr(trt, '__version__', '')}) could not deserialize the plan "
                f"({len(plan)} bytes): it was built by another TensorRT version or for another GPU, or is "
                f"damaged (see the TensorRT log above); rebuild it here"
            )
        return cuda_engine, trt

    # ------------------------------------------------------------------ state
    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise SessionClosedError("this InferenceSession was closed; create a new one with InferenceSession(engine)")

    @property
    def input_names(self) -> list[str]:
        return [b.name for b in self.bindings.inputs]

    @property
    def output_names(self) -> list[str]:
        return [b.name for b in self.bindings.outputs]

    @property
    def cuda_backend(self) -> CudaBackend:
        return self._cuda

    @property
    def stream(self) -> Stream:
        """The session's CUDA stream (``stream.handle`` is what execute_async_v3 gets)."""
        return self._stream

    def close(self) -> None:
        """Free every buffer, the stream and events, the CUDA graph and the TensorRT context."""
        if self._closed:
            return
        self._closed = True
        try:
            self._stream.synchronize()
        except TrtlabError:
            pass
        self._drop_graph()
        for slot in self._slots.values():
            slot.free()
        for ev in self._events:
            ev.free()
        self._stream.free()
        self.context = None
        if self._owns_engine:
            self.cuda_engine = None
        self._trt_runtime = None

    def __enter__(self) -> "InferenceSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # never raise from a finalizer
            pass

    # ------------------------------------------------------------------ shapes
    def set_input_shape(self, name: str, shape) -> None:
        """Set the shape of a dynamic input, checked against the optimization profile."""
        self._check_open()
        slot = self._input_slot(name)
        shape = self._check_shape(slot.binding, tuple(int(d) for d in shape))
        self._apply_shape(slot, shape)

    def _input_slot(self, name: str) -> _Slot:
        slot = self._slots.get(name)
        if slot is None or not slot.binding.is_input:
            raise BindingError(f"{name!r} is not an input of this engine; its inputs are {self.input_names}")
        return slot

    def _check_shape(self, b: Binding, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) != len(b.shape):
            raise BindingError(
                f"input {b.name!r} has rank {len(shape)} (shape {shape}); the engine expects rank "
                f"{len(b.shape)} {_shape_text(b.shape)}; reshape the array"
            )
        for i, (got, want) in enumerate(zip(shape, b.shape)):
            if want >= 0 and got != want:
                raise BindingError(
                    f"input {b.name!r} has shape {shape}; dimension {i} must be {want} "
                    f"(engine shape {_shape_text(b.shape)}); resize the input or rebuild the engine"
                )
        if b.profile is not None:
            mn, _, mx = b.profile
            if any(s < lo or s > hi for s, lo, hi in zip(shape, mn, mx)):
                raise BindingError(
                    f"input {b.name!r} shape {shape} is outside optimization profile {self.profile_index}: "
                    f"min {mn}, max {mx}; use a shape in that range or rebuild with a wider ShapeProfile"
                )
        return shape

    def _apply_shape(self, slot: _Slot, shape: tuple[int, ...]) -> None:
        if slot.binding.dynamic and slot.shape != shape:
            if not self.context.set_input_shape(slot.binding.name, shape):
                raise BindingError(
                    f"TensorRT refused shape {shape} for input {slot.binding.name!r} (see its log above); "
                    f"allowed: {_profile_text(slot.binding)}"
                )
            slot.shape = shape
            self._drop_graph()

    # ------------------------------------------------------------------ inputs
    def _validate(self, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, tuple[str, Any, tuple[int, ...]]]:
        """Check every input before touching any state; returns name -> (kind, object, shape)."""
        if not isinstance(inputs, Mapping):
            raise BindingError(f"inputs must be a dict of name -> array, not {type(inputs).__name__}; "
                               f"this engine's inputs are {self.input_names}")
        unknown = [k for k in inputs if k not in self._slots or not self._slots[k].binding.is_input]
        if unknown:
            raise BindingError(f"unknown input name(s) {unknown}; this engine's inputs are {self.input_names}")
        missing = [n for n in self.input_names if n not in inputs]
        if missing:
            raise BindingError(f"missing input(s) {missing}; pass a value for each of {self.input_names}")
        bad_out = [k for k in outputs if k not in self._slots or self._slots[k].binding.is_input]
        if bad_out:
            raise BindingError(f"unknown output name(s) {bad_out}; this engine's outputs are {self.output_names}")
        feeds = {}
        for name, value in list(inputs.items()) + list(outputs.items()):
            b = self._slots[name].binding
            if hasattr(value, "__cuda_array_interface__") and not isinstance(value, np.ndarray):
                ptr, shape, dtype, contiguous = cuda_array_info(value)
                kind = "device"
            elif isinstance(value, (np.ndarray, list, tuple, int, float, bool, np.generic)):
                if not isinstance(value, np.ndarray):
                    try:
                        value = np.asarray(value, dtype=numpy_dtype(b.dtype))
                    except (TypeError, ValueError) as exc:
                        raise BindingError(f"{b.mode} {name!r} cannot be converted to a {b.dtype} array ({exc}); "
                                           f"pass a numpy array") from exc
                shape, dtype, contiguous, kind = value.shape, value.dtype, value.flags.c_contiguous, "host"
                if not b.is_input:
                    raise BindingError(f"output {name!r}: only device arrays (__cuda_array_interface__) can be bound "
                                       f"as outputs; host outputs are returned by run()")
            else:
                raise BindingError(
                    f"{b.mode} {name!r} is a {type(value).__name__}; pass a numpy array or a device array "
                    f"with __cuda_array_interface__ (torch.Tensor on cuda, cupy.ndarray)"
                )
            want = numpy_dtype(b.dtype)
            if np.dtype(dtype) != want:
                raise BindingError(f"{b.mode} {name!r} has dtype {np.dtype(dtype).name}; the engine expects {want.name}; "
                                   f"convert it, e.g. x.astype(np.{want.name})")
            if not contiguous:
                raise BindingError(f"{b.mode} {name!r} is not C-contiguous; pass np.ascontiguousarray(x) "
                                   f"(or x.contiguous() for torch)")
            shape = tuple(int(d) for d in shape)
            if b.is_input:
                shape = self._check_shape(b, shape)
            feeds[name] = (kind, value, shape)
        return feeds

    # ------------------------------------------------------------------ buffers
    def _ensure(self, slot: _Slot, nbytes: int, host: bool) -> None:
        """Grow the slot's device (and pinned host) buffer to ``nbytes``; never shrink."""
        if slot.device is None or slot.device.nbytes < nbytes:
            if slot.device is not None:
                slot.device.free()
                self._drop_graph()
            slot.device = None
            slot.device = DeviceBuffer(nbytes, self._cuda)
        if host:
            self._ensure_host(slot, nbytes)

    def _ensure_host(self, slot: _Slot, nbytes: int) -> None:
        """Grow the slot's pinned host buffer to ``nbytes``; never shrink."""
        if slot.host is None or slot.host.nbytes < nbytes:
            if slot.host is not None:
                slot.host.free()
            slot.host = None  # a failed allocation below must not leave a freed buffer here
            slot.host = HostBuffer(nbytes, self._cuda)

    def _bind(self, name: str, address: int) -> None:
        slot = self._slots[name]
        if slot.address != address:
            if not self.context.set_tensor_address(name, address):
                raise BindingError(f"TensorRT refused the address {address:#x} for {name!r} (see its log above)")
            slot.address = address
            self._drop_graph()

    def input_buffer(self, name: str, shape=None) -> np.ndarray:
        """The pinned host array that ``name`` is staged through; fill it in place to skip a copy.

        ``shape`` is needed for inputs with dynamic dimensions (else the current or opt shape).
        Passing this array back to :meth:`run` costs no host-side copy (like ONNX Runtime's
        I/O binding).
        """
        self._check_open()
        slot = self._input_slot(name)
        b = slot.binding
        if shape is None:
            shape = slot.shape or (b.profile[1] if b.profile else b.shape)
        shape = self._check_shape(b, tuple(int(d) for d in shape))
        nbytes = _size(shape, b.itemsize)
        self._ensure(slot, nbytes, host=True)
        return slot.host.view(numpy_dtype(b.dtype), shape)

    # ------------------------------------------------------------------ run
    def run(self, inputs: Mapping[str, Any] | None = None, outputs: Mapping[str, Any] | None = None, *,
            copy: bool = True, **named: Any) -> dict[str, Any]:
        """Run the engine once and return ``{output name: array}``.

        ``inputs`` maps input names to numpy arrays (staged through pinned memory, or copied from
        pageable memory when ``pinned=False``) or to device arrays with
        ``__cuda_array_interface__`` (bound without a copy). ``outputs`` may map output names to
        device arrays to write into; those are returned as given. Other outputs come back as
        numpy arrays (copies unless ``copy=False``, which returns views of the pinned buffers
        that the next run overwrites). Inputs can also be passed as keywords.
        """
        self._check_open()
        inputs = dict(inputs or {}, **named)
        outputs = dict(outputs or {})
        wall0 = time.perf_counter()
        feeds = self._validate(inputs, outputs)
        # ---- shapes (each checked against the profile by _validate)
        for name in self.input_names:
            self._apply_shape(self._slots[name], feeds[name][2])
        missing = list(self.context.infer_shapes() or [])
        if missing:
            raise BindingError(f"TensorRT cannot infer shapes: tensors {missing} are not fully specified")
        # ---- buffers and addresses
        stage_ms = 0.0
        host_inputs = []
        for name in self.input_names:
            kind, value, shape = feeds[name]
            slot = self._slots[name]
            if slot.binding.location == "host":
                # shape tensors TensorRT reads on the host: bind a host buffer, copy nothing to the GPU
                if kind == "device":
                    raise BindingError(f"input {name!r} lives in host memory (a shape tensor); pass a numpy array")
                nbytes = _size(shape, slot.binding.itemsize)
                self._ensure_host(slot, nbytes)
                np.copyto(slot.host.view(value.dtype, shape), value)
                self._bind(name, slot.host.ptr)
                continue
            if kind == "device":
                self._bind(name, cuda_array_info(value)[0])
                continue
            nbytes = _size(shape, slot.binding.itemsize)
            self._ensure(slot, nbytes, host=self.pinned)
            self._bind(name, slot.device.ptr)
            if self.pinned:
                staged = slot.host.view(value.dtype, shape)
                if not np.shares_memory(staged, value):
                    t = time.perf_counter()
                    np.copyto(staged, value)
                    stage_ms += (time.perf_counter() - t) * 1e3
                host_inputs.append((slot, staged))
            else:
                host_inputs.append((slot, value))
        out_shapes, dds = {}, []
        for name in self.output_names:
            slot = self._slots[name]
            shape = tuple(int(d) for d in self.context.get_tensor_shape(name))
            out_shapes[name] = shape
            if name in feeds:
                kind, value, given = feeds[name]
                if any(d < 0 for d in shape) or given != shape:
                    raise BindingError(f"output {name!r}: the device array has shape {given}, the engine produces {shape}")
                self._bind(name, cuda_array_info(value)[0])
            elif slot.binding.location == "host":
                nbytes = _size(shape, slot.binding.itemsize)
                self._ensure_host(slot, nbytes)
                self._bind(name, slot.host.ptr)
            elif any(d < 0 for d in shape):
                dds.append(name)
                if slot.allocator is None:
                    slot.allocator = _make_output_allocator(self.trt, self._cuda)
                    if not self.context.set_output_allocator(name, slot.allocator):
                        raise BindingError(f"TensorRT refused an output allocator for {name!r}")
            else:
                self._ensure(slot, _size(shape, slot.binding.itemsize), host=self.pinned)
                self._bind(name, slot.device.ptr)
        # ---- enqueue: H2D, compute, D2H, each between two events
        stream, (e0, e1, e2, e3) = self._stream, self._events
        e0.record(stream)
        for slot, host_arr in host_inputs:
            slot.device.copy_from_host(host_arr, stream)
        e1.record(stream)
        used_graph = self._execute(not dds)
        e2.record(stream)
        results: dict[str, Any] = {}
        if dds:
            stream.synchronize()  # data-dependent shapes are final once the enqueue completed
        for name in self.output_names:
            slot = self._slots[name]
            dtype = numpy_dtype(slot.binding.dtype)
            if name in feeds:
                results[name] = feeds[name][1]
                continue
            if slot.binding.location == "host":
                results[name] = slot.host.view(dtype, out_shapes[name])   # read after the final synchronize
                continue
            if name in dds:
                alloc = slot.allocator
                shape = alloc.shape if alloc.shape is not None else tuple(int(d) for d in self.context.get_tensor_shape(name))
                nbytes = _size(shape, slot.binding.itemsize)
                if self.pinned:
                    self._ensure_host(slot, nbytes)
                dst = slot.host.view(dtype, shape) if self.pinned else np.empty(shape, dtype)
                if nbytes and alloc.buffer is not None:
                    self._cuda.memcpy_dtoh(dst.reshape(-1).view(np.uint8), alloc.buffer.ptr, stream.raw)
            else:
                shape = out_shapes[name]
                dst = slot.host.view(dtype, shape) if self.pinned else np.empty(shape, dtype)
                if dst.nbytes:
                    slot.device.copy_to_host(dst, stream)
            results[name] = dst
        e3.record(stream)
        e3.synchronize()
        if copy:
            results = {k: (np.array(v) if k not in feeds and (self.pinned or self._slots[k].binding.location == "host")
                           else v) for k, v in results.items()}
        self.last_timing = RunTiming(
            h2d_ms=e1.elapsed_ms(e0), compute_ms=e2.elapsed_ms(e1), d2h_ms=e3.elapsed_ms(e2),
            stage_ms=stage_ms, wall_ms=(time.perf_counter() - wall0) * 1e3, pinned=self.pinned,
            cuda_graph=used_graph,
        )
        return results

    __call__ = run

    def _execute(self, graph_ok: bool) -> bool:
        """Enqueue the engine on the session stream, through a CUDA graph when enabled and possible."""
        handle = self._stream.handle
        if self.cuda_graph and graph_ok and self._profiler is None:
            key = tuple((n, s.shape, s.address) for n, s in self._slots.items())
            if self._graph is not None and self._graph_key == key:
                self._cuda.graph_launch(self._graph, self._stream.raw)
                return True
            if self._graph_seen == key:  # the run before had these shapes: TensorRT's state is settled
                try:
                    self._cuda.graph_begin_capture(self._stream.raw)
                    ok = self.context.execute_async_v3(handle)
                finally:
                    graph = self._cuda.graph_end_capture(self._stream.raw)
                if not ok:
                    self._cuda.graph_destroy(graph)
                    raise CudaError("TensorRT's execute_async_v3 failed while capturing a CUDA graph (see its log); "
                                    "use cuda_graph=False")
                self._graph, self._graph_key = graph, key
                self._cuda.graph_launch(graph, self._stream.raw)
                return True
            self._graph_seen = key
        if not self.context.execute_async_v3(handle):
            raise CudaError("TensorRT's execute_async_v3 returned False (see the TensorRT log above for why); "
                            "check the inputs, or rebuild the engine for this GPU")
        return False

    def _drop_graph(self) -> None:
        if self._graph is not None:
            graph, self._graph, self._graph_key = self._graph, None, None
            self._cuda.graph_destroy(graph)

    # ------------------------------------------------------------------ benchmark
    def benchmark(self, n: int = 100, warmup: int = 10, inputs: Mapping[str, Any] | None = None, *,
                  pinned: bool | None = None, seed: int = 0) -> BenchmarkResult:
        """Run ``warmup`` + ``n`` times and report trtexec's metrics.

        Throughput, latency (H2D + GPU compute + D2H), H2D latency, GPU compute time, D2H latency
        and enqueue time, each with min/mean/median/p90/p95/p99/max. ``pinned`` overrides the
        session's staging for this benchmark (compare pinned with pageable host memory).
        ``inputs`` default to random arrays at each dynamic input's opt shape.
        """
        self._check_open()
        if int(n) < 1 or int(warmup) < 0:
            raise ConfigError(f"benchmark(n={n}, warmup={warmup}): n must be >= 1 and warmup >= 0")
        if inputs is None:
            inputs = random_inputs(self, seed=seed)
        saved = self.pinned
        if pinned is not None:
            self.pinned = bool(pinned)
        try:
            for _ in range(int(warmup)):
                self.run(inputs, copy=False)
            rec: dict[str, list[float]] = defaultdict(list)
            start = time.perf_counter()
            used_graph = False
            for _ in range(int(n)):
                self.run(inputs, copy=False)
                t = self.last_timing
                used_graph |= t.cuda_graph
                rec["latency"].append(t.latency_ms)
                rec["h2d"].append(t.h2d_ms)
                rec["compute"].append(t.compute_ms)
                rec["d2h"].append(t.d2h_ms)
                rec["enqueue"].append(t.wall_ms)
                rec["stage"].append(t.stage_ms)
            elapsed = time.perf_counter() - start
        finally:
            self.pinned = saved
        first = self.bindings.inputs[0] if self.bindings.inputs else None
        batch = int(np.shape(inputs[first.name])[0]) if first is not None and np.ndim(inputs[first.name]) else None
        return BenchmarkResult(dict(rec), throughput_qps=int(n) / elapsed, iterations=int(n), warmup=int(warmup),
                               pinned=self.pinned if pinned is None else bool(pinned), cuda_graph=used_graph, batch=batch)

    # ------------------------------------------------------------------ per-layer profile
    def profile_layers(self, inputs: Mapping[str, Any] | None = None, n: int = 10, warmup: int = 2, *,
                       seed: int = 0):
        """Measure each engine layer with TensorRT's ``IProfiler`` over ``n`` runs.

        Returns a :class:`trtlab.engine.Profile` (``source="iprofiler"``), the structure the
        trtexec profile parser produces, so ``map_fusion(graph, plan, profile)`` shows measured
        time per fused layer.
        """
        from ..engine import LayerTime, Profile

        self._check_open()
        if inputs is None:
            inputs = random_inputs(self, seed=seed)
        for _ in range(int(warmup)):
            self.run(inputs, copy=False)
        self._drop_graph()
        profiler = self._profiler = _make_profiler(self.trt)
        context = self.context
        context.profiler = profiler
        try:
            for _ in range(int(n)):
                self.run(inputs, copy=False)
                if not context.enqueue_emits_profile:
                    context.report_to_profiler()
        finally:
            profiler.enabled = False
            try:
                context.profiler = None
                self._profiler = None
            except TypeError:  # a binding that cannot unset it: keep CUDA graphs off from now on
                pass
        total = sum(sum(v) for v in profiler.times.values()) or 1.0
        layers = []
        for name in profiler.order:
            t = np.asarray(profiler.times[name])
            layers.append(LayerTime(name=name, time_ms=float(t.sum()), average_ms=float(t.mean()),
                                    median_ms=float(np.median(t)), percentage=100.0 * float(t.sum()) / total))
        return Profile(layers=layers, count=int(n), source="iprofiler")

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self.bindings)} I/O tensors"
        return f"<InferenceSession {state}, CUDA backend {self._cuda.name}, {'pinned' if self.pinned else 'pageable'} staging>"

    def _repr_html_(self) -> str:
        if self._closed:
            return "<p>InferenceSession (closed)</p>"
        head = (f"<p><b>InferenceSession</b>: TensorRT module <code>{html.escape(self.trt.__name__)}</code>, "
                f"CUDA backend <code>{html.escape(self._cuda.name)}</code>, "
                f"{'pinned' if self.pinned else 'pageable'} staging"
                f"{', CUDA graph replay' if self.cuda_graph else ''}</p>")
        timing = self.last_timing._repr_html_() if self.last_timing else ""
        return head + self.bindings._repr_html_() + timing


def _shape_text(shape) -> str:
    return "(" + ", ".join("?" if d < 0 else str(d) for d in shape) + ")"


def _profile_text(b: Binding) -> str:
    if not b.profile:
        return _shape_text(b.shape)
    return f"min {b.profile[0]}, max {b.profile[2]}"


def random_inputs(session: InferenceSession, shapes: Mapping[str, Any] | None = None, seed: int = 0) -> dict[str, np.ndarray]:
    """Random inputs for every input of ``session`` (dynamic inputs at their opt shape unless given)."""
    rng = np.random.default_rng(seed)
    shapes = dict(shapes or {})
    out = {}
    for b in session.bindings.inputs:
        shape = tuple(shapes.get(b.name) or (b.profile[1] if b.profile else b.shape))
        dtype = numpy_dtype(b.dtype)
        if dtype.kind == "f" or b.dtype in ("bfloat16",) or b.dtype.startswith("float8"):
            arr = rng.standard_normal(shape, dtype=np.float32).astype(dtype)
        elif dtype.kind == "b":
            arr = rng.integers(0, 2, shape).astype(bool)
        else:
            arr = rng.integers(0, 3, shape).astype(dtype)
        out[b.name] = np.ascontiguousarray(arr)
    return out
