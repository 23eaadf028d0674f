"""The bundled ONNX models (package data beside this module) and the course's shared fixtures.

``bundled_model(name)`` gives the path of one of the small models shipped in the wheel
(written by ``data/generate.py`` in the source repository; see ``data/README.md`` there).
``shared_fixtures()`` finds the folder of real TensorRT outputs the course notebooks read; it
is not part of ``trtlab.__all__``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError

DATA_DIR = Path(__file__).resolve().parent

__all__ = ["DATA_DIR", "bundled_model", "bundled_models", "shared_fixtures"]


def bundled_models() -> list[str]:
    """Names of the bundled ONNX models (without the ``.onnx`` suffix)."""
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


def shared_fixtures(required: bool = False) -> Path | None:
    """The folder of real TensorRT outputs and ONNX models that the notebooks read.

    ``$TRTLAB_FIXTURES`` if set, else the first ``shared/fixtures`` folder in the working
    directory or one of its parents (a notebook in ``notebooks/`` of a checkout finds
    ``../../shared/fixtures``). Returns None when there is none, or raises ConfigError if
    ``required``.
    """
    env = os.environ.get("TRTLAB_FIXTURES")
    cwd = Path.cwd()
    candidates = [Path(env)] if env else [d / "shared" / "fixtures" for d in (cwd, *cwd.parents)]
    found = next((c for c in candidates if c.is_dir()), None)
    if found is None and required:
        where = f"TRTLAB_FIXTURES={env}" if env else f"shared/fixtures in {cwd} and its parents"
        raise ConfigError(f"the shared fixtures folder was not found ({where}); set TRTLAB_FIXTURES to its path")
    return found
