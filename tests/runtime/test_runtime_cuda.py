"""The CUDA memory layer's error handling and objects, on a machine without a GPU."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import trtlab.runtime.backends as backends
import trtlab.runtime.cuda as cudamod
from trtlab.builder.backend import probe_gpu
from fake_cuda import FakeCuda, FakeDeviceArray
from trtlab.errors import BindingError, ConfigError, CudaError, MissingDependencyError
from trtlab.runtime import DeviceBuffer, Event, HostBuffer, InferenceSession, Stream, get_backend, mem_get_info
from trtlab.runtime.cuda import cuda_array_info

no_gpu = pytest.mark.skipif(probe_gpu().driver_found, reason="checks behaviour without a CUDA driver")


@no_gpu
def test_cuda_python_without_a_driver_says_so():
    pytest.importorskip("cuda.bindings")
    cudamod._CACHE.clear()
    with pytest.raises(CudaError, match="no CUDA driver found .*NVIDIA GPU and its driver"):
        get_backend("cuda-python")


@no_gpu
def test_session_without_a_driver_is_a_cuda_error_not_a_crash(tmp_path):
    if not cudamod.available_backends():
        pytest.skip("no CUDA Python module installed")
    cudamod._CACHE.clear()
    with pytest.raises(CudaError, match="driver"):
        InferenceSession(b"plan", cuda="cuda-python")


@pytest.mark.skipif(importlib.util.find_spec("pycuda") is not None, reason="pycuda is installed")
def test_missing_pycuda_names_the_gpu_extra():
    with pytest.raises(MissingDependencyError, match=r"pip install 'trtlab\[gpu\]'"):
        get_backend("pycuda")


def test_no_cuda_module_at_all_names_both_extras(monkeypatch):
    monkeypatch.setattr(cudamod, "available_backends", lambda: [])
    with pytest.raises(MissingDependencyError, match=r"trtlab\[gpu\].*trtlab\[cuda-python\]"):
        get_backend()
    with pytest.raises(MissingDependencyError):
        InferenceSession(b"plan")


def test_unknown_backend_name():
    with pytest.raises(ConfigError, match="CUDA backend 'opencl' is not one of pycuda, cuda-python"):
        get_backend("opencl")


def test_cuda_statuses_become_cuda_errors_with_the_error_name():
    rt = pytest.importorskip("cuda.bindings.runtime")
    check = backends._CudaRtChecker(rt)
    assert check("cudaMalloc", (rt.cudaError_t.cudaSuccess, 1234)) == 1234
    assert check("cudaMemGetInfo", (rt.cudaError_t.cudaSuccess, 1, 2)) == (1, 2)
    with pytest.raises(CudaError, match=r"cudaMalloc\(64\) failed with cudaErrorMemoryAllocation.*free memory"):
        check("cudaMalloc(64)", (rt.cudaError_t.cudaErrorMemoryAllocation, 0))
    with pytest.raises(CudaError, match="cudaErrorNoDevice.*nvidia-smi"):
        check("cudaGetDeviceCount", (rt.cudaError_t.cudaErrorNoDevice, 0))


def test_objects_free_what_they_allocate():
    cuda = FakeCuda()
    with DeviceBuffer(1000, cuda) as d, HostBuffer(1000, cuda) as h, Stream(cuda) as s, Event(cuda) as e0, Event(cuda) as e1:
        assert cuda.used == 1000 and d.__cuda_array_interface__["data"] == (d.ptr, False)
        h.view(np.float32, (10, 25))[:] = 1.5
        e0.record(s)
        d.copy_from_host(h, s)
        e1.record(s)
        back = np.zeros((10, 25), np.float32)
        d.copy_to_host(back, s)
        s.synchronize()
        assert np.all(back == 1.5) and e1.elapsed_ms(e0) > 0
        with pytest.raises(BindingError, match="does not fit"):
            d.copy_from_host(np.zeros(2000, np.uint8), s)
        with pytest.raises(BindingError, match="not C-contiguous"):
            d.copy_to_host(np.zeros((10, 50), np.float32)[:, ::2], s)
        with pytest.raises(BindingError, match="does not fit"):
            h.view(np.float64, (200,))
    assert cuda.used == 0 and not cuda._pinned and d.freed and h.freed
    d.free()  # idempotent
    start = mem_get_info(cuda)[0]
    for i in range(1000):
        with DeviceBuffer(1 + i * 37, cuda), HostBuffer(64, cuda):
            pass
    assert mem_get_info(cuda)[0] == start
    with pytest.raises(ConfigError, match="negative"):
        DeviceBuffer(-1, cuda)


def test_cuda_array_interface_contiguity():
    cuda = FakeCuda()
    a = FakeDeviceArray(cuda, (2, 3), np.float16)
    assert cuda_array_info(a) == (a.ptr, (2, 3), np.dtype(np.float16), True)
    assert cuda_array_info(FakeDeviceArray(cuda, (2, 3), np.float32, strides=(12, 4)))[3]
    assert not cuda_array_info(FakeDeviceArray(cuda, (2, 3), np.float32, strides=(4, 8)))[3]
    assert cuda_array_info(FakeDeviceArray(cuda, (1, 3), np.float32, strides=(99, 4)))[3]   # size-1 dims don't matter
    with pytest.raises(BindingError, match="no usable __cuda_array_interface__"):
        cuda_array_info(object())
