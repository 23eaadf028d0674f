"""Engine-side names -> ONNX node keys: the name index and the layer-name reading the mapping uses."""

from __future__ import annotations

import bisect
import re


from ..engine.kinds import Kind
from ..engine.names import LayerName, parse_layer_name, plain_parts
from ..graph import OnnxGraph

__all__ = ["NameIndex", "parse_name", "leaves", "resolve_end", "MYL"]

# suffixes TensorRT appends to layer/node names (removed one after another, repeatedly)
_SUFFIXES = re.compile(r"(?: \[profile \d+\]|_myl\d+_\d+|_myl\d+| copy|_clone_\d+)$")
_QDQ = re.compile(r"(?:^|[^A-Za-z])(?:Quantize|Dequantize)Linear(?:_\d+)?\b|^(?:Quantize|Dequantize)Linear")
_WEIGHT = re.compile(r"[._](?:weight|bias|weights|kernel|gamma|beta)$", re.I)
# names of layers TensorRT creates itself (not ONNX nodes)
_INTERNAL = re.compile(
    r"\(Unnamed Layer\* ?\d+\)|^(?:unsqueeze_node_after_|squeeze_after_|copied_squeeze_after_|reshape_after_|"
    r"reshape_before_|shuffle_after_|shuffle_before_|transpose_after_|transpose_before_|__my)"
)
MYL = re.compile(r"__myl|_myl\d")
_MIN_PREFIX = 10  # shortest name accepted as a truncated prefix of an ONNX node name


class NameIndex:
    """Lookups from engine-side names to ONNX node keys."""

    def __init__(self, graph: OnnxGraph):
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
        self._consumers: dict[str, list[str]] | None = None
        #: (index, name) of ONNX nodes whose names hold a newline or NUL: TensorRT cuts names at NUL
        #: and one-line listings break at newlines, so such nodes are found through their tensors
        self.unsafe_names = [(info.index, k) for k, info in self.info.items() if '\n' in k or '\x00' in k]

    @property
    def consumers(self) -> dict[str, list[str]]:
        """Tensor name -> the nodes that read it (built on first use)."""
        if self._consumers is None:
            self._consumers = {}
            for k, info in self.info.items():
                for t in info.inputs:
                    if t:
                        self._consumers.setdefault(t, []).append(k)
        return self._consumers

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
class _Plain:
    """A plain ``a + b + c`` (or single) layer name, as the fast path in :func:`_parse_name` reads it."""

    __slots__ = ("text", "kind", "names")
    parts = ()
    target = None
    direction = None

    def __init__(self, text: str, names: list[str]):
        self.text = text
        self.names = names
        self.kind = Kind.VERTICAL if len(names) > 1 else Kind.SINGLE

    def ranges(self) -> list:
        return []

    def leaves(self) -> list[str]:
        return list(self.names)


def parse_name(name: str) -> "LayerName | _Plain":
    """``parse_layer_name(name)``, with a fast path for the commonest shape: a name with no
    brackets, ``||``, reformat/copy words or profile suffix is a vertical fusion of its `` + ``
    parts (or one single name) - what the grammar returns for it, read without its bracket
    bookkeeping, which was most of the mapping's own time at 10,000 layers."""
    parts = plain_parts(name)
    return parse_layer_name(name) if parts is None else _Plain(name, parts)


def leaves(parsed: "LayerName | _Plain") -> list[str]:
    """Node names in a parsed layer name. Unlike ``LayerName.leaves()``, a part inside a fused name
    that looks like an inserted copy (``X copy``, ``copied_X``) is kept as a name to normalise."""
    if parsed.kind == Kind.SINGLE or isinstance(parsed, _Plain):
        return parsed.leaves()
    if parsed.kind == Kind.VERTICAL and all(p.kind == Kind.SINGLE for p in parsed.parts):
        return [p.text for p in parsed.parts]
    if parsed.kind == Kind.REFORMAT:
        return [parsed.text]
    if parsed.kind == Kind.MYELIN:  # the ends of a region may be fused names themselves
        return [n for end in dict.fromkeys((parsed.first or "", parsed.last or "")) for n in _end_names(end)]
    out: list[str] = []
    for p in parsed.parts:
        out.extend(leaves(p))
    return out




def _end_names(end: str) -> list[str]:
    """The node names in one end of a ``{ForeignNode[first...last]}`` name: the end itself when it is a
    plain name, else the leaves of its own parse (``a.weight + x/Reshape_2`` -> both)."""
    parsed = parse_name(end)
    if parsed.kind in (Kind.SINGLE, Kind.REFORMAT, Kind.MYELIN):
        return [end]
    return leaves(parsed)


def resolve_end(end: str, idx: NameIndex, first: bool) -> str | None:
    """The ONNX node an end of a Myelin region names. A fused end (``a.weight + b``) is read through the
    name grammar: its names are nodes, or tensors (a weight) whose consumers start the region. The
    region starts at the earliest of them (``first``) or ends at the latest."""
    key = idx.resolve(end)
    if key is not None:
        return key
    keys = []
    for name in _end_names(end):
        k = idx.resolve(name)
        if k is not None:
            keys.append(k)
        elif first:
            keys.extend(idx.consumers.get(name, ()))
    if not keys:
        return None
    return (min if first else max)(keys, key=idx.pos.__getitem__)
