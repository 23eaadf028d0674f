"""The engine cache: hits, verification, corruption, concurrency, bad folders."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pytest

from trtlab import BackendError, CacheError
from trtlab.builder import BuildConfig, EngineCache, build_engine
from trtlab.builder.cache import default_cache_dir

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "trtlab" / "data" / "inception_block.onnx"

pytestmark = pytest.mark.rtx


@pytest.fixture
def cache(tmp_path):
    return EngineCache(tmp_path / "engines")


def test_repeat_build_comes_from_cache(rtx, cache):
    first = build_engine(MODEL, cache=cache)
    again = build_engine(MODEL, cache=cache)
    assert not first.from_cache and again.from_cache
    assert again.plan == first.plan and again.layer_info_text == first.layer_info_text
    assert again.key == first.key and len(again.layer_info) == len(first.layer_info)
    assert cache.size()[1] == 1 and cache.size()[0] > len(first.plan)
    # a fresh cache object (another process, say) verifies the entry by hash and uses it too
    other = build_engine(MODEL, cache=EngineCache(cache.path))
    assert other.from_cache and other.plan == first.plan
    # the cached engine explores like the built one: same layers, same ONNX nodes, same summary
    cached_report, built_report = other.fusion(), first.fusion()
    assert [(r.name, r.kind, r.onnx_nodes) for r in cached_report.layers] == \
        [(r.name, r.kind, r.onnx_nodes) for r in built_report.layers]
    assert cached_report.summary().rows == built_report.summary().rows
    assert not cached_report.is_mismatch and cached_report.coverage > 0


def test_config_model_and_target_change_the_key(rtx, cache, fixtures):
    a = build_engine(MODEL, cache=cache)
    b = build_engine(MODEL, BuildConfig(opt_level=1), cache=cache)
    c = build_engine(MODEL, BuildConfig(compute_capability="sm89"), cache=cache)
    d = build_engine(fixtures / "onnx" / "conv.onnx", cache=cache)
    assert len({a.key, b.key, c.key, d.key}) == 4 and not (b.from_cache or c.from_cache or d.from_cache)
    assert cache.size()[1] == 4


def _entry(cache: EngineCache) -> Path:
    (path,) = cache.entries()
    return path


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_corrupt_entry_is_detected_and_rebuilt(rtx, cache, damage):
    first = build_engine(MODEL, cache=cache)
    path = _entry(cache)
    blob = bytearray(path.read_bytes())
    if damage == "flip":
        blob[len(blob) // 2] ^= 0xFF
    elif damage == "truncate":
        blob = blob[: len(blob) - 1000]
    else:
        blob = bytearray(b"not an engine at all")
    path.write_bytes(bytes(blob))
    for c in (cache, EngineCache(cache.path)):  # same process (memo) and a fresh one
        with pytest.warns(RuntimeWarning, match="discarding"):
            again = build_engine(MODEL, cache=c)
        assert not again.from_cache and again.plan == first.plan  # rebuilt, never loaded
        path.write_bytes(bytes(blob))
    path.unlink()


def test_foreign_entry_is_not_loaded(rtx, cache, fixtures):
    a = build_engine(MODEL, cache=cache)
    b = build_engine(fixtures / "onnx" / "conv.onnx", cache=cache)
    pa = cache._entry_path(a.key)
    pa.write_bytes(cache._entry_path(b.key).read_bytes())  # b's entry under a's key
    with pytest.warns(RuntimeWarning, match="belongs to key"):
        again = build_engine(MODEL, cache=cache)
    assert not again.from_cache and again.plan != b.plan


def test_concurrent_writers_leave_one_valid_entry(rtx, cache):
    results, errors = [], []

    def work():
        try:
            results.append(build_engine(MODEL, cache=EngineCache(cache.path)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
    assert cache.size()[1] == 1
    assert not list(cache.path.glob("**/.tmp-*"))  # no temp files left behind
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a damaged entry would warn
        hit = EngineCache(cache.path).get(results[0].key)
    assert hit is not None and hit.plan in {r.plan for r in results}


def test_unwritable_cache_dir_is_a_cache_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(CacheError) as e:
        EngineCache(blocker / "engines")
    assert "a_file" in str(e.value) and "cache=None" in str(e.value)


def test_size_clear_and_default_location(rtx, cache, monkeypatch, tmp_path):
    build_engine(MODEL, cache=cache)
    assert cache.size()[1] == 1 and "1 engines" in repr(cache) and "<table>" in cache._repr_html_()
    # TensorRT for RTX has no timing cache (its calls are no-ops): none is written, and asking is an error
    assert not list(cache.path.glob("timing/*.cache"))
    with pytest.raises(BackendError, match="no timing cache"):
        build_engine(MODEL, BuildConfig(timing_cache=str(tmp_path / "t.cache")))
    assert cache.clear() == 1 and cache.size() == (0, 0)
    monkeypatch.setenv("TRTLAB_CACHE_DIR", str(tmp_path / "env-cache"))
    assert default_cache_dir() == tmp_path / "env-cache" and EngineCache().path == tmp_path / "env-cache"
    monkeypatch.delenv("TRTLAB_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "trtlab" / "engines"


def test_cache_argument_forms(rtx, tmp_path):
    e1 = build_engine(MODEL, cache=str(tmp_path / "c"))
    e2 = build_engine(MODEL, cache=tmp_path / "c")
    assert e2.from_cache and e1.key == e2.key
    from trtlab import ConfigError

    with pytest.raises(ConfigError, match="cache"):
        build_engine(MODEL, cache=42)


def _rewrite_header(path: Path, change) -> None:
    import json
    import struct

    from trtlab.builder.cache import MAGIC

    blob = path.read_bytes()
    (hlen,) = struct.unpack_from("<I", blob, len(MAGIC))
    start = len(MAGIC) + 4
    meta = json.loads(blob[start:start + hlen])
    header = change(json.dumps(meta, sort_keys=True)).encode()
    path.write_bytes(MAGIC + struct.pack("<I", len(header)) + header + blob[start + hlen:])


@pytest.mark.parametrize("field, value", [("plan_bytes", "null"), ("plan_bytes", "1e999"),
                                          ("layers_bytes", "true"), ("plan_bytes", '"12"'), ("plan_bytes", "-3")])
def test_a_damaged_header_is_discarded_and_rebuilt(rtx, cache, field, value):
    import re

    first = build_engine(MODEL, cache=cache)
    _rewrite_header(_entry(cache), lambda text: re.sub(rf'"{field}": -?\d+', f'"{field}": {value}', text))
    with pytest.warns(RuntimeWarning, match=f"header field '{field}'"):
        again = build_engine(MODEL, cache=cache)
    assert not again.from_cache and again.plan and first.plan
    assert build_engine(MODEL, cache=cache).from_cache  # the rebuilt entry is good


def test_clear_leaves_writes_in_progress_alone(cache):
    import os
    import time

    from trtlab._atomic import TEMP_PREFIX
    from trtlab.builder.cache import STALE_TEMP_SECONDS

    folder = cache.path / "ab"
    folder.mkdir()
    fresh = folder / f"{TEMP_PREFIX}fresh.engine.1.tmp"
    stale = folder / f"{TEMP_PREFIX}stale.engine.2.tmp"
    fresh.write_bytes(b"in progress")
    stale.write_bytes(b"left by a killed writer")
    old = time.time() - STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    cache.clear()
    assert fresh.exists() and not stale.exists()


def test_clear_in_another_process_during_builds_loses_no_engine(rtx, cache):
    """Builds keep their engines while another process clears the cache over and over."""
    import subprocess
    import sys

    code = ("import sys, time\nfrom trtlab.builder import EngineCache\nc = EngineCache(sys.argv[1])\n"
            "end = time.time() + float(sys.argv[2])\nwhile time.time() < end:\n    c.clear()\n")
    clearer = subprocess.Popen([sys.executable, "-c", code, str(cache.path), "8"],
                               env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    try:
        engines = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for opt in range(6):
                engines.append(build_engine(MODEL, BuildConfig(opt_level=opt % 6), cache=cache))
    finally:
        clearer.wait(timeout=60)
    assert clearer.returncode == 0
    assert all(e.plan for e in engines)


def test_a_failed_cache_write_still_returns_the_engine(rtx, cache, monkeypatch):
    def refuse(key, engine):
        raise CacheError("cannot write to the engine cache (disk full)")

    monkeypatch.setattr(cache, "put", refuse)
    with pytest.warns(UserWarning, match="built but not cached.*disk full"):
        engine = build_engine(MODEL, cache=cache)
    assert engine.plan and not engine.from_cache
    assert any("disk full" in m for s, m in engine.log if s == "WARNING")


def test_a_deeply_nested_header_is_discarded_and_rebuilt(rtx, cache):
    import struct

    from trtlab.builder.cache import MAGIC

    first = build_engine(MODEL, cache=cache)
    path = _entry(cache)
    header = b"[" * 100_000 + b"]" * 100_000
    path.write_bytes(MAGIC + struct.pack("<I", len(header)) + header + first.plan)
    with pytest.warns(RuntimeWarning, match="unreadable header"):
        assert not build_engine(MODEL, cache=cache).from_cache
