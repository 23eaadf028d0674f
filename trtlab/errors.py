"""trtlab's exceptions: one base class, one subclass per thing that can go wrong.

Every message says what was wrong (naming the bad value), what is allowed, and what to do.
Subclasses also derive from the matching built-in (ValueError, ImportError, ...) so code that
already catches those keeps working.
"""

from __future__ import annotations

__all__ = [
    "TrtlabError",
    "MissingDependencyError",
    "ModelLoadError",
    "LayerInfoError",
    "MappingError",
    "ConfigError",
    "BackendError",
    "BuildError",
    "BuildCancelled",
    "CacheError",
    "BundleError",
    "CudaError",
    "BindingError",
    "SessionClosedError",
]


class TrtlabError(Exception):
    """Base class of every exception trtlab raises on purpose."""


class MissingDependencyError(TrtlabError, ImportError):
    """An optional dependency is not installed; the message names the pip extra."""

    def __init__(self, module: str, extra: str, purpose: str):
        self.module = module
        self.extra = extra
        super().__init__(
            f"{purpose} needs the Python module {module!r}, which is not installed. "
            f"Install it with: pip install 'trtlab[{extra}]'"
        )


class ModelLoadError(TrtlabError, ValueError):
    """An ONNX model could not be read, or is not a valid graph."""


class LayerInfoError(TrtlabError, ValueError):
    """A layer-information, profile or timing file could not be parsed."""


class MappingError(TrtlabError, ValueError):
    """Engine layers could not be mapped onto an ONNX graph (e.g. they belong to another model)."""


class ConfigError(TrtlabError, ValueError):
    """A configuration value is invalid, or not supported by the chosen backend."""


class BackendError(TrtlabError, RuntimeError):
    """No usable TensorRT backend, or the backend cannot do what was asked here."""


class BuildError(TrtlabError, RuntimeError):
    """TensorRT failed to parse or build a model."""


class BuildCancelled(BuildError):
    """A build was cancelled by the user."""


class CacheError(TrtlabError, OSError):
    """The engine cache cannot be used (unwritable, corrupt, foreign entry)."""


class BundleError(TrtlabError, ValueError):
    """An exploration bundle or engine plan file is invalid or was altered."""


class CudaError(TrtlabError, RuntimeError):
    """A CUDA call failed, or no CUDA driver/device is available."""


class BindingError(TrtlabError, ValueError):
    """Inputs do not match the engine's I/O tensors (name, dtype, shape, contiguity)."""


class SessionClosedError(TrtlabError, RuntimeError):
    """The inference session was closed; create a new one."""
