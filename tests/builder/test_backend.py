"""Backend resolution and the backend table."""

from __future__ import annotations

import pytest

from trtlab import BackendError
from trtlab.builder import backend as bk
from trtlab.builder import backend_info


@pytest.fixture(autouse=True)
def _fresh_caches():
    bk._info_for.cache_clear()
    bk._auto_backend.cache_clear()
    yield
    bk._info_for.cache_clear()
    bk._auto_backend.cache_clear()
    bk.probe_gpu.cache_clear()


def test_rtx_backend_is_found_and_described():
    trt = pytest.importorskip("tensorrt_rtx_bindings")
    info = backend_info("tensorrt_rtx_bindings")
    assert info.module == "tensorrt_rtx_bindings" and info.family == "tensorrt_rtx"
    assert info.version == trt.__version__ and info.can_build and info.strongly_typed
    assert "fp16" in info.precisions and "bf16" not in info.precisions
    assert "SM86" in info.target_capabilities
    table = str(info)
    assert "tensorrt_rtx_bindings" in table and "can run engines here" in table
    assert "<table>" in info._repr_html_()


def test_env_var_forces_a_module(monkeypatch):
    pytest.importorskip("tensorrt_rtx_bindings")
    monkeypatch.setenv("TRTLAB_BACKEND", "tensorrt_rtx_bindings")
    assert backend_info().module == "tensorrt_rtx_bindings"
    monkeypatch.setenv("TRTLAB_BACKEND", "onnxruntime")
    with pytest.raises(BackendError, match="'onnxruntime' is not one of"):
        backend_info()


def test_forcing_a_missing_module_names_the_extras():
    with pytest.raises(BackendError) as e:
        bk.resolve_backend("tensorrt")  # not installed on the CPU machine
    assert "trtlab[rtx]" in str(e.value) and "trtlab[gpu]" in str(e.value)


def test_no_backend_names_the_extras(monkeypatch):
    monkeypatch.delenv("TRTLAB_BACKEND", raising=False)
    monkeypatch.setattr(bk, "BACKEND_MODULES", ("trtlab_no_such_module_a", "trtlab_no_such_module_b"))
    with pytest.raises(BackendError) as e:
        backend_info()
    msg = str(e.value)
    assert "trtlab_no_such_module_a" in msg and "pip install 'trtlab[rtx]'" in msg and "'trtlab[gpu]'" in msg


def test_no_driver_means_no_execution(monkeypatch):
    pytest.importorskip("tensorrt_rtx_bindings")
    monkeypatch.setenv("TRTLAB_NO_GPU", "1")
    bk.probe_gpu.cache_clear()
    info = backend_info("tensorrt_rtx_bindings")
    assert not info.gpu.driver_found and not info.can_execute and "no CUDA driver" in info.execute_reason


@pytest.mark.parametrize("cc, runs", [((9, 0), False), ((8, 6), True), ((12, 0), True), ((7, 0), False)])
def test_rtx_execution_depends_on_compute_capability(monkeypatch, cc, runs):
    pytest.importorskip("tensorrt_rtx_bindings")
    fake = bk.GpuInfo(True, "13.0", (("Some GPU", cc),))
    monkeypatch.setattr(bk, "probe_gpu", lambda: fake)
    info = backend_info("tensorrt_rtx_bindings")
    assert info.can_execute is runs and info.compute_capability == cc
    if cc == (9, 0):
        assert "Hopper" in info.execute_reason
    assert info.device == f"Some GPU (sm{cc[0]}{cc[1]})"


def test_probe_gpu_never_raises():
    bk.probe_gpu.cache_clear()
    g = bk.probe_gpu()
    assert isinstance(g.driver_found, bool)
    if not g.driver_found:
        assert g.compute_capability is None and g.error
