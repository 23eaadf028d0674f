"""The TensorRT API trtlab uses: one table, checked against the real Python bindings.

Every TensorRT class/enum trtlab touches and every method, property or member it uses on it
is listed here, so a renamed or removed call fails ``tests/builder/test_api.py`` on a CPU
machine instead of failing on a user's GPU:

- ``BUILD_API`` is checked against TensorRT for RTX (``tensorrt_rtx_bindings``), whose builder
  and ONNX parser run here;
- ``RUNTIME_API`` (what ``trtlab.builder`` needs to read layer information from an engine, and
  what ``InferenceSession`` and its binding table use: TensorRT 10/11's name-based API only) is
  checked against the TensorRT 11 lean runtime (``tensorrt_lean_bindings``);
- ``GUARDED`` lists members used only behind ``hasattr`` (they exist in some TensorRT
  versions only, e.g. the weakly typed precision flags of TensorRT <= 10).

``VARIABLES`` maps the local variable names that hold TensorRT objects in ``trtlab/builder`` and
``trtlab/runtime`` to their class: the test scans those modules' syntax trees and checks every
``trt.<Name>.<member>`` and every ``<variable>.<member>`` against the tables. Keep to these
variable names when you hold a TensorRT object.
"""

from __future__ import annotations

__all__ = ["BUILD_API", "RUNTIME_API", "GUARDED", "VARIABLES", "MODULE_NAMES"]

# class / enum -> members used (methods, properties, enum values)
BUILD_API: dict[str, set[str]] = {
    "Builder": {"create_network", "create_builder_config", "create_optimization_profile",
                "build_serialized_network"},
    "INetworkDefinition": {"num_inputs", "get_input"},
    "ITensor": {"name", "shape"},
    "OnnxParser": {"parse", "num_errors", "get_error"},
    "ParserError": {"desc", "code", "node", "node_name", "node_operator"},
    "IBuilderConfig": {"set_memory_pool_limit", "builder_optimization_level", "add_optimization_profile",
                       "profiling_verbosity", "progress_monitor", "set_flag", "create_timing_cache",
                       "set_timing_cache", "set_compute_capability",
                       "num_compute_capabilities"},
    "IOptimizationProfile": {"set_shape"},
    "ITimingCache": {"serialize"},
    "IHostMemory": {"nbytes"},
    "ILogger": {"log", "Severity"},
    "IProgressMonitor": {"phase_start", "step_complete", "phase_finish"},
    "BuilderFlag": {"TF32"},
    "MemoryPoolType": {"WORKSPACE"},
    "ProfilingVerbosity": {"DETAILED", "LAYER_NAMES_ONLY", "NONE"},
    "ComputeCapability": {"CURRENT"},
    "LayerInformationFormat": {"JSON", "ONELINE"},
    "EngineInspector": {"get_engine_information"},
    "Runtime": {"deserialize_cuda_engine"},
    "ICudaEngine": {"create_engine_inspector"},
}

RUNTIME_API: dict[str, set[str]] = {
    "Runtime": {"deserialize_cuda_engine"},
    "Logger": {"WARNING"},
    "ILogger": {"log", "Severity"},
    "LayerInformationFormat": {"JSON"},
    "ICudaEngine": {"create_engine_inspector", "num_io_tensors", "get_tensor_name", "get_tensor_mode",
                    "get_tensor_dtype", "get_tensor_shape", "get_tensor_location", "get_tensor_profile_shape",
                    "get_tensor_format_desc", "create_execution_context", "num_optimization_profiles"},
    "IExecutionContext": {"set_input_shape", "get_tensor_shape", "infer_shapes", "set_tensor_address",
                          "set_output_allocator", "execute_async_v3", "set_optimization_profile_async",
                          "profiler", "enqueue_emits_profile", "report_to_profiler"},
    "TensorIOMode": {"INPUT", "OUTPUT"},
    "TensorLocation": {"HOST", "DEVICE"},
    "DataType": {"name", "FLOAT", "HALF", "BF16", "INT8", "UINT8", "INT32", "INT64", "BOOL", "FP8"},
    "IProfiler": {"report_layer_time"},
    # reallocate_output(_async) / notify_shape are overrides, not attributes of the base class;
    # tests/runtime checks them
    "IOutputAllocator": set(),
}

# members that exist only in some TensorRT versions; trtlab uses them only behind hasattr()
GUARDED: dict[str, set[str]] = {
    "BuilderFlag": {"FP16", "BF16", "INT8", "FP8"},
    "ComputeCapability": {"SM75", "SM80", "SM86", "SM89", "SM90", "SM100", "SM120", "SM121"},
}

# names used as ``trt.<Name>`` that are not classes with members in the tables above
MODULE_NAMES: set[str] = {"__version__"}

# local variable name -> TensorRT class it holds (for the syntax-tree scan)
VARIABLES: dict[str, str] = {
    "builder": "Builder",
    "network": "INetworkDefinition",
    "net_input": "ITensor",
    "parser": "OnnxParser",
    "parser_error": "ParserError",
    "bconfig": "IBuilderConfig",
    "oprofile": "IOptimizationProfile",
    "tcache": "ITimingCache",
    "host_mem": "IHostMemory",
    "inspector": "EngineInspector",
    "trt_runtime": "Runtime",
    "cuda_engine": "ICudaEngine",
    "context": "IExecutionContext",
}
