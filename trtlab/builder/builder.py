"""``build_engine``: ONNX model -> TensorRT engine plan + layer information, with cache and progress."""

from __future__ import annotations

import hashlib
import html
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

from ..errors import BackendError, BuildCancelled, BuildError, ConfigError, TrtlabError
from .backend import BackendInfo, _info_for, resolve_backend
from .config import BuildConfig
from .model import ModelSource, has_qdq, read_model, to_fp16
from .progress import CancelToken, ProgressEvent, make_progress

__all__ = ["BuiltEngine", "build_engine", "extract_layers_from_log", "cache_key"]

SEVERITIES = ("INTERNAL_ERROR", "ERROR", "WARNING", "INFO", "VERBOSE")


# ----------------------------------------------------------------------------- result object
@dataclass(eq=False)
class BuiltEngine:
    """A built (or cached, or loaded) engine: the plan bytes and what trtlab learnt about it.

    ``layer_info_text`` is what TensorRT wrote: inspector JSON (``layer_info_format ==
    "json"``) where the engine could be deserialized, otherwise the builder log's one-line
    ``Layers:`` listing (``"oneline"``); ``"none"`` when profiling verbosity was ``none``.
    """

    plan: bytes
    layer_info_text: str
    layer_info_format: str               # "json" | "oneline" | "none"
    build_seconds: float
    backend: str                         # module name, e.g. "tensorrt_rtx_bindings"
    backend_version: str
    device: str                          # build target, e.g. "no GPU" or "NVIDIA A100 (sm80)"
    config: BuildConfig
    from_cache: bool = False
    log: list[tuple[str, str]] = field(default_factory=list)
    key: str | None = None               # engine cache key (sha256)
    model_digest: str | None = None
    _model_bytes: Callable[[], bytes] | bytes | None = field(default=None, repr=False)
    _plan_cache: object = field(default=None, repr=False)
    _onnx_cache: object = field(default=None, repr=False)

    # -- lazily derived views
    @property
    def model_bytes(self) -> bytes | None:
        """The ONNX model TensorRT parsed (after an FP16 conversion, if any)."""
        if callable(self._model_bytes):
            self._model_bytes = self._model_bytes()
        return self._model_bytes

    @property
    def onnx(self):
        """The built model as an :class:`~trtlab.graph.OnnxGraph` (None if unknown)."""
        if self._onnx_cache is None and self.model_bytes is not None:
            from ..graph import load_onnx

            self._onnx_cache = load_onnx(self.model_bytes)
        return self._onnx_cache

    @property
    def layer_info(self):
        """The engine's layers as an :class:`~trtlab.engine.EnginePlan`."""
        if self._plan_cache is None:
            self._plan_cache = plan_from_text(self.layer_info_text, self.layer_info_format)
        return self._plan_cache

    def fusion(self, profile=None):
        """``map_fusion(self.onnx, self.layer_info)``: which ONNX nodes each engine layer absorbed."""
        if self.onnx is None:
            raise ConfigError("this engine has no ONNX model attached; load it with load_engine(path, model=...)")
        from ..fusion import map_fusion

        return map_fusion(self.onnx, self.layer_info, profile)

    @property
    def size(self) -> int:
        return len(self.plan)

    def metadata(self) -> dict:
        """Build metadata (JSON-able): backend, device, config, hashes, timings."""
        return {
            "backend": self.backend,
            "backend_version": self.backend_version,
            "device": self.device,
            "config": self.config.key(),
            "plan_sha256": hashlib.sha256(self.plan).hexdigest(),
            "plan_bytes": len(self.plan),
            "model_sha256": self.model_digest,
            "layer_info_format": self.layer_info_format,
            "build_seconds": round(self.build_seconds, 6),
            "cache_key": self.key,
        }

    def save(self, path) -> Path:
        """Write ``path`` (the plan) and ``path + '.json'`` (backend, config, hashes, layer info)."""
        from .bundle import save_engine

        return save_engine(self, path)

    def __repr__(self) -> str:
        src = "cache" if self.from_cache else f"{self.build_seconds:.2f} s build"
        return (f"BuiltEngine({len(self.plan) / 2**20:.1f} MiB plan, {self.backend} {self.backend_version}, "
                f"{self.device}, {self.config.precision}, {src})")

    def _repr_html_(self) -> str:
        rows = [
            ("plan", f"{len(self.plan) / 2**20:.2f} MiB"),
            ("backend", f"{self.backend} {self.backend_version}"),
            ("device", self.device),
            ("precision", self.config.precision),
            ("built", "from the engine cache" if self.from_cache else f"in {self.build_seconds:.2f} s"),
            ("layer information", f"{self.layer_info_format} ({_count_layers(self)} layers)"),
        ]
        warnings = [m for s, m in self.log if s in ("WARNING", "ERROR", "INTERNAL_ERROR")]
        if warnings:
            rows.append(("warnings", str(len(warnings))))
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table><caption>TensorRT engine</caption>{body}</table>"


def _count_layers(engine: BuiltEngine) -> str:
    try:
        return str(len(engine.layer_info))
    except Exception:  # display must never raise
        return "?"


def plan_from_text(text: str, fmt: str):
    """Layer-information text -> EnginePlan, through trtlab.engine's parsers."""
    from .. import engine as eng

    if fmt == "oneline":
        return eng.parse_oneline(text)
    if fmt == "json":
        return eng.load_layer_info(text)
    return eng.EnginePlan(layers=[], io_tensors=[], source="none", verbosity="none",
                          note="built with profiling_verbosity='none'; build with 'detailed' to see layers")


def extract_layers_from_log(log: list[tuple[str, str]]) -> str | None:
    """The builder's verbose ``Layers:`` listing (one-line format), or None if it did not log one."""
    for _sev, msg in reversed(log):
        s = msg.lstrip()
        if s.startswith("Layers:"):
            return msg
        i = msg.find("\nLayers:")
        if i >= 0:
            return msg[i + 1:]
    return None


# ----------------------------------------------------------------------------- TensorRT adapters
def _make_logger(trt: ModuleType, sink: list):
    names = {getattr(trt.ILogger.Severity, n): n for n in SEVERITIES if hasattr(trt.ILogger.Severity, n)}

    class _Logger(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)

        def log(self, severity, msg):  # called by TensorRT, possibly from its threads
            sink.append((names.get(severity, str(severity)), msg))

    return _Logger()


def _make_monitor(trt: ModuleType, callback, token: CancelToken | None, errors: list):
    depth: dict[str, int] = {}

    class _Monitor(trt.IProgressMonitor):
        def __init__(self):
            trt.IProgressMonitor.__init__(self)
            self.cancelled = False

        def _emit(self, ev: ProgressEvent) -> bool:
            if callback is None:
                return True
            try:
                return callback(ev) is not False
            except Exception as exc:  # never let a callback exception cross into TensorRT
                errors.append(exc)
                return False

        def phase_start(self, phase_name, parent_phase, num_steps):
            depth[phase_name] = depth.get(parent_phase, -1) + 1 if parent_phase else 0
            self._emit(ProgressEvent("start", phase_name, parent_phase, None, num_steps, depth[phase_name]))

        def step_complete(self, phase_name, step):
            keep = self._emit(ProgressEvent("step", phase_name, None, step, None, depth.get(phase_name, 0)))
            if token is not None and token.cancelled:
                keep = False
            if not keep:
                self.cancelled = True
            return keep

        def phase_finish(self, phase_name):
            self._emit(ProgressEvent("finish", phase_name, None, None, None, depth.get(phase_name, 0)))

    return _Monitor()


def _check_config(config: BuildConfig, info: BackendInfo, trt: ModuleType, src: ModelSource) -> None:
    if config.precision not in info.precisions:
        raise ConfigError(
            f"precision {config.precision!r} is not available with {info.module} {info.version}; "
            f"it supports {', '.join(info.precisions)}"
        )
    if info.strongly_typed and config.precision in ("int8", "fp8") and not has_qdq(src.proto()):
        raise ConfigError(
            f"precision {config.precision!r} on {info.module} (strongly typed) comes from Q/DQ nodes in the "
            "model, and this model has no QuantizeLinear/DequantizeLinear nodes; quantize the model "
            "(e.g. with NVIDIA ModelOpt) or choose fp32/fp16"
        )
    if config.timing_cache is not None and not _uses_timing_cache(info):
        raise BackendError(
            f"timing_cache {config.timing_cache!r}: {info.module} {info.version} has no timing cache (its timing "
            "cache calls are no-ops since TensorRT for RTX 1.2); leave timing_cache=None with this backend"
        )
    if config.compute_capability is not None:
        cc_enum = getattr(trt, "ComputeCapability", None)
        if cc_enum is None:
            raise BackendError(
                f"compute_capability {config.compute_capability!r} needs a backend that builds for a chosen "
                f"GPU architecture (TensorRT for RTX); {info.module} builds for the GPU it runs on. "
                "Leave compute_capability=None"
            )
        name = config.compute_capability.upper()
        if not hasattr(cc_enum, name) or name == "NONE":
            allowed = [n.lower() for n in cc_enum.__members__ if n != "NONE"]
            raise ConfigError(
                f"compute_capability {config.compute_capability!r} is not a target of {info.module} "
                f"{info.version}; choose one of {', '.join(allowed)}"
            )
        if name == "CURRENT" and not info.gpu.devices:
            raise ConfigError("compute_capability 'current' needs a GPU here; name an architecture such as 'sm86'")


def _uses_timing_cache(info: BackendInfo) -> bool:
    # TensorRT for RTX deprecated the timing cache (no-op since 1.2): it times nothing ahead of time
    return info.family != "tensorrt_rtx"


def _network_inputs(network) -> list[tuple[str, tuple[int, ...]]]:
    out = []
    for i in range(network.num_inputs):
        net_input = network.get_input(i)
        out.append((net_input.name, tuple(net_input.shape)))
    return out


def resolve_profiles(config: BuildConfig, inputs: list[tuple[str, tuple[int, ...]]]):
    """Check the config's ShapeProfiles against the network's inputs; fill in dynamic ones.

    Returns ``{input: (min, opt, max)}`` for every input that needs a profile (one with a
    dynamic dimension, or one the user gave a profile for). Symbolic/unknown dimensions
    without a user profile get ``config.dynamic_dims``.
    """
    names = [n for n, _ in inputs]
    for prof in config.profiles:
        if prof.input not in names:
            raise ConfigError(f"shape profile for {prof.input!r}: the model has no such input; its inputs are {names}")
    out = {}
    for name, shape in inputs:
        prof = config.profile_for(name)
        if prof is not None:
            if len(prof.min) != len(shape):
                raise ConfigError(
                    f"shape profile for {name!r} has rank {len(prof.min)} (min {prof.min}) but the input has "
                    f"rank {len(shape)} (shape {shape}, -1 = dynamic); give {len(shape)} dimensions"
                )
            for axis, d in enumerate(shape):
                if d >= 0 and not (prof.min[axis] == prof.opt[axis] == prof.max[axis] == d):
                    raise ConfigError(
                        f"shape profile for {name!r}: dimension {axis} is fixed to {d} in the model, but the "
                        f"profile gives min {prof.min[axis]}, opt {prof.opt[axis]}, max {prof.max[axis]}"
                    )
            out[name] = (prof.min, prof.opt, prof.max)
        elif any(d < 0 for d in shape):
            lo, mid, hi = config.dynamic_dims
            out[name] = tuple(tuple(v if d < 0 else d for d in shape) for v in (lo, mid, hi))
    return out


def cache_key(model_digest: str, config: BuildConfig, info: BackendInfo) -> str:
    """sha256 of model, config, backend name+version and build target."""
    blob = json.dumps({
        "model": model_digest,
        "config": config.key(),
        "backend": info.module,
        "version": info.version,
        "target": config.compute_capability or info.device,
    }, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def _error_lines(log) -> list[str]:
    return [m for s, m in log if s in ("ERROR", "INTERNAL_ERROR")]


def _parser_errors(parser) -> list[dict]:
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
    return errs


def _layer_info_from_engine(trt, plan: bytes, logger) -> str | None:
    trt_runtime = trt.Runtime(logger)
    cuda_engine = trt_runtime.deserialize_cuda_engine(plan)
    if cuda_engine is None:
        return None
    inspector = cuda_engine.create_engine_inspector()
    return inspector.get_engine_information(trt.LayerInformationFormat.JSON)


# ----------------------------------------------------------------------------- build
def build_engine(model, config: BuildConfig | None = None, progress=None, cache=None, *,
                 cancel: CancelToken | None = None, backend: str | None = None) -> BuiltEngine:
    """Build a TensorRT engine from an ONNX model and read back its layer information.

    - ``model``: path, bytes, ``onnx.ModelProto`` or ``OnnxGraph``.
    - ``config``: a :class:`BuildConfig` (default: FP32, detailed profiling verbosity).
    - ``progress``: ``None``, ``"tqdm"``, ``"widget"`` or a callable taking a
      :class:`ProgressEvent`; returning ``False`` cancels the build.
    - ``cache``: ``None``/``False`` (no cache), ``True`` (the default :class:`EngineCache`), a
      path, or an :class:`EngineCache`. A hit returns the cached plan and layer information.
    - ``cancel``: a :class:`CancelToken`; ``token.cancel()`` stops the build (``BuildCancelled``).
    - ``backend``: force a TensorRT module (else ``$TRTLAB_BACKEND``, else the first installed).

    Raises ``ModelLoadError`` (not an ONNX model), ``ConfigError`` (bad profile, precision the
    backend lacks), ``BuildError`` (parser errors name the node and op type; builder errors
    carry the log lines), ``BuildCancelled``, ``BackendError``, ``CacheError``.
    """
    if config is None:
        config = BuildConfig()
    if not isinstance(config, BuildConfig):
        raise ConfigError(f"config {config!r} is not a BuildConfig; create one with trtlab.BuildConfig(...)")
    src = read_model(model)
    callback = make_progress(progress)
    from .cache import as_cache

    engine_cache = as_cache(cache)
    trt = resolve_backend(backend)
    info = _info_for(trt.__name__)
    if not info.can_build:
        raise BackendError(f"{info.module} {info.version} cannot build engines (no Builder); install 'trtlab[rtx]' or 'trtlab[gpu]'")
    _check_config(config, info, trt, src)

    key = cache_key(src.digest, config, info)
    model_bytes_fn = _model_bytes_fn(src, config, info)
    if engine_cache is not None:
        hit = engine_cache.get(key)
        if hit is not None:
            return BuiltEngine(
                plan=hit.plan, layer_info_text=hit.layer_info_text, layer_info_format=hit.layer_info_format,
                build_seconds=hit.meta.get("build_seconds", 0.0), backend=info.module,
                backend_version=info.version, device=hit.meta.get("device", info.device), config=config,
                from_cache=True, log=[("INFO", f"loaded from the engine cache: {hit.path}")], key=key,
                model_digest=src.digest, _model_bytes=model_bytes_fn,
            )

    src.proto()  # a model that is not valid ONNX fails here with ModelLoadError, before TensorRT sees it
    log: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    built_model = model_bytes_fn()
    plan = _run_builder(trt, info, src, built_model, config, callback, cancel, log, engine_cache)
    build_seconds = time.perf_counter() - t0

    fmt, text = "none", ""
    if config.profiling_verbosity != "none":
        if info.can_execute:
            try:
                text = _layer_info_from_engine(trt, plan, _make_logger(trt, log)) or ""
                fmt = "json" if text else "none"
                if not text:
                    log.append(("WARNING", "trtlab: the engine could not be deserialized here; "
                                           "its layer information comes from the builder's log instead"))
            except Exception as exc:  # fall back to the log listing below
                log.append(("WARNING", f"trtlab: reading layer information from the engine failed: {exc}"))
        if fmt == "none":
            listing = extract_layers_from_log(log)
            if listing is not None:
                fmt, text = "oneline", listing
    engine = BuiltEngine(
        plan=plan, layer_info_text=text, layer_info_format=fmt, build_seconds=build_seconds,
        backend=info.module, backend_version=info.version,
        device=config.compute_capability or info.device, config=config, from_cache=False, log=log,
        key=key, model_digest=src.digest, _model_bytes=built_model,
    )
    if engine_cache is not None:
        engine_cache.put(key, engine)
    return engine


def _model_bytes_fn(src: ModelSource, config: BuildConfig, info: BackendInfo):
    if config.precision == "fp16" and info.strongly_typed:
        return lambda: to_fp16(src)
    return lambda: src.data


def _run_builder(trt, info, src: ModelSource, model_data: bytes, config: BuildConfig, callback, cancel,
                 log: list, engine_cache) -> bytes:
    logger = _make_logger(trt, log)
    cb_errors: list[Exception] = []
    try:
        builder = trt.Builder(logger)
        network = builder.create_network(0)
        parser = trt.OnnxParser(network, logger)
        ok = parser.parse(model_data, str(src.path) if src.path is not None else None)
    except TrtlabError:
        raise
    except Exception as exc:
        raise BuildError(f"TensorRT could not start parsing the model ({type(exc).__name__}: {exc})") from exc
    if not ok:
        errs = _parser_errors(parser)
        lines = [f"node {e['node']} {e['node_name'] or '(unnamed)'!r} (op type {e['node_operator']}): {e['desc']}"
                 for e in errs]
        err = BuildError(
            "the TensorRT ONNX parser rejected the model: " + "; ".join(lines or _error_lines(log) or ["no detail"])
            + ". Replace or remove the unsupported node(s), or provide a TensorRT plugin for them"
        )
        err.parser_errors = errs
        err.log = _error_lines(log)
        raise err

    profiles = resolve_profiles(config, _network_inputs(network))
    bconfig = builder.create_builder_config()
    if profiles:
        oprofile = builder.create_optimization_profile()
        for name, (mn, op, mx) in profiles.items():
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
    elif config.precision != "fp32" and not info.strongly_typed:
        bconfig.set_flag(getattr(trt.BuilderFlag, config.precision.upper()))
    if config.compute_capability is not None:
        bconfig.num_compute_capabilities = 1
        bconfig.set_compute_capability(getattr(trt.ComputeCapability, config.compute_capability.upper()), 0)
    timing_path = Path(config.timing_cache) if config.timing_cache else (
        engine_cache.timing_cache_path(info) if engine_cache is not None and _uses_timing_cache(info) else None)
    tcache = None
    if timing_path is not None:
        data = timing_path.read_bytes() if timing_path.is_file() else b""
        tcache = bconfig.create_timing_cache(data)
        bconfig.set_timing_cache(tcache, False)
    monitor = None
    if callback is not None or cancel is not None:
        monitor = _make_monitor(trt, callback, cancel, cb_errors)
        bconfig.progress_monitor = monitor

    try:
        host_mem = builder.build_serialized_network(network, bconfig)
    except Exception as exc:
        raise BuildError(f"TensorRT's builder raised {type(exc).__name__}: {exc}. Log errors: {_error_lines(log)}") from exc
    if cb_errors:
        raise BuildError(f"the progress callback raised {cb_errors[0]!r}; the build was stopped") from cb_errors[0]
    if host_mem is None or host_mem.nbytes == 0:
        if (monitor is not None and monitor.cancelled) or (cancel is not None and cancel.cancelled):
            raise BuildCancelled("the build was cancelled (by the CancelToken or the progress callback returning False)")
        lines = _error_lines(log)
        err = BuildError("TensorRT could not build the engine: " + (" | ".join(lines[-5:]) or "no error logged")
                         + ". Check the model and the BuildConfig (shapes, precision, workspace)")
        err.log = lines
        raise err
    plan = bytes(memoryview(host_mem))
    if tcache is not None and timing_path is not None:
        _write_atomic(timing_path, bytes(memoryview(tcache.serialize())))
    return plan


def _write_atomic(path: Path, data: bytes) -> None:
    from .._atomic import atomic_write

    with atomic_write(path) as fh:
        fh.write(data)
