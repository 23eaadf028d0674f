"""Optimization profiles: the user's ShapeProfiles checked against the network, dynamic dimensions filled.

A dynamic dimension the user gave no profile for is fixed to a size -- the model's own hint
for that dimension's name when it has one (see :func:`model_hints`), else
``BuildConfig.dynamic_dims`` -- and every such choice is recorded in
:attr:`ResolvedProfiles.fixed`, so the build can say what it decided.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import onnx

from ..errors import ConfigError
from .config import MAX_DIM, BuildConfig

__all__ = ["FixedDim", "ResolvedProfiles", "resolve_profiles", "input_symbols", "model_hints"]


@dataclass(frozen=True)
class FixedDim:
    """One dynamic input dimension the build chose (min, opt, max) for, and why."""

    input: str
    axis: int
    symbol: str                  # the model's name for the dimension ("" when it has none)
    sizes: tuple[int, int, int]  # min, opt, max
    source: str                  # "model hint" or "dynamic_dims"

    def __str__(self) -> str:
        name = f" ({self.symbol})" if self.symbol else ""
        lo, mid, hi = self.sizes
        size = str(lo) if lo == mid == hi else f"{lo}/{mid}/{hi} (min/opt/max)"
        return f"{self.input}[{self.axis}]{name} = {size} from {self.source}"


@dataclass
class ResolvedProfiles:
    """``shapes``: input -> (min, opt, max) for every input that needs a profile; ``fixed``: choices made."""

    shapes: dict[str, tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]] = field(default_factory=dict)
    fixed: list[FixedDim] = field(default_factory=list)

    def message(self) -> str:
        """One sentence saying which dynamic dimensions were fixed to what (empty if none)."""
        if not self.fixed:
            return ""
        return ("no shape profile was given for dynamic dimension(s) " + "; ".join(map(str, self.fixed))
                + ". Pass BuildConfig(profiles=(ShapeProfile(input, min, opt, max),)) or --shapes to choose")


def input_symbols(model: onnx.ModelProto) -> dict[str, tuple[str, ...]]:
    """Graph input -> the ``dim_param`` name of each axis ("" for fixed or unnamed axes)."""
    out = {}
    for value in model.graph.input:
        dims = value.type.tensor_type.shape.dim
        out[value.name] = tuple(d.dim_param if d.HasField("dim_param") else "" for d in dims)
    return out


def model_hints(model: onnx.ModelProto) -> dict[str, int]:
    """Sizes the model suggests for its symbolic dimensions.

    A ``metadata_props`` entry whose key is a dimension's ``dim_param`` name and whose value is
    a positive integer (``height = 224``) is taken as that dimension's size.
    """
    symbols = {s for axes in input_symbols(model).values() for s in axes if s}
    hints = {}
    for prop in model.metadata_props:
        value = prop.value.strip()
        if prop.key in symbols and value.isdigit() and 1 <= len(value) <= 10 and 1 <= int(value) <= MAX_DIM:
            hints[prop.key] = int(value)
    return hints


def resolve_profiles(config: BuildConfig, inputs: list[tuple[str, tuple[int, ...]]],
                     symbols: dict[str, tuple[str, ...]] | None = None,
                     hints: dict[str, int] | None = None) -> ResolvedProfiles:
    """Check the config's ShapeProfiles against the network's inputs; fill in dynamic ones.

    ``inputs`` are the network's ``(name, shape)`` with -1 for a dynamic dimension; ``symbols``
    and ``hints`` come from :func:`input_symbols` and :func:`model_hints`.
    """
    names = [n for n, _ in inputs]
    for prof in config.profiles:
        if prof.input not in names:
            raise ConfigError(f"shape profile for {prof.input!r}: the model has no such input; its inputs are {names}")
    out = ResolvedProfiles()
    for name, shape in inputs:
        prof = config.profile_for(name)
        if prof is not None:
            _check_profile(prof, name, shape)
            out.shapes[name] = (prof.min, prof.opt, prof.max)
        elif any(d < 0 for d in shape):
            out.shapes[name] = _fill(name, shape, config, (symbols or {}).get(name, ()), hints or {}, out.fixed)
    return out


def _check_profile(prof, name: str, shape: tuple[int, ...]) -> None:
    if len(prof.min) != len(shape):
        raise ConfigError(
            f"shape profile for {name!r} has rank {len(prof.min)} (min {prof.min}) but the input has "
            f"rank {len(shape)} (shape {shape}, -1 = dynamic); give {len(shape)} dimensions"
        )
    for axis, d in enumerate(shape):
        if d >= 0 and not (prof.min[axis] == prof.opt[axis] == prof.max[axis] == d):
            raise ConfigError(
                f"shape profile for {name!r}: dimension {axis} is fixed to {d} in the model, but the "
                f"profile gives min {prof.min[axis]}, opt {prof.opt[axis]}, max {prof.max[axis]}"
            )


def _fill(name: str, shape: tuple[int, ...], config: BuildConfig, axes_symbols: tuple[str, ...],
          hints: dict[str, int], fixed: list[FixedDim]):
    lo, mid, hi = [list(shape), list(shape), list(shape)]
    for axis, d in enumerate(shape):
        if d >= 0:
            continue
        symbol = axes_symbols[axis] if axis < len(axes_symbols) else ""
        if symbol in hints:
            sizes, source = (hints[symbol],) * 3, "model hint"
        else:
            sizes, source = tuple(config.dynamic_dims), "dynamic_dims"
        lo[axis], mid[axis], hi[axis] = sizes
        fixed.append(FixedDim(name, axis, symbol, sizes, source))
    return tuple(lo), tuple(mid), tuple(hi)
