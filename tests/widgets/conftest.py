"""Shared helpers of the widget tests: real fixtures, a private engine cache, headless matplotlib."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("ipywidgets")


@pytest.fixture
def resnet_fp16(fixtures) -> Path:
    return fixtures / "trt-layerinfo" / "resnet18-a100-fp16"


@pytest.fixture
def resnet_fp32(fixtures) -> Path:
    return fixtures / "trt-layerinfo" / "resnet18-a100-fp32"


@pytest.fixture(autouse=True)
def private_engine_cache(tmp_path, monkeypatch):
    """Builds in these tests never read or write the user's engine cache."""
    monkeypatch.setenv("TRTLAB_CACHE_DIR", str(tmp_path / "engine-cache"))

