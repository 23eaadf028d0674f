"""View data of a fusion report: the ONNX graph and the engine side by side, linked both ways.

Clicking an engine layer lights the ONNX nodes it absorbed, clicking an ONNX node lights its
engine layer (and that layer's other nodes): every node carries the ids it is linked to in
``links``. Fused layers of more than one ONNX node are boxes (compound nodes) in the ONNX
panel; Myelin boxes can be collapsed to one node.
"""

from __future__ import annotations

from ..draw.fusion_graphs import engine_graph, focus_nodes, is_pseudo, junctions, shown_layers, unit_graph, with_io
from ..draw.fusion_style import count_sentence, pseudo_label
from ..fusion.patterns import short_pattern
from .data import HEAT_MODE, kind_mode, node_width, op_mode, positions, precision_mode, shorten, tensor_text
from .onnx import onnx_panel

__all__ = ["report_view_data", "stages_view_data", "fusion_title"]


def _fmt_ms(ms) -> str:
    return "?" if ms is None else f"{ms:.4f} ms"


def _layer_details(r) -> list[list[str]]:
    rows = [["name", r.name], ["kind", str(r.kind)], ["pattern", r.pattern or "-"], ["layer type", r.layer_type or "?"]]
    if r.time_ms is not None:
        share = f" ({r.share:.1%} of the engine)" if r.share is not None else ""
        rows.append(["time", _fmt_ms(r.time_ms) + share])
    rows += [["precision", r.compute_precision or r.precision or "?"], ["tactic", r.tactic or "?"], ["format", r.format or "?"]]
    layer = r.layer
    if layer is not None:
        for what, tensors in (("inputs", layer.inputs), ("outputs", layer.outputs)):
            rows.append([what, "\n".join(tensor_text(t.name, t.shape, t.dtype, t.format) for t in tensors) or "-"])
    rows.append(["ONNX nodes", ", ".join(r.onnx_nodes) or "none (inserted by TensorRT)"])
    if r.note:
        rows.append(["note", r.note])
    return rows


def _layer_label(r) -> str:
    head = r.short if r.kind not in ("reformat", "sync") and r.short else (r.layer_type or str(r.kind))
    return f"{shorten(head, 18)}\n{shorten(r.name)}"


def fusion_title(report) -> str:
    """The ONNX node count and the engine's layer counts in the summary's words, and what is not drawn."""
    return f"{report.onnx_graph.name or 'model'}: {len(report.onnx_graph.nx)} ONNX nodes \u2192 {count_sentence(report)}"


def _engine_panel(report, focus=None) -> dict:
    E = engine_graph(report, focus)
    pos = positions(E)
    nodes = []
    for v in E:
        x, y = pos[v]
        if is_pseudo(v):
            label = pseudo_label(v)
            nodes.append({"id": f"engine:{v[0]}:{v[1]}", "name": str(v[1]), "role": "io", "label": label,
                          "x": x, "y": y, "w": node_width(label), "op": "io", "kind": None, "precision": None,
                          "heat": None, "parent": None, "links": [], "details": [["tensor", v[1]]]})
            continue
        r = report.layers[v]
        label = _layer_label(r)
        nodes.append({"id": f"engine:L{r.index}", "name": r.name, "role": "layer", "label": label,
                      "x": x, "y": y, "w": node_width(label), "op": r.layer_type or str(r.kind), "kind": str(r.kind),
                      "precision": r.compute_precision, "heat": r.share, "parent": None,
                      "links": [f"onnx:{n}" for n in r.onnx_nodes], "details": _layer_details(r)})
    index = {n["id"]: n for n in nodes}

    def node_id(v) -> str:
        return f"engine:{v[0]}:{v[1]}" if is_pseudo(v) else f"engine:L{v}"

    edges = [{"source": node_id(u), "target": node_id(v), "label": _engine_edge_label(report, u, v)}
             for u, v in E.edges if node_id(u) in index and node_id(v) in index]
    top = max((n["heat"] or 0.0 for n in nodes), default=0.0) or 1.0
    for n in nodes:
        if n["heat"] is not None:
            n["heat"] = round(n["heat"] / top, 4)
    return {"id": "engine", "title": "", "nodes": nodes, "edges": edges, "groups": []}


def _engine_edge_label(report, u, v) -> str:
    if is_pseudo(u) or is_pseudo(v):
        return ""
    a, b = report.layers[u].layer, report.layers[v].layer
    if a is None or b is None:
        return ""
    reads = {t.name for t in b.inputs}
    return "\n".join(tensor_text(t.name, t.shape, t.dtype, t.format) for t in a.outputs if t.name in reads)


def _onnx_side(report, keep: set | None = None) -> dict:
    graph = report.onnx_graph if keep is None else report.onnx_graph.subgraph(keep)
    panel = onnx_panel(graph, panel_id="onnx", blocks=False)
    shown = shown_layers(report)
    groups = []
    for r in report.layers:
        if r.index in shown and len(r.onnx_nodes) > 1 and (keep is None or keep.intersection(r.onnx_nodes)):
            groups.append({"id": f"onnx:group:L{r.index}", "label": f"{r.short or r.kind}: {shorten(r.name, 40)}",
                           "kind": str(r.kind), "collapsible": True})
    grouped = {g["id"] for g in groups}
    vanished = {v.name: v.reason for v in report.vanished}
    for node in panel["nodes"]:
        name = node["name"]
        layers = [r for r in report.layers_of(name) if r.index in shown] or report.layers_of(name)
        node["links"] = [f"engine:L{r.index}" for r in layers]
        if layers:
            r = layers[0]
            node["kind"], node["precision"] = str(r.kind), r.compute_precision
            parent = f"onnx:group:L{r.index}"
            node["parent"] = parent if parent in grouped else None
            node["details"].append(["engine layer", r.name])
        else:
            node["kind"] = "no layer"
            node["details"].append(["engine layer", f"none: {vanished.get(name, 'unaccounted')}"])
    panel["groups"] = groups
    panel["title"] = f"before: {len(panel['nodes'])} ONNX nodes"
    return panel


def report_view_data(report, focus=None) -> dict:
    """View data of a FusionReport: ONNX panel | engine panel, linked (see :mod:`trtlab.view.data`).
    ``focus`` (regex or node names) keeps part of the network: those ONNX nodes, their layers."""
    keep = None if focus is None else focus_nodes(report, focus)
    left = _onnx_side(report, keep)
    right = _engine_panel(report, focus)
    ids = {n["id"] for n in left["nodes"] + right["nodes"]}
    for n in left["nodes"] + right["nodes"]:
        n["links"] = [i for i in n["links"] if i in ids]
    n_layers = sum(1 for n in right["nodes"] if n["role"] == "layer")
    right["title"] = f"after: {n_layers} engine layers drawn"
    nodes = left["nodes"] + right["nodes"]
    modes = {"kind": kind_mode(n["kind"] for n in nodes if n["kind"]),
             "precision": precision_mode(n["precision"] for n in nodes),
             "op": op_mode(n["op"] for n in left["nodes"])}
    if any(n["heat"] is not None for n in right["nodes"]):
        modes["time"] = HEAT_MODE
    return {"title": fusion_title(report), "panels": [left, right], "color_modes": modes, "color_by": "kind",
            "legend_note": "Boxes in the ONNX panel are engine layers that fused several ONNX nodes; "
                           "white ONNX nodes have no engine layer (folded or eliminated)."}


def stages_view_data(report, focus=None) -> dict:
    """The three-stage lesson as linked panels: ONNX nodes, after vertical fusion (one unit per
    branch of a horizontal layer), after horizontal fusion (one node per engine layer), for the
    ONNX nodes matching ``focus`` (regex or list of names; None: the whole network)."""
    keep = focus_nodes(report, focus)
    A = with_io(report, keep)
    graph = report.onnx_graph
    shown = shown_layers(report)
    unit_v, unit_h, vinfo = {}, {}, {}
    for r in report.layers:
        if r.kind in ("reformat", "sync") or r.index not in shown or not any(n in keep for n in r.onnx_nodes):
            continue
        branches = r.groups if (r.kind == "horizontal" and r.groups) else [r.onnx_nodes]
        for b, members in enumerate(branches):
            for n in members:
                unit_v[n] = (r.index, b)
            vinfo[(r.index, b)] = (r, members)
        for n in r.onnx_nodes:
            unit_h[n] = r.index
    kept = junctions(report, A)
    V, H = unit_graph(A, unit_v, kept), unit_graph(A, unit_h, kept)
    p0 = _stage_panel("s0", A, lambda v: _onnx_unit(report, v))
    p1 = _stage_panel("s1", V, lambda u: _branch_unit(report, u, vinfo))
    p2 = _stage_panel("s2", H, lambda i: _layer_unit(report.layers[i]))
    _box_branches(p1, report)
    _link_stages(p0, p1, p2, unit_v, unit_h)
    counts = [sum(1 for n in p["nodes"] if n["role"] != "io") for p in (p0, p1, p2)]
    p0["title"] = f"1. before fusion: {counts[0]} ONNX nodes"
    p1["title"] = f"2. after vertical fusion: {counts[1]} layers"
    p2["title"] = f"3. after horizontal fusion: {counts[2]} layers"
    nodes = p0["nodes"] + p1["nodes"] + p2["nodes"]
    return {"title": f"{graph.name or 'model'}: {counts[0]} \u2192 {counts[1]} \u2192 {counts[2]} kernels",
            "panels": [p0, p1, p2], "color_by": "kind",
            "color_modes": {"kind": kind_mode(n["kind"] for n in nodes if n["kind"]),
                            "op": op_mode(n["op"] for n in p0["nodes"])},
            "legend_note": "Click a node: the same computation lights up in all three stages."}


def _unit_id(panel_id: str, v) -> str:
    if is_pseudo(v):
        return f"{panel_id}:{v[0]}:{v[1]}"
    if isinstance(v, tuple):
        return f"{panel_id}:{v[0]}.{v[1]}"
    return f"{panel_id}:{v}"


def _onnx_unit(report, v) -> dict:
    info = report.onnx_graph.nx.nodes[v]["info"]
    layer = report.layer_of(v)
    return {"name": v, "role": "onnx", "label": f"{info.op_type}\n{shorten(v)}", "op": info.op_type,
            "kind": str(layer.kind) if layer else "no layer",
            "details": [["name", v], ["op type", info.op_type], ["engine layer", layer.name if layer else "none"]]}


def _branch_unit(report, u, vinfo) -> dict:
    r, members = vinfo[u]
    ops = [report.onnx_graph.nx.nodes[n]["info"].op_type for n in members]
    more = " \u2026" if len(members) > 1 else ""
    return {"name": " + ".join(members), "role": "unit", "label": f"{short_pattern([ops])}\n{shorten(members[0])}{more}",
            "op": "+".join(ops), "kind": "vertical" if len(members) > 1 else "single",
            "details": [["ONNX nodes", ", ".join(members)], ["ends up in", r.name]]}


def _layer_unit(r) -> dict:
    return {"name": r.name, "role": "layer", "label": _layer_label(r), "op": r.layer_type or str(r.kind),
            "kind": str(r.kind), "details": _layer_details(r)}


def _stage_panel(panel_id: str, Q, describe) -> dict:
    """A panel of graph ``Q`` whose nodes are described by ``describe(v)`` (pseudo I/O nodes aside)."""
    pos = positions(Q)
    nodes = []
    for v in Q:
        if is_pseudo(v):
            d = {"name": str(v[1]), "role": "io", "label": pseudo_label(v), "op": "io", "kind": None,
                 "details": [["tensor", str(v[1])]]}
        else:
            d = describe(v)
        x, y = pos[v]
        d.update({"id": _unit_id(panel_id, v), "x": x, "y": y, "w": node_width(d["label"]), "precision": None,
                  "heat": None, "parent": None, "links": [], "key": v})
        nodes.append(d)
    edges = [{"source": _unit_id(panel_id, u), "target": _unit_id(panel_id, v), "label": ""} for u, v in Q.edges]
    return {"id": panel_id, "title": "", "nodes": nodes, "edges": edges, "groups": []}


def _box_branches(panel: dict, report) -> None:
    """Boxes around the branches of each horizontal layer in the after-vertical-fusion panel."""
    members: dict[int, list[dict]] = {}
    for node in panel["nodes"]:
        if node["role"] == "unit":
            members.setdefault(node["key"][0], []).append(node)
    for index, nodes in members.items():
        if len(nodes) > 1:
            gid = f"{panel['id']}:group:L{index}"
            panel["groups"].append({"id": gid, "label": "fused horizontally next", "kind": "horizontal",
                                    "collapsible": False})
            for node in nodes:
                node["parent"] = gid


def _link_stages(p0: dict, p1: dict, p2: dict, unit_v: dict, unit_h: dict) -> None:
    """Links between the stages: an ONNX node, its vertical unit and its engine layer."""
    for node in p0["nodes"]:
        v = node["key"]
        if is_pseudo(v) or v not in unit_h:
            continue
        ids = [_unit_id("s1", unit_v[v]), _unit_id("s2", unit_h[v])]
        node["links"] = ids
    back: dict[str, list[str]] = {}
    for node in p0["nodes"]:
        for target in node["links"]:
            back.setdefault(target, []).append(node["id"])
    for node in p1["nodes"] + p2["nodes"]:
        node["links"] = back.get(node["id"], [])
    for p in (p0, p1, p2):
        for node in p["nodes"]:
            node.pop("key")
