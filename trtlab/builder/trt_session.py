"""Running TensorRT's parser and builder with every TensorRT object released at a known moment.

TensorRT objects are pybind11 wrappers whose C++ destructors take TensorRT's own locks and must
run in a fixed order (parser, then network, then config, then builder). Left to Python's cyclic
garbage collector -- which owns any object reachable from a reference cycle, e.g. from a kept
traceback (a notebook's last error, ``pytest.raises``) or from a class made per build -- they
are destroyed at an arbitrary moment: inside the *next* build's TensorRT calls (``trt.Builder``
logs while it holds a TensorRT mutex; the Python logger allocates, the collector runs there and
an old ``IBuilder``'s destructor waits for that same mutex, for good) or on whichever thread
happens to run ``gc.collect()``. So here:

- every TensorRT object of one build lives in a :class:`TrtObjects` holder that drops them in a
  fixed order when its ``with`` block ends, whether the build succeeded, failed or was cancelled;
- the logger and progress-monitor classes are made once per TensorRT module, never one class
  per build (a class is itself a reference cycle), and their instances point to nothing that
  points back at them;
- the frames of an exception leaving the block are cleared, so a kept traceback holds no
  TensorRT object;
- the cyclic collector is paused while TensorRT runs, so TensorRT's callbacks never start it.
"""

from __future__ import annotations

import functools
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from .._atomic import atomic_write
from .._boundary import gc_paused
from ..errors import BuildCancelled, BuildError, ConfigError
from .config import BuildConfig
from .profiles import ResolvedProfiles, resolve_profiles
from .progress import CancelToken, ProgressEvent

__all__ = ["TrtObjects", "BuildRequest", "run_builder", "layer_info_from_engine", "error_lines"]

SEVERITIES = ("INTERNAL_ERROR", "ERROR", "WARNING", "INFO", "VERBOSE")
#: what TensorRT's pybind11 bindings raise (C++ exceptions, bad arguments, std::bad_alloc)
TRT_ERRORS = (RuntimeError, TypeError, ValueError, MemoryError)


# ----------------------------------------------------------------------------- callbacks
@functools.lru_cache(maxsize=None)
def logger_class(trt: ModuleType) -> type:
    """The ``ILogger`` subclass for ``trt``: appends ``(severity name, message)`` to its sink."""
    names = {getattr(trt.ILogger.Severity, n): n for n in SEVERITIES if hasattr(trt.ILogger.Severity, n)}

    class TrtlabLogger(trt.ILogger):
        def __init__(self, sink: list):
            trt.ILogger.__init__(self)
            self.sink = sink

        def log(self, severity, msg):  # called by TensorRT, possibly from its threads
            self.sink.append((names.get(severity, str(severity)), msg))

    return TrtlabLogger


@functools.lru_cache(maxsize=None)
def monitor_class(trt: ModuleType) -> type:
    """The ``IProgressMonitor`` subclass for ``trt``: events to a callback, cancel by token."""

    class TrtlabMonitor(trt.IProgressMonitor):
        def __init__(self, callback, token: CancelToken | None):
            trt.IProgressMonitor.__init__(self)
            self.callback = callback
            self.token = token
            self.error: BaseException | None = None
            self.error_traceback = ""
            self.depth: dict[str, int] = {}
            self.cancelled = False

        def _emit(self, ev: ProgressEvent) -> bool:
            if self.callback is None:
                return True
            try:
                return self.callback(ev) is not False
            except Exception as exc:  # an exception must never cross into TensorRT's C++ frames
                if self.error is None:
                    self.error_traceback = "".join(traceback.format_exception(exc))
                    # kept without its traceback: the traceback's frames lead back (f_back) to
                    # this monitor, a reference cycle the collector would free at any moment
                    self.error = exc.with_traceback(None)
                return False

        def phase_start(self, phase_name, parent_phase, num_steps):
            self.depth[phase_name] = self.depth.get(parent_phase, -1) + 1 if parent_phase else 0
            self._emit(ProgressEvent("start", phase_name, parent_phase, None, num_steps, self.depth[phase_name]))

        def step_complete(self, phase_name, step):
            keep = self._emit(ProgressEvent("step", phase_name, None, step, None, self.depth.get(phase_name, 0)))
            if self.token is not None and self.token.cancelled:
                keep = False
            if not keep:
                self.cancelled = True
            return keep

        def phase_finish(self, phase_name):
            self._emit(ProgressEvent("finish", phase_name, None, None, None, self.depth.get(phase_name, 0)))

    return TrtlabMonitor


# ----------------------------------------------------------------------------- the holder
class TrtObjects:
    """The TensorRT objects of one build, dropped in :data:`RELEASE_ORDER` when the block ends.

    Use as ``with TrtObjects(trt, log) as objs:``; store every TensorRT object on it
    (``objs.builder = ...``) and keep none in a variable that outlives the block.
    """

    #: what is dropped first comes first: users before what they use, the logger last
    RELEASE_ORDER = ("inspector", "cuda_engine", "trt_runtime", "host_mem", "tcache", "oprofile",
                     "parser", "network", "bconfig", "builder", "monitor", "logger")

    def __init__(self, trt: ModuleType, sink: list):
        self.trt = trt
        for name in self.RELEASE_ORDER:
            setattr(self, name, None)
        self.logger = logger_class(trt)(sink)
        self._gc = gc_paused()

    def __enter__(self) -> "TrtObjects":
        self._gc.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        try:
            self.release()
            if exc is not None:
                _clear_exception_frames(exc)
        finally:
            self._gc.__exit__(None, None, None)
        return False

    def release(self) -> None:
        """Drop every TensorRT object now, in :data:`RELEASE_ORDER`."""
        for name in self.RELEASE_ORDER:
            setattr(self, name, None)


def _clear_exception_frames(exc: BaseException) -> None:
    """Clear the locals of the finished frames of ``exc`` and of the exceptions it chains."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        err = stack.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        traceback.clear_frames(err.__traceback__)  # skips frames still running
        stack += [err.__cause__, err.__context__]


# ----------------------------------------------------------------------------- the build
@dataclass
class BuildRequest:
    """Everything one TensorRT build needs besides the TensorRT module."""

    model_data: bytes
    model_path: Path | None
    config: BuildConfig
    strongly_typed: bool
    hints: dict[str, int] = field(default_factory=dict)   # symbolic dimension name -> size from the model
    symbols: dict[str, tuple[str, ...]] = field(default_factory=dict)  # input -> dim_param per axis
    callback: object = None
    cancel: CancelToken | None = None
    timing_path: Path | None = None


@dataclass
class BuildOutput:
    plan: bytes
    profiles: ResolvedProfiles


def error_lines(log) -> list[str]:
    return [m for s, m in log if s in ("ERROR", "INTERNAL_ERROR")]


def run_builder(trt: ModuleType, request: BuildRequest, log: list) -> BuildOutput:
    """Parse, configure and build; every TensorRT object is released before this returns."""
    with TrtObjects(trt, log) as objs:
        _parse(objs, request, log)
        profiles = resolve_profiles(request.config, _network_inputs(objs.network), request.symbols, request.hints)
        _configure(objs, request, profiles)
        _attach_monitor(objs, request)
        plan = _build(objs, request, log)
        _save_timing_cache(objs, request, log)
        return BuildOutput(plan, profiles)


def _parse(objs: TrtObjects, request: BuildRequest, log: list) -> None:
    trt = objs.trt
    try:
        builder = objs.builder = trt.Builder(objs.logger)
        network = objs.network = builder.create_network(0)
        parser = objs.parser = trt.OnnxParser(network, objs.logger)
        ok = parser.parse(request.model_data, str(request.model_path) if request.model_path is not None else None)
    except TRT_ERRORS as exc:
        raise BuildError(f"TensorRT could not start parsing the model ({type(exc).__name__}: {exc})") from exc
    if not ok:
        raise _parser_error(parser, log)


def _parser_error(parser, log: list) -> BuildError:
    errs = []
    for i in range(parser.num_errors):
        parser_error = parser.get_error(i)
        errs.append({
            "desc": parser_error.desc(),
            "code": str(parser_error.code()),
            "node": parser_error.node(),
            "node_name": parser_error.node_name(),
            "node_operator": parser_error.node_operator(),
        })
    lines = [f"node {e['node']} {e['node_name'] or '(unnamed)'!r} (op type {e['node_operator']}): {e['desc']}"
             for e in errs]
    err = BuildError(
        "the TensorRT ONNX parser rejected the model: " + "; ".join(lines or error_lines(log) or ["no detail"])
        + ". Replace or remove the unsupported node(s), or provide a TensorRT plugin for them"
    )
    err.parser_errors = errs
    err.log = error_lines(log)
    return err


def _network_inputs(network) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    for i in range(network.num_inputs):
        net_input = network.get_input(i)
        out.append((net_input.name, tuple(net_input.shape)))
    return out


def _configure(objs: TrtObjects, request: BuildRequest, profiles: ResolvedProfiles) -> None:
    trt, config, builder = objs.trt, request.config, objs.builder
    bconfig = objs.bconfig = builder.create_builder_config()
    if profiles.shapes:
        oprofile = objs.oprofile = builder.create_optimization_profile()
        for name, (mn, op, mx) in profiles.shapes.items():
            oprofile.set_shape(name, mn, op, mx)
        bconfig.add_optimization_profile(oprofile)
    if config.workspace_mib is not None:
        bconfig.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, config.workspace_mib << 20)
    if config.opt_level is not None:
        bconfig.builder_optimization_level = config.opt_level
    bconfig.profiling_verbosity = {
        "detailed": trt.ProfilingVerbosity.DETAILED,
        "layer_names_only": trt.ProfilingVerbosity.LAYER_NAMES_ONLY,
        "none": trt.ProfilingVerbosity.NONE,
    }[config.profiling_verbosity]
    if config.precision == "tf32":
        bconfig.set_flag(trt.BuilderFlag.TF32)
    elif config.precision != "fp32" and not request.strongly_typed:
        bconfig.set_flag(getattr(trt.BuilderFlag, config.precision.upper()))
    if config.compute_capability is not None:
        bconfig.num_compute_capabilities = 1
        bconfig.set_compute_capability(getattr(trt.ComputeCapability, config.compute_capability.upper()), 0)
    if request.timing_path is not None:
        tcache = objs.tcache = bconfig.create_timing_cache(_timing_cache_bytes(request.timing_path))
        bconfig.set_timing_cache(tcache, False)


#: timing caches hold one record per timed tactic: megabytes, not gigabytes
MAX_TIMING_CACHE_BYTES = 1 << 30


def _timing_cache_bytes(path: Path) -> bytes:
    if not path.is_file():
        return b""
    size = path.stat().st_size
    if size > MAX_TIMING_CACHE_BYTES:
        raise ConfigError(f"timing cache {str(path)!r} is {size / 2**20:,.0f} MiB, more than the "
                          f"{MAX_TIMING_CACHE_BYTES >> 20:,} MiB a timing cache may have; delete it or choose another")
    return path.read_bytes()


def _attach_monitor(objs: TrtObjects, request: BuildRequest) -> None:
    if request.callback is None and request.cancel is None:
        return
    objs.monitor = monitor_class(objs.trt)(request.callback, request.cancel)
    bconfig = objs.bconfig
    bconfig.progress_monitor = objs.monitor


def _build(objs: TrtObjects, request: BuildRequest, log: list) -> bytes:
    builder = objs.builder
    try:
        host_mem = objs.host_mem = builder.build_serialized_network(objs.network, objs.bconfig)
    except TRT_ERRORS as exc:
        raise BuildError(f"TensorRT's builder raised {type(exc).__name__}: {exc}. "
                         f"Log errors: {error_lines(log)}") from exc
    monitor = objs.monitor
    if monitor is not None and monitor.error is not None:
        err = BuildError(f"the progress callback raised {monitor.error!r}; the build was stopped "
                         "(its traceback is in the error's callback_traceback)")
        err.callback_traceback = monitor.error_traceback
        raise err from monitor.error
    if host_mem is None or host_mem.nbytes == 0:
        cancel = request.cancel
        if (monitor is not None and monitor.cancelled) or (cancel is not None and cancel.cancelled):
            raise BuildCancelled("the build was cancelled (by the CancelToken or the progress callback returning False)")
        lines = error_lines(log)
        err = BuildError("TensorRT could not build the engine: " + (" | ".join(lines[-5:]) or "no error logged")
                         + ". Check the model and the BuildConfig (shapes, precision, workspace)")
        err.log = lines
        raise err
    return bytes(memoryview(host_mem))


def _save_timing_cache(objs: TrtObjects, request: BuildRequest, log: list) -> None:
    """Write the updated timing cache; a cache that cannot be written costs the cache, not the engine."""
    if objs.tcache is None or request.timing_path is None:
        return
    tcache = objs.tcache
    try:
        with atomic_write(request.timing_path) as fh:
            fh.write(bytes(memoryview(tcache.serialize())))
    except OSError as exc:
        log.append(("WARNING", f"trtlab: the timing cache {str(request.timing_path)!r} could not be written "
                               f"({exc.strerror or exc}); the engine is kept"))


def layer_info_from_engine(trt: ModuleType, plan: bytes, log: list) -> str | None:
    """The engine inspector's JSON for ``plan`` (None if it cannot be deserialized here)."""
    with TrtObjects(trt, log) as objs:
        trt_runtime = objs.trt_runtime = trt.Runtime(objs.logger)
        cuda_engine = objs.cuda_engine = trt_runtime.deserialize_cuda_engine(plan)
        if cuda_engine is None:
            return None
        inspector = objs.inspector = cuda_engine.create_engine_inspector()
        return inspector.get_engine_information(trt.LayerInformationFormat.JSON)
