"""compare_to_onnxruntime on real models (Polygraphy's test models), without a GPU."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import fake_trt
from trtlab.errors import BindingError, ConfigError, ModelLoadError
from trtlab.graph import load_onnx
from trtlab.runtime import TOLERANCES, InferenceSession, compare_to_onnxruntime, run_onnxruntime

pytest.importorskip("onnxruntime")


@pytest.fixture
def conv(fixtures):
    return fixtures / "onnx" / "conv.onnx"


def _conv_inputs(seed=0):
    return {"a": np.random.default_rng(seed).standard_normal((1, 16, 8, 8)).astype(np.float32)}


def test_a_second_onnxruntime_run_matches_exactly(conv):
    inputs = _conv_inputs()
    saved = run_onnxruntime(conv, inputs)
    report = compare_to_onnxruntime(conv, inputs, saved)
    assert report.passed and bool(report)
    row = report["conv_out_0"]
    assert row.max_abs == 0.0 and row.mismatched == 0.0 and row.shape == saved["conv_out_0"].shape
    assert "PASS at fp32 tolerance" in str(report) and "conv_out_0" in report._repr_html_()


def test_fp16_rounding_passes_at_fp16_and_fails_at_fp32(conv):
    inputs = _conv_inputs(1)
    ref = run_onnxruntime(conv, inputs)
    as_fp16 = {k: v.astype(np.float16) for k, v in ref.items()}   # what an fp16 engine's output looks like
    assert not compare_to_onnxruntime(conv, inputs, as_fp16, precision="fp32").passed
    report = compare_to_onnxruntime(conv, inputs, as_fp16, precision="fp16")
    assert report.passed
    assert 0 < report["conv_out_0"].max_rel <= 2 ** -11 * 1.01     # half an fp16 ulp, relative


def test_tolerances_get_looser_with_lower_precision(fixtures):
    order = ["fp32", "tf32", "fp16", "bf16", "int8"]
    for a, b in zip(order, order[1:]):
        assert TOLERANCES[a][0] <= TOLERANCES[b][0] and TOLERANCES[a][1] <= TOLERANCES[b][1]
    model = fixtures / "onnx" / "multi_output.onnx"
    inputs = {"input": np.random.default_rng(2).standard_normal((4, 5)).astype(np.float32)}
    ref = run_onnxruntime(model, inputs)
    noisy = {k: v * (1 + 0.02) for k, v in ref.items()}   # 2% error: int8-like, too much for fp16
    verdicts = {p: compare_to_onnxruntime(model, inputs, noisy, precision=p).passed for p in order}
    assert verdicts == {"fp32": False, "tf32": False, "fp16": False, "bf16": True, "int8": True}
    assert set(compare_to_onnxruntime(model, inputs, noisy).reference) == {"identity_out_5", "split_out_1_3"}


def test_wrong_shapes_and_nans_fail(conv):
    inputs = _conv_inputs()
    ref = run_onnxruntime(conv, inputs)["conv_out_0"]
    report = compare_to_onnxruntime(conv, inputs, {"conv_out_0": ref[..., :4]})
    assert not report.passed and "differs from the reference" in report["conv_out_0"].note
    bad = ref.copy()
    bad.flat[3] = np.nan
    row = compare_to_onnxruntime(conv, inputs, {"conv_out_0": bad}, precision="int8")["conv_out_0"]
    assert not row.passed and "1 NaN mismatch" in row.note and row.mismatched == pytest.approx(1 / bad.size)


def test_bad_arguments_are_clear_errors(conv, tmp_path):
    inputs = _conv_inputs()
    with pytest.raises(ConfigError, match="precision 'fp12' is not one of fp32, tf32, fp16, bf16, int8, fp8"):
        compare_to_onnxruntime(conv, inputs, {}, precision="fp12")
    with pytest.raises(BindingError, match=r"unknown: \['b'\]; missing: \['a'\]"):
        compare_to_onnxruntime(conv, {"b": inputs["a"]}, {"conv_out_0": 0})
    with pytest.raises(BindingError, match=r"output\(s\) \['nope'\] are not outputs"):
        compare_to_onnxruntime(conv, inputs, {"nope": np.zeros(1)})
    with pytest.raises(BindingError, match="ONNX Runtime failed"):
        compare_to_onnxruntime(conv, {"a": np.zeros((1, 3, 8, 8), np.float32)}, {"conv_out_0": 0})
    with pytest.raises(ModelLoadError, match="not found"):
        compare_to_onnxruntime(tmp_path / "none.onnx", inputs, {})
    (tmp_path / "junk.onnx").write_bytes(b"junk")
    with pytest.raises(ModelLoadError, match="not a valid ONNX model"):
        compare_to_onnxruntime(tmp_path / "junk.onnx", inputs, {})
    with pytest.raises(ConfigError, match="outputs of type int"):
        compare_to_onnxruntime(conv, inputs, 3)


def test_a_session_is_run_on_the_same_inputs(fixtures, cuda, memory):
    # identity.onnx: y = x. The double engine copies x to y through the (fake) device buffers.
    spec = {"tensors": [{"name": "x", "mode": "input", "dtype": "FLOAT", "shape": [1, 1, 2, 2]},
                        {"name": "y", "mode": "output", "dtype": "FLOAT", "shape": [1, 1, 2, 2]}],
            "copies": [["x", "y"]]}
    inputs = {"x": np.arange(4, dtype=np.float32).reshape(1, 1, 2, 2)}
    with InferenceSession(fake_trt.ICudaEngine(copy.deepcopy(spec), memory), cuda=cuda) as s:
        report = compare_to_onnxruntime(fixtures / "onnx" / "identity.onnx", inputs, s)
    assert report.passed and report["y"].max_abs == 0.0


def test_onnx_graph_and_model_proto_are_accepted(conv):
    import onnx

    inputs = _conv_inputs()
    ref = run_onnxruntime(conv, inputs)
    assert compare_to_onnxruntime(onnx.load(str(conv)), inputs, ref).passed
    assert compare_to_onnxruntime(conv.read_bytes(), inputs, ref).passed
    assert compare_to_onnxruntime(load_onnx(conv), inputs, ref).passed


@pytest.mark.parametrize("name", ["inception_block", "transformer_block"])
def test_a_real_fp16_conversion_passes_at_fp16_and_fails_at_fp32(name):
    # The float16 model TensorRT for RTX parsed for an fp16 build, run by ONNX Runtime: the
    # outputs an fp16 engine would give, up to kernel differences.
    pytest.importorskip("tensorrt_rtx_bindings")
    pytest.importorskip("onnxconverter_common")
    import onnxruntime as ort

    import trtlab
    from trtlab.builder import BuildConfig, build_engine

    model = trtlab.bundled_model(name)
    built = build_engine(model, BuildConfig(precision="fp16"))
    sess = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(11)
    inputs = {i.name: rng.standard_normal([d if isinstance(d, int) else 1 for d in i.shape]).astype(np.float32)
              for i in sess.get_inputs()}
    fp16_outputs = run_onnxruntime(built.model_bytes, inputs)
    at_fp16 = compare_to_onnxruntime(model, inputs, fp16_outputs, precision="fp16")
    assert at_fp16.passed, str(at_fp16)
    assert not compare_to_onnxruntime(model, inputs, fp16_outputs, precision="fp32").passed
    for row in at_fp16.outputs:
        assert 1e-5 < row.rel_l2 < 2e-3      # float16 rounding: present, and about an ulp
