"""Shared test fixtures: paths to the real-world fixtures and bundled models, GPU detection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import trtlab

# trtlab's own bugs pass through its error boundary with their traceback (trtlab/_boundary.py)
os.environ.setdefault("TRTLAB_DEBUG", "1")

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests" / "_output"  # artefacts (pictures, screenshots) worth looking at


def _find_fixtures() -> Path | None:
    """The shared real-world fixtures: ``$TRTLAB_FIXTURES``, else ``shared/fixtures`` beside the repository."""
    path = Path(os.environ.get("TRTLAB_FIXTURES") or ROOT.parent / "shared" / "fixtures")
    return path if path.is_dir() else None


FIXTURES = _find_fixtures()
if FIXTURES is not None:  # helpers, subprocesses and notebook kernels read the same folder
    os.environ["TRTLAB_FIXTURES"] = str(FIXTURES)


def _has_gpu() -> bool:
    if os.environ.get("TRTLAB_NO_GPU"):
        return False
    for lib in ("libcuda.so.1", "libcuda.so"):
        try:
            import ctypes

            ctypes.CDLL(lib)
            return True
        except OSError:
            continue
    return False


HAS_GPU = _has_gpu()


def pytest_collection_modifyitems(config, items):
    if HAS_GPU:
        return
    skip = pytest.mark.skip(reason="needs an NVIDIA GPU with a CUDA driver (libcuda not found)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """The shared real-world fixtures folder; tests using it skip when it is absent."""
    if FIXTURES is None:
        pytest.skip("shared fixtures not found: set TRTLAB_FIXTURES or put shared/ beside the repo")
    return FIXTURES


@pytest.fixture(scope="session")
def resnet18_fp16_report(fixtures):
    """The real ResNet-18 A100 FP16 engine (layer info and profile) mapped onto the bundled ResNet-18."""
    folder = fixtures / "trt-layerinfo" / "resnet18-a100-fp16"
    graph = trtlab.load_onnx(trtlab.bundled_model("resnet18"))
    return trtlab.map_fusion(graph, trtlab.load_layer_info(folder / "engine.graph.json"),
                             trtlab.load_profile(folder / "engine.profile.json"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return ROOT / "trtlab" / "data"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT
