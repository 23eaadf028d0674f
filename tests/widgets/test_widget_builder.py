"""EngineBuilder: real TensorRT-for-RTX builds on this CPU, and the backend missing."""

from __future__ import annotations

import pytest

import trtlab
import trtlab.builder.backend as backend_mod
from trtlab.widgets import EngineBuilder


@pytest.fixture
def rtx():
    return pytest.importorskip("tensorrt_rtx_bindings")


@pytest.fixture
def no_backend(monkeypatch):
    """No TensorRT module can be imported (as on a machine without the rtx/gpu extras)."""

    def refuse(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.delenv("TRTLAB_BACKEND", raising=False)
    monkeypatch.setattr(backend_mod, "_import", refuse)
    backend_mod._auto_backend.cache_clear()
    backend_mod._cached_import.cache_clear()
    backend_mod._info_for.cache_clear()
    yield
    backend_mod._auto_backend.cache_clear()
    backend_mod._cached_import.cache_clear()
    backend_mod._info_for.cache_clear()


def test_build_with_the_rtx_backend_shows_the_result(rtx, tmp_path):
    b = EngineBuilder(trtlab.bundled_model("inception_block"), cache=tmp_path)
    assert b.status.kind == "ok", b.status.text
    assert not b.build_button.disabled
    assert "tensorrt_rtx_bindings" in b.notes.value
    b.engine_cache.value = False
    b.precision.value = "fp16"
    seen_values, seen_phases = [], []
    b.progress.observe(lambda ch: seen_values.append(ch["new"]), names="value")
    b.phase.observe(lambda ch: seen_phases.append(ch["new"]), names="value")
    b.build_button.click()  # what the user does; the build runs in a thread
    assert b.wait(timeout=300)
    assert b.status.kind == "ok", b.status.text
    engine = b.engine
    assert engine is not None and not engine.from_cache and engine.config.precision == "fp16"
    n = len(engine.layer_info)
    assert f"built: {n} engine layers" in b.status.text
    assert f"<td style='padding:2px 8px'>{n}</td>" in b.result.value
    assert "tensorrt_rtx_bindings" in b.result.value and "build time" in b.result.value
    # the progress callback moved the bar to its end, and the fusion summary is shown
    assert b.progress.value == b.progress.max > 1 and b.progress.bar_style == "success"
    # the bar moved step by step while TensorRT worked, and named its phases
    assert len(set(seen_values)) > 2 and seen_values[-1] == b.progress.max
    assert len(set(seen_phases) - {"starting TensorRT...", "done"}) >= 2, seen_phases
    assert b.report is not None and "vertical" in b.fusion_summary.value
    assert not b.build_button.disabled and b.cancel_button.disabled


def test_engine_cache_toggle(rtx, tmp_path):
    b = EngineBuilder(trtlab.bundled_model("inception_block"), cache=tmp_path)
    b.build(wait=True)
    assert b.status.kind == "ok" and not b.engine.from_cache
    b.build(wait=True)
    assert b.engine.from_cache and "from the engine cache" in b.status.text
    b.engine_cache.value = False
    b.build(wait=True)
    assert not b.engine.from_cache


def test_cancel_stops_the_build(rtx, tmp_path):
    b = EngineBuilder(trtlab.bundled_model("googlenet"), cache=tmp_path)
    b.engine_cache.value = False
    b.build()
    b.cancel_button.click()
    assert b.wait(timeout=300)
    assert b.engine is None
    assert b.status.text.startswith("build cancelled"), b.status.text
    assert b.phase.value == "cancelled" and b.progress.bar_style == "warning"
    assert not b.build_button.disabled


def test_rtx_backend_disables_the_timing_cache_and_says_why(rtx):
    b = EngineBuilder(trtlab.bundled_model("inception_block"))
    info = trtlab.backend_info()
    assert b.timing_cache.disabled and not b.timing_cache.value
    assert "no timing cache" in b.timing_cache.tooltip
    assert list(b.precision.options) == list(info.precisions)
    assert "bf16" in b.notes.value  # the precision RTX lacks is named


def test_options_become_the_build_config(rtx):
    b = EngineBuilder(trtlab.bundled_model("resnet18"))  # input.1 has a symbolic batch dimension
    assert list(b.profile_fields) == ["input.1"]
    assert b.profile_fields["input.1"][1].placeholder == "1x3x224x224"
    b.precision.value = "fp16"
    b.opt_level.value = 2
    b.workspace.value = 256
    b.set_profile("input.1", "1x3x224x224", "4x3x224x224", "8x3x224x224")
    cfg = b.config()
    assert (cfg.precision, cfg.opt_level, cfg.workspace_mib) == ("fp16", 2, 256)
    assert cfg.profiles == (trtlab.ShapeProfile("input.1", (1, 3, 224, 224), (4, 3, 224, 224), (8, 3, 224, 224)),)
    b.set_profile("input.1")  # empty again: no profile, the backend's default dims
    assert b.config().profiles == ()
    # a model without dynamic inputs has no profile fields
    assert EngineBuilder(trtlab.bundled_model("inception_block")).profile_fields == {}


def test_dynamic_profile_reaches_the_engine(rtx, tmp_path):
    b = EngineBuilder(trtlab.bundled_model("resnet18"), cache=tmp_path)
    b.set_profile("input.1", "1x3x224x224", "2x3x224x224", "4x3x224x224")
    b.build(wait=True)
    assert b.status.kind == "ok", b.status.text
    # what TensorRT wrote about the engine's input: dynamic batch with the widget's profile
    (inp,) = [t for t in b.engine.layer_info.io_tensors if t.mode == "input"]
    assert inp.shape == (-1, 3, 224, 224)
    assert inp.profile == {"min": (1, 3, 224, 224), "opt": (2, 3, 224, 224), "max": (4, 3, 224, 224)}


def test_bad_options_are_shown_not_raised(rtx, tmp_path):
    b = EngineBuilder(trtlab.bundled_model("resnet18"), cache=tmp_path)
    b.set_profile("input.1", "1x3x224x224", "1x3x112x112", "1x3x224x224")  # opt < min: refused before building
    b.build_button.click()
    assert not b.building
    assert b.status.kind == "error" and b.status.text.startswith("ConfigError")
    assert "min <= opt <= max" in b.status.text
    b.set_profile("input.1", "1x3x224x224", "", "")
    b.build_button.click()
    assert b.status.kind == "error" and "give all three of min, opt and max" in b.status.text
    b.set_profile("input.1", "1x3", "1x3", "1x3")  # wrong rank: found against TensorRT's network, in the thread
    b.build_button.click()
    b.wait(timeout=300)
    assert b.status.kind == "error" and "rank" in b.status.text
    b.guard(b.set_profile, "nosuchinput", "1x3x224x224")
    assert b.status.kind == "error" and "'nosuchinput' is not a dynamic input" in b.status.text
    # int8 on a model without Q/DQ nodes: the backend refuses, the widget explains
    b.set_profile("input.1")
    b.precision.value = "int8"
    b.build(wait=True)
    assert b.status.kind == "error" and "Q/DQ" in b.status.text


def test_bad_model_paths_and_corrupt_models(rtx, tmp_path):
    b = EngineBuilder(trtlab.bundled_model("inception_block"), cache=tmp_path)
    b.source.value = "(a path...)"
    b.path.value = str(tmp_path / "missing.onnx")
    assert b.status.kind == "error" and "ModelLoadError" in b.status.text and "missing.onnx" in b.status.text
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07garbage" * 10)
    b.path.value = str(corrupt)
    assert b.status.kind == "error" and b.status.text.startswith("ModelLoadError")


def test_no_backend_disables_build_and_explains(no_backend):
    b = EngineBuilder(trtlab.bundled_model("inception_block"))
    assert b.info is None
    assert b.build_button.disabled and b.timing_cache.disabled and b.precision.disabled
    assert "BackendError" in b.build_button.tooltip and "pip install 'trtlab[rtx]'" in b.build_button.tooltip
    assert "Building is disabled" in b.notes.value
    # pressing Build anyway (e.g. b.build() from code) explains again instead of raising
    b.build()
    assert b.status.kind == "error" and "no TensorRT Python module is installed" in b.status.text
    assert b.engine is None


def test_forced_backend_that_is_not_installed(monkeypatch):
    monkeypatch.setenv("TRTLAB_BACKEND", "tensorrt")  # full TensorRT is not installed on this machine
    pytest.importorskip("tensorrt_rtx_bindings")
    try:
        import tensorrt  # noqa: F401
        pytest.skip("full TensorRT is installed here")
    except ImportError:
        pass
    b = EngineBuilder(trtlab.bundled_model("inception_block"))
    assert b.build_button.disabled
    assert b.status.kind == "error" and "'tensorrt'" in b.status.text and "TRTLAB_BACKEND" in b.status.text
