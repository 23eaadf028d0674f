"""View data of an engine from its layer information alone (no ONNX needed)."""

from __future__ import annotations

import networkx as nx

from ..draw.fusion_style import left_out_clause
from .data import (HEAT_MODE, block_groups, kind_mode, name_blocks, node_width, positions, precision_mode, shorten,
                   tensor_text)

__all__ = ["plan_view_data", "plan_panel", "layer_kind", "shown_layers"]


def layer_kind(layer) -> str:
    """Fusion kind of an engine layer, as a plain word."""
    return str(layer.kind)


def shown_layers(plan) -> list:
    """The layers a view draws: sync layers (no tensors) are left out, and of an engine with
    several shape profiles only the first profile's copy of each layer is drawn."""
    profiles = {layer.profile_index for layer in plan.layers}
    first = None if None in profiles else min(profiles, default=None)
    return [layer for layer in plan.layers if not layer.is_sync and layer.profile_index == first]


def _times(plan, profile) -> dict[str, tuple[float, float]]:
    """layer uid -> (average ms, share of the total) from a Profile."""
    if profile is None:
        return {}
    by_name = profile.by_name
    total = profile.total_ms or 1.0
    out = {}
    for layer in plan.layers:
        t = by_name.get(layer.name) or by_name.get(layer.base_name)
        if t is not None:
            out[layer.uid] = (t.average_ms, t.average_ms / total)
    return out


def _tensors(ts) -> str:
    return "\n".join(tensor_text(t.name, t.shape, t.dtype, t.format) for t in ts) or "-"


def _details(layer, kind: str, timing) -> list[list[str]]:
    rows = [["name", layer.name], ["kind", kind], ["layer type", layer.layer_type or "?"]]
    if timing is not None:
        rows.append(["time", f"{timing[0]:.4f} ms ({timing[1]:.1%} of the engine)"])
    rows += [["precision", f"computes in {layer.compute_precision or '?'}, writes {layer.precision or '?'}"],
             ["tactic", layer.tactic or "?"],
             ["inputs", _tensors(layer.inputs)], ["outputs", _tensors(layer.outputs)]]
    if layer.onnx_nodes_from_metadata:
        rows.append(["ONNX nodes (metadata)", ", ".join(layer.onnx_nodes_from_metadata)])
    return rows


def _label(layer, kind: str, short: str | None) -> str:
    head = short or layer.layer_type or kind
    return f"{shorten(head, 18)}\n{shorten(layer.base_name)}"


def _edge_text(G: nx.DiGraph, u, v, outputs: dict) -> str:
    lines = []
    for name in G.edges[u, v].get("tensors", []):
        t = outputs.get((u, name))
        lines.append(tensor_text(name, t.shape, t.dtype, t.format) if t is not None else name)
    return "\n".join(lines)


def plan_panel(plan, profile=None, *, panel_id: str = "engine", title: str | None = None,
               extra=None, blocks: bool | None = None) -> dict:
    """The engine panel: one node per shown layer, edges through tensors; ``blocks`` groups the
    layers by name prefix into collapsible boxes (None: above ``BLOCKS_ABOVE`` layers).

    ``extra(layer) -> dict`` may add or override node fields (the fusion view adds links,
    ONNX-derived kinds and patterns).
    """
    layers = shown_layers(plan)
    keep = {layer.uid for layer in layers}
    G = plan.nx.subgraph(keep)
    pos = positions(G)
    timing = _times(plan, profile)
    top = max((s for _, s in timing.values()), default=0.0) or 1.0
    outputs = {(layer.uid, t.name): t for layer in layers for t in layer.outputs}
    block_of = name_blocks((layer.uid for layer in layers), blocks)
    nodes = []
    for layer in layers:
        kind = layer_kind(layer)
        more = extra(layer) if extra else {}
        label = _label(layer, more.get("kind", kind), more.pop("short", None))
        t = timing.get(layer.uid)
        x, y = pos[layer.uid]
        node = {"id": f"{panel_id}:{layer.uid}", "name": layer.name, "role": "layer", "label": label,
                "x": x, "y": y, "w": node_width(label), "op": layer.layer_type or "?", "kind": kind,
                "precision": layer.compute_precision, "heat": round(t[1] / top, 4) if t else None,
                "parent": f"{panel_id}:block:{block_of[layer.uid]}" if layer.uid in block_of else None,
                "links": [], "details": _details(layer, more.get("kind", kind), t)}
        node.update(more)
        nodes.append(node)
    edges = [{"source": f"{panel_id}:{u}", "target": f"{panel_id}:{v}", "label": _edge_text(G, u, v, outputs)}
             for u, v in G.edges]
    return {"id": panel_id, "title": title or f"engine: {len(nodes)} layers", "nodes": nodes,
            "edges": edges, "groups": block_groups(panel_id, block_of)}


def left_out_note(plan) -> str:
    """What the engine view does not draw, in the words of the static pictures ("" for nothing)."""
    n_sync = sum(layer.is_sync for layer in plan.layers)
    n_other_profiles = len(plan.layers) - n_sync - len(shown_layers(plan))
    return left_out_clause(n_sync, n_other_profiles).lstrip(". ")


def plan_view_data(plan, profile=None, *, blocks: bool | None = None) -> dict:
    """View data of an EnginePlan (see :mod:`trtlab.view.data`), coloured by kind, time or precision."""
    panel = plan_panel(plan, profile, blocks=blocks)
    nodes = panel["nodes"]
    modes = {"kind": kind_mode(n["kind"] for n in nodes),
             "precision": precision_mode(n["precision"] for n in nodes)}
    if profile is not None:
        modes["time"] = HEAT_MODE
    note = left_out_note(plan)
    title = plan.counts().sentence()
    panel["title"] = f"engine: {len(nodes)} layers drawn"
    return {"title": title, "panels": [panel], "color_modes": modes, "color_by": "kind", "legend_note": note}
