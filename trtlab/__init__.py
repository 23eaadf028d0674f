"""trtlab — see what TensorRT does to a neural network, from JupyterLab.

The public API is this module's ``__all__``. Everything is imported on first use, so
``import trtlab`` is fast and works with only the core dependencies installed (numpy, onnx,
onnx-graphsurgeon, networkx, matplotlib, ipywidgets): TensorRT, CUDA, ONNX Runtime and widgets
are imported only by the functions that need them, and a missing one raises
:class:`MissingDependencyError` naming the pip extra to install.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import (
    BackendError,
    BindingError,
    BuildCancelled,
    BuildError,
    BundleError,
    CacheError,
    ConfigError,
    CudaError,
    LayerInfoError,
    MappingError,
    MissingDependencyError,
    ModelLoadError,
    SessionClosedError,
    TrtlabError,
)

__version__ = "0.1.0"

# public name -> module that defines it (imported lazily, PEP 562)
_LAZY = {
    # ONNX graphs (issue: foundation)
    "load_onnx": "trtlab.graph",
    "OnnxGraph": "trtlab.graph",
    "NodeInfo": "trtlab.graph",
    "TensorInfo": "trtlab.graph",
    "GraphSummary": "trtlab.graph",
    "Drawing": "trtlab.draw",
    # engine layer information and fusion (pure Python)
    "load_layer_info": "trtlab.engine",
    "load_profile": "trtlab.engine",
    "load_timing": "trtlab.engine",
    "parse_oneline": "trtlab.engine",
    "parse_layer_name": "trtlab.engine",
    "EnginePlan": "trtlab.engine",
    "Profile": "trtlab.engine",
    "map_fusion": "trtlab.fusion",
    "FusionReport": "trtlab.fusion",
    "FusedLayer": "trtlab.fusion",
    "compare_engines": "trtlab.fusion",
    # building engines (TensorRT imported lazily inside)
    "BuildConfig": "trtlab.builder",
    "ShapeProfile": "trtlab.builder",
    "backend_info": "trtlab.builder",
    "build_engine": "trtlab.builder",
    "BuiltEngine": "trtlab.builder",
    "EngineCache": "trtlab.builder",
    "save_bundle": "trtlab.builder",
    "load_bundle": "trtlab.builder",
    "load_engine": "trtlab.builder",
    "BackendInfo": "trtlab.builder",
    "CancelToken": "trtlab.builder",
    "ProgressEvent": "trtlab.builder",
    "ExplorationBundle": "trtlab.builder",
    # running engines (CUDA imported lazily inside)
    "InferenceSession": "trtlab.runtime",
    "compare_to_onnxruntime": "trtlab.runtime",
    # bundled models and test fixtures
    "bundled_model": "trtlab.data",
    "fixtures_dir": "trtlab.data",
}

__all__ = sorted(
    list(_LAZY)
    + [
        "TrtlabError",
        "MissingDependencyError",
        "ModelLoadError",
        "LayerInfoError",
        "MappingError",
        "ConfigError",
        "BackendError",
        "BuildError",
        "BuildCancelled",
        "CacheError",
        "BundleError",
        "CudaError",
        "BindingError",
        "SessionClosedError",
        "__version__",
    ]
)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'trtlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__():
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .builder import (
        BackendInfo,
        BuildConfig,
        CancelToken,
        ExplorationBundle,
        ProgressEvent,
        BuiltEngine,
        EngineCache,
        ShapeProfile,
        backend_info,
        build_engine,
        load_bundle,
        load_engine,
        save_bundle,
    )
    from .data import bundled_model, fixtures_dir
    from .draw import Drawing
    from .engine import (
        EnginePlan,
        Profile,
        load_layer_info,
        load_profile,
        load_timing,
        parse_layer_name,
        parse_oneline,
    )
    from .fusion import FusedLayer, FusionReport, compare_engines, map_fusion
    from .graph import GraphSummary, NodeInfo, OnnxGraph, TensorInfo, load_onnx
    from .runtime import InferenceSession, compare_to_onnxruntime
