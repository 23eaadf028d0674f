"""``build_engine``: ONNX model -> TensorRT engine plan + layer information, with cache and progress."""

from __future__ import annotations

import hashlib
import html
import json
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Callable

from .. import engine as eng
from .._atomic import atomic_write
from ..errors import BackendError, CacheError, ConfigError, LayerInfoError
from ..fusion import map_fusion
from ..graph import load_onnx
from .backend import BackendInfo, _info_for, resolve_backend
from .cache import as_cache
from .config import BuildConfig
from .model import ModelSource, has_qdq, read_model, require_nodes, to_fp16
from .profiles import input_symbols, model_hints
from .progress import CancelToken, make_progress
from .trt_session import TRT_ERRORS, BuildRequest, layer_info_from_engine, run_builder

__all__ = ["BuiltEngine", "build_engine", "save_engine", "extract_layers_from_log", "cache_key", "BuildWarning"]


SIDECAR_FORMAT = "trtlab-engine"


class BuildWarning(UserWarning):
    """A choice ``build_engine`` made that the user did not ask for (e.g. a dynamic dimension fixed)."""


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
    notes: list[str] = field(default_factory=list)   # what the build decided or changed on its own
    source: str | None = None            # where it was loaded from, for messages (e.g. "sidecar 'x.plan.json'")
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
            self._onnx_cache = load_onnx(self.model_bytes)
        return self._onnx_cache

    @property
    def layer_info(self):
        """The engine's layers as an :class:`~trtlab.engine.EnginePlan`."""
        if self._plan_cache is None:
            try:
                self._plan_cache = plan_from_text(self.layer_info_text, self.layer_info_format)
            except LayerInfoError as exc:
                if self.source is None:
                    raise
                raise LayerInfoError(f"the layer information of {self.source}: {exc}") from exc
        return self._plan_cache

    def fusion(self, profile=None):
        """``map_fusion(self.onnx, self.layer_info)``: which ONNX nodes each engine layer absorbed."""
        if self.onnx is None:
            raise ConfigError("this engine has no ONNX model attached; load it with load_engine(path, model=...)")
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
            "notes": list(self.notes),
        }

    def save(self, path) -> Path:
        """Write ``path`` (the plan) and ``path + '.json'`` (backend, config, hashes, layer info)."""
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
        rows += [("note", n) for n in self.notes]
        logged = [m for s, m in self.log if s in ("WARNING", "ERROR", "INTERNAL_ERROR")]
        if logged:
            rows.append(("warnings", str(len(logged))))
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table><caption>TensorRT engine</caption>{body}</table>"


def save_engine(engine, path) -> Path:
    """Write the plan to ``path`` and a sidecar ``path + '.json'``; returns the plan's path."""
    path = Path(path)
    sidecar = {
        "format": SIDECAR_FORMAT,
        "version": 1,
        **engine.metadata(),
        "layer_info": engine.layer_info_text,
    }
    try:
        # each file is replaced atomically; a write killed between the two leaves a pair whose
        # hashes disagree, which load_engine refuses (docs/reliability.md, known limitations)
        with atomic_write(path) as fh:
            fh.write(engine.plan)
        with atomic_write(str(path) + ".json") as fh:
            fh.write(json.dumps(sidecar, indent=1).encode())
    except OSError as exc:
        raise ConfigError(f"cannot write the engine to {str(path)!r} ({exc.strerror or exc}); choose a writable path") from exc
    return path


def _count_layers(engine: BuiltEngine) -> str:
    try:
        return str(len(engine.layer_info))
    except LayerInfoError:  # a display shows what it can
        return "?"


def plan_from_text(text: str, fmt: str):
    """Layer-information text (a sidecar's, a bundle member's, the cache's) -> EnginePlan.

    The text is always parsed, never opened as a path, whatever it looks like.
    """
    if fmt == "oneline":
        return eng.parse_oneline(text)
    if fmt == "json":
        return eng.load_layer_info(text.encode("utf-8"))  # bytes: parsed as text, never taken for a path
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


# ----------------------------------------------------------------------------- build
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
        _check_compute_capability(config, info, trt)


def _check_compute_capability(config: BuildConfig, info: BackendInfo, trt: ModuleType) -> None:
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


def build_engine(model, config: BuildConfig | None = None, progress=None, cache=None, *,
                 cancel: CancelToken | None = None, backend: str | None = None) -> BuiltEngine:
    """Build a TensorRT engine from an ONNX model and read back its layer information.

    - ``model``: path, bytes, ``onnx.ModelProto`` or ``OnnxGraph``.
    - ``config``: a :class:`BuildConfig` (default: FP32, detailed profiling verbosity).
    - ``progress``: ``None``, ``"tqdm"``, ``"widget"`` or a callable taking a
      :class:`ProgressEvent`; returning ``False`` cancels the build.
    - ``cache``: ``None``/``False`` (no cache), ``True`` (the default :class:`EngineCache`), a
      path, or an :class:`EngineCache`. A hit returns the cached plan and layer information.
      A cache that cannot be written to costs the cache entry, never the engine (a warning).
    - ``cancel``: a :class:`CancelToken`; ``token.cancel()`` stops the build (``BuildCancelled``).
    - ``backend``: force a TensorRT module (else ``$TRTLAB_BACKEND``, else the first installed).

    Dynamic input dimensions without a ShapeProfile are fixed (to the model's hint for the
    dimension's name, else ``config.dynamic_dims``); the build says so with a
    :class:`BuildWarning` and in ``engine.notes``.

    Raises ``ModelLoadError`` (not an ONNX model), ``ConfigError`` (bad profile, precision the
    backend lacks), ``BuildError`` (parser errors name the node and op type; builder errors
    carry the log lines), ``BuildCancelled``, ``BackendError``, ``CacheError``.
    """
    config = _as_config(config)
    src = read_model(model)
    callback = make_progress(progress)
    engine_cache = as_cache(cache)
    trt, info = _backend(backend)
    _check_config(config, info, trt, src)
    key = cache_key(src.digest, config, info)
    model_bytes_fn = _model_bytes_fn(src, config, info)
    hit = _from_cache(engine_cache, key, config, info, src, model_bytes_fn)
    if hit is not None:
        return hit
    engine = _build_fresh(trt, info, src, config, callback, cancel, engine_cache, key)
    _store(engine_cache, key, engine)
    return engine


def _as_config(config) -> BuildConfig:
    if config is None:
        return BuildConfig()
    if not isinstance(config, BuildConfig):
        raise ConfigError(f"config {config!r} is not a BuildConfig; create one with trtlab.BuildConfig(...)")
    return config


def _backend(backend: str | None) -> tuple[ModuleType, BackendInfo]:
    trt = resolve_backend(backend)
    info = _info_for(trt.__name__)
    if not info.can_build:
        raise BackendError(f"{info.module} {info.version} cannot build engines (no Builder); "
                           "install 'trtlab[rtx]' or 'trtlab[gpu]'")
    return trt, info


def _from_cache(engine_cache, key, config, info, src, model_bytes_fn) -> BuiltEngine | None:
    if engine_cache is None:
        return None
    hit = engine_cache.get(key)
    if hit is None:
        return None
    return BuiltEngine(
        plan=hit.plan, layer_info_text=hit.layer_info_text, layer_info_format=hit.layer_info_format,
        build_seconds=hit.meta.get("build_seconds", 0.0), backend=info.module,
        backend_version=info.version, device=hit.meta.get("device", info.device), config=config,
        from_cache=True, log=[("INFO", f"loaded from the engine cache: {hit.path}")], key=key,
        model_digest=src.digest, notes=list(hit.meta.get("notes", [])), _model_bytes=model_bytes_fn,
    )


def _build_fresh(trt, info: BackendInfo, src: ModelSource, config: BuildConfig, callback, cancel,
                 engine_cache, key: str) -> BuiltEngine:
    proto = require_nodes(src)  # a model that is not valid ONNX fails here, before TensorRT sees it
    log: list[tuple[str, str]] = []
    notes: list[str] = []
    t0 = time.perf_counter()
    built_model = _model_to_build(src, config, info, notes)
    request = BuildRequest(
        model_data=built_model, model_path=src.path, config=config, strongly_typed=info.strongly_typed,
        hints=model_hints(proto), symbols=input_symbols(proto), callback=callback, cancel=cancel,
        timing_path=_timing_path(config, info, engine_cache),
    )
    output = run_builder(trt, request, log)
    build_seconds = time.perf_counter() - t0
    _note_fixed_dims(output.profiles, notes)
    fmt, text = _read_layer_info(trt, info, config, output.plan, log)
    return BuiltEngine(
        plan=output.plan, layer_info_text=text, layer_info_format=fmt, build_seconds=build_seconds,
        backend=info.module, backend_version=info.version,
        device=config.compute_capability or info.device, config=config, from_cache=False, log=log,
        key=key, model_digest=src.digest, notes=notes, _model_bytes=built_model,
    )


def _model_to_build(src: ModelSource, config: BuildConfig, info: BackendInfo, notes: list[str]) -> bytes:
    if not (config.precision == "fp16" and info.strongly_typed):
        return src.data
    data, casts = to_fp16(src)
    if casts:
        notes.append(f"the FP16 conversion inserted {casts} Cast node(s) to keep the model's float32 "
                     "inputs and outputs; they are part of the built model's ONNX nodes")
    return data


def _timing_path(config: BuildConfig, info: BackendInfo, engine_cache):
    if config.timing_cache:
        return Path(config.timing_cache)
    if engine_cache is not None and _uses_timing_cache(info):
        return engine_cache.timing_cache_path(info)
    return None


def _note_fixed_dims(profiles, notes: list[str]) -> None:
    message = profiles.message()
    if message:
        notes.append(message)
        warnings.warn(f"trtlab.build_engine: {message}", BuildWarning, stacklevel=4)


def _read_layer_info(trt, info: BackendInfo, config: BuildConfig, plan: bytes, log: list) -> tuple[str, str]:
    """(format, text): the inspector's JSON where the engine deserializes here, else the log's listing."""
    if config.profiling_verbosity == "none":
        return "none", ""
    if info.can_execute:
        text = _inspect(trt, plan, log)
        if text:
            return "json", text
    listing = extract_layers_from_log(log)
    if listing is not None:
        return "oneline", listing
    return "none", ""


def _inspect(trt, plan: bytes, log: list) -> str:
    try:
        text = layer_info_from_engine(trt, plan, log) or ""
    except TRT_ERRORS as exc:  # the builder's log still lists the layers
        log.append(("WARNING", f"trtlab: reading layer information from the engine failed: {exc}"))
        return ""
    if not text:
        log.append(("WARNING", "trtlab: the engine could not be deserialized here; "
                               "its layer information comes from the builder's log instead"))
    return text


def _model_bytes_fn(src: ModelSource, config: BuildConfig, info: BackendInfo):
    if config.precision == "fp16" and info.strongly_typed:
        return lambda: to_fp16(src)[0]
    return lambda: src.data


def _store(engine_cache, key: str, engine: BuiltEngine) -> None:
    """Put ``engine`` in the cache; a cache that cannot take it costs the entry, not the engine."""
    if engine_cache is None:
        return
    try:
        engine_cache.put(key, engine)
    except CacheError as exc:
        engine.log.append(("WARNING", f"trtlab: {exc}"))
        warnings.warn(f"trtlab.build_engine: the engine was built but not cached: {exc}", BuildWarning, stacklevel=3)
