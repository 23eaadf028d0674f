"""Grammar of TensorRT engine layer names.

TensorRT names a fused layer after the layers it absorbed::

    Conv_5 + Add_6 + Relu_7                       vertical fusion (" + ")
    a/1x1 + a/relu || b/3x3_reduce + b/relu        horizontal fusion (" || " binds loosest)
    PWN(PWN(Clip_12), Add_13)                      pointwise fusion, nests
    {ForeignNode[/Conv_1.../Add_9]}                Myelin region, first ... last node
    Reformatting CopyNode for Input Tensor 0 to X  reformat layer inserted for layer X
    X input reformatter 0                          the same, older TensorRT
    copied_squeeze_after_X, X copy                 copies inserted by TensorRT

ONNX names may themselves contain spaces, ``+``, ``/``, ``.`` and brackets, so separators are
only recognised at bracket depth 0, and a name whose brackets do not balance is taken whole
as a single name. Parsing never raises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .kinds import NAME_KINDS, Kind

__all__ = ["LayerName", "parse_layer_name", "split_profile_suffix", "is_reformat_name", "KINDS", "plain_parts",
           "name_kind"]

#: the kinds a name alone can tell (:data:`trtlab.engine.kinds.NAME_KINDS`)
KINDS = NAME_KINDS

_PROFILE_RE = re.compile(r"^(.*?) \[profile (\d+)\]$", re.S)
_COPYNODE_RE = re.compile(r"^Reformatting CopyNode for (Input|Output) Tensor (\d+) to (.*)$", re.S)
_REFORMATTER_RE = re.compile(r"^(.*) (input|output) reformatter (\d+)$", re.S)
_COPY_SUFFIX_RE = re.compile(r"^(.*) copy$", re.S)
_COPIED_PREFIX = "copied_"
_FOREIGN_RE = re.compile(r"^\{ForeignNode\[(.*)\]\}$", re.S)
_BRACKETS = re.compile(r"[()\[\]{}]")
_OPEN = {"(": ")", "[": "]", "{": "}"}


@dataclass(frozen=True)
class LayerName:
    """A parsed engine layer name.

    ``kind`` is one of vertical, horizontal, pointwise, myelin, reformat, single.
    ``parts`` are the children (vertical / horizontal / pointwise members).
    For a Myelin region, ``first`` and ``last`` name its first and last node.
    For a reformat layer, ``target`` is the parsed name of the layer it feeds (or is fed by),
    ``direction`` is "input"/"output"/"copy" and ``tensor_index`` the port number.
    ``profile`` is N for a name ending in `` [profile N]`` (the suffix is removed first).
    """

    text: str
    kind: Kind
    parts: tuple["LayerName", ...] = ()
    first: str | None = None
    last: str | None = None
    target: "LayerName | None" = None
    direction: str | None = None
    tensor_index: int | None = None
    profile: int | None = field(default=None, compare=False)

    def leaves(self) -> list[str]:
        """Names of the (ONNX-ish) nodes this layer absorbed, in order.

        A Myelin region contributes its first and last node (the nodes in between are not
        named by TensorRT); a reformat layer absorbs no node and contributes nothing.
        """
        out: list[str] = []
        self._collect(out)
        return out

    def _collect(self, out: list[str]) -> None:
        if self.kind == Kind.SINGLE:
            out.append(self.text)
        elif self.kind == Kind.MYELIN:
            out.append(self.first or "")
            if self.last is not None and self.last != self.first:
                out.append(self.last)
        elif self.kind != Kind.REFORMAT:
            for p in self.parts:
                p._collect(out)

    def ranges(self) -> list[tuple[str, str]]:
        """``(first, last)`` of every Myelin region named inside this layer name."""
        out: list[tuple[str, str]] = []
        stack = [self]
        while stack:
            n = stack.pop()
            if n.kind == Kind.MYELIN:
                out.append((n.first or "", n.last or n.first or ""))
            stack.extend(reversed(n.parts))
        return out

    def __str__(self) -> str:
        return self.text


_MAX_DIGITS = 9  # profile numbers and tensor ports are small; longer digit runs are part of a name


def _small_int(digits: str) -> int | None:
    """``int(digits)`` for a short run of digits; None for a long one (never hits Python's int-size limit)."""
    return int(digits) if len(digits) <= _MAX_DIGITS else None


def split_profile_suffix(name: str) -> tuple[str, int | None]:
    """``"Conv_0 [profile 1]"`` -> ``("Conv_0", 1)``; names without the suffix -> ``(name, None)``.

    A "profile number" of more than nine digits is no profile: the name is kept whole.
    """
    if name.endswith("]"):
        m = _PROFILE_RE.match(name)
        if m:
            number = _small_int(m.group(2))
            if number is not None:
                return m.group(1), number
    return name, None


def is_reformat_name(name: str) -> bool:
    """True for names of layers TensorRT inserts to change a tensor's format or copy it."""
    base, _ = split_profile_suffix(name)
    return bool(
        base.startswith(("Reformatting CopyNode for ", _COPIED_PREFIX))
        or base.endswith(" copy")
        or (" reformatter " in base and _REFORMATTER_RE.match(base))
    )


def _balanced(text: str) -> bool:
    stack: list[str] = []
    for m in _BRACKETS.finditer(text):
        c = m.group()
        if c in _OPEN:
            stack.append(_OPEN[c])
        elif not stack or stack.pop() != c:
            return False
    return not stack


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` where it occurs outside any bracket (text must be balanced)."""
    if sep not in text:
        return [text]
    if not _BRACKETS.search(text):  # fast path: no brackets, plain split is exact
        return text.split(sep)
    # Hand-written because no library splits at bracket depth 0; one regex scan, linear time.
    pieces: list[str] = []
    depth = 0
    start = 0
    i = 0
    n = len(text)
    k = len(sep)
    while i < n:
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0 and c == sep[0] and text.startswith(sep, i):
            pieces.append(text[start:i])
            i += k
            start = i
            continue
        i += 1
    pieces.append(text[start:])
    return pieces


def _single(text: str) -> LayerName:
    return LayerName(text=text, kind=Kind.SINGLE)


def _parse(text: str, depth: int) -> LayerName:
    if depth > 50 or not text:  # absurd nesting: stop, never recurse without bound
        return _single(text)

    m = _COPYNODE_RE.match(text)
    if m:
        return LayerName(text, Kind.REFORMAT, target=_parse(m.group(3), depth + 1),
                         direction=m.group(1).lower(), tensor_index=_small_int(m.group(2)))
    m = _REFORMATTER_RE.match(text)
    if m:
        return LayerName(text, Kind.REFORMAT, target=_parse(m.group(1), depth + 1),
                         direction=m.group(2), tensor_index=_small_int(m.group(3)))
    if text.startswith(_COPIED_PREFIX):
        return LayerName(text, Kind.REFORMAT, direction="copy")
    m = _COPY_SUFFIX_RE.match(text)
    if m and m.group(1):
        return LayerName(text, Kind.REFORMAT, target=_parse(m.group(1), depth + 1), direction="copy")

    if not _balanced(text):
        return _single(text)

    parts = _split_top(text, " || ")
    if len(parts) > 1 and all(parts):
        return LayerName(text, Kind.HORIZONTAL, tuple(_parse(p, depth + 1) for p in parts))
    parts = _split_top(text, " + ")
    if len(parts) > 1 and all(parts):
        return LayerName(text, Kind.VERTICAL, tuple(_parse(p, depth + 1) for p in parts))

    if text.startswith("PWN(") and text.endswith(")"):
        inner = text[4:-1]
        if _balanced(inner) and inner.strip():
            args = [a.strip() for a in _split_top(inner, ",")]
            if all(args):
                return LayerName(text, Kind.POINTWISE, tuple(_parse(a, depth + 1) for a in args))
        return _single(text)

    m = _FOREIGN_RE.match(text)
    if m and _balanced(m.group(1)):
        body = m.group(1)
        first, sep, last = body.partition("...")
        if sep and first and last:
            return LayerName(text, Kind.MYELIN, first=first, last=last)
        return LayerName(text, Kind.MYELIN, first=body, last=body)

    return _single(text)


# characters/words that make a layer name need the full grammar (brackets, "||", reformat and copy
# forms, profile suffixes); a name without any of them can only be "a + b + c" or a single name
_GRAMMAR_MARKS = re.compile(r"[()\[\]{}|]|Reformatting CopyNode| reformatter | copy|copied_|PWN")


def plain_parts(name: str) -> list[str] | None:
    """The `` + `` parts of a plain name (no brackets, ``||``, reformat/copy words or profile suffix),
    exactly what the grammar would give, read without its bracket bookkeeping; None when the name
    needs the grammar."""
    if _GRAMMAR_MARKS.search(name) or name != name.strip():
        return None
    parts = name.split(" + ")
    return parts if all(parts) else None


def name_kind(name: str) -> Kind:
    """``parse_layer_name(name).kind``, fast for plain names."""
    parts = plain_parts(name)
    if parts is None:
        return Kind(parse_layer_name(name).kind)
    return Kind.VERTICAL if len(parts) > 1 else Kind.SINGLE


@lru_cache(maxsize=8192)
def parse_layer_name(name: str) -> LayerName:
    """Parse a TensorRT engine layer name into a :class:`LayerName` tree.

    Never raises: anything that is not a string, or does not follow the grammar, becomes a
    ``single`` name. A `` [profile N]`` suffix is removed and kept in ``.profile``.

    >>> parse_layer_name("Conv_5 + Add_6 + Relu_7").leaves()
    ['Conv_5', 'Add_6', 'Relu_7']
    """
    if not isinstance(name, str):
        name = str(name)
    base, profile = split_profile_suffix(name)
    try:
        parsed = _parse(base.strip(), 0)
    except RecursionError:  # pragma: no cover - depth is bounded above
        parsed = _single(base)
    if profile is not None:
        parsed = LayerName(parsed.text, parsed.kind, parsed.parts, parsed.first, parsed.last,
                           parsed.target, parsed.direction, parsed.tensor_index, profile)
    return parsed
