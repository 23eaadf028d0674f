"""Pipelined inference: copies of one batch overlap the compute of another.

A *lane* is one TensorRT execution context with its own CUDA stream, its own pinned and device
buffers and four CUDA events. Batches go to the lanes in turn; a lane is waited for only when
its next batch comes, so with two lanes batch i+1's host→device copy runs while batch i
computes and batch i-1's device→host copy runs (the GPU's copy engines work beside its SMs).
With one lane the same code runs the batches one after another: the comparison isolates the
overlap.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..draw.drawing import Drawing, new_figure
from ..draw.timeline import Span, draw_timeline
from ..errors import BindingError, ConfigError, CudaError
from .cuda import DeviceBuffer, Event, HostBuffer, Stream

if TYPE_CHECKING:
    from .session import InferenceSession

__all__ = ["PipelineResult", "run_pipelined"]


class _Lane:
    """One execution context, stream, buffer set and event set."""

    def __init__(self, session: "InferenceSession", index: int, shapes: Mapping[str, tuple[int, ...]], profile: int):
        cuda = session.cuda_backend
        self.index = index
        self.profile = profile
        self.context = session.new_context()
        self.stream = Stream(cuda)
        self.events = [Event(cuda) for _ in range(4)]
        self.buffers: dict[str, tuple[DeviceBuffer, HostBuffer, np.ndarray]] = {}
        self.batch: int | None = None
        try:
            self._bind(session, shapes)
        except BaseException:
            self.free()
            raise

    def _bind(self, session, shapes) -> None:
        if self.profile and not self.context.set_optimization_profile_async(self.profile, self.stream.handle):
            raise BindingError(f"TensorRT refused optimization profile {self.profile} for a pipeline lane")
        for name, shape in shapes.items():
            if session.bindings[name].dynamic and not self.context.set_input_shape(name, shape):
                raise BindingError(f"TensorRT refused shape {shape} for input {name!r} in a pipeline lane")
        for b in session.bindings:
            shape = shapes.get(b.name) or tuple(int(d) for d in self.context.get_tensor_shape(b.name))
            if b.location == "host" or min(shape, default=0) < 0:
                raise ConfigError(f"pipelined runs need device tensors of known shape; {b.name!r} is "
                                  f"{'a host tensor' if b.location == 'host' else 'data-dependent'}: use run() instead")
            dtype = session._slots[b.name].dtype
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            dev, host = DeviceBuffer(nbytes, session.cuda_backend), HostBuffer(nbytes, session.cuda_backend)
            self.buffers[b.name] = (dev, host, host.view(dtype, shape))
            if not self.context.set_tensor_address(b.name, dev.ptr):
                raise BindingError(f"TensorRT refused the address of {b.name!r} in a pipeline lane")

    def enqueue(self, batch: int, inputs: Mapping[str, np.ndarray], input_names, output_names) -> None:
        """Stage, then H2D / compute / D2H on this lane's stream, between its four events."""
        e0, e1, e2, e3 = self.events
        for name in input_names:
            np.copyto(self.buffers[name][2], inputs[name])
        e0.record(self.stream)
        for name in input_names:
            dev, host, _ = self.buffers[name]
            dev.copy_from_host(host, self.stream)
        e1.record(self.stream)
        if not self.context.execute_async_v3(self.stream.handle):
            raise CudaError("TensorRT's execute_async_v3 returned False in a pipeline lane (see its log above)")
        e2.record(self.stream)
        for name in output_names:
            dev, host, _ = self.buffers[name]
            dev.copy_to_host(host, self.stream)
        e3.record(self.stream)
        self.batch = batch

    def finish(self, start: Event, output_names, keep: bool) -> tuple[int, list[Span], dict[str, np.ndarray] | None]:
        """Wait for the lane's batch; its spans and (if ``keep``) a copy of its outputs."""
        e0, e1, e2, e3 = self.events
        e3.synchronize()
        batch, self.batch = self.batch, None
        t = [e.elapsed_ms(start) for e in (e0, e1, e2, e3)]
        spans = [Span(self.index, batch, phase, t[i], t[i + 1]) for i, phase in enumerate(("h2d", "compute", "d2h"))]
        outputs = {name: np.array(self.buffers[name][2]) for name in output_names} if keep else None
        return batch, spans, outputs

    def free(self) -> None:
        try:
            self.stream.synchronize()
        finally:
            for dev, host, _ in self.buffers.values():
                dev.free()
                host.free()
            for ev in self.events:
                ev.free()
            self.stream.free()
            self.context = None


def _shapes_of(session: "InferenceSession", batches: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, ...]]:
    """Check every batch like run() does; all batches must have the first one's shapes."""
    shapes = None
    for i, batch in enumerate(batches):
        feeds = session._feeds(batch, {})
        if any(f.on_device for f in feeds.values()):
            raise BindingError("pipelined runs stage numpy inputs; pass numpy arrays (device arrays need no pipeline)")
        these = {name: f.shape for name, f in feeds.items()}
        if shapes is None:
            shapes = these
        elif these != shapes:
            raise BindingError(f"batch {i} has shapes {these}; batch 0 has {shapes}: pipelined batches share one shape")
    if shapes is None:
        raise ConfigError("no batches given; pass a list of input dicts")
    return shapes


def _lane_profiles(session: "InferenceSession", shapes: Mapping[str, tuple[int, ...]], lanes: int) -> list[int]:
    """A profile for each lane: distinct ones where the engine has enough that hold the shapes.

    Older TensorRT versions refused two contexts of one engine running at once on the same
    profile; engines built with one profile per stream (as those versions asked) get one each.
    """
    dynamic = {n: s for n, s in shapes.items() if session.bindings[n].dynamic}
    if session.auto_profile:
        holding = [i for i in range(session.num_profiles) if session._profile_holds(i, dynamic)]
        if not holding:
            session._choose_profile({n: _ShapeOnly(s) for n, s in shapes.items()}, None)   # raises the clear error
    else:
        for name, shape in shapes.items():
            session._check_range(session.bindings[name], shape)
        holding = [session.profile_index] + [i for i in range(session.num_profiles)
                                             if i != session.profile_index and session._profile_holds(i, dynamic)]
    return [holding[i % len(holding)] for i in range(lanes)]


class _ShapeOnly:
    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape


def run_pipelined(session: "InferenceSession", batches: Sequence[Mapping[str, Any]], lanes: int = 2, *,
                  keep_outputs: bool = True, warmup: int = 0) -> tuple[list[dict[str, np.ndarray]] | None, list[Span], float]:
    """Run ``batches`` over ``lanes`` lanes; returns (outputs per batch, spans, wall seconds).

    ``warmup`` batches (the first ones, again) go through the lanes untimed before the timed run.
    """
    if int(lanes) < 1:
        raise ConfigError(f"pipeline={lanes}: the number of lanes must be >= 1")
    shapes = _shapes_of(session, batches)
    profiles = _lane_profiles(session, shapes, int(lanes))
    inputs, outputs = session.input_names, session.output_names
    made: list[_Lane] = []
    try:
        for i in range(int(lanes)):
            made.append(_Lane(session, i, shapes, profiles[i]))
        if warmup:
            _drive(made, list(batches)[: int(warmup)], inputs, outputs, False, session.cuda_backend)
        return _drive(made, batches, inputs, outputs, keep_outputs, session.cuda_backend)
    finally:
        for lane in made:
            lane.free()


def _drive(lanes: list[_Lane], batches, inputs, outputs, keep: bool, cuda):
    results: list = [None] * len(batches)
    spans: list[Span] = []
    with Event(cuda) as start:
        start.record(lanes[0].stream)
        t0 = time.perf_counter()
        for i, batch in enumerate(batches):
            lane = lanes[i % len(lanes)]
            if lane.batch is not None:
                done, s, out = lane.finish(start, outputs, keep)
                spans += s
                results[done] = out
            lane.enqueue(i, batch, inputs, outputs)
        for lane in sorted((l for l in lanes if l.batch is not None), key=lambda l: l.batch):
            done, s, out = lane.finish(start, outputs, keep)
            spans += s
            results[done] = out
        wall = time.perf_counter() - t0
    return (results if keep else None), sorted(spans, key=lambda s: (s.start_ms, s.stream)), wall


@dataclass
class PipelineResult:
    """Throughput of the same batches run one after another and over ``lanes`` overlapping lanes.

    ``sequential`` and ``pipelined`` are the spans (CUDA-event times per batch, stream and
    phase) of each run; :meth:`plot_timeline` draws them.
    """

    lanes: int
    batches: int
    sequential_qps: float
    pipelined_qps: float
    sequential: list[Span] = field(repr=False)
    pipelined: list[Span] = field(repr=False)

    @property
    def speedup(self) -> float:
        return self.pipelined_qps / self.sequential_qps if self.sequential_qps else float("nan")

    def phase_means(self) -> dict[str, float]:
        """Mean ms of each phase per batch (from the sequential run)."""
        out = {}
        for phase in ("h2d", "compute", "d2h"):
            d = [s.end_ms - s.start_ms for s in self.sequential if s.phase == phase]
            out[phase] = float(np.mean(d)) if d else float("nan")
        return out

    def __str__(self) -> str:
        m = self.phase_means()
        return (f"{self.batches} batches: sequential {self.sequential_qps:.1f} batches/s, {self.lanes} lanes "
                f"{self.pipelined_qps:.1f} batches/s (x{self.speedup:.2f}); per batch H2D {m['h2d']:.3f} ms, "
                f"compute {m['compute']:.3f} ms, D2H {m['d2h']:.3f} ms")

    def _repr_html_(self) -> str:
        return f"<p><b>Pipelined inference</b>: {html.escape(str(self))}</p>"

    def plot_timeline(self, batches: int = 8):
        """Both runs' first ``batches`` batches on one time axis each: the copies hiding behind compute."""
        fig = new_figure((8, 1.2 + 0.55 * (self.lanes + 1)))
        a, b = fig.subplots(2, 1, height_ratios=[1, self.lanes])
        draw_timeline([s for s in self.sequential if s.batch < batches], ax=a,
                      title=f"one lane: {self.sequential_qps:.0f} batches/s")
        draw_timeline([s for s in self.pipelined if s.batch < batches], ax=b,
                      title=f"{self.lanes} lanes: {self.pipelined_qps:.0f} batches/s (x{self.speedup:.2f})")
        a.get_legend().remove()
        hi = max([s.end_ms for s in self.sequential + self.pipelined if s.batch < batches], default=1.0)
        a.set_xlim(0, hi)
        b.set_xlim(0, hi)
        fig.tight_layout()
        return Drawing(fig)


def benchmark_pipeline(session: "InferenceSession", batches: Sequence[Mapping[str, Any]], lanes: int,
                       warmup: int) -> PipelineResult:
    """The same batches through one lane and through ``lanes`` lanes, after ``warmup`` batches each."""
    results = {}
    for n in (1, int(lanes)):
        _, spans, wall = run_pipelined(session, batches, n, keep_outputs=False, warmup=warmup)
        results[n] = (len(batches) / wall, spans)
    return PipelineResult(int(lanes), len(batches), results[1][0], results[int(lanes)][0],
                          results[1][1], results[int(lanes)][1])
