"""Real engine builds with TensorRT for RTX on this CPU machine."""

from __future__ import annotations

import onnx
import pytest

import trtlab
from trtlab import BuildCancelled, BuildError, ConfigError, ModelLoadError
from trtlab.builder import BuildConfig, CancelToken, ShapeProfile, build_engine

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = sorted((ROOT / "trtlab" / "data").glob("*.onnx"))

pytestmark = pytest.mark.rtx


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_model_builds_and_maps(built, path):
    eng = built(path.stem)
    assert eng.plan and len(eng.plan) > 1000 and not eng.from_cache
    assert eng.backend == "tensorrt_rtx_bindings" and eng.build_seconds > 0
    assert eng.layer_info_format == "oneline"  # no GPU here: layers come from the builder's log
    plan = eng.layer_info
    assert isinstance(plan, trtlab.EnginePlan) and len(plan) > 0 and plan.source == "oneline"
    report = eng.fusion()
    assert report.layers and report.coverage > 0.5
    assert "<table>" in eng._repr_html_()


@pytest.mark.parametrize("stem", ["inception_block", "resnet18"])
def test_conv_bn_relu_is_fused(built, stem):
    if not (ROOT / "trtlab" / "data" / f"{stem}.onnx").is_file():
        pytest.skip(f"data/{stem}.onnx not generated")
    report = built(stem).fusion()
    fused = [layer for layer in report.layers
             if layer.pattern in ("Conv+BatchNormalization+Relu", "Conv+Relu")]
    assert fused, sorted({layer.pattern for layer in report.layers})
    # the engine layer really absorbed those ONNX nodes (from TensorRT's own metadata)
    layer = fused[0]
    assert len(layer.onnx_nodes) >= 2 and layer.layer is not None
    assert set(layer.onnx_nodes) <= set(layer.layer.onnx_nodes_from_metadata) | set(layer.onnx_nodes)
    assert layer.op_types[0] == "Conv" and layer.op_types[-1] == "Relu"


def test_unsupported_op_reports_node_and_op(rtx, fixtures):
    with pytest.raises(BuildError) as e:
        build_engine(fixtures / "onnx" / "custom_op_node.onnx")
    err = e.value
    assert "NegPos" in str(err) and "node 0" in str(err)
    assert err.parser_errors[0]["node_operator"] == "NegPos" and err.parser_errors[0]["node"] == 0
    assert "Plugin not found" in err.parser_errors[0]["desc"]


def test_corrupt_model_is_a_model_load_error(rtx, tmp_path):
    bad = tmp_path / "broken.onnx"
    bad.write_bytes((ROOT / "trtlab" / "data" / "inception_block.onnx").read_bytes()[:500])
    with pytest.raises(ModelLoadError, match="broken.onnx"):
        build_engine(bad)
    with pytest.raises(ModelLoadError, match="not a valid ONNX model"):
        build_engine(b"\x00\xffthis is not protobuf" * 10)
    with pytest.raises(ModelLoadError, match="not found"):
        build_engine(tmp_path / "missing.onnx")


def test_empty_model(rtx, fixtures):
    with pytest.raises(ModelLoadError, match="empty graph"):
        build_engine(fixtures / "onnx" / "empty.onnx")


def test_wrong_rank_and_unknown_input(rtx, fixtures):
    model = fixtures / "onnx" / "dim_param.onnx"  # input 'Input:0' of shape (dim0, 16, 128)
    with pytest.raises(ConfigError) as e:
        build_engine(model, BuildConfig(profiles=(ShapeProfile("Input:0", (1, 16), (2, 16), (4, 16)),)))
    assert "rank 2" in str(e.value) and "rank 3" in str(e.value)
    with pytest.raises(ConfigError) as e:
        build_engine(model, BuildConfig(profiles=(ShapeProfile.fixed("image", (1, 16, 128)),)))
    assert "'image'" in str(e.value) and "Input:0" in str(e.value)
    with pytest.raises(ConfigError, match="fixed to 16"):
        build_engine(model, BuildConfig(profiles=(ShapeProfile("Input:0", (1, 8, 128), (1, 16, 128), (1, 16, 128)),)))


def test_dynamic_shapes_get_profiles(rtx, fixtures):
    model = fixtures / "onnx" / "dynamic_identity.onnx"   # X: (1, 2, height, width)
    default = build_engine(model)
    io = {t.name: t for t in default.layer_info.io_tensors}
    assert io["X"].profile is not None
    prof = ShapeProfile("X", (1, 2, 4, 4), (1, 2, 8, 8), (1, 2, 16, 32))
    eng = build_engine(model, BuildConfig(profiles=(prof,)))
    p = {t.name: t for t in eng.layer_info.io_tensors}["X"].profile
    assert tuple(p["min"]) == (1, 2, 4, 4) and tuple(p["max"]) == (1, 2, 16, 32)


def test_fixed_dynamic_dimensions_are_reported(rtx, fixtures):
    model = fixtures / "onnx" / "dynamic_identity.onnx"   # X: (1, 2, height, width)
    with pytest.warns(trtlab.builder.builder.BuildWarning, match=r"X\[2\] \(height\) = 1/2/3 \(min/opt/max\) from dynamic_dims"):
        eng = build_engine(model, BuildConfig(dynamic_dims=(1, 2, 3)))
    assert any("X[3] (width) = 1/2/3 (min/opt/max)" in n for n in eng.notes)
    assert "X[3] (width)" in eng._repr_html_()
    p = {t.name: t for t in eng.layer_info.io_tensors}["X"].profile
    assert tuple(p["max"]) == (1, 2, 3, 3)


def test_the_models_own_size_hints_are_used(rtx, fixtures, tmp_path):
    proto = onnx.load(str(fixtures / "onnx" / "dynamic_identity.onnx"))
    onnx.helper.set_model_props(proto, {"height": "8", "width": "not a number"})
    path = tmp_path / "hinted.onnx"
    onnx.save(proto, str(path))
    with pytest.warns(trtlab.builder.builder.BuildWarning) as record:
        eng = build_engine(path)
    text = str(record[0].message)
    assert "X[2] (height) = 8 from model hint" in text and "X[3] (width) = 1 from dynamic_dims" in text
    p = {t.name: t for t in eng.layer_info.io_tensors}["X"].profile
    assert tuple(p["max"]) == (1, 2, 8, 1)


def test_a_full_profile_builds_without_a_warning(rtx, fixtures, recwarn):
    model = fixtures / "onnx" / "dynamic_identity.onnx"
    eng = build_engine(model, BuildConfig(profiles=(ShapeProfile.fixed("X", (1, 2, 4, 4)),)))
    assert eng.notes == [] and not [w for w in recwarn if "dynamic dimension" in str(w.message)]


def test_progress_events_and_cancel(rtx):
    model = ROOT / "trtlab" / "data" / "inception_block.onnx"
    events = []
    build_engine(model, progress=events.append)
    kinds = {e.kind for e in events}
    assert kinds == {"start", "step", "finish"}
    top = [e for e in events if e.depth == 0 and e.kind == "start"]
    assert top and top[0].steps and top[0].steps > 0

    with pytest.raises(BuildCancelled):
        build_engine(model, progress=lambda ev: False)
    token = CancelToken()
    token.cancel()
    with pytest.raises(BuildCancelled):
        build_engine(model, cancel=token)


def test_progress_callback_error_is_a_build_error(rtx):
    def boom(ev):
        raise RuntimeError("callback bug")

    with pytest.raises(BuildError, match="callback bug"):
        build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx", progress=boom)


def test_tqdm_progress(rtx, capsys):
    build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx", progress="tqdm")
    assert "Building engine" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="progress"):
        build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx", progress="bar")


def test_fp16_converts_the_model(rtx, built):
    fp32 = built("inception_block")
    eng = build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx", BuildConfig(precision="fp16"))
    dtypes16 = {t.dtype for layer in eng.layer_info.layers for t in layer.outputs}
    dtypes32 = {t.dtype for layer in fp32.layer_info.layers for t in layer.outputs}
    assert "FP16" in dtypes16 and "FP16" not in dtypes32
    assert eng.onnx.find(op_type="Cast")   # Casts at the float32 I/O
    inserted = len(eng.onnx.find(op_type="Cast")) - len(fp32.onnx.find(op_type="Cast"))
    assert inserted > 0 and any(f"inserted {inserted} Cast node(s)" in n for n in eng.notes)
    assert {t.dtype for t in eng.onnx.inputs} == {"float32"}


@pytest.mark.parametrize("precision, word", [("bf16", "not available"), ("int8", "Q/DQ"), ("fp8", "Q/DQ")])
def test_precisions_the_backend_lacks_are_errors(rtx, precision, word):
    with pytest.raises(ConfigError, match=word):
        build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx", BuildConfig(precision=precision))


def test_options_reach_the_builder(rtx):
    model = ROOT / "trtlab" / "data" / "inception_block.onnx"
    eng = build_engine(model, BuildConfig(precision="tf32", opt_level=1, workspace_mib=64, compute_capability="8.6"))
    assert eng.device == "sm86" and len(eng.layer_info) > 0
    with pytest.raises(ConfigError, match="sm99"):
        build_engine(model, BuildConfig(compute_capability="sm99"))


def test_verbosity_none_gives_an_empty_plan_with_a_note(rtx):
    eng = build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx", BuildConfig(profiling_verbosity="none"))
    assert eng.layer_info_format == "none" and len(eng.layer_info) == 0 and eng.layer_info.note


def test_log_is_kept(built):
    eng = built("inception_block")
    assert any(msg.lstrip().startswith("Layers:") for _, msg in eng.log)
    assert {sev for sev, _ in eng.log} <= {"INTERNAL_ERROR", "ERROR", "WARNING", "INFO", "VERBOSE"}


def test_external_weights_and_model_inputs(rtx, fixtures):
    eng = build_engine(fixtures / "onnx" / "ext_weights.onnx")
    assert len(eng.plan) > 0
    import onnx

    proto = onnx.load(str(fixtures / "onnx" / "conv.onnx"))
    a = build_engine(proto)
    b = build_engine((fixtures / "onnx" / "conv.onnx").read_bytes())
    assert a.model_digest == b.model_digest
    with pytest.raises(ModelLoadError, match="external"):
        build_engine((fixtures / "onnx" / "ext_weights.onnx").read_bytes())


def test_widget_progress_follows_the_build(rtx):
    pytest.importorskip("ipywidgets")
    from trtlab.builder.progress import WidgetProgress

    widget = WidgetProgress(display=False)
    build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx", progress=widget)
    assert widget.bar.value == widget.bar.max > 1 and widget.bar.bar_style == "success"
    assert widget.label.value == "done"


def test_inspector_failure_falls_back_to_the_log(rtx, monkeypatch):
    """Where engines look runnable but deserializing fails, the build still yields layer info."""
    import dataclasses

    from trtlab.builder import backend as bk
    from trtlab.builder import builder

    real = bk._info_for("tensorrt_rtx_bindings")
    monkeypatch.setattr(builder, "_info_for", lambda name: dataclasses.replace(real, can_execute=True))
    eng = build_engine(ROOT / "trtlab" / "data" / "inception_block.onnx")   # real deserialize: fails without a driver
    assert eng.layer_info_format == "oneline" and len(eng.layer_info) > 0
    assert any(sev == "ERROR" for sev, _ in eng.log)   # TensorRT said why it could not deserialize
