"""Saving and loading engines and *exploration bundles*.

- An engine is saved as ``name.plan`` plus a JSON sidecar ``name.plan.json`` (backend,
  version, config, sha256 of the plan, and the layer information). :func:`load_engine`
  verifies the plan against the sidecar's hash before handing it out.
- An exploration bundle (``.trtlab`` zip) holds the ONNX model, the layer information, an
  optional per-layer profile and the build metadata, with a manifest of sha256 per member,
  so a class without GPUs can open an engine built elsewhere and explore it. Bundles never
  contain code that runs: they carry no plan unless asked to (``include_plan=True``).

Why ``load_engine`` only takes an explicit path: deserializing a TensorRT plan runs native
code chosen by whoever wrote the file (kernels, plugins). trtlab therefore never looks for
plans on its own (no search paths, no URLs); it loads a plan only from a file the user names,
or from the user's own engine cache, and checks its hash against the sidecar first.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .._atomic import atomic_write
from ..engine import load_profile
from ..errors import BundleError, ConfigError, TrtlabError
from ..fusion import map_fusion
from ..graph import load_onnx
from .builder import SIDECAR_FORMAT, BuiltEngine, plan_from_text, save_engine
from .config import BuildConfig, ShapeProfile
from .model import read_model

__all__ = ["save_engine", "load_engine", "read_plan", "save_bundle", "load_bundle", "ExplorationBundle",
           "config_from_key"]

BUNDLE_FORMAT = "trtlab-bundle"
BUNDLE_VERSION = 1


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def config_from_key(d: dict) -> BuildConfig:
    """Rebuild a BuildConfig from :meth:`BuildConfig.key` output."""
    d = dict(d)
    d["profiles"] = tuple(ShapeProfile(p["input"], p["min"], p["opt"], p["max"]) for p in d.get("profiles", ()))
    d["dynamic_dims"] = tuple(d.get("dynamic_dims", (1, 1, 1)))
    return BuildConfig(**d)


# ----------------------------------------------------------------------------- engines
#: a sidecar holds the build metadata and the layer information (at most the layer readers' limit)
_SIDECAR_LIMIT = 80 * 2**20
#: plans of the largest models are a few GiB
_PLAN_LIMIT = 16 * 2**30


def _read_sized(path: Path, limit: int, what: str) -> bytes:
    """Read ``path`` whole after checking its size against ``limit`` (no bare MemoryError)."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise BundleError(f"{what} {str(path)!r} is {size / 2**20:,.0f} MiB, more than the {limit / 2**20:,.0f} MiB "
                              "such a file may have; check that this is the right file")
        return path.read_bytes()
    except OSError as exc:
        raise BundleError(f"cannot read {what} {str(path)!r}: {exc.strerror or exc}") from exc


def _read_sidecar(side_path: Path, plan: bytes, path: Path) -> dict:
    try:
        meta = json.loads(_read_sized(side_path, _SIDECAR_LIMIT, "sidecar"))
        if not isinstance(meta, dict) or meta.get("format") != SIDECAR_FORMAT:
            raise ValueError("not a trtlab engine sidecar")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise BundleError(f"sidecar {str(side_path)!r} is not valid ({exc}); save the engine again") from exc
    if len(plan) != meta.get("plan_bytes") or _sha(plan) != meta.get("plan_sha256"):
        raise BundleError(
            f"plan {str(path)!r} does not match its sidecar ({len(plan)} bytes, sidecar says "
            f"{meta.get('plan_bytes')}; sha256 differs): the file is truncated or was altered. "
            "Rebuild or copy it again"
        )
    wrong = [key for key, kind in (("layer_info", str), ("layer_info_format", str), ("build_seconds", (int, float)),
                                   ("backend", str), ("backend_version", str), ("device", str), ("config", dict),
                                   ("cache_key", (str, type(None))), ("model_sha256", (str, type(None))),
                                   ("notes", list))
             if key in meta and not isinstance(meta[key], kind)]
    if wrong:
        raise BundleError(f"sidecar {str(side_path)!r} has fields of the wrong type: {', '.join(wrong)}; "
                          "save the engine again")
    return meta


def read_plan(path, *, trusted: bool = False) -> tuple[bytes, dict]:
    """A plan file's bytes and its sidecar's metadata, the plan verified against the sidecar's sha256.

    Deserializing a plan runs native code chosen by whoever wrote it, so a plan without a
    sidecar is refused unless ``trusted=True`` (then it is read unverified, with empty metadata).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"a plan is read from the path of a .plan file, not a {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"engine plan {str(path)!r} does not exist; give the path of a file written by "
                          "BuiltEngine.save() (or trtexec --saveEngine)")
    plan = _read_sized(path, _PLAN_LIMIT, "engine plan")
    side_path = Path(str(path) + ".json")
    if side_path.is_file():
        return plan, _read_sidecar(side_path, plan, path)
    if trusted:
        return plan, {}
    raise BundleError(
        f"plan {str(path)!r} has no sidecar {side_path.name!r} to verify it against, so it is unverified; "
        "a plan runs native code chosen by whoever wrote it. Pass trusted=True (verify=False for "
        "load_engine) only for a plan you built yourself"
    )


def load_engine(path, model=None, *, verify: bool = True):
    """Load a saved plan (and its sidecar) as a :class:`~trtlab.builder.BuiltEngine`.

    Only an explicit file path is accepted (see the module docstring for why). The plan's
    sha256 must match the sidecar's; a truncated or altered plan raises :class:`BundleError`.
    ``model`` (path/bytes/ModelProto) attaches the ONNX model, enabling ``.onnx``/``.fusion()``.
    ``verify=False`` loads a plan without a sidecar (no layer information then).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ConfigError(f"load_engine takes the path of a .plan file, not {type(path).__name__}")
    plan, meta = read_plan(path, trusted=not verify)
    src = read_model(model) if model is not None else None
    try:
        config = config_from_key(meta["config"]) if "config" in meta else BuildConfig()
    except (TrtlabError, TypeError, KeyError, ValueError):
        config = BuildConfig()
    return BuiltEngine(
        plan=plan,
        layer_info_text=meta.get("layer_info", ""),
        layer_info_format=meta.get("layer_info_format", "none") if meta else "none",
        build_seconds=float(meta.get("build_seconds", 0.0)),
        backend=meta.get("backend", "unknown"),
        backend_version=meta.get("backend_version", "unknown"),
        device=meta.get("device", "unknown"),
        config=config,
        from_cache=False,
        key=meta.get("cache_key"),
        model_digest=src.digest if src else meta.get("model_sha256"),
        notes=[str(n) for n in meta.get("notes", [])],
        source=f"sidecar {str(path) + '.json'!r}" if meta else None,
        _model_bytes=src.data if src else None,
    )


# ----------------------------------------------------------------------------- bundles
def _text_of(value, what: str) -> str:
    """The caller's own part of a bundle -> text: a path to a file, JSON/text, bytes, dict or list."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, (bytes, bytearray)):
        return _decoded(bytes(value), f"the {what} bytes")
    if isinstance(value, os.PathLike) or (isinstance(value, str) and "\n" not in value and len(value) < 4096
                                          and _is_file(value)):
        return _decoded(_read_sized(Path(value), _TEXT_LIMIT, f"{what} file"), f"{what} file {str(value)!r}")
    if isinstance(value, str):
        return value
    raise ConfigError(f"{what} {type(value).__name__!r} is not a path, text, bytes, dict or list")


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long: not a file name
        return False


def _decoded(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{what} is not UTF-8 text ({exc}); give the layer information or profile as text") from exc


def save_bundle(path, built_or_parts, *, profile=None, include_plan: bool = False) -> Path:
    """Write an exploration bundle (zip): ONNX model, layer information, profile, metadata.

    ``built_or_parts`` is a :class:`~trtlab.builder.BuiltEngine`, or a dict with ``"onnx"``
    (path/bytes/ModelProto), ``"layer_info"`` (path, JSON or one-line text, dict/list),
    optional ``"profile"`` (trtexec ``--exportProfile`` path/text) and ``"metadata"`` (dict).
    """
    members: dict[str, bytes] = {}
    if isinstance(built_or_parts, BuiltEngine):
        eng = built_or_parts
        if eng.model_bytes is None:
            raise ConfigError("this engine has no ONNX model attached; load it with load_engine(path, model=...)")
        members["model.onnx"] = eng.model_bytes
        fmt, text = eng.layer_info_format, eng.layer_info_text
        metadata = eng.metadata()
        if include_plan:
            members["engine.plan"] = eng.plan
    elif isinstance(built_or_parts, dict):
        parts = built_or_parts
        unknown = set(parts) - {"onnx", "layer_info", "profile", "metadata"}
        if unknown or "onnx" not in parts or "layer_info" not in parts:
            raise ConfigError(
                f"bundle parts {sorted(parts)} must have 'onnx' and 'layer_info', and may have 'profile' and "
                f"'metadata'{'; unknown: ' + str(sorted(unknown)) if unknown else ''}"
            )
        src = read_model(parts["onnx"])
        src.proto()  # ModelLoadError for a model that is not valid ONNX
        members["model.onnx"] = src.data
        text = _text_of(parts["layer_info"], "layer_info")
        fmt = "json" if text.lstrip().startswith(("{", "[")) else "oneline"
        metadata = dict(parts.get("metadata") or {})
        profile = parts.get("profile", profile)
    else:
        raise ConfigError(
            f"save_bundle needs a BuiltEngine or a dict of parts, not {type(built_or_parts).__name__}"
        )
    members["layer_info.json" if fmt == "json" else "layer_info.txt"] = text.encode("utf-8")
    if profile is not None:
        members["profile.json"] = _text_of(profile, "profile").encode("utf-8")
    metadata = {**metadata, "layer_info_format": fmt}
    members["metadata.json"] = json.dumps(metadata, indent=1, sort_keys=True).encode()
    manifest = {
        "format": BUNDLE_FORMAT,
        "version": BUNDLE_VERSION,
        "members": {name: {"sha256": _sha(data), "bytes": len(data)} for name, data in members.items()},
    }
    path = Path(path)
    try:
        # a temp file of its own (two writers of one bundle must not share one), moved into place
        with atomic_write(path) as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("manifest.json", json.dumps(manifest, indent=1, sort_keys=True))
            for name, data in members.items():
                zf.writestr(name, data)
    except OSError as exc:
        raise ConfigError(f"cannot write the bundle {str(path)!r} ({exc.strerror or exc}); choose a writable path") from exc
    return path


@dataclass(eq=False)
class ExplorationBundle:
    """An opened bundle: ``.onnx``, ``.layer_info``, ``.profile`` (or None), ``.metadata``, ``.fusion()``."""

    path: Path
    model_bytes: bytes = field(repr=False)
    layer_info_text: str = field(repr=False)
    layer_info_format: str
    profile_text: str | None = field(repr=False)
    metadata: dict
    plan: bytes | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def _member(self, name: str, read):
        """``read()`` the member, an error naming the bundle and the member."""
        if name not in self._cache:
            try:
                self._cache[name] = read()
            except TrtlabError as exc:
                raise type(exc)(f"bundle member {name!r} of {str(self.path)!r}: {exc}") from exc
        return self._cache[name]

    @property
    def onnx(self):
        return self._member("model.onnx", lambda: load_onnx(self.model_bytes))

    @property
    def layer_info(self):
        name = "layer_info.json" if self.layer_info_format == "json" else "layer_info.txt"
        return self._member(name, lambda: plan_from_text(self.layer_info_text, self.layer_info_format))

    @property
    def profile(self):
        if self.profile_text is None:
            return None
        # bytes: always parsed as the profile's text, never taken for a path
        return self._member("profile.json", lambda: load_profile(self.profile_text.encode("utf-8")))

    def fusion(self):
        """``map_fusion(self.onnx, self.layer_info, self.profile)``."""
        return map_fusion(self.onnx, self.layer_info, self.profile)

    def _repr_html_(self) -> str:
        rows = [("bundle", str(self.path)), ("model", f"{len(self.model_bytes) / 2**20:.2f} MiB"),
                ("layer information", self.layer_info_format), ("profile", "yes" if self.profile_text else "no")]
        rows += [(k, str(v)) for k, v in self.metadata.items() if k in ("backend", "backend_version", "device", "build_seconds")]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
                       f"{html.escape(v)}</td></tr>" for k, v in rows)
        return f"<table><caption>trtlab exploration bundle</caption>{body}</table>"


# Members are read whole into memory, so their sizes are checked first (a zip of many GB of
# zeros is a few MB on disk). Text members get the limit of trtlab's layer-info readers; an ONNX
# model in one file cannot exceed protobuf's 2 GiB; a plan is only there on request.
_TEXT_LIMIT = 64 * 2**20
_MEMBER_LIMITS = {"model.onnx": 2 * 2**30, "engine.plan": 16 * 2**30}
#: the model, a plan and the text members together, with room for the zip's own records
_BUNDLE_LIMIT = 19 * 2**30


def _check_member_size(zf: zipfile.ZipFile, name: str, path: Path) -> None:
    size = zf.getinfo(name).file_size  # zipfile never inflates past this (CRC check at the end)
    limit = _MEMBER_LIMITS.get(name, _TEXT_LIMIT)
    if size > limit:
        raise BundleError(f"bundle member {name!r} of {str(path)!r} is {size / 2**20:,.0f} MiB, more than the "
                          f"{limit / 2**20:,.0f} MiB a bundle's {name} may have; refusing to inflate it. "
                          "Check where the bundle came from")


def _member_names(zf: zipfile.ZipFile, path: Path) -> set[str]:
    listed = zf.namelist()
    names = set(listed)
    if len(names) != len(listed):
        seen: set[str] = set()
        dups = sorted({n for n in listed if n in seen or seen.add(n)})
        raise BundleError(f"bundle {str(path)!r} holds {len(dups)} name(s) twice ({_few(dups)}); a zip entry "
                          "written twice is ambiguous (which copy was verified?). Get a fresh copy")
    return names


def _few(names, n: int = 3) -> str:
    names = sorted(names)
    shown = ", ".join(repr(x[:80]) for x in names[:n])
    return shown + (f" and {len(names) - n:,} more" if len(names) > n else "")


def _read_manifest(zf: zipfile.ZipFile, names: set[str], path: Path) -> dict:
    if "manifest.json" not in names:
        raise BundleError(f"{str(path)!r} is a zip file but not a trtlab bundle (no manifest.json)")
    _check_member_size(zf, "manifest.json", path)
    manifest = json.loads(zf.read("manifest.json"))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("members", {}), dict):
        raise BundleError(f"{str(path)!r} has a malformed manifest.json (expected an object whose "
                          "'members' maps names to their sha256); get a fresh copy")
    if not isinstance(manifest.get("version", 0), int):
        raise BundleError(f"bundle {str(path)!r} has a malformed version {manifest.get('version')!r} "
                          "in its manifest; get a fresh copy")
    if manifest.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"{str(path)!r} is not a trtlab bundle (format {manifest.get('format')!r})")
    if manifest.get("version", 0) > BUNDLE_VERSION:
        raise BundleError(f"bundle {str(path)!r} has version {manifest.get('version')}; this trtlab reads "
                          f"version {BUNDLE_VERSION}. Upgrade trtlab")
    return manifest


def _read_members(zf: zipfile.ZipFile, names: set[str], manifest: dict, path: Path) -> dict[str, bytes]:
    listed = manifest.get("members", {})
    extra = names - set(listed) - {"manifest.json"}
    if extra:
        raise BundleError(f"bundle {str(path)!r} has {len(extra):,} member(s) not in its manifest "
                          f"({_few(extra)}); get a fresh copy")
    data = {}
    for name, entry in listed.items():
        if name not in names:
            raise BundleError(f"bundle {str(path)!r} lacks member {name[:200]!r} listed in its manifest")
        _check_member_size(zf, name, path)
        blob = zf.read(name)
        if not isinstance(entry, dict) or _sha(blob) != entry.get("sha256"):
            raise BundleError(f"bundle member {name[:200]!r} of {str(path)!r} does not match its sha256: "
                              "the bundle was altered or damaged. Get a fresh copy")
        data[name] = blob
    return data


def load_bundle(path) -> ExplorationBundle:
    """Open an exploration bundle, verifying every member against the manifest's sha256.

    Members are data: the layer information and profile are parsed as text (never opened as
    paths), and each member's size is checked before it is inflated.
    """
    path = Path(path)
    if not path.is_file():
        raise BundleError(f"bundle {str(path)!r} does not exist; give the path of a file written by save_bundle()")
    size = path.stat().st_size
    if size > _BUNDLE_LIMIT:
        raise BundleError(f"bundle {str(path)!r} is {size / 2**30:,.1f} GiB, more than a bundle's members may add up "
                          f"to ({_BUNDLE_LIMIT / 2**30:,.0f} GiB); check where the bundle came from")
    try:
        with zipfile.ZipFile(path) as zf:
            names = _member_names(zf, path)
            manifest = _read_manifest(zf, names, path)
            data = _read_members(zf, names, manifest, path)
    except BundleError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError, OSError, zlib.error,
            NotImplementedError, RuntimeError, RecursionError) as exc:  # zlib: damaged deflate data;
        # NotImplementedError: unknown compression method or zip version; RuntimeError: an encrypted member
        raise BundleError(
            f"{str(path)!r} is not a readable trtlab bundle ({type(exc).__name__}: {exc}); it may be truncated. "
            "Get a fresh copy, or write it again with save_bundle()"
        ) from exc
    return _bundle_from_members(path, data)


def _member_text(data: dict[str, bytes], name: str, path: Path) -> str | None:
    # the members match the manifest, but whoever wrote the manifest chose their content
    if name not in data:
        return None
    try:
        return data[name].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(f"bundle member {name!r} of {str(path)!r} is not UTF-8 text ({exc}); "
                          "get a fresh copy") from exc


def _bundle_from_members(path: Path, data: dict[str, bytes]) -> ExplorationBundle:
    if "model.onnx" not in data or not ({"layer_info.json", "layer_info.txt"} & set(data)):
        raise BundleError(f"bundle {str(path)!r} lacks model.onnx or layer information")
    fmt = "json" if "layer_info.json" in data else "oneline"
    text = _member_text(data, "layer_info.json", path) or _member_text(data, "layer_info.txt", path) or ""
    profile_text = _member_text(data, "profile.json", path)
    try:
        meta = json.loads(_member_text(data, "metadata.json", path) or "{}")
    except (ValueError, RecursionError) as exc:
        raise BundleError(f"bundle member 'metadata.json' of {str(path)!r} is not JSON ({exc}); get a fresh copy") from exc
    if not isinstance(meta, dict):
        raise BundleError(f"bundle {str(path)!r}: metadata.json must be a JSON object, not {type(meta).__name__}")
    return ExplorationBundle(
        path=path,
        model_bytes=data["model.onnx"],
        layer_info_text=text,
        layer_info_format=meta.get("layer_info_format", fmt) if meta.get("layer_info_format") in ("json", "oneline", "none") else fmt,
        profile_text=profile_text,
        metadata=meta,
        plan=data.get("engine.plan"),
    )
