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
CUDA events (:meth:`_enqueue`), collect the outputs (:meth:`_collect`). The steps live in
``feeds.py`` (feeds, buffers, addresses), ``shapes.py`` (profiles, shapes) and ``enqueue.py``
(copies, engine, CUDA graphs); per-tensor state in ``slots.py``.
"""

from __future__ import annotations

import html
import time
from typing import Any, Mapping

import numpy as np

from .._boundary import boundary
from ..errors import ConfigError, CudaError, SessionClosedError, TrtlabError
from .bindings import BindingTable
from .cuda import CudaBackend, Event, Stream, get_backend
from .enqueue import EnqueueSteps
from .feeds import FeedSteps
from .inputs import random_inputs
from .interop import check_output_kind
from .loading import is_cuda_engine, load_cuda_engine
from .measure import benchmark, profile_layers
from .pipeline import run_pipelined
from .shapes import ShapeSteps
from .slots import Feed, Slot, size
from .timing import RunTiming

__all__ = ["InferenceSession", "random_inputs"]

GRAPH_MODES = (False, True, "with-copies")


class InferenceSession(ShapeSteps, FeedSteps, EnqueueSteps):
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

    A ``.plan`` path is verified against its sidecar (``name.plan.json``, written by
    ``BuiltEngine.save``) like :func:`trtlab.load_engine`; a plan without a sidecar is refused
    unless ``trusted=True`` (a plan runs native code chosen by whoever wrote it).
    """

    def __init__(self, engine: Any, *, cuda: str | CudaBackend | None = None, pinned: bool = True,
                 cuda_graph: bool | str = False, profile_index: int | str = 0, device: int = 0,
                 backend: str | None = None, trusted: bool = False):
        self._closed = True
        self._slots: dict[str, Slot] = {}
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
        loaded = load_cuda_engine(engine, backend, trusted)
        self.cuda_engine, self.trt, self._loaded = loaded.cuda_engine, loaded.trt, loaded
        self.context = self.new_context()
        self.num_profiles = int(getattr(self.cuda_engine, "num_optimization_profiles", 1) or 1)
        self._check_profile_index(self.profile_index)
        self._profile_bindings: dict[int, BindingTable] = {}
        self.bindings: BindingTable = self._bindings_of(self.profile_index)
        self._stream = Stream(self._cuda)
        self._events = [Event(self._cuda) for _ in range(4)]
        self._slots = {b.name: Slot(b) for b in self.bindings}
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

    def _collect(self, feeds: dict[str, Feed], host: dict[str, np.ndarray], copy: bool) -> dict[str, Any]:
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
        self._ensure(slot, size(shape, b.itemsize), host=True)
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

