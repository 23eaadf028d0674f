"""Helpers for the build tests: real TensorRT-for-RTX builds, shared per session to stay fast."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def rtx():
    return pytest.importorskip("tensorrt_rtx_bindings")


@pytest.fixture(scope="session")
def built(rtx):
    """Build each bundled model once (fp32, no cache) and hand out the results by stem."""
    from trtlab.builder import build_engine

    cache: dict[str, object] = {}

    def get(stem: str):
        if stem not in cache:
            cache[stem] = build_engine(ROOT / "trtlab" / "data" / f"{stem}.onnx")
        return cache[stem]

    return get
