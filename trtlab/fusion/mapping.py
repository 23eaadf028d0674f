"""Map TensorRT engine layers back to the ONNX nodes they absorbed.

Evidence, in order of trust (the first that yields ONNX nodes wins, per layer):

1. **metadata** - ``[ONNX Layer: name]`` entries TensorRT writes per layer
   (``EngineLayer.onnx_nodes_from_metadata``; TensorRT >= 8.6 and TensorRT for RTX).
2. **name** - the layer-name grammar (:func:`trtlab.engine.names.parse_layer_name`): ``a + b``
   (vertical), ``a || b`` (horizontal), ``PWN(a, b)`` (pointwise), ``{ForeignNode[first...last]}``
   (Myelin region). An end of a region that is itself a fused name
   (``{ForeignNode[a.weight + b...c + d]}``) is read through the same grammar, a weight standing for
   the node that reads it, and the region runs from its earliest node to its latest; an end only
   TensorRT knows (``ONNXTRT_castHelper_9``) is taken from the layer's tensors. A Myelin region is
   expanded to the ONNX nodes on paths from ``first`` to ``last`` (descendants of first that are
   ancestors of last), plus the nodes that lie between them in topological order, touch that
   region, and no other engine layer names: a Myelin
   region is a connected piece of the graph, and sibling branches that feed it (the K and V
   projections next to a Q projection, shape subgraphs) are not on a first->last path but are
   inside the region.
3. **tensor** - engine tensor names equal ONNX tensor names for I/O and often for intermediates:
   a layer whose name says nothing (RTX ``__myl_...`` with empty Metadata) is mapped to the
   producers of its output tensors (and the unclaimed nodes between its inputs and them).

A name is matched exactly first, then normalised: `` [profile N]`` and TensorRT's suffixes
(``_myl0_3``, `` copy``, ``_clone_N``) removed; ``node_of_<tensor>`` (TensorRT's name for an
unnamed ONNX node) and bare tensor names resolved through the tensor's producer; case and
whitespace folded; and a long name that is the unique prefix of one ONNX node name (older
TensorRT truncated names) taken as that node.

**Kinds** (``FusedLayer.kind``):

- decorated names decide: ``+`` -> vertical, ``||`` -> horizontal, ``PWN(...)`` -> pointwise,
  ``{ForeignNode[...]}`` or LayerType ``Myelin`` -> myelin, reformat grammar
  (``Reformatting CopyNode ...``, ``... input/output reformatter N``, ``X copy``,
  ``copied_...``) -> reformat;
- a name that says nothing (RTX ``__myl_CorrMulAddRelu_myl0_1``) is classified by the
  topology of the ONNX nodes it absorbed: only elementwise ops -> pointwise; a chain ->
  vertical; separate branches that read a common tensor -> horizontal; any other shape ->
  myelin when produced by Myelin (``__myl``/``_myl`` names, LayerType ``kgen``/
  ``runtime_fusion``), else vertical; one node -> single;
- layers TensorRT inserted that match no node (LayerType Reformat/NoOp such as
  ``reshape_after_Gemm_48``, RTX ``__myl_Move...`` layout moves) -> reformat;
- stream ``signal``/``wait`` layers (no tensors) -> sync;
- Myelin's own bookkeeping kernels (``dummy_shape_call__mye*``, ``__mye*``, LayerType ``shape_call``) ->
  internal, each with a one-line note;
- a NoOp layer that names one of the network's nodes (``[ONNX Layer: /Unsqueeze]``) -> noop: the user's
  node, run without a kernel (not a reformat, which TensorRT inserts).

ONNX node names holding a newline or NUL byte cannot survive TensorRT's names (it cuts them at NUL; a
one-line listing breaks at a newline): they are reported in a warning and their layers found by tensor.

**Vanished ONNX nodes** (no engine layer) get a reason: *constant-folded* (every input a
constant), *folded into weights* (BatchNormalization after Conv/Gemm, Q/DQ on weights),
*folded into INT8 kernels* (Q/DQ on activations of an INT8 engine), *eliminated* (Identity,
Dropout, dead code, Concat written in place by its producers), *merged* (Reshape/Flatten/
Squeeze/Unsqueeze next to a mapped node). ONNX compute nodes neither mapped nor explained are
*unaccounted*; engine layers that match no ONNX node are *unmatched* - when most of them are, the
layer information belongs to another model (``report.is_mismatch``; ``strict=True`` raises
:class:`~trtlab.errors.MappingError`).
"""

from __future__ import annotations

import warnings
from collections import defaultdict

from .._boundary import boundary, gc_paused
from ..engine import EnginePlan, Profile
from ..engine.kinds import HELPER, SYNC_REASON, Kind, inserted_reason, internal_reason
from ..errors import MappingError
from ..graph import OnnxGraph
from ._index import MYL, NameIndex, leaves, parse_name, resolve_end
from ._rows import Row, as_graph, as_plan, as_profile, rows_from_plan
from ._topology import components, expand_range, topology_kind
from ._vanished import join_profile, vanished_nodes
from .patterns import short_pattern
from .report import FusedLayer, FusionReport

__all__ = ["map_fusion"]

_MYELIN_TYPES = frozenset(("Myelin", "kgen", "runtime_fusion"))
_MISMATCH_HINT = ("Check that the layer information and the model are intact (trtlab.load_layer_info, "
                  "trtlab.load_onnx), and report this with both files.")

OnnxSource = OnnxGraph | str | bytes
PlanSource = EnginePlan | Profile | str | dict | list


def map_fusion(onnx_graph: OnnxSource, plan: PlanSource, profile: Profile | str | None = None, *,
               strict: bool = False) -> FusionReport:
    """Map each engine layer of ``plan`` to the ONNX nodes of ``onnx_graph`` it absorbed.

    ``onnx_graph``: an :class:`~trtlab.graph.OnnxGraph` or anything :func:`trtlab.load_onnx` takes.
    ``plan``: an :class:`~trtlab.engine.EnginePlan` (layer information), a
    :class:`~trtlab.engine.Profile` when only a per-layer profile exists (its names drive the
    mapping), or a path to either. ``profile``: per-layer times to join by name (optional).
    ``strict``: raise :class:`~trtlab.errors.MappingError` when the layer information looks like
    it belongs to another model, instead of only flagging ``report.is_mismatch``.

    >>> report = map_fusion(load_onnx("resnet18.onnx"), load_layer_info("engine.graph.json"))
    >>> report.layer("Conv_5 + Add_6 + Relu_7").onnx_nodes
    ['Conv_5', 'Add_6', 'Relu_7']
    """
    # Mapping creates many small objects next to a large networkx graph: the cyclic garbage
    # collector would walk that graph again and again (half the run time at 10,000 layers).
    with boundary(MappingError, "mapping the engine layers onto the ONNX graph", _MISMATCH_HINT), gc_paused():
        return _map_fusion(onnx_graph, plan, profile, strict)


def _map_fusion(onnx_graph: OnnxSource, plan: PlanSource, profile: Profile | str | None,
                strict: bool) -> FusionReport:
    graph, plan = as_graph(onnx_graph), as_plan(plan)
    profile = as_profile(profile)
    if profile is None and isinstance(plan, Profile):
        profile = plan
    rows = rows_from_plan(plan)
    idx = NameIndex(graph)
    _warn_unsafe_names(idx)
    mapped = [_map_layer(r, idx) for r in rows]
    out = [fl for fl, _ in mapped]
    _expand_myelin_regions(out, [ranges for _, ranges in mapped], idx)
    by_node = _finish_layers(out, rows, idx)
    missing_qdq = [n for fl in out for n in fl.qdq]
    int8 = any((r.precision or "").upper() == "INT8" for r in rows) or bool(missing_qdq)
    vanished, unaccounted, compute = vanished_nodes(idx, by_node, int8)
    report = FusionReport(
        layers=out, onnx_graph=graph, plan=plan, profile=profile, coverage=1.0, mapped_share=1.0,
        unmatched=[], vanished=vanished, unaccounted=unaccounted, compute_nodes=compute,
        is_mismatch=False, mismatch_reason=None, missing_qdq=list(dict.fromkeys(missing_qdq)),
        profile_unmatched=join_profile(out, rows, profile), _by_node=dict(by_node), _by_name={},
    )
    _score(report)
    for i, fl in enumerate(out):
        report._by_name.setdefault(fl.name, i)
        report._by_name.setdefault(fl.uid, i)
    if report.is_mismatch:
        if strict:
            raise MappingError(report.mismatch_reason)
        warnings.warn("trtlab.map_fusion: " + report.mismatch_reason, stacklevel=3)
    return report


# ---------------------------------------------------------------------- step 1: each layer's evidence
def _warn_unsafe_names(idx: NameIndex) -> None:
    if idx.unsafe_names:
        shown = ", ".join(f"node {i} ({name!r})" for i, name in idx.unsafe_names[:3])
        more = f" and {len(idx.unsafe_names) - 3} more" if len(idx.unsafe_names) > 3 else ""
        warnings.warn(
            f"trtlab.map_fusion: ONNX {shown}{more} hold a newline or NUL byte in the name; TensorRT cuts "
            "names at NUL and one-line listings break at newlines, so their layers are matched by tensor "
            "names instead. Rename the nodes (onnx-graphsurgeon) for exact matches.", stacklevel=4)


def _new_layer(r: Row) -> FusedLayer:
    return FusedLayer(name=r.name, uid=r.uid, kind=Kind.SINGLE, onnx_nodes=[], op_types=[], pattern="", short="",
                      groups=[], evidence="none", index=r.index, tactic=r.tactic, precision=r.precision,
                      format=r.format, layer_type=r.layer_type, layer=r.layer, profile_index=r.profile_index,
                      compute_precision=r.compute_precision)


def _map_layer(r: Row, idx: NameIndex) -> tuple[FusedLayer, list[tuple[str, str]]]:
    """A FusedLayer with its evidence (metadata, name, tensor) and the Myelin ranges left to expand."""
    fl = _new_layer(r)
    if r.is_sync:
        fl.kind, fl.note = Kind.SYNC, SYNC_REASON
        return fl, []
    internal = internal_reason(r.base_name, r.layer_type)
    if internal is not None and not r.metadata:
        fl.kind, fl.note = Kind.INTERNAL, internal
        return fl, []
    parsed = parse_name(r.base_name)
    if parsed.kind == Kind.REFORMAT:
        fl.kind = Kind.REFORMAT
        fl.target = parsed.target.text if parsed.target is not None else None
        if parsed.direction == "copy":
            fl.note = "copy inserted by TensorRT" + (f" for {fl.target}" if fl.target else "")
        return fl, []
    groups, ranges = _evidence(r, parsed, idx, fl)
    inserted = _inserted_reason(r, fl) if not groups and not ranges else None
    if inserted is None and not groups and not ranges and r.outputs:
        groups = _tensor_evidence(r, idx, fl)
    fl.qdq = [n for n in fl.unresolved if idx.classify(n) == "qdq"]
    fl.groups = groups
    fl.kind = _name_kind(r, parsed, bool(groups or ranges))
    if not groups and not ranges:
        if inserted is not None or r.is_reformat:
            fl.kind = Kind.REFORMAT
            fl.note = inserted or "inserted by TensorRT (data movement); matches no ONNX node"
        fl.evidence = "none"
    return fl, ranges


def _resolve_all(names: list[str], idx: NameIndex, unresolved: list[str]) -> list[str]:
    """ONNX node keys of ``names`` (each once, in order); names matching none go to ``unresolved``."""
    keys: list[str] = []
    for n in names:
        k = idx.resolve(n)
        if k is None:
            if n:
                unresolved.append(n)
        elif k not in keys:
            keys.append(k)
    return keys


def _evidence(r: Row, parsed, idx: NameIndex, fl: FusedLayer) -> tuple[list[list[str]], list[tuple[str, str]]]:
    """Node groups from metadata, else from the name (with Myelin ranges); sets evidence and unresolved."""
    if r.metadata:
        keys = _resolve_all(r.metadata, idx, fl.unresolved)
        if keys:
            fl.evidence = "metadata"
            return [keys], []
    fl.unresolved = []
    parts = parsed.parts if parsed.kind == Kind.HORIZONTAL else (parsed,)
    groups = [_resolve_all(leaves(p), idx, fl.unresolved) for p in parts]
    ranges = []
    for first, last in (parsed.ranges() if "{ForeignNode[" in r.base_name else ()):
        span = _region_ends(first, last, r, idx)
        if span is not None:
            ranges.append(span)
    if ranges:  # the ends of a region are resolved through the grammar: not unresolved names
        fl.unresolved = [n for n in fl.unresolved if idx.classify(n) == "qdq"]
    if any(groups) or ranges:
        fl.evidence = "name"
    return [g for g in groups if g], ranges


def _region_ends(first: str, last: str, r: Row, idx: NameIndex) -> tuple[str, str] | None:
    """The ONNX nodes a Myelin region runs from and to. An end only TensorRT knows (an ONNX-parser
    helper such as ``ONNXTRT_castHelper_9``) is taken from the layer's tensors: the last node writing
    one of its outputs, the first node reading one of its inputs."""
    a, b = resolve_end(first, idx, first=True), resolve_end(last, idx, first=False)
    if b is None:
        writers = [k for k in (idx.producer.get(t) for t in r.outputs) if k is not None]
        b = max(writers, key=idx.pos.__getitem__) if writers else None
    if a is None and b is not None:
        readers = [k for t in r.inputs for k in idx.consumers.get(t, ()) if idx.pos[k] <= idx.pos[b]]
        a = min(readers, key=idx.pos.__getitem__) if readers else None
    return (a, b) if a is not None and b is not None else None


def _inserted_reason(r: Row, fl: FusedLayer) -> str | None:
    """Why a layer that names no node was inserted by TensorRT (a shape helper, a Myelin move), or None."""
    m = HELPER.match(r.base_name)
    if m:
        fl.target = m.group(1)
    return inserted_reason(r.base_name)


def _tensor_evidence(r: Row, idx: NameIndex, fl: FusedLayer) -> list[list[str]]:
    """The producers of the layer's output tensors (for layers whose names say nothing)."""
    keys = [k for k in (idx.producer.get(t) for t in r.outputs) if k is not None]
    if not keys:
        return []
    fl.evidence, fl.unresolved = "tensor", []
    return [list(dict.fromkeys(keys))]


def _name_kind(r: Row, parsed, matched: bool) -> Kind:
    """The kind the name and LayerType tell; a NoOp layer that names the network's nodes is a noop."""
    if matched and (r.layer_type or "").lower() == "noop":
        return Kind.NOOP
    if parsed.kind in (Kind.VERTICAL, Kind.HORIZONTAL, Kind.POINTWISE, Kind.MYELIN):
        return Kind(parsed.kind)
    if r.layer_type == "Myelin":
        return Kind.MYELIN
    return Kind.SINGLE


# ---------------------------------------------------------------------- step 2: Myelin regions
def _expand_myelin_regions(out: list[FusedLayer], ranges: list[list[tuple[str, str]]], idx: NameIndex) -> None:
    """Expand each Myelin region to the nodes between its ends, knowing what other layers claimed."""
    claimed = {k for fl in out for g in fl.groups for k in g}
    for fl, rs in zip(out, ranges):
        if not rs:
            continue
        keys = [k for g in fl.groups for k in g]
        for a, b in rs:
            keys.extend(expand_range(a, b, idx, claimed - set(keys)))
        keys = list(dict.fromkeys(keys))
        fl.groups = [keys]
        claimed.update(keys)


# ---------------------------------------------------------------------- step 3: order, kinds, patterns
def _finish_layers(out: list[FusedLayer], rows: list[Row], idx: NameIndex) -> dict[str, list[int]]:
    """Node order, op types, kinds from topology and patterns; returns ONNX node -> layer indices."""
    by_node: dict[str, list[int]] = defaultdict(list)
    for i, fl in enumerate(out):
        if fl.is_inserted:
            fl.pattern, fl.short = _inserted_labels(fl)
            continue
        nodes = sorted({k for g in fl.groups for k in g}, key=idx.pos.__getitem__)
        fl.onnx_nodes = nodes
        for k in nodes:
            by_node[k].append(i)
        _set_groups(fl, rows[i], nodes, idx)
        fl.op_types = [idx.info[k].op_type for k in nodes]
        group_ops = [[idx.info[k].op_type for k in g] for g in fl.groups]
        fl.pattern = " || ".join("+".join(g) for g in group_ops)
        fl.short = short_pattern(group_ops) if nodes else "?"
    return by_node


def _inserted_labels(fl: FusedLayer) -> tuple[str, str]:
    if fl.kind == Kind.REFORMAT:
        return "Reformat", "copy" if fl.note and fl.note.startswith("copy") else "RF"
    if fl.kind == Kind.SYNC:
        return "Sync", "sync"
    return "Internal", "int"


def _set_groups(fl: FusedLayer, r: Row, nodes: list[str], idx: NameIndex) -> None:
    """The groups (branches) of a layer and, for names that say nothing, its kind from topology."""
    if fl.kind == Kind.SINGLE and len(nodes) > 1:
        myelin_made = (r.layer_type in _MYELIN_TYPES) or bool(MYL.search(r.name))
        fl.kind, fl.groups = topology_kind(nodes, idx, myelin_made)
    elif fl.kind != Kind.HORIZONTAL:
        fl.groups = [nodes] if nodes else []
    elif len(fl.groups) <= 1 and len(nodes) > 1:
        # a "||" name mapped through metadata (one flat list): the branches are the pieces
        # of the absorbed subgraph that do not touch each other
        comps = components(nodes, idx.G)
        comps.sort(key=lambda c: min(idx.pos[k] for k in c))
        fl.groups = [sorted(c, key=idx.pos.__getitem__) for c in comps]
    else:
        fl.groups = [sorted(g, key=idx.pos.__getitem__) for g in fl.groups]


# ---------------------------------------------------------------------- step 4: coverage and mismatch
def _score(report: FusionReport) -> None:
    """Coverage, unmatched layers and whether the layer information belongs to another model."""
    compute = report.compute_nodes
    explained = {v.name for v in report.vanished}
    by_node = report._by_node
    accounted = sum(1 for k in compute if k in by_node or k in explained)
    mapped = sum(1 for k in compute if k in by_node)
    report.coverage = accounted / len(compute) if compute else 1.0
    report.mapped_share = mapped / len(compute) if compute else 1.0
    named = [fl for fl in report.layers if not fl.is_inserted]
    report.unmatched = [fl.name for fl in named if not fl.onnx_nodes]
    matched_rate = (len(named) - len(report.unmatched)) / len(named) if named else 1.0
    report.is_mismatch = bool(named) and bool(compute) and (matched_rate < 0.5 or report.coverage < 0.5)
    if report.is_mismatch:
        report.mismatch_reason = _mismatch_reason(report, named, matched_rate)


def _mismatch_reason(report: FusionReport, named: list[FusedLayer], matched_rate: float) -> str:
    unmatched, missing_qdq = report.unmatched, report.missing_qdq
    why = []
    if matched_rate < 0.5:
        why.append(f"only {len(named) - len(unmatched)} of {len(named)} engine layers ({100 * matched_rate:.0f}%) "
                   f"name a node of this ONNX model")
    if report.coverage < 0.5:
        why.append(f"only {100 * report.coverage:.0f}% of its {len(report.compute_nodes)} compute nodes are "
                   "accounted for")
    reason = (" and ".join(why) + ": the layer information most likely belongs to another model"
              + (f" (unmatched: {', '.join(unmatched[:3])}{', ...' if len(unmatched) > 3 else ''})" if unmatched else "")
              + ". Map it against the ONNX model the engine was built from.")
    if missing_qdq:
        reason += (f" Its layer names include {len(missing_qdq)} Q/DQ nodes ({', '.join(missing_qdq[:2])}, ...) "
                   f"that this model does not have: the engine was built from a quantized (Q/DQ) export.")
    return reason
