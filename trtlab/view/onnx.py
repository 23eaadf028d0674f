"""View data of an ONNX graph: one node per ONNX node, tensors with shapes on the edges."""

from __future__ import annotations

import networkx as nx

from .data import block_groups, name_blocks, node_width, op_mode, positions, shorten, tensor_text

__all__ = ["onnx_view_data", "onnx_panel"]

def _details(info) -> list[list[str]]:
    rows = [["name", info.name], ["op type", info.op_type]]
    if info.domain:
        rows.append(["domain", info.domain])
    rows.append(["inputs", ", ".join(t for t in info.inputs if t) or "-"])
    rows.append(["outputs", ", ".join(t for t in info.outputs if t) or "-"])
    if info.params:
        rows.append(["parameters", f"{info.params:,}"])
    for key, value in list(info.attributes.items())[:8]:
        rows.append([key, shorten(repr(value) if not isinstance(value, str) else value, 60)])
    return rows


def _edge_label(G: nx.DiGraph, u, v) -> str:
    return "\n".join(tensor_text(t.name, t.shape, t.dtype) for t in G.edges[u, v].get("tensors", []))


def onnx_panel(graph, *, panel_id: str = "onnx", title: str | None = None, blocks: bool | None = None,
               pos: dict | None = None) -> dict:
    """The panel of ``graph`` (an OnnxGraph): nodes with op colours, edges with tensor shapes.

    ``blocks``: group nodes into collapsible boxes by name prefix (``layer1.0/``); None groups
    above ``BLOCKS_ABOVE`` nodes (:mod:`trtlab.view.data`) when the names have such prefixes.
    """
    G = graph.nx
    pos = positions(G) if pos is None else pos
    block_of = name_blocks(G, blocks)
    nodes = []
    for v in G:
        info = G.nodes[v]["info"]
        label = f"{info.op_type}\n{shorten(v)}"
        x, y = pos[v]
        nodes.append({
            "id": f"{panel_id}:{v}", "name": str(v), "role": "onnx", "label": label, "x": x, "y": y,
            "w": node_width(label), "op": info.op_type, "kind": None, "precision": None, "heat": None,
            "parent": f"{panel_id}:block:{block_of[v]}" if v in block_of else None, "links": [],
            "details": _details(info),
        })
    edges = [{"source": f"{panel_id}:{u}", "target": f"{panel_id}:{v}", "label": _edge_label(G, u, v)}
             for u, v in G.edges]
    groups = block_groups(panel_id, block_of)
    return {"id": panel_id, "title": title or f"{graph.name}: {len(G)} ONNX nodes",
            "nodes": nodes, "edges": edges, "groups": groups}


def onnx_view_data(graph, *, blocks: bool | None = None) -> dict:
    """View data of an OnnxGraph (see :mod:`trtlab.view.data`), coloured by op type."""
    panel = onnx_panel(graph, blocks=blocks)
    ops = [n["op"] for n in panel["nodes"]]
    return {"title": panel["title"], "panels": [panel], "color_modes": {"op": op_mode(ops)},
            "color_by": "op", "legend_note": ""}
