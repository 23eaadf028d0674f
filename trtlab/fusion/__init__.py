"""Engine layers -> ONNX nodes: which nodes TensorRT fused into each layer, and the before/after view.

``map_fusion(onnx_graph, plan, profile=None)`` returns a :class:`FusionReport`; see
:mod:`trtlab.fusion.mapping` for the matching rules and fusion kinds.
"""

from __future__ import annotations

from ..draw.fusion_stages import draw_stages
from ..engine.kinds import Kind
from ..engine.summaries import LayerCounts, PrecisionSummary
from .compare import ComparedGroup, EngineComparison, compare_engines
from .lints import Lint, Lints, lint
from .mapping import map_fusion
from .patterns import op_letter, short_pattern
from .report import KINDS, FusedLayer, FusionReport, FusionSummary, VanishedNode

__all__ = [
    "map_fusion",
    "FusionReport",
    "FusedLayer",
    "FusionSummary",
    "VanishedNode",
    "KINDS",
    "Kind",
    "LayerCounts",
    "PrecisionSummary",
    "op_letter",
    "short_pattern",
    "draw_stages",
    "compare_engines",
    "EngineComparison",
    "ComparedGroup",
    "lint",
    "Lint",
    "Lints",
]

