"""InferencePanel: without a GPU (this machine) it says why and still gives the ONNX Runtime
reference; the GPU path's handlers are unit-tested with a session double and, on a GPU, for real."""

from __future__ import annotations

import numpy as np
import pytest

import trtlab
from trtlab.runtime import BenchmarkResult, Binding, BindingTable, RunTiming
from trtlab.widgets import InferencePanel

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    pytest.importorskip("tensorrt_rtx_bindings")
    return trtlab.build_engine(trtlab.bundled_model("inception_block"), cache=tmp_path_factory.mktemp("cache"))


def _no_gpu():
    from trtlab.builder.backend import probe_gpu

    return not probe_gpu().devices


def test_without_a_gpu_the_panel_says_why_and_runs_the_reference(engine):
    if not _no_gpu():
        pytest.skip("a GPU is present: the engine can run here")
    p = InferencePanel(engine)
    assert p.session is None
    assert p.unavailable.startswith(("CudaError", "MissingDependencyError"))
    assert "No engine can execute here" in p.bindings.value
    assert p.bench_button.disabled and "no engine can run here" in p.bench_button.tooltip
    # the binding table comes from the engine's layer information
    for t in engine.layer_info.io_tensors:
        assert t.name in p.bindings.value
    p.seed.value = 7
    p.run_button.click()
    assert p.status.kind == "info" and "ONNX Runtime reference" in p.status.text
    assert "not available here" in p.result.value
    assert p.chart.layout.display == "none"  # no timing to chart: no empty picture either
    ref = trtlab.runtime.run_onnxruntime(engine.onnx.model, p.inputs)
    name, arr = next(iter(ref.items()))
    assert name in p.result.value and f"{arr.mean():.4g}" in p.result.value
    # Benchmark is refused with the reason (called from code; the button is disabled)
    p.benchmark_button = None
    p.guard(p.benchmark)
    assert p.status.kind == "error" and "benchmarking needs an engine that runs here" in p.status.text


def test_input_sources(engine, tmp_path):
    p = InferencePanel(engine)
    p.source.value = "zeros"
    zeros = p.make_inputs()
    (name, arr), = zeros.items()
    assert arr.shape == (1, 192, 28, 28) and arr.dtype == np.float32 and not arr.any()
    p.source.value = "random"
    p.seed.value = 3
    a = p.make_inputs()[name]
    assert np.array_equal(a, p.make_inputs()[name]) and a.std() > 0.5
    p.seed.value = 4
    assert not np.array_equal(a, p.make_inputs()[name])
    p.source.value = "file"
    assert not p.path.disabled
    np.savez(tmp_path / "in.npz", **{name: a})
    p.path.value = str(tmp_path / "in.npz")
    assert np.array_equal(p.make_inputs()[name], a)
    np.save(tmp_path / "one.npy", a)
    p.path.value = str(tmp_path / "one.npy")
    assert np.array_equal(p.make_inputs()[name], a)


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        (b"not numpy at all", "is not a numpy .npy/.npz file"),
        ("wrong_name", "missing ['input']"),
        ("wrong_rank", "expects rank 4"),
    ],
)
def test_bad_input_files_are_shown(engine, tmp_path, content, message):
    p = InferencePanel(engine)
    path = tmp_path / ("in.npz" if isinstance(content, str) else "in.bin")
    if content == "wrong_name":
        np.savez(path, other=np.zeros((1, 192, 28, 28), np.float32))
    elif content == "wrong_rank":
        np.savez(path, input=np.zeros((192, 28, 28), np.float32))
    elif content is not None:
        path.write_bytes(content)
    p.source.value = "file"
    p.path.value = str(path)
    p.run_button.click()
    assert p.status.kind == "error", p.status.text
    assert message in p.status.text


# ---------------------------------------------------------------- GPU path, with a session double
class _SessionDouble:
    """Stands in for InferenceSession on a CPU machine: identity 'engine', fixed timings."""

    def __init__(self):
        self.bindings = BindingTable([
            Binding("x", "input", (2, 4), "float32", "FLOAT", "device", 32),
            Binding("y", "output", (2, 4), "float32", "FLOAT", "device", 32),
        ])
        self.last_timing = None
        self.closed = False

    def run(self, inputs):
        self.last_timing = RunTiming(h2d_ms=0.02, compute_ms=0.1, d2h_ms=0.01)
        return {"y": np.asarray(inputs["x"]) * 2}

    def benchmark(self, n, warmup, inputs):
        rec = {k: np.full(n, v) for k, v in
               {"latency": 0.13, "h2d": 0.02, "compute": 0.1, "d2h": 0.01, "enqueue": 0.005, "stage": 0.0}.items()}
        return BenchmarkResult(rec, throughput_qps=7000.0, iterations=n, warmup=warmup, pinned=True)

    def close(self):
        self.closed = True


def test_run_and_benchmark_handlers_with_a_session(tmp_path):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    graph = helper.make_graph([helper.make_node("Mul", ["x", "two"], ["y"], name="double")], "g", [x], [y], [two])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # what ONNX Runtime reads
    session = _SessionDouble()
    p = InferencePanel(engine=None, onnx=model, session=session)
    assert p.status.kind == "ok" and "x" in p.bindings.value and not p.bench_button.disabled
    p.run_button.click()
    assert p.status.kind == "ok" and "matches ONNX Runtime" in p.status.text, p.status.text
    assert np.array_equal(p.outputs["y"], p.inputs["x"] * 2)
    assert bytes(p.chart.value).startswith(PNG) and p.chart.layout.display is None
    p.iterations.value = 50
    p.bench_button.click()
    assert p.status.text == "7000.0 inferences/s"
    assert "Throughput" in p.result.value and p.benchmark_result.iterations == 50
    p.close()
    assert session.closed


@pytest.mark.gpu
def test_runs_for_real_on_a_gpu(engine):
    p = InferencePanel(engine)
    assert p.session is not None, p.unavailable
    p.run_button.click()
    assert p.status.kind == "ok" and "matches ONNX Runtime" in p.status.text
    p.iterations.value = 20
    p.bench_button.click()
    assert p.status.kind == "ok" and p.benchmark_result.iterations == 20
    p.close()
