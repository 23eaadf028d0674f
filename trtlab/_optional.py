"""Lazy imports of optional dependencies, with errors that name the pip extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

# module -> (extra that installs it)
EXTRAS = {
    "tensorrt": "gpu",
    "tensorrt_rtx_bindings": "rtx",
    "tensorrt_lean_bindings": "lean",
    "pycuda": "gpu",
    "cuda": "cuda-python",
    "onnxruntime": "reference",
    "pandas": "reference",
    "tqdm": "rtx",
    "ipywidgets": "notebook",
}


def require(module: str, purpose: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # includes ModuleNotFoundError
        top = module.split(".")[0]
        err = MissingDependencyError(module, extra or EXTRAS.get(top, EXTRAS.get(module, "test")), purpose)
        raise err from exc


def optional(module: str) -> ModuleType | None:
    """Import ``module`` if it is installed and importable, else return None."""
    try:
        return importlib.import_module(module)
    except Exception:  # a broken install must not break trtlab's import
        return None
