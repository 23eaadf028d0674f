"""The engine cache: built plans and their layer information, keyed by model + config + backend + target.

Entry format (one file per key, ``<root>/<key[:2]>/<key>.engine``)::

    b"TRTLABE1" | u32 little-endian header length | header JSON | plan | layer-info text (utf-8)

The header names the key, the sizes and the sha256 of the plan and of the layer information;
a read recomputes both, so a corrupt, truncated or foreign entry is detected, deleted and
rebuilt — never loaded (a plan runs native code when deserialized). Writes go to a temp file
in the same directory and are moved into place with ``os.replace`` (atomic on POSIX and
Windows), so concurrent writers (threads or processes) leave one valid entry.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import struct
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from .._atomic import TEMP_PREFIX, atomic_write
from ..errors import CacheError, ConfigError

__all__ = ["EngineCache", "CacheEntry", "default_cache_dir", "as_cache"]

MAGIC = b"TRTLABE1"
ENV_VAR = "TRTLAB_CACHE_DIR"
SUFFIX = ".engine"
#: a header is a small JSON object (hashes, config, notes); the parts are checked before they are read
MAX_HEADER_BYTES = 16 * 2**20
MAX_PLAN_BYTES = 16 * 2**30
MAX_LAYERS_BYTES = 80 * 2**20
#: temp files younger than this are writes in progress (maybe in another process): clear() keeps them
STALE_TEMP_SECONDS = 3600


def _byte_count(meta: dict, key: str) -> int:
    """A non-negative int from the header; ValueError (-> the entry is discarded) for anything else."""
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"header field {key!r} is {str(value)[:40]!r}, not a byte count")
    return value


def default_cache_dir() -> Path:
    """``$TRTLAB_CACHE_DIR``, else ``~/.cache/trtlab/engines``."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "trtlab" / "engines"


@dataclass
class CacheEntry:
    key: str
    plan: bytes
    layer_info_text: str
    layer_info_format: str
    meta: dict
    path: Path


class EngineCache:
    """A folder of built engines. ``EngineCache()`` uses :func:`default_cache_dir`.

    ``get(key)`` returns a verified :class:`CacheEntry` or None; ``put(key, engine)`` stores
    a :class:`~trtlab.builder.BuiltEngine`; ``size()`` -> ``(bytes, entries)``; ``clear()``.
    With TensorRT (not TensorRT for RTX, which has no timing cache) the folder also keeps one
    timing cache per backend version, reused across builds.
    """

    def __init__(self, path=None):
        self.path = Path(path).expanduser() if path is not None else default_cache_dir()
        # entry path -> (stat signature, header hashes) of entries this process already verified:
        # an unchanged file (same inode, size, mtime and ctime, which every write changes) is not
        # hashed again, so a repeat build in a notebook costs a file read, not two sha256 passes
        self._verified: dict[Path, tuple[tuple, str, str]] = {}
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self.path, prefix=".probe-", delete=True)
            probe.close()
        except OSError as exc:
            raise CacheError(
                f"the engine cache folder {str(self.path)!r} cannot be created or written ({exc.strerror or exc}); "
                f"choose a writable folder with EngineCache(path=...) or ${ENV_VAR}, or build with cache=None"
            ) from exc

    # -- paths
    def _entry_path(self, key: str) -> Path:
        if not (len(key) == 64 and all(c in "0123456789abcdef" for c in key)):
            raise ConfigError(f"cache key {key!r} is not a sha256 hex digest")
        return self.path / key[:2] / (key + SUFFIX)

    def timing_cache_path(self, info) -> Path:
        """Where the timing cache of this backend (module + version) lives."""
        safe = f"{info.module}-{info.version}".replace(os.sep, "_")
        return self.path / "timing" / f"{safe}.cache"

    # -- read
    def get(self, key: str) -> CacheEntry | None:
        """The verified entry for ``key``, or None (missing, or corrupt/foreign: then deleted)."""
        path = self._entry_path(key)
        try:
            with open(path, "rb") as fh:
                st = os.fstat(fh.fileno())
                sig = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                try:
                    entry = self._read(key, fh, st.st_size, path, self._verified.get(path), sig)
                    self._verified[path] = (sig, entry.meta["plan_sha256"], entry.meta["layers_sha256"])
                    return entry
                except ValueError as why:
                    problem = why
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheError(f"cannot read cache entry {str(path)!r}: {exc}") from exc
        self._verified.pop(path, None)
        warnings.warn(f"trtlab: discarding engine cache entry {path.name}: {problem}; the engine will be rebuilt",
                      RuntimeWarning, stacklevel=3)
        try:
            path.unlink()
        except OSError:
            pass
        return None

    @staticmethod
    def _read(key: str, fh, size: int, path: Path, verified=None, sig=None) -> CacheEntry:
        # read piecewise (header, plan, layers) so the plan is not copied out of a larger blob
        head = fh.read(len(MAGIC) + 4)
        if len(head) < len(MAGIC) + 4 or not head.startswith(MAGIC):
            raise ValueError("not a trtlab cache entry (bad magic)")
        (hlen,) = struct.unpack_from("<I", head, len(MAGIC))
        if len(MAGIC) + 4 + hlen > size or hlen > MAX_HEADER_BYTES:
            raise ValueError(f"header length {hlen} does not fit the file ({size} bytes)")
        try:
            meta = json.loads(fh.read(hlen))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ValueError("unreadable header") from None
        if not isinstance(meta, dict) or meta.get("key") != key:
            raise ValueError(f"entry belongs to key {meta.get('key') if isinstance(meta, dict) else None!r}")
        pn, ln = _byte_count(meta, "plan_bytes"), _byte_count(meta, "layers_bytes")
        if size != len(MAGIC) + 4 + hlen + pn + ln or pn > MAX_PLAN_BYTES or ln > MAX_LAYERS_BYTES:
            raise ValueError(f"size {size} does not match the header (truncated or padded)")
        plan = fh.read(pn)
        layers = fh.read(ln)
        if len(plan) != pn or len(layers) != ln:
            raise ValueError("truncated while reading")
        if not (verified is not None and verified == (sig, meta.get("plan_sha256"), meta.get("layers_sha256"))):
            if hashlib.sha256(plan).hexdigest() != meta.get("plan_sha256"):
                raise ValueError("plan checksum mismatch")
            if hashlib.sha256(layers).hexdigest() != meta.get("layers_sha256"):
                raise ValueError("layer information checksum mismatch")
        return CacheEntry(key, plan, layers.decode("utf-8"), meta.get("layer_info_format", "none"), meta, path)

    # -- write
    def put(self, key: str, engine) -> Path:
        """Store a built engine under ``key`` atomically; returns the entry's path."""
        layers = engine.layer_info_text.encode("utf-8")
        meta = dict(engine.metadata())
        meta.update({
            "key": key,
            "plan_bytes": len(engine.plan),
            "layers_bytes": len(layers),
            "layers_sha256": hashlib.sha256(layers).hexdigest(),
        })
        header = json.dumps(meta, sort_keys=True).encode()
        path = self._entry_path(key)
        try:
            with atomic_write(path) as fh:
                fh.write(MAGIC + struct.pack("<I", len(header)) + header)
                fh.write(engine.plan)
                fh.write(layers)
            st = path.stat()
            self._verified[path] = ((st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns),
                                    meta["plan_sha256"], meta["layers_sha256"])
        except OSError as exc:
            raise CacheError(
                f"cannot write to the engine cache {str(self.path)!r} ({exc.strerror or exc}); free some space, "
                f"choose another folder (EngineCache(path=...) or ${ENV_VAR}), or build with cache=None"
            ) from exc
        return path

    # -- housekeeping
    def entries(self) -> list[Path]:
        # ".tmp-*" files are writes in progress, or left by a writer that was killed: not entries
        return sorted(p for p in self.path.glob(f"??/*{SUFFIX}") if p.is_file() and not p.name.startswith("."))

    def size(self) -> tuple[int, int]:
        """``(bytes, entries)`` of the cached engines (timing caches not counted as entries)."""
        files = self.entries()
        return sum(p.stat().st_size for p in files), len(files)

    def clear(self) -> int:
        """Delete every cached engine and timing cache; returns the number of engines removed.

        Temp files of writes in progress -- in this or another process -- are left alone; those
        older than :data:`STALE_TEMP_SECONDS` were left by killed writers and are removed.
        """
        files = self.entries()
        for p in files:
            p.unlink(missing_ok=True)
        now = time.time()
        for p in self.path.glob(f"??/{TEMP_PREFIX}*"):
            try:
                if now - p.stat().st_mtime > STALE_TEMP_SECONDS:
                    p.unlink(missing_ok=True)
            except FileNotFoundError:  # its writer just moved it into place
                continue
        for p in self.path.glob("timing/*.cache"):
            p.unlink(missing_ok=True)
        return len(files)

    def __contains__(self, key: str) -> bool:
        return self._entry_path(key).is_file()

    def __repr__(self) -> str:
        nbytes, n = self.size()
        return f"EngineCache({str(self.path)!r}, {n} engines, {nbytes / 2**20:.1f} MiB)"

    def _repr_html_(self) -> str:
        nbytes, n = self.size()
        return (f"<table><caption>trtlab engine cache</caption><tr><th>folder</th><td>{html.escape(str(self.path))}"
                f"</td></tr><tr><th>engines</th><td>{n}</td></tr><tr><th>size</th><td>{nbytes / 2**20:.1f} MiB</td></tr></table>")


def as_cache(cache) -> EngineCache | None:
    """``None``/``False`` -> no cache; ``True`` -> default; a path -> that folder; an EngineCache as is."""
    if cache is None or cache is False:
        return None
    if cache is True:
        return EngineCache()
    if isinstance(cache, EngineCache):
        return cache
    if isinstance(cache, (str, os.PathLike)):
        return EngineCache(cache)
    raise ConfigError(f"cache {cache!r} is not one of None, True, a folder path or an EngineCache")
