"""trtlab — see what TensorRT does to a neural network, from JupyterLab.

Quick start::

    import trtlab

    g = trtlab.load_onnx(trtlab.bundled_model("resnet18"))    # ONNX -> networkx graph
    g.summary(); g.draw(highlight="Conv_5")                    # op counts, FLOPs; a matplotlib picture
    plan = trtlab.load_layer_info("engine.graph.json")        # trtexec --exportLayerInfo output
    report = trtlab.map_fusion(g, plan)                        # every engine layer -> its ONNX nodes
    report.summary(); report.draw()                            # before | after fusion
    built = trtlab.build_engine(g.model, trtlab.BuildConfig(precision="fp16"))  # needs a TensorRT extra
    built.fusion().draw()

Map of the package (the functions and classes named, except the widgets, are also at the top
level: ``trtlab.load_onnx``, ``trtlab.FusionReport``, ...):

    trtlab.graph     ONNX -> networkx: load_onnx, OnnxGraph, summaries, queries
    trtlab.draw      layered DAG layout and matplotlib rendering: Drawing
    trtlab.engine    TensorRT layer information, profiles and timings: load_layer_info, EnginePlan
    trtlab.fusion    engine layers -> ONNX nodes: map_fusion, FusionReport, before/after pictures
    trtlab.builder   BuildConfig, build_engine, EngineCache, plans and exploration bundles
    trtlab.runtime   CUDA buffers, InferenceSession, timing, compare_to_onnxruntime
    trtlab.widgets   ipywidgets front ends: ModelExplorer, EngineBuilder, FusionExplorer, ...
    trtlab.data      the bundled models: bundled_model("googlenet"), bundled_models()
    trtlab.errors    TrtlabError and its subclasses (also re-exported here)

The public API is this module's ``__all__``. Everything is imported on first use, so
``import trtlab`` is fast and works with only the core dependencies installed (numpy, onnx,
networkx, matplotlib, ipywidgets): TensorRT, CUDA, ONNX Runtime and widgets are imported only
by the functions that need them, and a missing one raises :class:`MissingDependencyError`
naming the pip extra to install. From a shell, the ``trtlab`` command (``trtlab --help``)
shows, builds and maps models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from . import errors
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
    # ONNX graphs
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
    # bundled models
    "bundled_model": "trtlab.data",
}
# subpackages, imported on first attribute access (``trtlab.data.bundled_models()``)
_SUBPACKAGES = {"builder", "data", "draw", "engine", "fusion", "graph", "runtime", "widgets"}

__all__ = sorted([*_LAZY, *errors.__all__, "__version__"])


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
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
    from .data import bundled_model
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
