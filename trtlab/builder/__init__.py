"""Building TensorRT engines: configuration, backend resolution, the build, cache and bundles.

``BuildConfig``/``ShapeProfile`` import no TensorRT; the TensorRT module is imported only when
a function needs it (:func:`backend_info`, :func:`build_engine`).
"""

from __future__ import annotations

from .backend import BackendInfo, GpuInfo, backend_info
from .builder import BuildWarning, BuiltEngine, build_engine
from .bundle import ExplorationBundle, load_bundle, load_engine, save_bundle, save_engine
from .cache import EngineCache
from .config import PRECISIONS, BuildConfig, ShapeProfile, parse_shapes
from .progress import CancelToken, ProgressEvent

__all__ = [
    "BuildConfig",
    "ShapeProfile",
    "PRECISIONS",
    "parse_shapes",
    "BackendInfo",
    "GpuInfo",
    "backend_info",
    "BuiltEngine",
    "BuildWarning",
    "build_engine",
    "CancelToken",
    "ProgressEvent",
    "EngineCache",
    "ExplorationBundle",
    "save_engine",
    "load_engine",
    "save_bundle",
    "load_bundle",
]
