"""Reading the inputs of the engine parsers: a path, JSON/one-line text, bytes, or parsed JSON."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..errors import LayerInfoError

# Layer-information files of real engines are a few MB; anything past this is not one. Parsing
# costs ~25x the file size in memory (10^6 names-only layers, 27 MB: ~720 MiB RSS), so the limit
# keeps a kernel well clear of running out of memory (a 200 MB file would need ~5 GB).
MAX_INPUT_BYTES = 64 * 1024 * 1024

_LOG_HINT = re.compile(r"(Layers|Engine Layer Information):\s*$|, LayerType: ", re.M)

Loaded = tuple[object, str, str]  # (parsed JSON or text, "json" | "text" | "object", label for messages)


def _too_large(size: int, label: str) -> LayerInfoError:
    return LayerInfoError(
        f"{label} is {size / 2**20:.0f} MiB, larger than the {MAX_INPUT_BYTES // 2**20} MiB limit for "
        "layer-information, profile and timing files; check that this is the right file "
        "(trtexec --exportLayerInfo/--exportProfile/--exportTimes output)"
    )


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and len(text) < 4096 and not text.lstrip().startswith(("{", "["))


def _decode(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LayerInfoError(
            f"{label} is not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r}); "
            "expected a JSON file written by trtexec or the engine inspector, or a TensorRT log"
        ) from exc


def _parse_text(text: str, label: str) -> Loaded:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text), "json", label
        except RecursionError as exc:
            raise LayerInfoError(f"{label} nests JSON too deeply to be a TensorRT file") from exc
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            if _LOG_HINT.search(text):  # a log whose lines start with "[timestamp] [TRT] ..."
                return text, "text", label
            line = getattr(exc, "lineno", "?")
            col = getattr(exc, "colno", "?")
            msg = getattr(exc, "msg", str(exc))
            raise LayerInfoError(
                f"{label} is not valid JSON ({msg} at line {line}, column {col}); expected the JSON "
                "written by trtexec --exportLayerInfo/--exportProfile/--exportTimes or by "
                "IEngineInspector.get_engine_information(LayerInformationFormat.JSON)"
            ) from exc
    return text, "text", label


def read_source(src: object, what: str) -> Loaded:
    """Turn ``src`` into parsed JSON (dict/list), text, or pass through a dict/list.

    ``src`` may be a path (str or os.PathLike), JSON text, one-line/log text, bytes, or an
    already parsed dict/list. ``what`` names the expected content in error messages.
    """
    if isinstance(src, (dict, list)):
        return src, "object", f"the {what} object"
    if isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
        if len(data) > MAX_INPUT_BYTES:
            raise _too_large(len(data), f"the {what} bytes")
        return _parse_text(_decode(data, f"the {what} bytes"), f"the {what} bytes")
    if isinstance(src, os.PathLike) or (isinstance(src, str) and _looks_like_path(src)):
        try:
            path = Path(os.fspath(src))
        except TypeError as exc:
            raise LayerInfoError(f"cannot use {src!r} as a path to a {what} file") from exc
        label = f"{what} file {str(path)!r}"
        try:
            is_file = path.is_file()
        except (OSError, ValueError):  # e.g. embedded NUL, name too long
            is_file = False
        if not is_file:
            if isinstance(src, str) and (_LOG_HINT.search(src) or src.startswith("Name: ")):
                return _parse_text(src, f"the {what} text")  # a one-line listing of one layer
            raise LayerInfoError(
                f"{what} file not found: {str(path)!r} does not exist (or is not a file); pass the path of "
                "the file, its text, or the parsed JSON (dict/list)"
            )
        try:
            size = path.stat().st_size
            if size > MAX_INPUT_BYTES:
                raise _too_large(size, label)
            data = path.read_bytes()
        except OSError as exc:
            raise LayerInfoError(f"cannot read {label}: {exc.strerror or exc}") from exc
        return _parse_text(_decode(data, label), label)
    if isinstance(src, str):
        if len(src) > MAX_INPUT_BYTES:
            raise _too_large(len(src), f"the {what} text")
        return _parse_text(src, f"the {what} text")
    raise LayerInfoError(
        f"cannot read {what} from a {type(src).__name__}; pass a path (str or pathlib.Path), "
        "the file's text or bytes, or the parsed JSON (dict or list)"
    )
