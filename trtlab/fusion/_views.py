"""One flat view per engine layer, the same whether it comes from a fusion report or from a plan alone.

The engine comparison and the lints read layers through :class:`LayerView`: a
:class:`~trtlab.fusion.FusionReport` gives the ONNX nodes and op types the mapping found; a bare
:class:`~trtlab.engine.EnginePlan` (no ONNX model at hand, e.g. a quantized export) gives the names
in the layer's metadata or name, and op types read from those names (``Conv_9`` and
``/layer1/layer1.0/conv1/Conv`` both name a ``Conv``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..engine.kinds import INSERTED, Kind, inserted_reason, internal_reason
from ..engine.model import EngineLayer, EnginePlan
from ..engine.names import name_kind
from ..engine.profile import Profile
from ._index import _INTERNAL, _QDQ, _WEIGHT, leaves, parse_name
from ._rows import rows_from_plan
from ._vanished import join_profile
from .patterns import QDQ_OPS
from .report import FusionReport

__all__ = ["LayerView", "RowTable", "views_of", "op_from_name", "is_qdq_only"]


class RowTable:
    """A table of result rows (``self.rows``): its length, iteration and indexing."""

    rows: list

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i: int):
        return self.rows[i]

# op types in exporter names: ``Conv_9`` (legacy torch exporter) and ``/layer1/relu_1/Relu`` (TorchScript)
_LEGACY_OP = re.compile(r"^([A-Z][A-Za-z]*)_\d+$")
_PATH_OP = re.compile(r"/([A-Z][A-Za-z]*)(?:_\d+)?$")


@dataclass
class LayerView:
    """What the comparison and the lints need to know about one engine layer.

    ``nodes``: ONNX node names the layer absorbed (from the mapping, or names its metadata/name
    gives when there is no ONNX model); ``ops``: their op types where known, in the same order.
    ``precision``: the precision the layer computes in; ``time_ms``/``share``: from a profile.
    """

    index: int
    name: str
    kind: Kind
    nodes: tuple[str, ...]
    ops: tuple[str | None, ...]
    precision: str | None
    output_precision: str | None
    layer_type: str | None
    layer: EngineLayer | None
    time_ms: float | None = None
    share: float | None = None

    @property
    def is_inserted(self) -> bool:
        return self.kind in INSERTED

    @property
    def known_ops(self) -> tuple[str, ...]:
        return tuple(op for op in self.ops if op)

    @property
    def main_ops(self) -> tuple[str, ...]:
        """Op types without Q/DQ: what the layer computes."""
        return tuple(op for op in self.known_ops if op not in QDQ_OPS)


def op_from_name(name: str) -> str | None:
    """The op type an exporter's node name spells (``Conv_9``, ``/conv1/Conv``), or None."""
    m = _LEGACY_OP.match(name) or _PATH_OP.search(name)
    if m:
        return m.group(1)
    if _QDQ.search(name):
        return "DequantizeLinear" if "Dequantize" in name else "QuantizeLinear"
    return None


def is_qdq_only(view: LayerView) -> bool:
    """A layer that runs only quantize/dequantize nodes (a Q/DQ TensorRT did not fold into a neighbour)."""
    ops = view.known_ops
    if ops and all(op in QDQ_OPS for op in ops):
        return True
    return bool(view.layer is not None and view.layer.origin == "QDQ")


def views_of(source: FusionReport | EnginePlan | Profile, profile: Profile | None = None) -> list[LayerView]:
    """One LayerView per engine layer of a report, a plan (times from ``profile``) or a profile alone."""
    if isinstance(source, FusionReport):
        return [_from_fused(r) for r in source.layers]
    if isinstance(source, Profile):
        rows = rows_from_plan(source)
        views = [_from_name(r.index, r.name, r.base_name, r.is_reformat) for r in rows]
        join_profile(views, rows, source)
    else:
        views = [_from_layer(layer) for layer in source.layers]
        join_profile(views, source.layers, profile)  # reads each layer's name and base_name
    return views


def _from_fused(r) -> LayerView:
    layer = r.layer
    return LayerView(index=r.index, name=r.name, kind=Kind(r.kind), nodes=tuple(r.onnx_nodes),
                     ops=tuple(r.op_types), precision=r.compute_precision,
                     output_precision=layer.output_precision if layer is not None else r.precision,
                     layer_type=r.layer_type, layer=layer, time_ms=r.time_ms, share=r.share)


def _names_of(base_name: str, kind: Kind, metadata: list[str]) -> tuple[str, ...]:
    """Node names a layer names: its ``[ONNX Layer: ...]`` metadata, else the leaves of its name
    (without weights and TensorRT's own ``(Unnamed Layer* N)`` names)."""
    if kind.is_inserted:
        return ()
    if metadata:
        return tuple(metadata)
    names = leaves(parse_name(base_name))
    return tuple(n for n in names if not _INTERNAL.search(n) and not _WEIGHT.search(n))


def _from_layer(layer: EngineLayer) -> LayerView:
    kind = Kind(layer.kind)
    nodes = _names_of(layer.base_name or layer.name, kind, list(layer.onnx_nodes_from_metadata or []))
    return LayerView(index=layer.index, name=layer.name, kind=kind, nodes=nodes,
                     ops=tuple(op_from_name(n) for n in nodes), precision=layer.compute_precision,
                     output_precision=layer.output_precision, layer_type=layer.layer_type, layer=layer)


def _name_only_kind(base_name: str, is_reformat: bool) -> Kind:
    """A layer's kind from its name alone (a profile without layer information), by the rules of
    :attr:`EngineLayer.kind <trtlab.engine.EngineLayer.kind>`."""
    if internal_reason(base_name, None):
        return Kind.INTERNAL
    if is_reformat or inserted_reason(base_name):
        return Kind.REFORMAT
    return Kind(name_kind(base_name))


def _from_name(index: int, name: str, base_name: str, is_reformat: bool) -> LayerView:
    kind = _name_only_kind(base_name, is_reformat)
    nodes = _names_of(base_name, kind, [])
    return LayerView(index=index, name=name, kind=kind, nodes=nodes, ops=tuple(op_from_name(n) for n in nodes),
                     precision=None, output_precision=None, layer_type=None, layer=None)
