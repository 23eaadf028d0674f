"""``InferenceSession``: run a TensorRT engine on bound device buffers.

Only TensorRT's name-based API (TensorRT 10/11) is used: ``num_io_tensors``,
``get_tensor_name/mode/dtype/shape/location``, ``get_tensor_profile_shape``,
``set_optimization_profile_async``, ``set_input_shape``, ``set_tensor_address``,
``execute_async_v3``. Every TensorRT member used here is listed in
``trtlab.builder.api.RUNTIME_API`` and checked against the real TensorRT 11 runtime classes by
the tests.

One run is a fixed sequence of steps, each a method: check the feeds (:meth:`_feeds`), pick
the optimization profile (:meth:`_choose_profile`), set shapes (:meth:`_set_shapes`), bind
buffers (:meth:`_bind_inputs`, :meth:`_bind_outputs`), enqueue H2D / engine / D2H between
CUDA events (:meth:`_enqueue`), collect the outputs (:meth:`_collect`).
"""

from __future__ import annotations

import html
import math
import time
from typing import Any, Mapping

import numpy as np

from .._boundary import boundary
from ..errors import BindingError, ConfigError, CudaError, SessionClosedError, TrtlabError
from .bindings import Binding, BindingTable, numpy_dtype, read_bindings
from .cuda import CudaBackend, DeviceBuffer, Event, HostBuffer, Stream, get_backend
from .interop import as_device_array, check_output_kind, empty_device_array, is_device_array
from .loading import is_cuda_engine, load_cuda_engine, make_output_allocator
from .inputs import random_inputs
from .measure import benchmark, profile_layers
from .pipeline import run_pipelined
from .timing import RunTiming

__all__ = ["InferenceSession", "random_inputs"]

GRAPH_MODES = (False, True, "with-copies")


def _size(shape, itemsize: float) -> int:
    return math.ceil(math.prod(shape) * itemsize)


class _Slot:
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


class _Feed:
    """One checked input or output of a run: host or device memory, its array and shape."""

    __slots__ = ("on_device", "value", "shape", "ptr")

    def __init__(self, on_device: bool, value: Any, shape: tuple[int, ...], ptr: int = 0):
        self.on_device, self.value, self.shape, self.ptr = on_device, value, shape, ptr


class InferenceSession:
    """Run a TensorRT engine on device buffers bound once and reused.

    ``engine`` is a ``BuiltEngine`` (from :func:`trtlab.build_engine`), plan bytes, the path
    of a ``.plan`` file, or a deserialized ``ICudaEngine``. ``cuda`` picks the memory layer
    ("pycuda", "cuda-python", None = the first installed). ``pinned`` stages host inputs and
    outputs through page-locked buffers (fast DMA) instead of copying from pageable numpy
    memory. ``cuda_graph=True`` captures the engine's enqueue into a CUDA graph after the first
    run with given shapes and replays it while shapes and buffers stay the same;
    ``cuda_graph="with-copies"`` captures H2D + enqueue + D2H as one graph (pinned staging).
    ``profile_index`` is the optimization profile to use, or ``"auto"``: each run picks the
    first profile whose range holds the input shapes (``run(..., profile=i)`` picks one per run).

    ``session.bindings`` is the table of I/O tensors; ``session.run({...})`` returns the
    outputs as numpy arrays (or torch / CuPy GPU arrays with ``outputs="torch"`` / ``"cupy"``);
    ``session.last_timing`` holds H2D / compute / D2H times.
    """

    def __init__(self, engine: Any, *, cuda: str | CudaBackend | None = None, pinned: bool = True,
                 cuda_graph: bool | str = False, profile_index: int | str = 0, device: int = 0,
                 backend: str | None = None):
        self._closed = True
        self._slots: dict[str, _Slot] = {}
        if cuda_graph not in GRAPH_MODES:
            raise ConfigError(f"cuda_graph={cuda_graph!r} is not one of {GRAPH_MODES}")
        self.pinned = bool(pinned)
        self.cuda_graph = cuda_graph
        self.auto_profile = profile_index == "auto"
        self.profile_index = 0 if self.auto_profile else int(profile_index)
        self._pending_timing: tuple | None = None
        self._last_timing: RunTiming | None = None
        # CUDA first: without a driver TensorRT must not even be asked to create a runtime.
        self._cuda = get_backend(cuda, device)
        self._owns_engine = not is_cuda_engine(engine)
        loaded = load_cuda_engine(engine, backend)
        self.cuda_engine, self.trt, self._loaded = loaded.cuda_engine, loaded.trt, loaded
        self.context = self.new_context()
        self.num_profiles = int(getattr(self.cuda_engine, "num_optimization_profiles", 1) or 1)
        self._check_profile_index(self.profile_index)
        self._profile_bindings: dict[int, BindingTable] = {}
        self.bindings: BindingTable = self._bindings_of(self.profile_index)
        self._stream = Stream(self._cuda)
        self._events = [Event(self._cuda) for _ in range(4)]
        self._slots = {b.name: _Slot(b) for b in self.bindings}
        self._input_slots = [self._slots[b.name] for b in self.bindings.inputs]
        self._output_slots = [self._slots[b.name] for b in self.bindings.outputs]
        self._graph = self._graph_key = self._graph_seen = None
        self._profiler = None
        self._out_shapes: dict[str, tuple[int, ...]] | None = None
        self._closed = False
        if self.profile_index:
            self._activate_profile(self.profile_index)

    def new_context(self):
        """A new TensorRT execution context of this session's engine (one per concurrent stream)."""
        with boundary(CudaError, "TensorRT creating an execution context", "the GPU may be out of memory"):
            context = self.cuda_engine.create_execution_context()
        if context is None:
            raise CudaError("TensorRT could not create an execution context (it returned None); "
                            "the GPU may be out of memory; close other sessions and retry")
        return context

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

    @property
    def last_timing(self) -> RunTiming | None:
        """H2D / compute / D2H times of the last run (read from its CUDA events when first asked)."""
        if self._pending_timing is not None:
            (e0, e1, e2, e3), stage_ms, wall_ms, graph = self._pending_timing
            self._pending_timing = None
            if graph == "with-copies":   # one graph: the phases have no events between them
                h2d, compute, d2h = 0.0, e3.elapsed_ms(e0), 0.0
            else:
                h2d, compute, d2h = e1.elapsed_ms(e0), e2.elapsed_ms(e1), e3.elapsed_ms(e2)
            self._last_timing = RunTiming(h2d_ms=h2d, compute_ms=compute, d2h_ms=d2h, stage_ms=stage_ms,
                                          wall_ms=wall_ms, pinned=self.pinned, cuda_graph=bool(graph),
                                          graph_copies=graph == "with-copies")
        return self._last_timing

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
        self._pending_timing = None
        if self._owns_engine:
            self.cuda_engine = None
        self._loaded = None

    def __enter__(self) -> "InferenceSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # never raise from a finalizer
            pass

    # ------------------------------------------------------------------ profiles
    def _check_profile_index(self, index: int) -> None:
        if not 0 <= index < self.num_profiles:
            raise ConfigError(f"optimization profile {index} does not exist; the engine has {self.num_profiles}: "
                              f"0..{self.num_profiles - 1}")

    def _bindings_of(self, index: int) -> BindingTable:
        if index not in self._profile_bindings:
            self._profile_bindings[index] = read_bindings(self.cuda_engine, self.trt, index)
        return self._profile_bindings[index]

    def set_profile(self, index: int) -> None:
        """Switch to optimization profile ``index``; input shapes are set again on the next run."""
        self._check_open()
        self._check_profile_index(int(index))
        if int(index) != self.profile_index:
            self._activate_profile(int(index))

    def _activate_profile(self, index: int) -> None:
        self._stream.synchronize()    # work enqueued under the old profile must finish first
        if not self.context.set_optimization_profile_async(index, self._stream.handle):
            raise BindingError(f"TensorRT refused optimization profile {index} (see its log above)")
        self.profile_index = index
        self.bindings = self._bindings_of(index)
        for b in self.bindings:
            self._slots[b.name].rebind(b)
        self._out_shapes = None
        self._drop_graph()

    def _profile_holds(self, index: int, shapes: Mapping[str, tuple[int, ...]]) -> bool:
        table = self._bindings_of(index)
        for name, shape in shapes.items():
            prof = table[name].profile
            if prof is not None and any(s < lo or s > hi for s, lo, hi in zip(shape, prof[0], prof[2])):
                return False
        return True

    def _choose_profile(self, feeds: dict[str, _Feed], requested: int | None) -> None:
        """Switch to ``requested``, or (auto) to the first profile holding the input shapes."""
        if requested is not None:
            self._check_profile_index(int(requested))
            if int(requested) != self.profile_index:
                self._activate_profile(int(requested))
            return
        if not self.auto_profile:
            return
        shapes = {s.name: feeds[s.name].shape for s in self._input_slots if s.dynamic}
        if self._profile_holds(self.profile_index, shapes):
            return
        for index in range(self.num_profiles):
            if self._profile_holds(index, shapes):
                self._activate_profile(index)
                return
        ranges = "; ".join(f"profile {i}: " + ", ".join(f"{n} {_profile_text(self._bindings_of(i)[n])}" for n in shapes)
                           for i in range(self.num_profiles))
        raise BindingError(f"no optimization profile holds the input shapes {shapes}; {ranges}; "
                           f"use shapes inside one of them or rebuild with a profile that holds them")

    # ------------------------------------------------------------------ shapes
    def set_input_shape(self, name: str, shape) -> None:
        """Set the shape of a dynamic input, checked against the optimization profile."""
        self._check_open()
        slot = self._input_slot(name)
        shape = self._check_shape(slot.binding, tuple(int(d) for d in shape))
        self._check_range(slot.binding, shape)
        self._apply_shape(slot, shape)

    def _input_slot(self, name: str) -> _Slot:
        slot = self._slots.get(name)
        if slot is None or not slot.binding.is_input:
            raise BindingError(f"{name!r} is not an input of this engine; its inputs are {self.input_names}")
        return slot

    def _check_shape(self, b: Binding, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Rank and static dimensions (the profile's range is checked once the profile is chosen)."""
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
        return shape

    def _check_range(self, b: Binding, shape: tuple[int, ...]) -> None:
        if b.profile is not None:
            mn, _, mx = b.profile
            if any(s < lo or s > hi for s, lo, hi in zip(shape, mn, mx)):
                others = " (or let the session pick one: profile_index='auto')" if self.num_profiles > 1 else ""
                raise BindingError(
                    f"input {b.name!r} shape {shape} is outside optimization profile {self.profile_index}: "
                    f"min {mn}, max {mx}; use a shape in that range{others} or rebuild with a wider ShapeProfile"
                )

    def _apply_shape(self, slot: _Slot, shape: tuple[int, ...]) -> None:
        if slot.binding.dynamic and slot.shape != shape:
            if not self.context.set_input_shape(slot.binding.name, shape):
                raise BindingError(
                    f"TensorRT refused shape {shape} for input {slot.binding.name!r} (see its log above); "
                    f"allowed: {_profile_text(slot.binding)}"
                )
            slot.shape = shape
            self._out_shapes = None
            self._drop_graph()

    # ------------------------------------------------------------------ step 1: feeds
    def _feeds(self, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, _Feed]:
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

    def _feed(self, slot: _Slot, value: Any) -> _Feed:
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
        return _Feed(on_device, value, shape, ptr)

    @staticmethod
    def _as_array(b: Binding, value: Any) -> np.ndarray:
        if isinstance(value, np.ndarray):
            return value
        with boundary(BindingError, f"converting {b.mode} {b.name!r} to a {b.dtype} array", "pass a numpy array"):
            return np.asarray(value, dtype=numpy_dtype(b.dtype))

    # ------------------------------------------------------------------ step 2: shapes
    def _set_shapes(self, feeds: dict[str, _Feed]) -> dict[str, tuple[int, ...]]:
        """Apply each input's shape; returns the output shapes TensorRT infers from them."""
        for slot in self._input_slots:
            if slot.dynamic:
                shape = feeds[slot.name].shape
                if shape != slot.shape:
                    self._check_range(slot.binding, shape)
                    self._apply_shape(slot, shape)
        if self._out_shapes is None:
            missing = list(self.context.infer_shapes() or [])
            if missing:
                raise BindingError(f"TensorRT cannot infer shapes: tensors {missing} are not fully specified")
            self._out_shapes = {s.binding.name: tuple(int(d) for d in self.context.get_tensor_shape(s.binding.name))
                                for s in self._output_slots}
            self._out_nbytes = {name: _size(shape, self._slots[name].binding.itemsize) if min(shape, default=0) >= 0 else -1
                                for name, shape in self._out_shapes.items()}
        return self._out_shapes

    # ------------------------------------------------------------------ step 3: buffers and addresses
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
                self._drop_graph()
            slot.host = None  # a failed allocation below must not leave a freed buffer here
            slot.host = HostBuffer(nbytes, self._cuda)

    def _bind(self, slot: _Slot, address: int) -> None:
        if slot.address != address:
            if not self.context.set_tensor_address(slot.binding.name, address):
                raise BindingError(f"TensorRT refused the address {address:#x} for {slot.binding.name!r} (see its log above)")
            slot.address = address
            self._drop_graph()

    def _bind_inputs(self, feeds: dict[str, _Feed], pinned: bool) -> tuple[list, float]:
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
    def _stage(slot: _Slot, feed: _Feed) -> float:
        """Copy a numpy input into the pinned buffer unless it already is that buffer; ms spent."""
        value = feed.value
        if value is slot.given or (value.base is not None and value.__array_interface__["data"][0] == slot.host.ptr):
            return 0.0
        t = time.perf_counter()
        np.copyto(slot.host_view(feed.shape), value)
        return (time.perf_counter() - t) * 1e3

    def _bind_outputs(self, feeds: dict[str, _Feed], out_shapes, kind: str, pinned: bool) -> tuple[dict, list]:
        """Bind every output; returns arrays made for the caller (torch/cupy) and data-dependent outputs."""
        made, dds = {}, []
        for slot in self._output_slots:
            name = slot.name
            nbytes = self._out_nbytes[name]
            feed = feeds.get(name)
            if feed is None and kind != "numpy" and not slot.on_host and nbytes >= 0:
                made[name] = empty_device_array(kind, out_shapes[name], slot.dtype, self._cuda.device)
                feed = feeds[name] = _Feed(True, *self._device_feed(made[name]))
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
                nbytes = _size(shape, slot.binding.itemsize)
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

    def _dds_output(self, slot: _Slot, pinned: bool) -> tuple[tuple[int, ...], int]:
        alloc = slot.allocator
        shape = alloc.shape if alloc.shape is not None else tuple(int(d) for d in self.context.get_tensor_shape(slot.binding.name))
        if pinned:
            self._ensure_host(slot, _size(shape, slot.binding.itemsize))
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

    # ------------------------------------------------------------------ run
    def run(self, inputs: Mapping[str, Any] | None = None, outputs: Mapping[str, Any] | str | None = None, *,
            copy: bool = True, profile: int | None = None, **named: Any) -> dict[str, Any]:
        """Run the engine once and return ``{output name: array}``.

        ``inputs`` maps input names to numpy arrays (staged through pinned memory, or copied from
        pageable memory when ``pinned=False``) or to GPU arrays (torch, CuPy, anything with
        ``__cuda_array_interface__`` or CUDA DLPack), bound without a copy. ``outputs`` may map
        output names to GPU arrays to write into, returned as given; or be ``"torch"`` /
        ``"cupy"`` to get every output as a new GPU array of that kind (no device→host copy).
        Other outputs come back as numpy arrays (copies unless ``copy=False``, which returns views
        of the pinned buffers that the next run overwrites). ``profile`` picks the optimization
        profile for this run. Inputs can also be passed as keywords.
        """
        self._check_open()
        wall0 = time.perf_counter()
        if named:
            inputs = dict(inputs or {}, **named)
        kind = "numpy"
        if isinstance(outputs, str):
            kind, outputs = check_output_kind(outputs), None
        feeds = self._feeds(inputs if inputs is not None else {}, outputs or {})
        self._choose_profile(feeds, profile)
        out_shapes = self._set_shapes(feeds)
        pinned = self.pinned
        copies, stage_ms = self._bind_inputs(feeds, pinned)
        made, dds = self._bind_outputs(feeds, out_shapes, kind, pinned)
        self._pending_timing = self._last_timing = None
        graph, host = self._enqueue(copies, feeds, out_shapes, dds, pinned)
        self._events[3].synchronize()
        if graph == "with-copies":
            host = self._graph_outputs(feeds, out_shapes)
        results = self._collect(feeds, host, copy and pinned)
        self._pending_timing = (self._events, stage_ms, (time.perf_counter() - wall0) * 1e3, graph)
        return results

    __call__ = run

    def _graph_outputs(self, feeds, out_shapes) -> dict[str, np.ndarray]:
        return {s.binding.name: s.host_view(out_shapes[s.binding.name])
                for s in self._output_slots if s.binding.name not in feeds}

    def _collect(self, feeds: dict[str, _Feed], host: dict[str, np.ndarray], copy: bool) -> dict[str, Any]:
        """The outputs in TensorRT's order: the caller's device arrays, then host arrays."""
        results = {}
        for slot in self._output_slots:
            name = slot.name
            if name in feeds:
                results[name] = feeds[name].value
            else:
                arr = host[name]
                results[name] = np.array(arr) if copy or slot.on_host else arr
        return results

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
        self._check_range(b, shape)
        self._ensure(slot, _size(shape, b.itemsize), host=True)
        slot.given = slot.host.view(slot.dtype, shape)
        return slot.given

    def run_many(self, batches, pipeline: int = 2) -> list[dict[str, np.ndarray]]:
        """Run a list of input dicts (one shape) and return their outputs, in order.

        ``pipeline`` lanes (execution contexts with their own stream and buffers) overlap one
        batch's copies with another's compute; ``pipeline=1`` runs them one after another.
        """
        self._check_open()
        outputs, _, _ = run_pipelined(self, list(batches), int(pipeline))
        return outputs

    # ------------------------------------------------------------------ measuring
    benchmark = benchmark
    profile_layers = profile_layers

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        state = "closed" if self._closed else f"{len(self.bindings)} I/O tensors"
        return f"<InferenceSession {state}, CUDA backend {self._cuda.name}, {'pinned' if self.pinned else 'pageable'} staging>"

    def _repr_html_(self) -> str:
        if self._closed:
            return "<p>InferenceSession (closed)</p>"
        graph = {True: ", CUDA graph replay", "with-copies": ", CUDA graph replay with the copies"}.get(self.cuda_graph, "")
        head = (f"<p><b>InferenceSession</b>: TensorRT module <code>{html.escape(self.trt.__name__)}</code>, "
                f"CUDA backend <code>{html.escape(self._cuda.name)}</code>, "
                f"{'pinned' if self.pinned else 'pageable'} staging{graph}, "
                f"optimization profile {self.profile_index} of {self.num_profiles}</p>")
        timing = self.last_timing._repr_html_() if self.last_timing else ""
        return head + self.bindings._repr_html_() + timing


def _shape_text(shape) -> str:
    return "(" + ", ".join("?" if d < 0 else str(d) for d in shape) + ")"


def _profile_text(b: Binding) -> str:
    if not b.profile:
        return _shape_text(b.shape)
    return f"min {b.profile[0]}, max {b.profile[2]}"
