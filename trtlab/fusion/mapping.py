"""Map TensorRT engine layers back to the ONNX nodes they absorbed.

Evidence, in order of trust (the first that yields ONNX nodes wins, per layer):

1. **metadata** - ``[ONNX Layer: name]`` entries TensorRT writes per layer
   (``EngineLayer.onnx_nodes_from_metadata``; TensorRT >= 8.6 and TensorRT for RTX).
2. **name** - the layer-name grammar (:func:`trtlab.engine.names.parse_layer_name`): ``a + b``
   (vertical), ``a || b`` (horizontal), ``PWN(a, b)`` (pointwise), ``{ForeignNode[first...last]}``
   (Myelin region). A Myelin region is expanded to the ONNX nodes on paths from ``first`` to
   ``last`` (descendants of first that are ancestors of last), plus the nodes that lie between
   them in topological order, touch that region, and no other engine layer names: a Myelin
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
- stream ``signal``/``wait`` layers (no tensors) -> sync.

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

import bisect
import gc
import os
import re
import warnings
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from ..errors import LayerInfoError, MappingError, TrtlabError
from ..graph.loader import is_model_source
from .patterns import ELEMENTWISE_OPS, QDQ_OPS, SHAPE_OPS, TRIVIAL_OPS, short_pattern
from .report import FusedLayer, FusionReport, VanishedNode

__all__ = ["map_fusion"]

# suffixes TensorRT appends to layer/node names (removed one after another, repeatedly)
_SUFFIXES = re.compile(r"(?: \[profile \d+\]|_myl\d+_\d+|_myl\d+| copy|_clone_\d+)$")
_QDQ = re.compile(r"(?:^|[^A-Za-z])(?:Quantize|Dequantize)Linear(?:_\d+)?\b|^(?:Quantize|Dequantize)Linear")
_WEIGHT = re.compile(r"[._](?:weight|bias|weights|kernel|gamma|beta)$", re.I)
# names of layers TensorRT creates itself (not ONNX nodes)
_INTERNAL = re.compile(
    r"\(Unnamed Layer\* ?\d+\)|^(?:unsqueeze_node_after_|squeeze_after_|copied_squeeze_after_|reshape_after_|"
    r"reshape_before_|shuffle_after_|shuffle_before_|transpose_after_|transpose_before_|__my)"
)
_MYELIN_TYPES = frozenset(("Myelin", "kgen", "runtime_fusion"))
_SYNC_TYPES = frozenset(("signal", "wait"))
# Myelin kernels that only move data (layout transposes, copies): named after their ops, no metadata
_MOVE_ONLY = re.compile(r"^__myl_(?:Move|Copy|Reformat|Transpose|Tran|Cast)+(?:_myl\d+_\d+)?$")
# shuffles TensorRT inserts around a layer X and names after it
_HELPER = re.compile(r"^(?:unsqueeze_node_after_|squeeze_after_|copied_squeeze_after_|reshape_after_|reshape_before_|"
                     r"shuffle_after_|shuffle_before_|transpose_after_|transpose_before_)(.+)$")
_MYL = re.compile(r"__myl|_myl\d")
_MIN_PREFIX = 10  # shortest name accepted as a truncated prefix of an ONNX node name


@dataclass
class _Row:
    """Internal view of one engine layer, from an EngineLayer or a profile entry."""

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
    format: str | None = None
    layer: Any = None


# ---------------------------------------------------------------------- inputs
def _as_graph(src: Any):
    if hasattr(src, "nx") and hasattr(src, "node"):
        return src
    if is_model_source(src):
        from ..graph import load_onnx

        return load_onnx(src)
    raise MappingError(
        f"map_fusion needs the ONNX model as an OnnxGraph (trtlab.load_onnx), a path or ONNX bytes, "
        f"not a {type(src).__name__}."
    )


def _is_profile(obj: Any) -> bool:
    from ..engine import Profile

    return isinstance(obj, Profile)


def _as_plan(src: Any):
    """EnginePlan or Profile from an object, a path, JSON text or parsed JSON."""
    from ..engine import EnginePlan, Profile, load_layer_info, load_profile

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


def _as_profile(src: Any):
    if src is None or _is_profile(src):
        return src
    from ..engine import load_profile

    if isinstance(src, (str, os.PathLike, list)):
        return load_profile(src)
    raise MappingError(f"profile= takes a Profile (trtlab.load_profile) or a path, not a {type(src).__name__}.")


def _rows_from_plan(plan: Any) -> list[_Row]:
    from ..engine.names import is_reformat_name, split_profile_suffix

    rows: list[_Row] = []
    if _is_profile(plan):
        seen: dict[str, int] = defaultdict(int)
        for i, lt in enumerate(plan.layers):
            base, prof = split_profile_suffix(lt.name)
            k = seen[lt.name]
            seen[lt.name] += 1
            rows.append(_Row(index=i, uid=lt.name if k == 0 else f"{lt.name}#{k}", name=lt.name, base_name=base,
                             is_reformat=is_reformat_name(lt.name), profile_index=prof))
        return rows
    for layer in plan.layers:
        outs = [t.name for t in layer.outputs]
        ins = [t.name for t in layer.inputs]
        ltype = layer.layer_type
        sync = bool(getattr(layer, "is_sync", False)) or (ltype in _SYNC_TYPES and not outs and not ins)
        fmt = next((t.format for t in layer.outputs if t.format), None)
        # one output (the usual case): its dtype is the layer's precision, no need to count
        prec = layer.outputs[0].dtype if len(layer.outputs) == 1 and layer.outputs[0].dtype else layer.precision
        rows.append(_Row(
            index=layer.index, uid=layer.uid, name=layer.name, base_name=layer.base_name or layer.name,
            layer_type=ltype, inputs=ins, outputs=outs, metadata=list(layer.onnx_nodes_from_metadata or []),
            is_reformat=bool(layer.is_reformat), is_sync=sync, profile_index=layer.profile_index,
            tactic=layer.tactic, precision=prec,
            format=fmt, layer=layer,
        ))
    return rows


# ---------------------------------------------------------------------- name index
class _Index:
    """Lookups from engine-side names to ONNX node keys."""

    def __init__(self, graph: Any):
        self.graph = graph
        G = graph.nx
        self.G = G
        self.info = {k: d["info"] for k, d in G.nodes(data=True)}
        # ONNX requires nodes in topological order, so the file order usually is one: check it
        # (one pass over the edges) and only sort the graph when the file is out of order.
        index = {k: info.index for k, info in self.info.items()}
        if all(index[u] < index[v] for u, v in G.edges):
            self.pos = index
        else:
            self.pos = {k: i for i, k in enumerate(graph.topological_order())}
        self.exact: dict[str, str] = {k: k for k in self.info}
        self.producer: dict[str, str] = {}
        for k, info in self.info.items():
            if info.onnx_name and info.onnx_name not in self.exact:
                self.exact[info.onnx_name] = k
            for t in info.outputs:
                if t:
                    self.producer[t] = k
        self.initializers = set(getattr(graph, "initializers", {}) or {})
        self._folded: dict[str, str | None] | None = None
        self._sorted: list[str] | None = None

    def _fold(self, s: str) -> str:
        return " ".join(s.split()).lower()

    def resolve(self, name: str) -> str | None:
        """ONNX node key for an engine-side name, or None."""
        key = self.exact.get(name)
        if key is not None:
            return key
        cands = [name.strip()]
        s = cands[0]
        while True:
            t = _SUFFIXES.sub("", s)
            if t == s or not t:
                break
            s = t
            cands.append(s)
        for c in cands:
            key = self.exact.get(c)
            if key is not None:
                return key
            if c.startswith("node_of_"):
                key = self.producer.get(c[8:]) or self.exact.get(c[8:])
                if key is not None:
                    return key
            key = self.producer.get(c)
            if key is not None:
                return key
        if self._folded is None:
            folded: dict[str, str | None] = {}
            for n, k in self.exact.items():
                f = self._fold(n)
                folded[f] = k if folded.get(f, k) == k else None  # None marks an ambiguous fold
            self._folded = folded
        for c in cands:
            key = self._folded.get(self._fold(c))
            if key is not None:
                return key
        s = cands[-1]
        if len(s) >= _MIN_PREFIX:
            # Older TensorRT truncated long names: accept a unique prefix of one ONNX node name.
            if self._sorted is None:
                self._sorted = sorted(self.exact)
            i = bisect.bisect_left(self._sorted, s)
            hits = []
            while i < len(self._sorted) and self._sorted[i].startswith(s) and len(hits) < 2:
                hits.append(self._sorted[i])
                i += 1
            if len(hits) == 1:
                return self.exact[hits[0]]
        return None

    def classify(self, name: str) -> str:
        """What an unresolved name is: qdq | weight | internal | unknown."""
        if _QDQ.search(name):
            return "qdq"
        if name in self.initializers or _WEIGHT.search(name):
            return "weight"
        if _INTERNAL.search(name):
            return "internal"
        return "unknown"


# characters/words that make a layer name need the full grammar (brackets, "||", reformat and copy
# forms, profile suffixes); a name without any of them can only be "a + b + c" or a single name
_GRAMMAR_MARKS = re.compile(r"[()\[\]{}|]|Reformatting CopyNode| reformatter | copy|copied_|PWN")


class _Plain:
    """A plain ``a + b + c`` (or single) layer name, as the fast path in :func:`_parse_name` reads it."""

    __slots__ = ("text", "kind", "names")
    parts = ()
    target = None
    direction = None

    def __init__(self, text: str, names: list[str]):
        self.text = text
        self.names = names
        self.kind = "vertical" if len(names) > 1 else "single"

    def ranges(self) -> list:
        return []

    def leaves(self) -> list[str]:
        return list(self.names)


def _parse_name(name: str):
    """``parse_layer_name(name)``, with a fast path for the commonest shape: a name with no
    brackets, ``||``, reformat/copy words or profile suffix is a vertical fusion of its `` + ``
    parts (or one single name) - what the grammar returns for it, read without its bracket
    bookkeeping, which was most of the mapping's own time at 10,000 layers."""
    from ..engine.names import parse_layer_name

    if _GRAMMAR_MARKS.search(name) or name != name.strip():
        return parse_layer_name(name)
    parts = name.split(" + ")
    if not all(parts):
        return parse_layer_name(name)
    return _Plain(name, parts)


def _leaves(parsed) -> list[str]:
    """Node names in a parsed layer name. Unlike ``LayerName.leaves()``, a part inside a fused name
    that looks like an inserted copy (``X copy``, ``copied_X``) is kept as a name to normalise."""
    if parsed.kind == "single" or isinstance(parsed, _Plain):
        return parsed.leaves()
    if parsed.kind == "vertical" and all(p.kind == "single" for p in parsed.parts):
        return [p.text for p in parsed.parts]
    if parsed.kind == "reformat":
        return [parsed.text]
    if parsed.kind in ("single", "myelin"):
        return parsed.leaves()
    out: list[str] = []
    for p in parsed.parts:
        out.extend(_leaves(p))
    return out


# ---------------------------------------------------------------------- topology
def _components(keys: list[str], G: Any) -> list[list[str]]:
    """Weakly connected components of the nodes ``keys`` (edges among them only)."""
    parent = {k: k for k in keys}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for u in keys:
        for v in G.succ[u]:
            if v in parent:
                ru, rv = find(u), find(v)
                if ru != rv:
                    parent[ru] = rv
    comps: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        comps[find(k)].append(k)
    return list(comps.values())


def _is_chain(keys: list[str], G: Any) -> bool:
    s = set(keys)
    edges = 0
    indeg: dict[str, int] = defaultdict(int)
    for u in keys:
        out = [v for v in G.succ[u] if v in s]
        if len(out) > 1:
            return False
        edges += len(out)
        for v in out:
            indeg[v] += 1
            if indeg[v] > 1:
                return False
    return edges == len(keys) - 1


def _topology_kind(keys: list[str], idx: _Index, myelin_made: bool) -> tuple[str, list[list[str]]]:
    """Kind of a layer from the ONNX nodes it absorbed (for names that say nothing)."""
    if len(keys) <= 1:
        return "single", [keys]
    G = idx.G
    if all(idx.info[k].op_type in ELEMENTWISE_OPS for k in keys):
        return "pointwise", [keys]
    if _is_chain(keys, G):
        return "vertical", [keys]
    comps = _components(keys, G)
    if len(comps) > 1:
        # siblings: every branch reads one tensor that all branches share
        shared = None
        for comp in comps:
            cs = set(comp)
            reads = {t for k in comp for t in idx.info[k].inputs if t and idx.producer.get(t) not in cs}
            shared = reads if shared is None else shared & reads
        if shared:
            comps.sort(key=lambda c: min(idx.pos[k] for k in c))
            return "horizontal", [sorted(c, key=idx.pos.__getitem__) for c in comps]
    return ("myelin" if myelin_made else "vertical"), [keys]


def _expand_range(first: str, last: str, idx: _Index, claimed: set[str]) -> list[str]:
    """ONNX nodes of a Myelin region named by its first and last node (see module docstring)."""
    import networkx as nx

    G = idx.G
    if first == last:
        return [first]
    if idx.pos[first] > idx.pos[last]:
        first, last = last, first
    region = ({first, last} | (nx.descendants(G, first) & nx.ancestors(G, last)))
    lo, hi = idx.pos[first], idx.pos[last]
    between = [k for k, p in idx.pos.items() if lo < p < hi and k not in region and k not in claimed]
    between.sort(key=idx.pos.__getitem__)
    # two sweeps (forward, backward) add unclaimed in-between nodes attached to the region
    for seq in (between, list(reversed(between))):
        for k in seq:
            if k in region:
                continue
            if any(n in region for n in G.pred[k]) or any(n in region for n in G.succ[k]):
                region.add(k)
    return sorted(region, key=idx.pos.__getitem__)


# ---------------------------------------------------------------------- main
def map_fusion(onnx_graph: Any, plan: Any, profile: Any = None, *, strict: bool = False) -> FusionReport:
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
    # collector would walk that graph again and again (half the run time at 10,000 layers), and
    # nothing made here needs it during the call, so it is paused and restored afterwards.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _map_fusion(onnx_graph, plan, profile, strict)
    except TrtlabError:
        raise
    except Exception as exc:  # the boundary: a notebook user gets a trtlab error, never a deep traceback
        raise MappingError(f"mapping the engine layers onto the ONNX graph failed: {type(exc).__name__}: {exc}. "
                           f"Check that the layer information and the model are intact (trtlab.load_layer_info, "
                           f"trtlab.load_onnx), and report this with both files.") from exc
    finally:
        if enabled:
            gc.enable()


def _map_fusion(onnx_graph: Any, plan: Any, profile: Any, strict: bool) -> FusionReport:
    graph = _as_graph(onnx_graph)
    plan = _as_plan(plan)
    profile = _as_profile(profile)
    if profile is None and _is_profile(plan):
        profile = plan
    rows = _rows_from_plan(plan)
    idx = _Index(graph)
    int8 = any((r.precision or "").upper() == "INT8" for r in rows)

    out: list[FusedLayer] = []
    pending: list[tuple[int, list[tuple[str, str]]]] = []  # Myelin ranges resolved after pass 1
    missing_qdq: list[str] = []
    for r in rows:
        parsed = _parse_name(r.base_name)
        fl = FusedLayer(name=r.name, uid=r.uid, kind="single", onnx_nodes=[], op_types=[], pattern="", short="",
                        groups=[], evidence="none", index=r.index, tactic=r.tactic, precision=r.precision,
                        format=r.format, layer_type=r.layer_type, layer=r.layer, profile_index=r.profile_index)
        out.append(fl)
        if r.is_sync:
            fl.kind, fl.note = "sync", "stream synchronisation (signal/wait): runs no kernel"
            continue
        if parsed.kind == "reformat":
            fl.kind = "reformat"
            fl.target = parsed.target.text if parsed.target is not None else None
            if parsed.direction == "copy":
                fl.note = "copy inserted by TensorRT" + (f" for {fl.target}" if fl.target else "")
            continue

        unresolved: list[str] = []

        def resolve_all(names: list[str]) -> list[str]:
            keys = []
            for n in names:
                k = idx.resolve(n)
                if k is None:
                    if n:
                        unresolved.append(n)
                elif k not in keys:
                    keys.append(k)
            return keys

        groups: list[list[str]] = []
        if r.metadata:
            keys = resolve_all(r.metadata)
            if keys:
                groups, fl.evidence = [keys], "metadata"
        ranges: list[tuple[str, str]] = []
        if not groups:
            unresolved.clear()
            parts = parsed.parts if parsed.kind == "horizontal" else (parsed,)
            groups = [resolve_all(_leaves(p)) for p in parts]
            for first, last in (parsed.ranges() if "{ForeignNode[" in r.base_name else ()):
                a, b = idx.resolve(first), idx.resolve(last)
                if a is not None and b is not None:
                    ranges.append((a, b))
            if any(groups) or ranges:
                fl.evidence = "name"
            groups = [g for g in groups if g]
        inserted = None
        if not groups and not ranges:
            m = _HELPER.match(r.base_name)
            if m:
                inserted = f"shape helper TensorRT inserted for {m.group(1)}"
                fl.target = m.group(1)
            elif _MOVE_ONLY.match(r.base_name):
                inserted = "data movement (layout transpose/copy) inserted by Myelin"
        if inserted is None and not groups and not ranges and r.outputs:
            keys = [k for k in (idx.producer.get(t) for t in r.outputs) if k is not None]
            if keys:
                groups, fl.evidence = [list(dict.fromkeys(keys))], "tensor"
                unresolved.clear()
        fl.unresolved = unresolved
        fl.qdq = [n for n in unresolved if idx.classify(n) == "qdq"]
        missing_qdq.extend(fl.qdq)
        fl.groups = groups
        if ranges:
            pending.append((len(out) - 1, ranges))
        # kind
        if parsed.kind in ("vertical", "horizontal", "pointwise", "myelin"):
            fl.kind = parsed.kind
        elif r.layer_type == "Myelin":
            fl.kind = "myelin"
        if not groups and not ranges:
            if inserted is not None or r.is_reformat:
                fl.kind = "reformat"
                fl.note = inserted or "inserted by TensorRT (data movement); matches no ONNX node"
            fl.evidence = "none"

    # pass 2: Myelin ranges, expanded with knowledge of what other layers claimed
    claimed = {k for fl in out for g in fl.groups for k in g}
    for i, ranges in pending:
        fl = out[i]
        keys = [k for g in fl.groups for k in g]
        for a, b in ranges:
            keys.extend(_expand_range(a, b, idx, claimed - set(keys)))
        keys = list(dict.fromkeys(keys))
        fl.groups = [keys]
        claimed.update(keys)

    # pass 3: order, op types, kinds from topology, patterns
    by_node: dict[str, list[int]] = defaultdict(list)
    for i, fl in enumerate(out):
        if fl.kind in ("reformat", "sync"):
            fl.pattern = "Reformat" if fl.kind == "reformat" else "Sync"
            fl.short = ("copy" if fl.note and fl.note.startswith("copy") else "RF") if fl.kind == "reformat" else "sync"
            continue
        nodes = sorted({k for g in fl.groups for k in g}, key=idx.pos.__getitem__)
        fl.onnx_nodes = nodes
        for k in nodes:
            by_node[k].append(i)
        if fl.kind == "single" and len(nodes) > 1:
            r = rows[i]
            myelin_made = (r.layer_type in _MYELIN_TYPES) or bool(_MYL.search(r.name))
            fl.kind, fl.groups = _topology_kind(nodes, idx, myelin_made)
        elif fl.kind != "horizontal":
            fl.groups = [nodes] if nodes else []
        elif len(fl.groups) <= 1 and len(nodes) > 1:
            # a "||" name mapped through metadata (one flat list): the branches are the pieces
            # of the absorbed subgraph that do not touch each other
            comps = _components(nodes, idx.G)
            comps.sort(key=lambda c: min(idx.pos[k] for k in c))
            fl.groups = [sorted(c, key=idx.pos.__getitem__) for c in comps]
        else:
            fl.groups = [sorted(g, key=idx.pos.__getitem__) for g in fl.groups]
        fl.op_types = [idx.info[k].op_type for k in nodes]
        group_ops = [[idx.info[k].op_type for k in g] for g in fl.groups]
        fl.pattern = " || ".join("+".join(g) for g in group_ops)
        fl.short = short_pattern(group_ops) if nodes else "?"

    # pass 4: ONNX nodes without an engine layer
    vanished, unaccounted, compute = _vanished(idx, by_node, int8 or bool(missing_qdq))
    explained = {v.name for v in vanished}
    accounted = sum(1 for k in compute if k in by_node or k in explained)
    mapped = sum(1 for k in compute if k in by_node)
    coverage = accounted / len(compute) if compute else 1.0
    mapped_share = mapped / len(compute) if compute else 1.0

    # timing
    profile_unmatched = _join_profile(out, rows, profile)

    named = [fl for fl in out if fl.kind not in ("reformat", "sync")]
    unmatched = [fl.name for fl in named if not fl.onnx_nodes]
    matched_rate = (len(named) - len(unmatched)) / len(named) if named else 1.0
    is_mismatch = bool(named) and bool(compute) and (matched_rate < 0.5 or coverage < 0.5)
    reason = None
    if is_mismatch:
        why = []
        if matched_rate < 0.5:
            why.append(f"only {len(named) - len(unmatched)} of {len(named)} engine layers ({100 * matched_rate:.0f}%) "
                       f"name a node of this ONNX model")
        if coverage < 0.5:
            why.append(f"only {100 * coverage:.0f}% of its {len(compute)} compute nodes are accounted for")
        reason = (" and ".join(why) + ": the layer information most likely belongs to another model"
                  + (f" (unmatched: {', '.join(unmatched[:3])}{', ...' if len(unmatched) > 3 else ''})" if unmatched else "")
                  + ". Map it against the ONNX model the engine was built from.")
        if missing_qdq:
            reason += (f" Its layer names include {len(missing_qdq)} Q/DQ nodes ({', '.join(missing_qdq[:2])}, ...) "
                       f"that this model does not have: the engine was built from a quantized (Q/DQ) export.")
    report = FusionReport(
        layers=out, onnx_graph=graph, plan=plan, profile=profile, coverage=coverage, mapped_share=mapped_share,
        unmatched=unmatched, vanished=vanished, unaccounted=unaccounted, compute_nodes=compute,
        is_mismatch=is_mismatch, mismatch_reason=reason, missing_qdq=list(dict.fromkeys(missing_qdq)),
        profile_unmatched=profile_unmatched, _by_node=dict(by_node), _by_name={},
    )
    for i, fl in enumerate(out):
        report._by_name.setdefault(fl.name, i)
        report._by_name.setdefault(fl.uid, i)
    if is_mismatch:
        if strict:
            raise MappingError(reason)
        warnings.warn("trtlab.map_fusion: " + reason, stacklevel=2)
    return report


def _vanished(idx: _Index, by_node: dict[str, list[int]], int8: bool):
    """Classify ONNX nodes that no engine layer absorbed; return (vanished, unaccounted, compute)."""
    import networkx as nx

    G, info = idx.G, idx.info
    graph = idx.graph
    order = sorted(info, key=idx.pos.__getitem__)
    const: set[str] = set(idx.initializers)
    tensors = getattr(graph, "tensors", {}) or {}
    # live nodes: those from which a graph output can be reached
    outputs = [getattr(t, "name", t) for t in (getattr(graph, "outputs", None) or [])]
    live: set[str] = set()
    for k in {idx.producer.get(t) for t in outputs} - {None}:
        if k not in live:
            live.add(k)
            live |= nx.ancestors(G, k)
    if not outputs:
        live = set(info)

    vanished: list[VanishedNode] = []
    unaccounted: list[str] = []
    compute: list[str] = []
    for k in order:
        n = info[k]
        op = n.op_type
        ins = [t for t in n.inputs if t]
        folded = op in ("Constant", "ConstantOfShape") or bool(ins and const.issuperset(ins))
        if not folded and op in ("Shape", "Size") and ins:
            shape = getattr(tensors.get(ins[0]), "shape", None)
            folded = shape is not None and all(isinstance(d, int) for d in shape)
        if folded:
            const.update(t for t in n.outputs if t)
        is_compute = op not in TRIVIAL_OPS and not folded
        if is_compute:
            compute.append(k)
        if k in by_node:
            continue
        reason = None
        producer_ops = [info[p].op_type for p in G.pred[k]]
        neighbours_mapped = any(p in by_node for p in G.pred[k]) or any(s in by_node for s in G.succ[k])
        if folded:
            reason = "constant-folded"
        elif k not in live:
            reason = "eliminated"
        elif op in TRIVIAL_OPS:
            reason = "eliminated"
        elif op == "BatchNormalization" and any(p in by_node for p in G.pred[k]) and set(producer_ops) & {
                "Conv", "ConvTranspose", "Gemm", "MatMul"}:
            reason = "folded into weights"
        elif op in QDQ_OPS:
            if ins and ins[0] in idx.initializers:
                reason = "folded into weights"
            elif int8 and neighbours_mapped:
                reason = "folded into INT8 kernels"
        elif op in SHAPE_OPS and neighbours_mapped:
            reason = "merged"
        elif op == "Concat" and any(p in by_node for p in G.pred[k]):
            reason = "eliminated"  # concat elision: producers write into the output buffer
        if reason is not None:
            vanished.append(VanishedNode(k, op, reason))
        elif is_compute:
            unaccounted.append(k)
    return vanished, unaccounted, compute


def _join_profile(out: list[FusedLayer], rows: list[_Row], profile: Any) -> list[str]:
    """Put per-layer times on the report rows; return profile names matching no layer."""
    if profile is None:
        return []
    queues: dict[str, deque] = defaultdict(deque)
    for lt in profile.layers:
        queues[lt.name].append(lt)
    total = None
    try:
        total = float(profile.total_ms)
    except Exception:  # noqa: BLE001 - a profile without totals still gives per-layer times
        total = None
    for fl, r in zip(out, rows):
        q = queues.get(r.name) or queues.get(r.base_name)
        if not q:
            continue
        lt = q.popleft()
        t = lt.average_ms if lt.average_ms is not None else lt.time_ms
        fl.time_ms = float(t) if t is not None else None
        if lt.percentage is not None:
            fl.share = float(lt.percentage) / 100.0
        elif total and fl.time_ms is not None:
            fl.share = fl.time_ms / total
    return [lt.name for q in queues.values() for lt in q]
