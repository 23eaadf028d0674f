"""The inputs of :func:`~trtlab.fusion.map_fusion`: the ONNX graph, the engine's layers as rows, a profile."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field

from ..engine import EngineLayer, EnginePlan, Profile, load_layer_info, load_profile
from ..engine.names import is_reformat_name, split_profile_suffix
from ..errors import LayerInfoError, MappingError, TrtlabError
from ..graph import OnnxGraph, load_onnx
from ..graph.loader import is_model_source

__all__ = ["Row", "as_graph", "as_plan", "as_profile", "rows_from_plan"]

_SYNC_TYPES = frozenset(("signal", "wait"))


@dataclass
class Row:
    """One engine layer as the mapping sees it, from an EngineLayer or a profile entry."""

    index: int
    uid: str
    name: str
    base_name: str
    layer_type: str | None = None
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    metadata: list[str] = field(default_factory=list)
    is_reformat: bool = False
    is_sync: bool = False
    profile_index: int | None = None
    tactic: str | None = None
    precision: str | None = None
    compute_precision: str | None = None
    format: str | None = None
    layer: EngineLayer | None = None


def as_graph(src: object) -> OnnxGraph:
    """An OnnxGraph from an OnnxGraph, a path, ONNX bytes or a ModelProto."""
    if isinstance(src, OnnxGraph):
        return src
    if is_model_source(src):
        return load_onnx(src)
    raise MappingError(
        f"map_fusion needs the ONNX model as an OnnxGraph (trtlab.load_onnx), a path or ONNX bytes, "
        f"not a {type(src).__name__}."
    )


def as_plan(src: object) -> EnginePlan | Profile:
    """EnginePlan or Profile from an object, a path, JSON text or parsed JSON."""
    if isinstance(src, (EnginePlan, Profile)):
        return src
    if isinstance(src, (str, os.PathLike, dict, list)):
        try:
            return load_layer_info(src)
        except LayerInfoError as first:
            try:
                return load_profile(src)
            except TrtlabError:
                raise first from None
    raise MappingError(
        f"map_fusion needs the engine's layers as an EnginePlan (trtlab.load_layer_info), a Profile "
        f"(trtlab.load_profile) or a path to either file, not a {type(src).__name__}."
    )


def as_profile(src: object) -> Profile | None:
    if src is None or isinstance(src, Profile):
        return src
    if isinstance(src, (str, os.PathLike, list)):
        return load_profile(src)
    raise MappingError(f"profile= takes a Profile (trtlab.load_profile) or a path, not a {type(src).__name__}.")


def rows_from_plan(plan: EnginePlan | Profile) -> list[Row]:
    """One Row per engine layer (per profile entry when only a profile is known)."""
    if isinstance(plan, Profile):
        return _rows_from_profile(plan)
    return [_row_from_layer(layer) for layer in plan.layers]


def _rows_from_profile(profile: Profile) -> list[Row]:
    rows: list[Row] = []
    seen: dict[str, int] = defaultdict(int)
    for i, lt in enumerate(profile.layers):
        base, prof = split_profile_suffix(lt.name)
        k = seen[lt.name]
        seen[lt.name] += 1
        rows.append(Row(index=i, uid=lt.name if k == 0 else f"{lt.name}#{k}", name=lt.name, base_name=base,
                        is_reformat=is_reformat_name(lt.name), profile_index=prof))
    return rows


def _row_from_layer(layer: EngineLayer) -> Row:
    outs = [t.name for t in layer.outputs]
    ins = [t.name for t in layer.inputs]
    ltype = layer.layer_type
    sync = layer.is_sync or (ltype in _SYNC_TYPES and not outs and not ins)
    fmt = next((t.format for t in layer.outputs if t.format), None)
    # one output (the usual case): its dtype is the layer's precision, no need to count
    prec = layer.outputs[0].dtype if len(layer.outputs) == 1 and layer.outputs[0].dtype else layer.precision
    return Row(
        index=layer.index, uid=layer.uid, name=layer.name, base_name=layer.base_name or layer.name,
        layer_type=ltype, inputs=ins, outputs=outs, metadata=list(layer.onnx_nodes_from_metadata or []),
        is_reformat=bool(layer.is_reformat), is_sync=sync, profile_index=layer.profile_index,
        tactic=layer.tactic, precision=prec, compute_precision=layer.compute_precision, format=fmt, layer=layer,
    )
