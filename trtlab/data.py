"""Where the bundled models (``data/``) and the shared real-world fixtures live."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigError

_REPO = Path(__file__).resolve().parent.parent
DATA_DIR = _REPO / "data"

__all__ = ["DATA_DIR", "bundled_model", "bundled_models", "fixtures_dir"]


def bundled_models() -> list[str]:
    """Names of the ONNX models shipped in ``data/`` (without the ``.onnx`` suffix)."""
    return sorted(p.stem for p in DATA_DIR.glob("*.onnx"))


def bundled_model(name: str) -> Path:
    """Path of a bundled model, e.g. ``bundled_model("googlenet")``."""
    stem = name[:-5] if name.endswith(".onnx") else name
    path = DATA_DIR / f"{stem}.onnx"
    if not path.is_file():
        raise ConfigError(
            f"no bundled model named {name!r}; bundled models are {bundled_models()}. "
            f"Regenerate them with: python data/generate.py"
        )
    return path


def fixtures_dir(required: bool = False) -> Path | None:
    """The folder of real TensorRT outputs and ONNX models (``shared/fixtures``).

    ``$TRTLAB_FIXTURES`` overrides the location; otherwise ``../shared/fixtures`` seen from the
    project root. Returns None when absent (or raises ConfigError if ``required``).
    """
    env = os.environ.get("TRTLAB_FIXTURES")
    candidates = [Path(env)] if env else []
    candidates += [_REPO.parent / "shared" / "fixtures", _REPO / "shared" / "fixtures"]
    for c in candidates:
        if c.is_dir():
            return c
    if required:
        raise ConfigError(
            "the shared fixtures folder was not found (looked at "
            + ", ".join(str(c) for c in candidates)
            + "); set TRTLAB_FIXTURES to its path"
        )
    return None
