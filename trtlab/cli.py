"""The ``trtlab`` command: show a model, build an engine, print the backend, map a fusion.

Errors print one line on stderr and exit with status 2 (``--debug`` shows the traceback).
``trtlab fusion`` exits with status 1 when the layer information belongs to another model.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import traceback
import warnings
from pathlib import Path

from .builder import BuildConfig, EngineCache, backend_info, build_engine, parse_shapes, save_bundle
from .builder.builder import BuildWarning
from .builder.config import PRECISIONS
from .engine import load_layer_info, load_profile
from .errors import ConfigError, TrtlabError
from .fusion import map_fusion
from .graph import load_onnx
from .view import save_html

__all__ = ["main", "build_parser"]

EXIT_ERROR = 2
EXIT_MISMATCH = 1  # trtlab fusion: the layer information belongs to another model


def _out_dir(args) -> Path | None:
    if not args.output:
        return None
    out = Path(args.output)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"output folder {str(out)!r} cannot be created ({exc.strerror or exc}); choose another -o") from exc
    return out


def _write(path: Path, text: str | bytes) -> Path:
    try:
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text)
    except OSError as exc:
        raise ConfigError(f"cannot write {str(path)!r} ({exc.strerror or exc})") from exc
    return path


def _say(msg: str) -> None:
    print(msg, flush=True)


# ----------------------------------------------------------------------------- commands
def cmd_show(args) -> int:
    graph = load_onnx(args.model)
    summary = str(graph.summary())
    if graph.warnings:
        summary += "\n\nwarnings:\n" + "\n".join(f"  - {w}" for w in graph.warnings)
    _say(summary)
    out = _out_dir(args)
    if out is not None:
        stem = Path(args.model).stem
        _write(out / f"{stem}.summary.txt", summary + "\n")
        pic = graph.save(out / f"{stem}.{args.format}")
        _say(f"\nwrote {pic} and {out / f'{stem}.summary.txt'}")
    return 0


def _config_from_args(args):
    precision = "fp16" if args.fp16 else args.precision
    profiles = tuple(parse_shapes(s) for s in (args.shapes or []))
    return BuildConfig(
        precision=precision,
        opt_level=args.opt_level,
        workspace_mib=args.workspace,
        profiles=profiles,
        compute_capability=args.compute_capability,
        timing_cache=args.timing_cache,
    )


def cmd_build(args) -> int:
    config = _config_from_args(args)
    cache = None if args.no_cache else EngineCache(args.cache_dir)
    progress = "tqdm" if args.progress else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BuildWarning)  # said once below, as the engine's notes
        engine = build_engine(args.model, config, progress=progress, cache=cache, backend=args.backend)
    how = "from the engine cache" if engine.from_cache else f"in {engine.build_seconds:.2f} s"
    _say(f"built {Path(args.model).name} with {engine.backend} {engine.backend_version} for {engine.device} "
         f"({config.precision}) {how}: {len(engine.plan) / 2**20:.2f} MiB plan")
    report = engine.fusion()
    summary = "".join(f"note: {note}\n" for note in engine.notes) + str(report.summary())
    _say(summary)
    out = _out_dir(args)
    if out is not None:
        stem = Path(args.model).stem
        written = [engine.save(out / f"{stem}.plan")]
        raw_name = "layer_info.json" if engine.layer_info_format == "json" else "layer_info.txt"
        written.append(_write(out / raw_name, engine.layer_info_text))
        written.append(_write(out / "engine_plan.json", json.dumps(_plan_json(engine.layer_info), indent=1, default=str)))
        written.append(_write(out / "summary.txt", summary + "\n"))
        written.append(save_bundle(out / f"{stem}.trtlab", engine))
        drawing = report.draw()
        written.append(drawing.save(out / f"{stem}.fusion.{args.format}") or out / f"{stem}.fusion.{args.format}")
        written.append(save_html(report, out / f"{stem}.fusion.html"))
        _say("\nwrote:\n" + "\n".join(f"  {p}" for p in written))
    return 0


def _plan_json(plan) -> dict:
    def conv(x):
        if dataclasses.is_dataclass(x) and not isinstance(x, type):
            return {f.name: conv(getattr(x, f.name)) for f in dataclasses.fields(x) if f.name != "raw"}
        if isinstance(x, (list, tuple)):
            return [conv(v) for v in x]
        if isinstance(x, dict):
            return {str(k): conv(v) for k, v in x.items()}
        return x

    return {
        "source": plan.source,
        "verbosity": plan.verbosity,
        "note": plan.note,
        "layers": [conv(layer) for layer in plan.layers],
        "io_tensors": [conv(t) for t in plan.io_tensors],
    }


def cmd_info(args) -> int:
    _say(str(backend_info(args.backend)))
    return 0


def _file_kind(path: str) -> str:
    """"onnx", "json", "text" or "missing", from the file's first bytes (the name alone can lie)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return "missing"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "json"
    if head[:1] == b"\x08" or path.endswith(".onnx"):  # ModelProto starts with ir_version (field 1, varint)
        return "onnx"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "onnx"


def _check_fusion_arguments(model: str, layer_info: str) -> None:
    first, second = _file_kind(model), _file_kind(layer_info)
    if first in ("json", "text") and second == "onnx":
        raise ConfigError(
            f"the arguments are swapped: {model!r} is layer information ({first}) and {layer_info!r} is an ONNX "
            f"model; the ONNX model comes first: trtlab fusion {layer_info} {model}"
        )
    if first in ("json", "text"):
        raise ConfigError(
            f"the first argument {model!r} is layer information ({first}), not an ONNX model; "
            "give the .onnx model first and the layer information second: trtlab fusion MODEL.onnx LAYER_INFO"
        )
    if second == "onnx":
        raise ConfigError(
            f"the second argument {layer_info!r} is an ONNX model, not layer information; give the layer "
            "information (trtexec --exportLayerInfo JSON or a one-line listing) second"
        )


def cmd_fusion(args) -> int:
    _check_fusion_arguments(args.model, args.layer_info)
    graph = load_onnx(args.model)
    plan = load_layer_info(args.layer_info)
    profile = load_profile(args.profile) if args.profile else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a mismatch is said once, in the summary
        report = map_fusion(graph, plan, profile)
    summary = str(report.summary())
    _say(summary)
    out = _out_dir(args)
    if out is not None:
        stem = Path(args.model).stem
        _write(out / "summary.txt", summary + "\n")
        pic = out / f"{stem}.fusion.{args.format}"
        report.draw().save(pic)
        page = save_html(report, out / f"{stem}.fusion.html")
        _say(f"\nwrote {pic}, {page} (interactive, opens offline in any browser) and {out / 'summary.txt'}")
    return EXIT_MISMATCH if report.is_mismatch else 0


# ----------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="trtlab", description="See what TensorRT does to your network.")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    s = sub.add_parser("show", help="summarize and draw an ONNX model")
    s.add_argument("model", help="path of an .onnx file")
    s.add_argument("-o", "--output", help="folder for the drawing and the summary")
    s.add_argument("--format", default="png", choices=("png", "svg", "pdf"), help="picture format (png)")
    s.set_defaults(func=cmd_show)

    b = sub.add_parser("build", help="build a TensorRT engine and show its fusions")
    b.add_argument("model", help="path of an .onnx file")
    g = b.add_mutually_exclusive_group()
    g.add_argument("--fp16", action="store_true", help="same as --precision fp16")
    g.add_argument("--precision", default="fp32", choices=PRECISIONS, help="precision intent (fp32)")
    b.add_argument("--opt-level", type=int, default=None, metavar="N", help="builder optimization level 0-5")
    b.add_argument("--workspace", type=int, default=None, metavar="MiB", help="workspace memory pool limit")
    b.add_argument("--shapes", action="append", metavar="INPUT:MIN,OPT,MAX",
                   help="optimization profile, shapes like 1x3x224x224 (repeat per input)")
    b.add_argument("--compute-capability", default=None, metavar="SM",
                   help="target GPU architecture (TensorRT for RTX), e.g. sm86")
    b.add_argument("--timing-cache", default=None, metavar="PATH", help="timing cache file to load and update")
    b.add_argument("-o", "--output", help="folder for the plan, layer information, bundle and pictures")
    b.add_argument("--format", default="png", choices=("png", "svg", "pdf"), help="picture format (png)")
    b.add_argument("--no-cache", action="store_true", help="always build; do not read or write the engine cache")
    b.add_argument("--cache-dir", default=None, help="engine cache folder (default $TRTLAB_CACHE_DIR or ~/.cache/trtlab/engines)")
    b.add_argument("--backend", default=None, help="TensorRT module to use (default: the first installed)")
    b.add_argument("--progress", action="store_true", help="show a progress bar while building")
    b.set_defaults(func=cmd_build)

    i = sub.add_parser("info", help="which TensorRT backend and GPU trtlab sees")
    i.add_argument("--backend", default=None, help="TensorRT module to describe")
    i.set_defaults(func=cmd_info)

    f = sub.add_parser("fusion", help="before/after picture from a model and a layer-information file")
    f.add_argument("model", help="path of the .onnx file the engine was built from")
    f.add_argument("layer_info", help="layer information: inspector/trtexec JSON or one-line text")
    f.add_argument("--profile", default=None, help="per-layer profile (trtexec --exportProfile)")
    f.add_argument("-o", "--output", help="folder for the picture and the summary")
    f.add_argument("--format", default="png", choices=("png", "svg", "pdf"), help="picture format (png)")
    f.set_defaults(func=cmd_fusion)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``trtlab`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("trtlab: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one clear line, never a traceback (unless --debug)
        if args.debug:
            traceback.print_exc()
        msg = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, TrtlabError):
            line = f"trtlab: error: {msg}"
        else:
            line = f"trtlab: unexpected {type(exc).__name__}: {msg}"
            if not args.debug:
                line += " (run with --debug for the traceback, and please report it)"
        print(line, file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
