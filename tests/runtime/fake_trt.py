"""A test double of the TensorRT runtime API (the subset InferenceSession uses), TensorRT 10/11 style.

It behaves like TensorRT where the session depends on it:
- tensors are addressed by name (``num_io_tensors``/``get_tensor_name``/``get_tensor_mode``...);
- dynamic dimensions are -1 until ``set_input_shape``, which returns False (and logs) for
  a wrong rank or a shape outside the optimization profile, like TensorRT;
- ``execute_async_v3`` returns False when a shape or an address is missing, and otherwise
  enqueues its "kernels" on the given stream: each output is a device-to-device copy of an
  input (so outputs equal inputs), through whatever memory layer it was given;
- a data-dependent output (shape -1 even after shape inference) is produced through the
  ``IOutputAllocator`` the session sets (``reallocate_output_async`` then ``notify_shape``);
- an ``IProfiler`` set on the context gets one ``report_layer_time`` per layer and run;
- several optimization profiles (``"profiles": [[min, opt, max], ...]`` per input): the
  context checks shapes against the profile chosen with ``set_optimization_profile_async``;
- ``"repeat": k`` makes each copy run k times (a compute-bound engine on a real GPU).

Every method here is checked to exist on the real TensorRT 11 classes (test_trt_api.py).
"""

from __future__ import annotations

import ctypes
import enum
import json
import sys

import numpy as np

__version__ = "fake-11"


# Engines the tests use: an identity engine with a dynamic batch and a data-dependent one.
IDENTITY = {
    "tensors": [
        {"name": "x", "mode": "input", "dtype": "FLOAT", "shape": [-1, 3, 8, 8],
         "profile": [[1, 3, 8, 8], [4, 3, 8, 8], [16, 3, 8, 8]]},
        {"name": "mask", "mode": "input", "dtype": "INT32", "shape": [2, 5]},
        {"name": "y", "mode": "output", "dtype": "FLOAT", "shape": [-1, 3, 8, 8]},
        {"name": "mask_out", "mode": "output", "dtype": "INT32", "shape": [2, 5]},
    ],
    "copies": [["x", "y"], ["mask", "mask_out"]],
}

# Two optimization profiles: small batches (1..4) and large ones (8..32).
PROFILES = {
    "tensors": [
        {"name": "x", "mode": "input", "dtype": "FLOAT", "shape": [-1, 4],
         "profiles": [[[1, 4], [2, 4], [4, 4]], [[8, 4], [16, 4], [32, 4]]]},
        {"name": "y", "mode": "output", "dtype": "FLOAT", "shape": [-1, 4]},
    ],
    "copies": [["x", "y"]],
}

DDS = {
    "tensors": [
        {"name": "v", "mode": "input", "dtype": "FLOAT", "shape": [-1],
         "profile": [[1], [64], [1024]]},
        {"name": "positive", "mode": "output", "dtype": "FLOAT", "shape": [-1]},
    ],
    "dds": [["v", "positive"]],
}


class TensorIOMode(enum.Enum):
    NONE = 0
    INPUT = 1
    OUTPUT = 2


class TensorLocation(enum.Enum):
    DEVICE = 0
    HOST = 1


class DataType(enum.Enum):
    FLOAT = 0
    HALF = 1
    INT8 = 2
    INT32 = 3
    BOOL = 4
    UINT8 = 5
    BF16 = 7
    INT64 = 8


_SIZES = {"FLOAT": 4, "HALF": 2, "INT8": 1, "INT32": 4, "BOOL": 1, "UINT8": 1, "BF16": 2, "INT64": 8}


class Dims(tuple):
    pass


class ILogger:
    class Severity(enum.IntEnum):
        INTERNAL_ERROR = 0
        ERROR = 1
        WARNING = 2
        INFO = 3
        VERBOSE = 4


class Logger(ILogger):
    WARNING = ILogger.Severity.WARNING

    def __init__(self, min_severity=ILogger.Severity.WARNING):
        self.min_severity = min_severity
        self.messages: list[str] = []

    def log(self, severity, msg):
        self.messages.append(msg)


class IProfiler:
    def __init__(self):
        pass


class IOutputAllocator:
    def __init__(self):
        pass


class ICudaEngine:
    """``spec``: {"tensors": [{name, mode, dtype, shape, profile?}], "copies": [[src, dst]], "dds": [[src, dst]]}."""

    def __init__(self, spec: dict, memory):
        self.spec = spec
        self.memory = memory          # object with copy(dst, src, nbytes, stream_handle); fake also read/write/sync
        self._t = {t["name"]: t for t in spec["tensors"]}
        for t in spec["tensors"]:
            if "profile" in t:
                t.setdefault("profiles", [t["profile"]])
        self.num_optimization_profiles = max([len(t.get("profiles", [])) for t in spec["tensors"]] + [1])
        self.calls: list[str] = []

    @property
    def num_io_tensors(self):
        return len(self.spec["tensors"])

    def get_tensor_name(self, index):
        return self.spec["tensors"][index]["name"]

    def get_tensor_mode(self, name):
        t = self._t.get(name)
        return TensorIOMode.NONE if t is None else (TensorIOMode.INPUT if t["mode"] == "input" else TensorIOMode.OUTPUT)

    def get_tensor_dtype(self, name):
        return DataType[self._t[name]["dtype"]]

    def get_tensor_shape(self, name):
        return Dims(self._t[name]["shape"])

    def get_tensor_location(self, name):
        return TensorLocation[self._t[name].get("location", "DEVICE")]

    def get_tensor_format_desc(self, name):
        return f"Row major linear {self._t[name]['dtype']} format"

    def get_tensor_profile_shape(self, name, profile_index):
        profiles = self._t[name].get("profiles") or []
        if not 0 <= profile_index < len(profiles):
            return []
        return [Dims(s) for s in profiles[profile_index]]

    def create_execution_context(self):
        return IExecutionContext(self)


class IExecutionContext:
    def __init__(self, engine: ICudaEngine):
        self.engine = engine
        self._shapes = {n: tuple(t["shape"]) for n, t in engine._t.items() if t["mode"] == "input"}
        self._addr: dict[str, int] = {}
        self._alloc: dict[str, IOutputAllocator] = {}
        self.profiler = None
        self.enqueue_emits_profile = True
        self.executions = 0
        self.errors: list[str] = []
        self.active_profile = 0

    # ---- shapes
    def set_input_shape(self, name, shape):
        t = self.engine._t.get(name)
        shape = tuple(int(d) for d in shape)
        if t is None or t["mode"] != "input":
            self.errors.append(f"{name} is not an input")
            return False
        if len(shape) != len(t["shape"]):
            self.errors.append("rank mismatch")
            return False
        for s, want in zip(shape, t["shape"]):
            if want >= 0 and s != want:
                self.errors.append("static dimension mismatch")
                return False
        if t.get("profiles"):
            mn, _, mx = t["profiles"][self.active_profile]
            if any(s < a or s > b for s, a, b in zip(shape, mn, mx)):
                self.errors.append("outside profile")
                return False
        self._shapes[name] = shape
        return True

    def get_tensor_shape(self, name):
        t = self.engine._t[name]
        if t["mode"] == "input":
            return Dims(self._shapes[name])
        for src, dst in self.engine.spec.get("copies", []) + self.engine.spec.get("host_copies", []):
            if dst == name:
                return Dims(self._shapes[src])
        return Dims(t["shape"])   # data-dependent: -1 until run

    def infer_shapes(self):
        return [n for n, s in self._shapes.items() if any(d < 0 for d in s)]

    def set_tensor_address(self, name, memory):
        if name not in self.engine._t:
            return False
        self._addr[name] = int(memory)
        return True

    def get_tensor_address(self, name):
        return self._addr.get(name, 0)

    def set_output_allocator(self, name, output_allocator):
        self._alloc[name] = output_allocator
        return True

    def set_optimization_profile_async(self, profile_index, stream_handle):
        if not 0 <= profile_index < self.engine.num_optimization_profiles:
            return False
        self.active_profile = profile_index
        for name, t in self.engine._t.items():   # like TensorRT: input shapes must be set again
            if t["mode"] == "input":
                self._shapes[name] = tuple(t["shape"])
        return True

    def report_to_profiler(self):
        return True

    # ---- execution
    def execute_async_v3(self, stream_handle):
        if self.infer_shapes():
            return False
        mem = self.engine.memory
        for src, dst in self.engine.spec.get("copies", []):
            if src not in self._addr or dst not in self._addr:
                return False
        for src, dst in self.engine.spec.get("copies", []):
            t = self.engine._t[src]
            nbytes = int(np.prod(self._shapes[src], dtype=np.int64)) * _SIZES[t["dtype"]]
            for _ in range(int(self.engine.spec.get("repeat", 1))):
                mem.copy(self._addr[dst], self._addr[src], nbytes, stream_handle)
        for src, dst in self.engine.spec.get("host_copies", []):
            # shape tensors: TensorRT reads/writes them on the host during the enqueue
            t = self.engine._t[src]
            nbytes = int(np.prod(self._shapes[src], dtype=np.int64)) * _SIZES[t["dtype"]]
            if src not in self._addr or dst not in self._addr:
                return False
            ctypes.memmove(self._addr[dst], self._addr[src], nbytes)
        for src, dst in self.engine.spec.get("dds", []):
            # like TensorRT with data-dependent shapes: wait for the inputs, size the output, allocate
            t = self.engine._t[src]
            dtype = np.dtype({"FLOAT": "float32", "INT32": "int32"}[t["dtype"]])
            mem.sync(stream_handle)
            n = int(np.prod(self._shapes[src], dtype=np.int64))
            values = mem.read(self._addr[src], n * dtype.itemsize).view(dtype)
            kept = values[values > 0]
            alloc = self._alloc.get(dst)
            if alloc is None:
                return False
            ptr = alloc.reallocate_output_async(dst, 0, max(kept.nbytes, 1), 256, stream_handle)
            mem.write(ptr, kept)
            alloc.notify_shape(dst, Dims((kept.size,)))
        if self.profiler is not None:
            for i, (src, dst) in enumerate(self.engine.spec.get("copies", [])):
                self.profiler.report_layer_time(f"copy {src} -> {dst}", 0.01 * (i + 1))
        self.executions += 1
        return True


class Runtime:
    def __init__(self, logger):
        self.logger = logger
        self.memory = None    # set by the test: how deserialized engines reach memory

    def deserialize_cuda_engine(self, serialized_engine):
        data = bytes(serialized_engine)
        if not data.startswith(b"FAKEPLAN"):
            self.logger.log(ILogger.Severity.ERROR, "not a plan")
            return None
        return ICudaEngine(json.loads(data[8:]), _MEMORY[0])


_MEMORY = [None]


def plan_bytes(spec: dict) -> bytes:
    return b"FAKEPLAN" + json.dumps(spec).encode()


class FakeMemory:
    """Connects the fake engine to the fake CUDA backend's queues and memory."""

    def __init__(self, cuda):
        self.cuda = cuda

    def copy(self, dst, src, nbytes, stream_handle):
        self.cuda.memcpy_dtod(dst, src, nbytes, self.cuda.stream_by_handle(stream_handle))

    def sync(self, stream_handle):
        self.cuda.stream_synchronize(self.cuda.stream_by_handle(stream_handle))

    def read(self, ptr, nbytes):
        return self.cuda.read(ptr, nbytes)

    def write(self, ptr, data):
        self.cuda.write(ptr, data)


def use_memory(memory) -> None:
    _MEMORY[0] = memory


module = sys.modules[__name__]
