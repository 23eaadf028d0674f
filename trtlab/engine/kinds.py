"""What an engine layer is, in one vocabulary shared by the name grammar, the plan and the fusion report.

:class:`Kind` is a ``str`` enum: ``Kind.VERTICAL == "vertical"``, so code and notebooks that compare
kinds with plain strings keep working, and a kind prints as its word.

- fusions named by TensorRT: vertical (``a + b``), horizontal (``a || b``), pointwise (``PWN(...)``),
  myelin (``{ForeignNode[...]}`` and Myelin kernels), single (one node, no fusion);
- layers of the user's network that run no kernel: noop (a NoOp layer carrying ``[ONNX Layer: ...]``
  metadata, e.g. an ``Unsqueeze`` done by changing the tensor's description);
- layers TensorRT adds that absorb no ONNX node (:data:`INSERTED`): reformat (format conversions and
  copies), sync (stream ``signal``/``wait``), internal (Myelin's own bookkeeping kernels).
"""

from __future__ import annotations

import re
from enum import Enum

__all__ = ["Kind", "INSERTED", "NAME_KINDS", "internal_reason", "inserted_reason", "HELPER", "MOVE_ONLY"]


class Kind(str, Enum):
    """The kind of an engine layer (see the module docstring)."""

    VERTICAL = "vertical"
    HORIZONTAL = "horizontal"
    POINTWISE = "pointwise"
    MYELIN = "myelin"
    SINGLE = "single"
    NOOP = "noop"
    REFORMAT = "reformat"
    SYNC = "sync"
    INTERNAL = "internal"

    # a str enum must hash and print as its value so that it stands in for the plain string
    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def is_inserted(self) -> bool:
        """True for layers TensorRT added itself: they absorb no ONNX node."""
        return self in INSERTED

    @classmethod
    def parse(cls, value: object) -> "Kind | None":
        """The Kind for a word (``"sync"`` -> ``Kind.SYNC``), None when it names no kind."""
        try:
            return cls(value)
        except ValueError:
            return None


#: kinds of layers TensorRT inserts (no ONNX node of their own)
INSERTED = frozenset((Kind.REFORMAT, Kind.SYNC, Kind.INTERNAL))
#: kinds the layer-name grammar can tell from a name alone
NAME_KINDS = (Kind.VERTICAL, Kind.HORIZONTAL, Kind.POINTWISE, Kind.MYELIN, Kind.REFORMAT, Kind.SINGLE)

# Myelin's own kernels, one explanation each. Names as TensorRT 10 writes them
# (``dummy_shape_call__mye548_0_myl24_0``, LayerType ``shape_call``; ``__mye...`` helpers).
_INTERNAL_NAMES = (
    (re.compile(r"^dummy_shape_call__mye"),
     "Myelin placeholder for its shape computation: computes no tensor of the network"),
    (re.compile(r"^__mye"), "Myelin runtime bookkeeping (shapes, memory): computes no tensor of the network"),
)
_INTERNAL_TYPES = {
    "shape_call": "Myelin shape computation (tensor sizes at run time): computes no tensor of the network",
}
SYNC_REASON = "stream synchronisation (signal/wait) between streams: runs no kernel and has no tensors"


def internal_reason(name: str, layer_type: str | None) -> str | None:
    """Why a layer is Myelin's internal bookkeeping, or None when it is not."""
    for pattern, reason in _INTERNAL_NAMES:
        if pattern.match(name):
            return reason
    return _INTERNAL_TYPES.get((layer_type or "").lower())


# Myelin kernels that only move data (layout transposes, copies): named after their ops, no metadata
MOVE_ONLY = re.compile(r"^__myl_(?:Move|Copy|Reformat|Transpose|Tran|Cast)+(?:_myl\d+_\d+)?$")
# shuffles TensorRT inserts around a layer X and names after it
HELPER = re.compile(r"^(?:unsqueeze_node_after_|squeeze_after_|copied_squeeze_after_|reshape_after_|reshape_before_|"
                    r"shuffle_after_|shuffle_before_|transpose_after_|transpose_before_)(.+)$")


def inserted_reason(name: str) -> str | None:
    """Why a layer that names no ONNX node was inserted by TensorRT (a shape helper named after the
    layer it serves, a Myelin data move), or None."""
    m = HELPER.match(name)
    if m:
        return f"shape helper TensorRT inserted for {m.group(1)}"
    if MOVE_ONLY.match(name):
        return "data movement (layout transpose/copy) inserted by Myelin"
    return None
