"""Engine layer information, profiles and timings (pure Python: no TensorRT import).

- :func:`load_layer_info` / :func:`parse_oneline` -> :class:`EnginePlan` (layers + graph)
- :func:`load_profile` -> :class:`Profile`; :func:`load_timing` -> :class:`Timing`
- :func:`parse_layer_name` -> :class:`LayerName` (the fused-layer-name grammar)
- :class:`Kind` (what a layer is), :class:`LayerCounts` and :class:`PrecisionSummary` (counts that agree
  everywhere they are shown)
"""

from __future__ import annotations

from .formats import tactic_precision
from .kinds import Kind
from .names import LayerName, parse_layer_name
from .oneline import parse_oneline
from .plan import (
    EngineLayer,
    EnginePlan,
    EngineTensor,
    IOTensor,
    load_layer_info,
    parse_format,
    parse_metadata,
)
from .profile import LayerTime, Profile, Timing, TimingStats, load_profile, load_timing
from .summaries import LayerCounts, PrecisionSummary

__all__ = [
    "EngineTensor",
    "EngineLayer",
    "IOTensor",
    "EnginePlan",
    "load_layer_info",
    "parse_oneline",
    "parse_metadata",
    "parse_format",
    "LayerTime",
    "Profile",
    "load_profile",
    "Timing",
    "TimingStats",
    "load_timing",
    "LayerName",
    "parse_layer_name",
    "Kind",
    "LayerCounts",
    "PrecisionSummary",
    "tactic_precision",
]
