"""Optimization profiles and input shapes of an :class:`~trtlab.runtime.InferenceSession`.

:class:`ShapeSteps` holds the session methods that choose the profile (fixed, per run, or the
first whose range holds the inputs) and set and check input shapes against it.
"""

from __future__ import annotations

from typing import Mapping

from ..errors import BindingError, ConfigError
from .bindings import Binding, BindingTable, read_bindings
from .slots import Feed, Slot, size

__all__ = ["ShapeSteps", "profile_text", "shape_text"]


class ShapeSteps:
    """Session methods for profiles and shapes (mixed into ``InferenceSession``)."""

    # ------------------------------------------------------------------ profiles
    def _check_profile_index(self, index: int) -> None:
        if not 0 <= index < self.num_profiles:
            raise ConfigError(f"optimization profile {index} does not exist; the engine has {self.num_profiles}: "
                              f"0..{self.num_profiles - 1}")

    def _bindings_of(self, index: int) -> BindingTable:
        if index not in self._profile_bindings:
            self._profile_bindings[index] = read_bindings(self.cuda_engine, self.trt, index)
        return self._profile_bindings[index]

    def set_profile(self, index: int) -> None:
        """Switch to optimization profile ``index``; input shapes are set again on the next run."""
        self._check_open()
        self._check_profile_index(int(index))
        if int(index) != self.profile_index:
            self._activate_profile(int(index))

    def _activate_profile(self, index: int) -> None:
        self._stream.synchronize()    # work enqueued under the old profile must finish first
        if not self.context.set_optimization_profile_async(index, self._stream.handle):
            raise BindingError(f"TensorRT refused optimization profile {index} (see its log above)")
        self.profile_index = index
        self.bindings = self._bindings_of(index)
        for b in self.bindings:
            self._slots[b.name].rebind(b)
        self._out_shapes = None
        self._drop_graph()

    def _profile_holds(self, index: int, shapes: Mapping[str, tuple[int, ...]]) -> bool:
        table = self._bindings_of(index)
        for name, shape in shapes.items():
            prof = table[name].profile
            if prof is not None and any(s < lo or s > hi for s, lo, hi in zip(shape, prof[0], prof[2])):
                return False
        return True

    def _choose_profile(self, feeds: dict[str, Feed], requested: int | None) -> None:
        """Switch to ``requested``, or (auto) to the first profile holding the input shapes."""
        if requested is not None:
            self._check_profile_index(int(requested))
            if int(requested) != self.profile_index:
                self._activate_profile(int(requested))
            return
        if not self.auto_profile:
            return
        shapes = {s.name: feeds[s.name].shape for s in self._input_slots if s.dynamic}
        if self._profile_holds(self.profile_index, shapes):
            return
        for index in range(self.num_profiles):
            if self._profile_holds(index, shapes):
                self._activate_profile(index)
                return
        ranges = "; ".join(f"profile {i}: " + ", ".join(f"{n} {profile_text(self._bindings_of(i)[n])}" for n in shapes)
                           for i in range(self.num_profiles))
        raise BindingError(f"no optimization profile holds the input shapes {shapes}; {ranges}; "
                           f"use shapes inside one of them or rebuild with a profile that holds them")

    # ------------------------------------------------------------------ shapes
    def set_input_shape(self, name: str, shape) -> None:
        """Set the shape of a dynamic input, checked against the optimization profile."""
        self._check_open()
        slot = self._input_slot(name)
        shape = self._check_shape(slot.binding, tuple(int(d) for d in shape))
        self._check_range(slot.binding, shape)
        self._apply_shape(slot, shape)

    def _input_slot(self, name: str) -> Slot:
        slot = self._slots.get(name)
        if slot is None or not slot.binding.is_input:
            raise BindingError(f"{name!r} is not an input of this engine; its inputs are {self.input_names}")
        return slot

    def _check_shape(self, b: Binding, shape: tuple[int, ...]) -> tuple[int, ...]:
        """Rank and static dimensions (the profile's range is checked once the profile is chosen)."""
        if len(shape) != len(b.shape):
            raise BindingError(
                f"input {b.name!r} has rank {len(shape)} (shape {shape}); the engine expects rank "
                f"{len(b.shape)} {shape_text(b.shape)}; reshape the array"
            )
        for i, (got, want) in enumerate(zip(shape, b.shape)):
            if want >= 0 and got != want:
                raise BindingError(
                    f"input {b.name!r} has shape {shape}; dimension {i} must be {want} "
                    f"(engine shape {shape_text(b.shape)}); resize the input or rebuild the engine"
                )
        return shape

    def _check_range(self, b: Binding, shape: tuple[int, ...]) -> None:
        if b.profile is not None:
            mn, _, mx = b.profile
            if any(s < lo or s > hi for s, lo, hi in zip(shape, mn, mx)):
                others = " (or let the session pick one: profile_index='auto')" if self.num_profiles > 1 else ""
                raise BindingError(
                    f"input {b.name!r} shape {shape} is outside optimization profile {self.profile_index}: "
                    f"min {mn}, max {mx}; use a shape in that range{others} or rebuild with a wider ShapeProfile"
                )

    def _apply_shape(self, slot: Slot, shape: tuple[int, ...]) -> None:
        if slot.binding.dynamic and slot.shape != shape:
            if not self.context.set_input_shape(slot.binding.name, shape):
                raise BindingError(
                    f"TensorRT refused shape {shape} for input {slot.binding.name!r} (see its log above); "
                    f"allowed: {profile_text(slot.binding)}"
                )
            slot.shape = shape
            self._out_shapes = None
            self._drop_graph()

    # ------------------------------------------------------------------ step 2: shapes
    def _set_shapes(self, feeds: dict[str, Feed]) -> dict[str, tuple[int, ...]]:
        """Apply each input's shape; returns the output shapes TensorRT infers from them."""
        for slot in self._input_slots:
            if slot.dynamic:
                shape = feeds[slot.name].shape
                if shape != slot.shape:
                    self._check_range(slot.binding, shape)
                    self._apply_shape(slot, shape)
        if self._out_shapes is None:
            missing = list(self.context.infer_shapes() or [])
            if missing:
                raise BindingError(f"TensorRT cannot infer shapes: tensors {missing} are not fully specified")
            self._out_shapes = {s.binding.name: tuple(int(d) for d in self.context.get_tensor_shape(s.binding.name))
                                for s in self._output_slots}
            self._out_nbytes = {name: size(shape, self._slots[name].binding.itemsize) if min(shape, default=0) >= 0 else -1
                                for name, shape in self._out_shapes.items()}
        return self._out_shapes


def shape_text(shape) -> str:
    return "(" + ", ".join("?" if d < 0 else str(d) for d in shape) + ")"


def profile_text(b: Binding) -> str:
    if not b.profile:
        return shape_text(b.shape)
    return f"min {b.profile[0]}, max {b.profile[2]}"

