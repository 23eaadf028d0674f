"""Bound-buffer inference: the CUDA memory layer, ``InferenceSession``, timing, reference checks.

TensorRT, pycuda / cuda-python and ONNX Runtime are imported only when used.
"""

from __future__ import annotations

from .bindings import Binding, BindingTable, binding_table
from .cuda import DeviceBuffer, Event, HostBuffer, Stream, available_backends, get_backend, mem_get_info
from .reference import TOLERANCES, OutputComparison, ReferenceReport, compare_to_onnxruntime, run_onnxruntime
from .inputs import random_inputs
from .pipeline import PipelineResult
from .session import InferenceSession
from .timing import BenchmarkResult, RunTiming, TimingStats

__all__ = [
    "Binding",
    "BindingTable",
    "BenchmarkResult",
    "DeviceBuffer",
    "Event",
    "HostBuffer",
    "InferenceSession",
    "OutputComparison",
    "ReferenceReport",
    "RunTiming",
    "PipelineResult",
    "TimingStats",
    "Stream",
    "TOLERANCES",
    "available_backends",
    "binding_table",
    "compare_to_onnxruntime",
    "get_backend",
    "mem_get_info",
    "random_inputs",
    "run_onnxruntime",
]
