"""Fixtures for the runtime tests: the CPU doubles of CUDA and TensorRT."""

from __future__ import annotations

import copy

import pytest

import fake_trt
from fake_cuda import FakeCuda

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

DDS = {
    "tensors": [
        {"name": "v", "mode": "input", "dtype": "FLOAT", "shape": [-1],
         "profile": [[1], [64], [1024]]},
        {"name": "positive", "mode": "output", "dtype": "FLOAT", "shape": [-1]},
    ],
    "dds": [["v", "positive"]],
}


@pytest.fixture
def cuda() -> FakeCuda:
    return FakeCuda()


@pytest.fixture
def memory(cuda):
    mem = fake_trt.FakeMemory(cuda)
    fake_trt.use_memory(mem)
    return mem


@pytest.fixture
def engine(memory):
    return fake_trt.ICudaEngine(copy.deepcopy(IDENTITY), memory)


@pytest.fixture
def dds_engine(memory):
    return fake_trt.ICudaEngine(copy.deepcopy(DDS), memory)


@pytest.fixture
def session(engine, cuda):
    from trtlab.runtime import InferenceSession

    s = InferenceSession(engine, cuda=cuda)
    yield s
    s.close()
