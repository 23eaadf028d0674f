"""Fixtures for the runtime tests: the CPU doubles of CUDA and TensorRT."""

from __future__ import annotations

import copy

import pytest

import fake_trt
from fake_cuda import FakeCuda
from fake_trt import DDS, IDENTITY


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
