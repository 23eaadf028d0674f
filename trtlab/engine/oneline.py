"""The one-line layer listing (``LayerInformationFormat.ONELINE``) and builder verbose logs.

A detailed listing has one layer per line::

    Name: Conv_0 + Relu_1, LayerType: CaskConvolution, Inputs: [ { Name: x, Dimensions: [1,3,8,8],
    Format/Datatype: Row major linear FP32 }], Outputs: [ ... ], TacticName: ..., StreamId: 0, Metadata: ...

(all on one line). The builder's verbose log prints the same after a ``Layers:`` line, followed by
an ``I/O Tensors:`` (TensorRT 10+/RTX) or ``Bindings:`` block. With LAYER_NAMES_ONLY verbosity
the lines are bare layer names.
"""

from __future__ import annotations

import re
import warnings

from ..errors import LayerInfoError
from ._html import shorten
from .._boundary import boundary, gc_paused
from .model import MORE_DETAIL, EnginePlan
from .records import assign_uids, io_from_bindings, make_io, make_layer

__all__ = ["parse_oneline"]

# ", Key: " separating fields; keys are CamelCase words (and "Format/Datatype").
_KEY_RE = re.compile(r", ([A-Z][A-Za-z0-9]*(?:/[A-Za-z]+)?): ")
_SCALAR_ONLY = {"Name", "Metadata", "TacticName", "LayerType", "Format", "Format/Datatype", "Datatype",
                "DataType", "Origin", "ParameterType", "Location", "IOMode"}
_SECTION_RE = re.compile(
    r"(?:^|[\s|\]])(Layers|I/O Tensors|Bindings|Engine Metadata|Engine Layer Information):\s*$")
# The builder's summary at LAYER_NAMES_ONLY / NONE verbosity (after "Engine Layer Information:"):
#   Layer(Myelin): NAME, Tactic: 0x0000000000000000, in (Float[-1,3,224,224]) -> out (Float[-1,256,56,56])
_SUMMARY_TENSOR_RE = re.compile(r"\s*(.+?) \(([A-Za-z0-9_]+)\[([^\]]*)\]\)\s*(?:,|$)")
# Hand-written parsing below: TensorRT's one-line format is neither JSON nor YAML (unquoted
# values that may contain spaces, commas and brackets), and no library reads it.
_TOKEN_SPLIT = re.compile(r"(?:^|, |\{ )([A-Z][A-Za-z0-9]*(?:/[A-Za-z]+)?): ?")
_SKIP = re.compile(r"[ ,]*")
_SKIP_SPACE = re.compile(r" *")


class _Syntax(Exception):
    pass


def _scalar(text: str, i: int, stop: str) -> tuple[str, int]:
    """Text from i up to the next ', Key: ' or the stop characters (whichever comes first)."""
    m = _KEY_RE.search(text, i)
    end = m.start() if m else len(text)
    if stop:
        j = text.find(stop, i, end)
        if j != -1:
            end = j
    return text[i:end].strip(), end


def _value(text: str, i: int, key: str, stop: str) -> tuple[object, int]:
    i = _SKIP_SPACE.match(text, i).end()
    if key not in _SCALAR_ONLY and i < len(text) and text[i] == "[":
        return _list(text, i)
    return _scalar(text, i, stop)


def _list(text: str, i: int) -> tuple[list, int]:
    # text[i] == "["
    n = len(text)
    i = _SKIP_SPACE.match(text, i + 1).end()
    if i < n and text[i] == "]":
        return [], i + 1
    if i < n and text[i] == "{":
        items = []
        while True:
            obj, i = _object(text, i)
            items.append(obj)
            i = _SKIP.match(text, i).end()
            if i < n and text[i] == "]":
                return items, i + 1
            if i >= n or text[i] != "{":
                raise _Syntax(f"expected '{{' or ']' at column {i}")
    j = text.find("]", i)  # a list of numbers / words, normally flat: "[1,3,224,224]"
    if j == -1:
        raise _Syntax(f"unclosed '[' at column {i - 1}")
    if "[" in text[i:j]:  # nested lists: find the matching bracket
        depth, j = 1, i
        while j < n and depth:
            if text[j] == "[":
                depth += 1
            elif text[j] == "]":
                depth -= 1
            j += 1
        if depth:
            raise _Syntax(f"unclosed '[' at column {i - 1}")
        j -= 1
    toks = (tok.strip().strip("[]").strip() for tok in text[i:j].split(","))
    return [_number_or_word(tok) for tok in toks if tok], j + 1


def _number_or_word(tok: str) -> int | float | str:
    """A list item of the one-line form: an int, else a float, else the word itself."""
    try:
        return int(tok)
    except ValueError:
        try:
            return float(tok)
        except ValueError:
            return tok


def _fields(text: str, i: int, stop: str) -> tuple[dict, int]:
    out: dict = {}
    n = len(text)
    while i < n:
        i = _SKIP.match(text, i).end()
        if i >= n or (stop and text.startswith(stop, i)):
            break
        colon = text.find(": ", i)
        if colon == -1:
            raise _Syntax(f"expected 'Key: value' at column {i}")
        key = text[i:colon].strip()
        if not key or len(key) > 40:
            raise _Syntax(f"bad key {shorten(key, 40)!r} at column {i}")
        value, i = _value(text, colon + 2, key, stop)
        out[key] = value
    return out, i


def _object(text: str, i: int) -> tuple[dict, int]:
    # text[i] == "{"
    obj, i = _fields(text, i + 1, "}")
    if i >= len(text) or text[i] != "}":
        raise _Syntax(f"unclosed '{{' before column {i}")
    return obj, i + 1


def _numbers(body: str) -> list:
    try:
        return [int(tok) for tok in body.split(",")] if body.strip() else []
    except ValueError:
        pass
    toks = (tok.strip() for tok in body.split(","))
    return [_number_or_word(tok) for tok in toks if tok]


def _fast_record(line: str) -> dict | None:
    """One regex split into (key, value) pairs, then a flat state machine.

    Handles what TensorRT writes (top-level fields, lists of flat objects, number lists) about
    five times faster than the recursive parser; returns None on anything else.
    """
    parts = _TOKEN_SPLIT.split(line)
    if parts[0].strip():
        return None
    top: dict = {}
    lst: list | None = None  # the open list of objects
    obj: dict | None = None  # the open object in it
    target = top
    scalar_only = _SCALAR_ONLY
    for key, v in zip(parts[1::2], parts[2::2]):
        v = v.strip()
        if lst is not None:
            if obj is None:
                obj = target = {}
                lst.append(obj)
            last = v[-1:]
            if last == "]" and v.endswith("}]"):
                v = v[:-2].rstrip()
                if v[:1] == "[" and key not in scalar_only:
                    return None
                obj[key] = v
                obj = lst = None
                target = top
                continue
            if last == "," and v.endswith("},"):
                v = v[:-2].rstrip()
                if v[:1] == "[" and key not in scalar_only:
                    return None
                obj[key] = v
                obj = None
                continue
            if last == "}" or v == "[":
                return None
        if v[:1] == "[" and key not in scalar_only:
            if v == "[":
                lst = []
                top[key] = lst
                continue
            inner = v[1:-1]
            if v[-1] != "]" or "[" in inner or "]" in inner:
                return None
            target[key] = _numbers(inner)
        else:
            target[key] = v
    if lst is not None:
        return None
    return top


def _parse_record(line: str) -> dict:
    rec = _fast_record(line)
    if rec is None:
        rec, _ = _fields(line + " ", 0, "")  # the space keeps a trailing empty "Metadata: " a field
    return rec


def _is_layer_line(line: str) -> bool:
    return "Name: " in line and ", LayerType: " in line


def _strip_to_name(line: str) -> str:
    return line[line.index("Name: "):]


def _sections(lines: list[str]) -> list[tuple[str, int, str]]:
    """(section name, line index, prefix before it) for every section header line."""
    out = []
    for k, line in enumerate(lines):
        s = line.rstrip()
        if s.endswith(":"):
            m = _SECTION_RE.search(s)
            if m:
                out.append((m.group(1), k, s[: m.start(1)]))
    return out


def _listing_sections(lines: list[str], secs: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """The "Layers:" headers that a detailed layer line follows (other log lines can end in
    "Layers:" too); when there are none (a names-only listing), the last header."""
    out = []
    for sec in secs:
        _, start, prefix = sec
        following = [_strip_prefix(x, prefix).strip() for x in lines[start + 1:start + 3]]
        if _is_layer_line(next((x for x in following if x), "")):
            out.append(sec)
    return out or secs[-1:]


def _strip_prefix(line: str, prefix: str) -> str:
    return line[len(prefix):] if prefix and line.startswith(prefix) else line


def _summary_tensors(text: str) -> list[dict]:
    out = []
    for m in _SUMMARY_TENSOR_RE.finditer(text):
        dims = []
        for d in m.group(3).split(","):
            try:
                dims.append(int(d))
            except ValueError:  # vectorised dims such as "64:8": shape unknown
                dims = None
                break
        out.append({"Name": m.group(1).strip(), "Datatype": m.group(2), "Dimensions": dims})
    return out


def _summary_record(line: str) -> dict | None:
    """A layer record from a ``Layer(TYPE): NAME, Tactic: T, ins -> outs`` summary line."""
    if not line.startswith("Layer(") or "): " not in line:
        return None
    close = line.index("): ")
    layer_type, rest = line[6:close], line[close + 3:]
    cut = rest.rfind(", Tactic: ")
    if cut == -1:
        return {"Name": rest.strip(), "LayerType": layer_type}
    name, tail = rest[:cut], rest[cut + len(", Tactic: "):]
    tactic, _, io = tail.partition(", ")
    ins, _, outs = io.partition(" -> ")
    return {"Name": name, "LayerType": layer_type, "TacticValue": tactic.strip(),
            "Inputs": _summary_tensors(ins), "Outputs": _summary_tensors(outs)}


def _parse_summary(lines: list[str], start: int, prefix: str) -> EnginePlan:
    raw_layers = []
    for k in range(start + 1, len(lines)):
        rec = _summary_record(_strip_prefix(lines[k], prefix).strip())
        if rec is None:
            break
        raw_layers.append(rec)
    layers = [make_layer(i, raw) for i, raw in enumerate(raw_layers)]
    assign_uids(layers)
    produced = {t.name for layer in layers for t in layer.outputs}
    consumed = {t.name for layer in layers for t in layer.inputs}
    io = io_from_bindings(sorted(consumed - produced) + sorted(produced - consumed), layers)
    note = ("the log lists only each layer's type, tactic and I/O tensors (the builder's summary at "
            f"LAYER_NAMES_ONLY or NONE profiling verbosity); {MORE_DETAIL}")
    return EnginePlan(layers, io, "oneline", "layer_names_only", note)


def _lines(text: str) -> list[str]:
    """The text's lines, split at line breaks only. ``str.splitlines`` also splits at \\x1c-\\x1e, \\x85 and
    \\u2028: TensorRT joins the ONNX names in a layer's Metadata with \\x1e, so that would cut layers apart."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_oneline(text: str) -> EnginePlan:
    """Parse a one-line layer listing, or a whole TensorRT builder verbose log.

    Accepts the text of ``IEngineInspector.get_engine_information(LayerInformationFormat.ONELINE)``
    or a verbose build log (it finds the last ``Layers:`` section and the ``I/O Tensors:`` /
    ``Bindings:`` block after it). Log prefixes before ``Layers:`` or ``Name:`` are ignored.
    Raises :class:`LayerInfoError` when no layer information is found.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "replace")
    if not isinstance(text, str):
        raise LayerInfoError(f"parse_oneline needs text (str), got {type(text).__name__}")
    with boundary(LayerInfoError, "reading the one-line layer listing"), gc_paused():
        return _parse(text)


def _parse(text: str) -> EnginePlan:
    lines = _lines(text)
    sections = _sections(lines)
    layer_secs = [s for s in sections if s[0] == "Layers"]
    summary_secs = [s for s in sections if s[0] == "Engine Layer Information"]
    if summary_secs and (not layer_secs or summary_secs[-1][1] > layer_secs[-1][1]):
        _, start, prefix = summary_secs[-1]
        return _parse_summary(lines, start, prefix)
    note_extra = ""
    prefix, body_start = "", 0
    if layer_secs:
        layer_secs = _listing_sections(lines, layer_secs)
        if len(layer_secs) > 1:
            note_extra = f"the log holds {len(layer_secs)} 'Layers:' sections (several builds); read the last one"
        _, start, prefix = layer_secs[-1]
        body_start = start + 1
    later = [s for s in sections if s[1] >= body_start]
    body_end = later[0][1] if later else len(lines)
    raw_layers, detailed, body_end = _read_layers(lines, prefix, body_start, body_end, bool(layer_secs))
    if not layer_secs and not raw_layers:
        raise LayerInfoError(
            "no layer information found in the text: expected TensorRT's one-line listing "
            "('Name: ..., LayerType: ..., Inputs: [...], ...' lines) or a verbose build log with a "
            "'Layers:' section (set the builder's logger to VERBOSE and "
            "config.profiling_verbosity = ProfilingVerbosity.DETAILED); "
            f"the text starts with {shorten(text.strip(), 80)!r}"
        )
    layers = [make_layer(i, raw) for i, raw in enumerate(raw_layers)]
    assign_uids(layers)
    io = _read_io(lines, [s for s in sections if s[1] >= body_end - 1], layers)
    return _plan(layers, io, detailed, raw_layers, note_extra)


def _read_layers(lines: list[str], prefix: str, start: int, end: int, in_section: bool
                 ) -> tuple[list[object], bool, int]:
    """The layer records of the listing's lines; returns (records, detailed, where the listing ends)."""
    raw_layers: list[object] = []
    detailed = False
    for k, line in _logical_lines(lines, prefix, start, end):
        if not line.strip():
            if raw_layers and in_section:
                return raw_layers, detailed, k  # a blank line ends the section in a log
            continue
        if _is_layer_line(line):
            detailed = True
            try:
                raw_layers.append(_parse_record(_strip_to_name(line)))
            except _Syntax as exc:
                raise LayerInfoError(
                    f"line {k + 1} of the layer listing is not in TensorRT's one-line format ({exc}): "
                    f"{shorten(line, 120)!r}"
                ) from None
        elif in_section:
            if detailed:  # the listing ended (a different log line follows)
                return raw_layers, detailed, k
            raw_layers.append(line.strip())  # LAYER_NAMES_ONLY: one name per line
        # without a "Layers:" header, non-layer lines (other log output) are skipped
    return raw_layers, detailed, end


def _logical_lines(lines: list[str], prefix: str, start: int, end: int):
    """(line index, text) of each layer record. A detailed record cut by a newline inside a name or its
    Metadata (``Name: a`` / ``b, LayerType: ...``) is joined again, with a warning naming the layer."""
    k = start
    while k < end:
        line = _strip_prefix(lines[k], prefix).rstrip()
        first = k
        while _is_cut_record(line) and k + 1 < end and lines[k + 1].strip() and not _starts_record(lines[k + 1]):
            k += 1
            line = line + "\n" + _strip_prefix(lines[k], prefix).rstrip()
        if k > first:
            warnings.warn(
                f"lines {first + 1}-{k + 1} of the layer listing are one layer whose name or Metadata holds a "
                f"newline ({shorten(_record_name(line), 60)!r}); read as one layer. Newlines "
                "and NUL bytes in node names do not survive TensorRT's names: such layers are matched to "
                "ONNX nodes by their tensors.", stacklevel=5)
        yield first, line
        k += 1


def _record_name(line: str) -> str:
    """The Name field of a detailed record line."""
    record = _strip_to_name(line)
    end = record.find(", LayerType: ")
    return record[6:end if end != -1 else len(record)]


def _starts_record(line: str) -> bool:
    return line.lstrip().startswith("Name: ") or "] Name: " in line


def _is_cut_record(line: str) -> bool:
    """A line that starts a detailed record but stops inside it: no LayerType yet, or an open bracket."""
    if not _starts_record(line):
        return False
    if ", LayerType: " not in line:
        return True
    return line.count("[") > line.count("]")


# a log line that follows a "Bindings:" block: "[07/07/2026-02:11:38] [I] ..." or "&&&& PASSED ..."
_LOG_LINE = re.compile(r"^(?:\[\d{2}/\d{2}/\d{4}|&&&& |\[[A-Z]\] )")


def _read_io(lines: list[str], sections: list[tuple[str, int, str]], layers: list) -> list:
    """The engine's I/O tensors from the first ``I/O Tensors:`` or ``Bindings:`` block after the listing."""
    io_secs = [s for s in sections if s[0] in ("I/O Tensors", "Bindings")]
    if not io_secs:
        return []
    kind, start, io_prefix = io_secs[0]
    io: list = []
    names: list[str] = []
    for k in range(start + 1, len(lines)):
        line = _strip_prefix(lines[k], io_prefix).rstrip()
        if not line.strip() or _SECTION_RE.search(line) or _LOG_LINE.match(line):
            break
        if "Name: " in line:
            try:
                io.append(make_io(_parse_record(_strip_to_name(line)), "'I/O Tensors'"))
            except _Syntax as exc:
                raise LayerInfoError(f"line {k + 1} of the I/O tensor list is unreadable ({exc}): "
                                     f"{shorten(line, 120)!r}") from None
        elif kind == "Bindings":
            names.append(line.strip())
        else:
            break
    return io + (io_from_bindings(names, layers) if names else [])


def _plan(layers: list, io: list, detailed: bool, raw_layers: list[object], note_extra: str) -> EnginePlan:
    if not layers:
        return EnginePlan([], io, "none", "none",
                          f"the engine reported no layers (ProfilingVerbosity NONE); {MORE_DETAIL}")
    if detailed:
        notes = [n for n in (note_extra,) if n]
        if len(raw_layers) != sum(isinstance(r, dict) for r in raw_layers):
            notes.append("some layers are bare names without details")
        return EnginePlan(layers, io, "oneline", "detailed", "; ".join(notes) or None)
    note = f"only layer names are known (ProfilingVerbosity LAYER_NAMES_ONLY); {MORE_DETAIL}"
    return EnginePlan(layers, io, "names-only", "layer_names_only", "; ".join(filter(None, (note_extra, note))))
