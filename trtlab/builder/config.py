"""Build configuration: pure frozen dataclasses that import no TensorRT.

Widgets, tests and the CLI create these anywhere; what the chosen backend can do is checked
at build time (:func:`trtlab.builder.builder.build_engine`), never silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

from ..errors import ConfigError

__all__ = [
    "PRECISIONS",
    "VERBOSITIES",
    "DEFAULT_DYNAMIC_DIMS",
    "ShapeProfile",
    "BuildConfig",
    "parse_shapes",
    "normalize_cc",
]

#: precision intents, in the order the messages list them
PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "int8", "fp8")
#: profiling verbosities (TensorRT's ProfilingVerbosity, lower case)
VERBOSITIES = ("detailed", "layer_names_only", "none")
#: min/opt/max used for a symbolic or unknown input dimension when no ShapeProfile is given
DEFAULT_DYNAMIC_DIMS = (1, 1, 1)
#: largest shape dimension TensorRT takes (its optimization profiles hold 32-bit dimensions)
MAX_DIM = 2**31 - 1
#: largest workspace limit, in MiB, that fits TensorRT's memory-pool size (a 64-bit byte count)
MAX_WORKSPACE_MIB = (2**64 - 1) >> 20


def _dims(value, what: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ConfigError(f"{what} {value!r} is not a shape; give a tuple of positive ints, e.g. (1, 3, 224, 224)")
    dims = tuple(value)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise ConfigError(
                f"{what} {dims!r} has dimension {d!r}; dimensions must be non-negative ints, e.g. (1, 3, 224, 224)"
            )
        if d > MAX_DIM:
            raise ConfigError(
                f"{what} {dims!r} has dimension {d}; TensorRT takes dimensions from 0 to {MAX_DIM:,} (2**31 - 1)"
            )
    return dims


@dataclass(frozen=True)
class ShapeProfile:
    """One input's shape range for an optimization profile: ``min <= opt <= max`` per dimension."""

    input: str
    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]

    def __post_init__(self):
        if not isinstance(self.input, str) or not self.input:
            raise ConfigError(f"ShapeProfile input {self.input!r} must be the non-empty name of a model input")
        mn = _dims(self.min, f"min shape of {self.input!r}")
        op = _dims(self.opt, f"opt shape of {self.input!r}")
        mx = _dims(self.max, f"max shape of {self.input!r}")
        object.__setattr__(self, "min", mn)
        object.__setattr__(self, "opt", op)
        object.__setattr__(self, "max", mx)
        if not (len(mn) == len(op) == len(mx)):
            raise ConfigError(
                f"shape profile of {self.input!r} mixes ranks: min {mn} (rank {len(mn)}), opt {op} "
                f"(rank {len(op)}), max {mx} (rank {len(mx)}); give all three with the input's rank"
            )
        for axis, (a, b, c) in enumerate(zip(mn, op, mx)):
            if not a <= b <= c:
                raise ConfigError(
                    f"shape profile of {self.input!r}: dimension {axis} has min {a}, opt {b}, max {c}; "
                    f"it must satisfy min <= opt <= max (min {mn}, opt {op}, max {mx})"
                )

    @classmethod
    def fixed(cls, input: str, shape: Sequence[int]) -> "ShapeProfile":
        """A profile with min = opt = max = ``shape``."""
        shape = tuple(shape)
        return cls(input, shape, shape, shape)

    def to_dict(self) -> dict:
        return {"input": self.input, "min": list(self.min), "opt": list(self.opt), "max": list(self.max)}


def parse_shapes(spec: str) -> ShapeProfile:
    """Parse the CLI form ``input:min,opt,max`` where each shape is ``1x3x224x224``.

    A single shape (``input:1x3x224x224``) means min = opt = max.
    """
    name, sep, rest = spec.rpartition(":")
    if not sep or not name:
        raise ConfigError(
            f"shape spec {spec!r} is not 'input:min,opt,max'; e.g. 'data:1x3x224x224,4x3x224x224,8x3x224x224'"
        )
    parts = [p.strip() for p in rest.split(",")]
    if len(parts) not in (1, 3):
        raise ConfigError(f"shape spec {spec!r} needs one shape or three (min,opt,max), got {len(parts)}")
    try:
        shapes = [tuple(int(d) for d in p.lower().split("x")) for p in parts]
    except ValueError:
        raise ConfigError(f"shape spec {spec!r}: shapes are ints joined by 'x', e.g. 1x3x224x224") from None
    if len(shapes) == 1:
        shapes *= 3
    return ShapeProfile(name, *shapes)


@dataclass(frozen=True)
class BuildConfig:
    """What to build: precision intent, memory, optimization level, shapes, caches, verbosity.

    - ``precision``: one of :data:`PRECISIONS`. On strongly typed backends (TensorRT for RTX,
      TensorRT 11) the precision comes from the model's tensor types, so ``fp16`` converts the
      model's float tensors to float16 (keeping float32 inputs/outputs, with Casts at the I/O);
      ``int8``/``fp8`` need a model with Q/DQ nodes there. Unsupported combinations raise.
    - ``workspace_mib``: limit of the workspace memory pool, in MiB (None: TensorRT's default).
    - ``opt_level``: builder optimization level 0-5 (None: TensorRT's default, 3).
    - ``profiles``: :class:`ShapeProfile` per dynamic input. Inputs with symbolic or unknown
      dimensions that have none get ``dynamic_dims`` (min, opt, max) for each such dimension —
      by default batch 1/1/1.
    - ``timing_cache``: path of a timing cache file to load and update (None: the engine
      cache's own one when a cache is used). TensorRT for RTX has no timing cache (its calls
      are no-ops since RTX 1.2), so giving one with that backend is a BackendError.
    - ``profiling_verbosity``: ``detailed`` (default: layer information with tensors, formats
      and tactics), ``layer_names_only`` or ``none``.
    - ``compute_capability``: target GPU architecture for backends that take one (TensorRT for
      RTX: ``"sm86"``, ``"8.6"``, ``"current"``...), None for the backend's default.
    """

    precision: str = "fp32"
    workspace_mib: int | None = None
    opt_level: int | None = None
    profiles: tuple[ShapeProfile, ...] = ()
    dynamic_dims: tuple[int, int, int] = DEFAULT_DYNAMIC_DIMS
    timing_cache: str | None = None
    profiling_verbosity: str = "detailed"
    compute_capability: str | None = None

    def __post_init__(self):
        p = str(self.precision).lower() if isinstance(self.precision, str) else self.precision
        if p not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        object.__setattr__(self, "precision", p)
        if self.workspace_mib is not None and (
            isinstance(self.workspace_mib, bool) or not isinstance(self.workspace_mib, int) or self.workspace_mib <= 0
        ):
            raise ConfigError(f"workspace_mib {self.workspace_mib!r} must be a positive int (MiB) or None")
        if self.workspace_mib is not None and self.workspace_mib > MAX_WORKSPACE_MIB:
            raise ConfigError(
                f"workspace_mib {self.workspace_mib} is larger than TensorRT's memory pool can be; "
                f"give 1 to {MAX_WORKSPACE_MIB:,} MiB (2**44 - 1), or None for TensorRT's default"
            )
        if self.opt_level is not None and (
            isinstance(self.opt_level, bool) or not isinstance(self.opt_level, int) or not 0 <= self.opt_level <= 5
        ):
            raise ConfigError(f"opt_level {self.opt_level!r} is not one of 0, 1, 2, 3, 4, 5 (or None for the default 3)")
        profiles = self.profiles
        if isinstance(profiles, ShapeProfile):
            profiles = (profiles,)
        profiles = tuple(profiles)
        for prof in profiles:
            if not isinstance(prof, ShapeProfile):
                raise ConfigError(f"profiles must be ShapeProfile objects, got {prof!r}")
        names = [prof.input for prof in profiles]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ConfigError(f"inputs {dup} have more than one ShapeProfile; give one per input")
        object.__setattr__(self, "profiles", profiles)
        dd = _dims(self.dynamic_dims, "dynamic_dims")
        if len(dd) != 3 or not (1 <= dd[0] <= dd[1] <= dd[2]):
            raise ConfigError(f"dynamic_dims {dd!r} must be (min, opt, max) with 1 <= min <= opt <= max")
        object.__setattr__(self, "dynamic_dims", dd)
        v = str(self.profiling_verbosity).lower()
        if v not in VERBOSITIES:
            raise ConfigError(f"profiling_verbosity {self.profiling_verbosity!r} is not one of {', '.join(VERBOSITIES)}")
        object.__setattr__(self, "profiling_verbosity", v)
        if self.timing_cache is not None:
            object.__setattr__(self, "timing_cache", str(self.timing_cache))
        if self.compute_capability is not None:
            object.__setattr__(self, "compute_capability", normalize_cc(self.compute_capability))

    def profile_for(self, name: str) -> ShapeProfile | None:
        for prof in self.profiles:
            if prof.input == name:
                return prof
        return None

    def key(self) -> dict:
        """A JSON-able dict of everything that changes the engine (the timing cache path does not)."""
        d = asdict(self)
        d.pop("timing_cache")
        d["profiles"] = sorted((p.to_dict() for p in self.profiles), key=lambda p: p["input"])
        d["dynamic_dims"] = list(self.dynamic_dims)
        return d

    def digest(self) -> str:
        """sha256 of :meth:`key` (stable across runs and machines)."""
        return hashlib.sha256(json.dumps(self.key(), sort_keys=True).encode()).hexdigest()


def normalize_cc(value) -> str:
    """``"8.6"``, ``"sm_86"``, ``"SM86"``, ``(8, 6)``, ``86`` → ``"sm86"``; ``"current"``/``"none"`` kept."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return f"sm{int(value[0])}{int(value[1])}"
    s = str(value).strip().lower().replace("_", "")
    if s in ("current", "none"):
        return s
    if s.startswith("sm"):
        s = s[2:]
    if "." in s:
        major, _, minor = s.partition(".")
        s = major + minor
    if not s.isdigit() or len(s) < 2:
        raise ConfigError(
            f"compute_capability {value!r} is not a GPU architecture; use e.g. '8.6', 'sm86' or 'current'"
        )
    return "sm" + s

