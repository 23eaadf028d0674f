"""Which TensorRT Python module is installed, what it can do, and which GPU (if any) is here.

Nothing here imports TensorRT at module level: :func:`resolve_backend` imports the first
module of the TensorRT family that is installed (or the one forced by ``TRTLAB_BACKEND`` /
the ``backend`` argument). The GPU is asked for through the CUDA driver API with ctypes
(``libcuda``), so no CUDA Python package is needed.
"""

from __future__ import annotations

import ctypes
import functools
import html
import importlib
import os
from dataclasses import dataclass, field
from types import ModuleType

from .._boundary import boundary
from ..errors import BackendError

__all__ = ["BACKEND_MODULES", "BackendInfo", "GpuInfo", "backend_info", "resolve_backend", "probe_gpu"]

#: modules of the TensorRT Python API family, in the order they are tried
BACKEND_MODULES = ("tensorrt", "tensorrt_bindings", "tensorrt_rtx", "tensorrt_rtx_bindings")
ENV_VAR = "TRTLAB_BACKEND"

# CUDA driver API attribute ids (cuda.h: CUdevice_attribute)
_CU_ATTR_CC_MAJOR = 75
_CU_ATTR_CC_MINOR = 76


@dataclass(frozen=True)
class GpuInfo:
    """What the CUDA driver says (all None/empty when there is no driver)."""

    driver_found: bool
    driver_version: str | None = None
    devices: tuple[tuple[str, tuple[int, int]], ...] = ()   # (name, (major, minor)) per device
    error: str | None = None

    @property
    def name(self) -> str | None:
        return self.devices[0][0] if self.devices else None

    @property
    def compute_capability(self) -> tuple[int, int] | None:
        return self.devices[0][1] if self.devices else None


@functools.lru_cache(maxsize=1)
def probe_gpu() -> GpuInfo:
    """Ask the CUDA driver (``libcuda`` via ctypes) for devices and compute capabilities."""
    if os.environ.get("TRTLAB_NO_GPU"):
        return GpuInfo(False, error="TRTLAB_NO_GPU is set")
    lib = None
    for name in ("libcuda.so.1", "libcuda.so", "nvcuda.dll"):
        try:
            lib = ctypes.CDLL(name)
            break
        except OSError:
            continue
    if lib is None:
        return GpuInfo(False, error="no CUDA driver (libcuda) found")
    try:
        rc = lib.cuInit(0)
        version = ctypes.c_int(0)
        lib.cuDriverGetVersion(ctypes.byref(version))
        v = version.value
        drv = f"{v // 1000}.{(v % 1000) // 10}" if v else None
        if rc != 0:
            return GpuInfo(True, drv, (), f"cuInit failed with CUDA error {rc}")
        count = ctypes.c_int(0)
        lib.cuDeviceGetCount(ctypes.byref(count))
        devices = []
        for i in range(count.value):
            dev = ctypes.c_int(0)
            if lib.cuDeviceGet(ctypes.byref(dev), i) != 0:
                continue
            buf = ctypes.create_string_buffer(256)
            lib.cuDeviceGetName(buf, 256, dev)
            major, minor = ctypes.c_int(0), ctypes.c_int(0)
            lib.cuDeviceGetAttribute(ctypes.byref(major), _CU_ATTR_CC_MAJOR, dev)
            lib.cuDeviceGetAttribute(ctypes.byref(minor), _CU_ATTR_CC_MINOR, dev)
            devices.append((buf.value.decode(errors="replace"), (major.value, minor.value)))
        return GpuInfo(True, drv, tuple(devices), None if devices else "the CUDA driver reports no device")
    except (OSError, AttributeError, ValueError) as exc:  # a broken driver must not break trtlab
        return GpuInfo(True, error=f"querying the CUDA driver failed: {exc}")


@dataclass(frozen=True)
class BackendInfo:
    """The TensorRT backend trtlab will use here, and what it can do on this machine."""

    module: str                      # e.g. "tensorrt_rtx_bindings"
    family: str                      # "tensorrt" or "tensorrt_rtx"
    version: str
    can_build: bool
    strongly_typed: bool             # precision comes from the model's types (RTX, TensorRT 11)
    precisions: tuple[str, ...]      # precision intents trtlab can honour with this backend
    gpu: GpuInfo = field(default_factory=lambda: GpuInfo(False))
    can_execute: bool = False
    execute_reason: str = ""
    target_capabilities: tuple[str, ...] = ()   # RTX: ComputeCapability names

    @property
    def compute_capability(self) -> tuple[int, int] | None:
        return self.gpu.compute_capability

    @property
    def device(self) -> str:
        """Short description of the build target, part of the cache key."""
        if self.gpu.devices:
            name, (ma, mi) = self.gpu.devices[0]
            return f"{name} (sm{ma}{mi})"
        return "no GPU"

    def rows(self) -> list[tuple[str, str]]:
        cc = self.compute_capability
        return [
            ("backend module", self.module),
            ("family", "TensorRT for RTX" if self.family == "tensorrt_rtx" else "TensorRT"),
            ("version", self.version),
            ("can build engines", "yes" if self.can_build else "no"),
            ("strongly typed", "yes" if self.strongly_typed else "no"),
            ("precisions", ", ".join(self.precisions)),
            ("CUDA driver", self.gpu.driver_version or ("found" if self.gpu.driver_found else "not found")),
            ("GPU", self.gpu.name or f"none ({self.gpu.error or 'no device'})"),
            ("compute capability", f"{cc[0]}.{cc[1]}" if cc else "-"),
            ("can run engines here", ("yes" if self.can_execute else "no") + (f" ({self.execute_reason})" if self.execute_reason else "")),
        ] + ([("build targets", ", ".join(self.target_capabilities))] if self.target_capabilities else [])

    def __str__(self) -> str:
        rows = self.rows()
        w = max(len(k) for k, _ in rows)
        return "\n".join(f"{k.ljust(w)}  {v}" for k, v in rows)

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's text view: the table
        printer.text(str(self))

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self.rows()
        )
        return f"<table><caption>TensorRT backend</caption>{body}</table>"


def _no_backend_error(tried: list[tuple[str, str]]) -> BackendError:
    detail = "; ".join(f"{m}: {why}" for m, why in tried)
    return BackendError(
        "no TensorRT Python module is installed (tried "
        + detail
        + "). On a machine without a GPU install the TensorRT for RTX builder: pip install 'trtlab[rtx]'; "
        "with an NVIDIA GPU install TensorRT: pip install 'trtlab[gpu]'"
    )


def _import(name: str) -> ModuleType:
    return importlib.import_module(name)


def resolve_backend(backend: str | None = None) -> ModuleType:
    """Import and return the TensorRT module to use.

    ``backend`` (or the ``TRTLAB_BACKEND`` environment variable) forces one of
    :data:`BACKEND_MODULES`; otherwise the first importable one that can build wins.
    """
    forced = backend or os.environ.get(ENV_VAR) or None
    if forced:
        if forced not in BACKEND_MODULES:
            raise BackendError(
                f"backend {forced!r} is not one of {', '.join(BACKEND_MODULES)}; "
                f"unset {ENV_VAR} or pass one of those names"
            )
        return _cached_import(forced)
    return _auto_backend()


@functools.lru_cache(maxsize=1)
def _auto_backend() -> ModuleType:
    # cached: failed imports are not cached by Python, and retrying them costs ~0.2 ms a call
    tried = []
    for name in BACKEND_MODULES:
        try:
            mod = _import(name)
        except Exception as exc:  # ImportError, or a broken install (missing libs)
            tried.append((name, type(exc).__name__))
            continue
        if hasattr(mod, "Builder"):
            return mod
        tried.append((name, "has no Builder"))
    raise _no_backend_error(tried)


@functools.lru_cache(maxsize=None)
def _cached_import(name: str) -> ModuleType:
    with boundary(BackendError, f"importing the forced backend {name!r}",
                  f"Install it (pip install 'trtlab[rtx]' without a GPU, 'trtlab[gpu]' with one) or unset {ENV_VAR}."):
        return _import(name)


def _family(mod: ModuleType) -> str:
    return "tensorrt_rtx" if "rtx" in mod.__name__.split(".")[0] else "tensorrt"


def _precisions(trt: ModuleType, strongly_typed: bool) -> tuple[str, ...]:
    flags = getattr(trt, "BuilderFlag", None)
    out = ["fp32"]
    if flags is not None and hasattr(flags, "TF32"):
        out.append("tf32")
    for p in ("fp16", "bf16", "int8", "fp8"):
        if flags is not None and hasattr(flags, p.upper()):
            out.append(p)
        elif strongly_typed and p == "fp16":
            out.append(p)      # by converting the model's float tensors (see BuildConfig)
        elif strongly_typed and p in ("int8", "fp8"):
            out.append(p)      # from Q/DQ nodes in the model
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _info_for(module_name: str) -> BackendInfo:
    trt = _cached_import(module_name)
    family = _family(trt)
    flags = getattr(trt, "BuilderFlag", None)
    # Weakly typed TensorRT (<= 10) has precision flags; RTX and TensorRT 11 take types from the network.
    strongly_typed = family == "tensorrt_rtx" or not (flags is not None and hasattr(flags, "FP16"))
    gpu = probe_gpu()
    targets = ()
    cc_enum = getattr(trt, "ComputeCapability", None)
    if cc_enum is not None:
        targets = tuple(n for n in cc_enum.__members__ if n.startswith("SM"))
    if not gpu.driver_found:
        can_exec, why = False, "no CUDA driver: engines can be built and explored, not run"
    elif not gpu.devices:
        can_exec, why = False, gpu.error or "no GPU"
    else:
        ma, mi = gpu.compute_capability
        if family == "tensorrt_rtx":
            if f"SM{ma}{mi}" in targets:
                can_exec, why = True, ""
            else:
                can_exec = False
                why = (f"TensorRT for RTX does not run on compute capability {ma}.{mi}"
                       + (" (Hopper)" if (ma, mi) == (9, 0) else "")
                       + f"; it targets {', '.join(targets)}. Install 'trtlab[gpu]' (TensorRT) to run here")
        else:
            can_exec, why = True, ""
    return BackendInfo(
        module=module_name,
        family=family,
        version=str(getattr(trt, "__version__", "unknown")),
        can_build=hasattr(trt, "Builder"),
        strongly_typed=strongly_typed,
        precisions=_precisions(trt, strongly_typed),
        gpu=gpu,
        can_execute=can_exec,
        execute_reason=why,
        target_capabilities=targets,
    )


def backend_info(backend: str | None = None) -> BackendInfo:
    """Describe the TensorRT backend here: module, version, build/run abilities, GPU.

    Raises :class:`BackendError` naming the extras to install when no backend is present.
    Prints as a table (``print(trtlab.backend_info())``) and renders as one in a notebook.
    """
    return _info_for(resolve_backend(backend).__name__)
