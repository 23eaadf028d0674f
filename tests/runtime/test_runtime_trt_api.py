"""Every TensorRT call the session makes exists on the real TensorRT 11 runtime classes.

Three independent checks against ``tensorrt_lean_bindings`` (real TensorRT 11 lean runtime):
1. the session runs every feature over the test double wrapped in a recorder, and each
   attribute it touched on the engine/context exists on the real ``ICudaEngine`` /
   ``IExecutionContext``;
2. trtlab/runtime's source is scanned for calls on TensorRT objects, each checked on the real class;
3. the session's IOutputAllocator / IProfiler subclasses are built on the real base classes.
"""

from __future__ import annotations

import ast
import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fake_trt
from fake_trt import DDS, IDENTITY
from trtlab.runtime import InferenceSession

lean = pytest.importorskip("tensorrt_lean_bindings")

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_SRC = sorted((ROOT / "trtlab" / "runtime").glob("*.py"))


class _Recorder:
    """Forwards to a test double and records every attribute read or written."""

    __module__ = fake_trt.__name__   # so the session resolves the (fake) TensorRT module from it

    def __init__(self, target, log: set, kind: str):
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_log", log)
        object.__setattr__(self, "_kind", kind)

    def __getattr__(self, name):
        self._log.add((self._kind, name))
        value = getattr(self._target, name)
        if name == "create_execution_context":
            return lambda: _Recorder(value(), self._log, "IExecutionContext")
        return value

    def __setattr__(self, name, value):
        self._log.add((self._kind, name))
        setattr(self._target, name, value)


def _exercise(engine_spec, cuda, memory, log, **kw):
    engine = _Recorder(fake_trt.ICudaEngine(copy.deepcopy(engine_spec), memory), log, "ICudaEngine")
    with InferenceSession(engine, cuda=cuda, **kw) as s:
        feeds = {b.name: np.ones(b.profile[1] if b.profile else b.shape, np.float32 if b.dtype == "float32" else np.int32)
                 for b in s.bindings.inputs}
        for _ in range(3):
            s.run(feeds)
        s.benchmark(n=2, warmup=1)
        if "copies" in engine_spec:
            s.profile_layers(n=2, warmup=0)
            name = s.input_names[0]
            s.set_input_shape(name, s.bindings[name].profile[2])


def test_every_engine_and_context_member_the_session_uses_exists_in_tensorrt_11(cuda, memory):
    log: set = set()
    _exercise(IDENTITY, cuda, memory, log)
    _exercise(IDENTITY, cuda, memory, log, cuda_graph=True, pinned=False)
    _exercise(DDS, cuda, memory, log)
    used = {"ICudaEngine": set(), "IExecutionContext": set()}
    for kind, name in log:
        used[kind].add(name)
    # the recorder saw the whole name-based API (so this test is not vacuous) ...
    assert {"num_io_tensors", "get_tensor_name", "get_tensor_mode", "get_tensor_profile_shape",
            "create_execution_context"} <= used["ICudaEngine"]
    assert {"set_input_shape", "set_tensor_address", "execute_async_v3", "set_output_allocator",
            "profiler"} <= used["IExecutionContext"]
    # ... and every member exists on the real TensorRT 11 classes
    missing = [f"{k}.{n}" for k, names in used.items() for n in sorted(names) if not hasattr(getattr(lean, k), n)]
    assert missing == []
    # the removed binding-index API (TensorRT <= 8) is never touched
    old = {"num_bindings", "get_binding_index", "binding_is_input", "get_binding_shape", "execute_async_v2",
           "set_binding_shape", "get_binding_dtype"}
    assert not old & (used["ICudaEngine"] | used["IExecutionContext"])


def test_the_test_double_only_offers_real_tensorrt_members():
    instance_attrs = {fake_trt.ICudaEngine: {"num_optimization_profiles"},
                      fake_trt.IExecutionContext: {"profiler", "enqueue_emits_profile"}}
    for fake_cls, real in ((fake_trt.ICudaEngine, lean.ICudaEngine), (fake_trt.IExecutionContext, lean.IExecutionContext)):
        public = {n for n in vars(fake_cls) if not n.startswith("_")} | instance_attrs[fake_cls]
        extra = {"spec", "memory", "calls", "engine", "executions", "errors"}   # test bookkeeping only
        assert sorted(n for n in public - extra if not hasattr(real, n)) == []
    for enum_name in ("TensorIOMode", "TensorLocation", "DataType"):
        fake_members = set(getattr(fake_trt, enum_name).__members__)
        assert fake_members <= set(getattr(lean, enum_name).__members__), enum_name


def _scan_runtime_source() -> list[tuple[str, str, str]]:
    """(where, class, member) for each use of a TensorRT object in trtlab/runtime."""
    holders = {"cuda_engine": "ICudaEngine", "context": "IExecutionContext", "trt_runtime": "Runtime"}
    found = []
    for path in RUNTIME_SRC:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or node.attr.startswith("__"):
                continue
            base, where = node.value, f"{path.name}:{node.lineno}"
            if isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name):
                if base.value.id == "self" and base.attr in holders:          # self.context.X
                    found.append((where, holders[base.attr], node.attr))
                elif base.value.id == "trt":                                  # trt.Class.X
                    found.append((where, base.attr, node.attr))
            elif isinstance(base, ast.Name) and base.id in holders:           # context.X
                found.append((where, holders[base.id], node.attr))
            elif isinstance(base, ast.Name) and base.id == "trt":             # trt.Class
                found.append((where, "<module>", node.attr))
    return found


def test_runtime_source_calls_only_real_tensorrt_11_members():
    found = _scan_runtime_source()
    assert len(found) > 25
    missing = []
    for where, cls, member in found:
        owner = lean if cls == "<module>" else getattr(lean, cls, None)
        if owner is None or not hasattr(owner, member):
            missing.append(f"{where}: {cls}.{member}")
    assert missing == []


def test_session_subclasses_build_on_the_real_interfaces(cuda):
    from trtlab.runtime.loading import make_output_allocator as _make_output_allocator, make_profiler as _make_profiler

    alloc = _make_output_allocator(lean, cuda)
    assert isinstance(alloc, lean.IOutputAllocator)
    doc = lean.IOutputAllocator.__doc__
    for sig in ("def reallocate_output(self, tensor_name, memory, size, alignment)",
                "def reallocate_output_async(self, tensor_name, memory, size, alignment, stream)",
                "def notify_shape(self, tensor_name, shape)"):
        assert sig in doc                              # the overrides TensorRT 11 calls
        assert hasattr(alloc, sig.split("(")[0][4:])
    ptr = alloc.reallocate_output_async("out", 0, 1000, 256, 0)
    assert ptr == alloc.buffer.ptr and alloc.buffer.nbytes == 1000
    assert alloc.reallocate_output_async("out", ptr, 10, 256, 0) == ptr          # no shrink
    alloc.notify_shape("out", lean.Dims([3, 4]))
    assert alloc.shape == (3, 4)
    alloc.free()
    assert cuda.used == 0

    prof = _make_profiler(lean)
    assert isinstance(prof, lean.IProfiler)
    prof.report_layer_time("conv1 + relu1", 0.25)
    prof.report_layer_time("conv1 + relu1", 0.35)
    assert prof.order == ["conv1 + relu1"] and prof.times["conv1 + relu1"] == [0.25, 0.35]
    ctx_profiler = lean.IExecutionContext.profiler
    assert isinstance(ctx_profiler, property) and ctx_profiler.fset is not None   # settable, as the session does


def test_no_tensorrt_runtime_is_created_without_a_cuda_driver(tmp_path):
    # TensorRT 11's Runtime crashes the process at exit when created without a driver, so the
    # session must fail on CUDA first. Run in a child so a regression cannot kill this run.
    code = (
        "import trtlab\n"
        "try:\n"
        "    trtlab.InferenceSession(b'not really a plan')\n"
        "except trtlab.TrtlabError as e:\n"
        "    print(type(e).__name__, '|', e)\n"
    )
    import trtlab.builder.backend as backend

    if backend.probe_gpu().driver_found:
        pytest.skip("a CUDA driver is present")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    name, _, message = res.stdout.strip().partition(" | ")
    assert name in ("CudaError", "MissingDependencyError")
    assert "driver" in message or "trtlab[gpu]" in message
