"""Resources, caches and bundles under failure: killed writes, failing renames, concurrent writers,
sessions dropped without close, and host memory over a notebook-like loop of 100 builds.

Builds are real TensorRT-for-RTX builds on the CPU (a tiny Conv+Relu model, ~0.15 s each);
sessions run on the runtime engineer's CUDA/TensorRT test doubles (tests/runtime).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
import weakref
from pathlib import Path

import numpy as np
import pytest

import trtlab

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "bad_inputs"))
import runner  # noqa: E402

sys.path.pop(0)

MODEL = runner._tiny_model_bytes()
# Host memory may not grow by more than this over the last 50 of 100 builds. An engine plan of
# the tiny model is 260 kB, so keeping one plan per build would add 13 MiB; allocator noise
# measured here is about 1 MiB.
RSS_GROWTH_LIMIT = 8 * 2**20


@pytest.fixture(scope="module")
def rtx():
    return pytest.importorskip("tensorrt_rtx_bindings")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _python(code: str, *args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child exited early ({proc.returncode}): {proc.stderr.read()[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child never reached the point to kill it at")
        time.sleep(0.05)


# ----------------------------------------------------------------------------- engine cache
SLOW_CACHE_WRITER = """
    import os, sys, time
    from pathlib import Path
    from trtlab.builder import EngineCache, build_engine

    cache_dir, key, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    engine = build_engine(Path(sys.argv[4]).read_bytes())      # cache off: a fresh plan

    real_fdopen = os.fdopen

    class HalfThenHang:  # writes half of the first chunk, says so, then hangs until killed
        def __init__(self, fh):
            self.fh = fh
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return self.fh.__exit__(*exc)
        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            os.fsync(self.fh.fileno())
            marker.write_text("mid-write")
            time.sleep(600)

    os.fdopen = lambda fd, mode="r", *a, **k: HalfThenHang(real_fdopen(fd, mode, *a, **k))
    EngineCache(cache_dir).put(key, engine)
"""


def test_killed_cache_write_leaves_the_previous_entry_intact(rtx, tmp_path):
    from trtlab.builder import EngineCache, build_engine

    cache = EngineCache(tmp_path / "cache")
    first = build_engine(MODEL, cache=cache)
    (entry,) = cache.entries()
    before = entry.read_bytes()
    (tmp_path / "model.onnx").write_bytes(MODEL)

    marker = tmp_path / "mid-write"
    child = _python(SLOW_CACHE_WRITER, str(cache.path), first.key, str(marker), str(tmp_path / "model.onnx"))
    _wait_for(marker, child)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL

    leftovers = list(cache.path.glob("**/.tmp-*"))
    assert leftovers, "the killed writer should have left its temporary file"
    assert entry.read_bytes() == before                      # the entry was never touched
    assert cache.entries() == [entry] and cache.size()[1] == 1  # a leftover temp file is not an entry
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a damaged entry would warn
        again = build_engine(MODEL, cache=EngineCache(cache.path))
    assert again.from_cache and again.plan == first.plan
    assert cache.clear() == 1 and not list(cache.path.glob("**/*.engine"))


def test_failing_rename_keeps_the_previous_entry_and_leaves_no_temp_file(rtx, tmp_path, monkeypatch):
    from trtlab.builder import EngineCache, build_engine

    cache = EngineCache(tmp_path / "cache")
    first = build_engine(MODEL, cache=cache)
    (entry,) = cache.entries()
    before = entry.read_bytes()

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(trtlab.CacheError, match="No space left on device") as err:
        cache.put(first.key, first)
    assert str(cache.path) in str(err.value) and "cache=None" in str(err.value)
    monkeypatch.undo()
    assert entry.read_bytes() == before
    assert not list(cache.path.glob("**/.tmp-*"))
    assert EngineCache(cache.path).get(first.key).plan == first.plan


CONCURRENT_BUILDER = """
    import hashlib, json, sys, time, warnings
    from pathlib import Path
    from trtlab.builder import EngineCache, build_engine

    cache_dir, go, model = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]).read_bytes()
    while not go.exists():               # start together
        time.sleep(0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a damaged entry seen by a reader would warn
        engine = build_engine(model, cache=EngineCache(cache_dir))
    print(json.dumps({"key": engine.key, "sha": hashlib.sha256(engine.plan).hexdigest(),
                      "from_cache": engine.from_cache}))
"""


def test_processes_building_into_one_cache_leave_one_valid_entry(rtx, tmp_path):
    """Several processes build the same model into the same cache at the same moment."""
    from trtlab.builder import EngineCache

    (tmp_path / "model.onnx").write_bytes(MODEL)
    go = tmp_path / "go"
    procs = [_python(CONCURRENT_BUILDER, str(tmp_path / "cache"), str(go), str(tmp_path / "model.onnx"))
             for _ in range(3)]
    time.sleep(2.0)  # let them import trtlab and TensorRT, then release them together
    go.write_text("go")
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert len({r["key"] for r in results}) == 1
    cache = EngineCache(tmp_path / "cache")
    assert cache.size()[1] == 1 and not list(cache.path.glob("**/.tmp-*"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        entry = cache.get(results[0]["key"])
    assert entry is not None and _sha(entry.plan) in {r["sha"] for r in results}


# ----------------------------------------------------------------------------- bundles
def _bundle_parts(tag: str) -> dict:
    info = json.loads(json.dumps(runner._LAYER_INFO))
    info["Layers"][0]["TacticName"] = tag  # distinguishes the writers' bundles
    return {"onnx": MODEL, "layer_info": info, "metadata": {"writer": tag}}


SLOW_BUNDLE_WRITER = """
    import sys, time, zipfile
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    import runner
    from trtlab.builder import save_bundle

    marker = Path(sys.argv[2])
    real_writestr = zipfile.ZipFile.writestr
    def writestr_then_hang(self, name, data, *a, **k):
        real_writestr(self, name, data, *a, **k)
        self.fp.flush()
        marker.write_text("mid-write")
        time.sleep(600)
    zipfile.ZipFile.writestr = writestr_then_hang
    save_bundle(sys.argv[1], {"onnx": runner._tiny_model_bytes(), "layer_info": runner._LAYER_INFO})
"""


def test_killed_bundle_write_leaves_the_previous_bundle_intact(tmp_path):
    from trtlab.builder import load_bundle, save_bundle

    path = save_bundle(tmp_path / "explore.trtlab", _bundle_parts("original"))
    before = path.read_bytes()
    marker = tmp_path / "mid-write"
    child = _python(SLOW_BUNDLE_WRITER, str(path), str(marker), str(ROOT / "tests" / "bad_inputs"))
    _wait_for(marker, child)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert path.read_bytes() == before
    assert load_bundle(path).metadata["writer"] == "original"
    # the next save replaces both the bundle and whatever the killed writer left
    save_bundle(path, _bundle_parts("second"))
    assert load_bundle(path).metadata["writer"] == "second"


def test_failing_rename_keeps_the_previous_bundle(tmp_path, monkeypatch):
    from trtlab.builder import load_bundle, save_bundle

    path = save_bundle(tmp_path / "explore.trtlab", _bundle_parts("original"))
    before = path.read_bytes()

    def no_space(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(trtlab.TrtlabError, match="No space left on device"):
        save_bundle(path, _bundle_parts("second"))
    monkeypatch.undo()
    assert path.read_bytes() == before and load_bundle(path).metadata["writer"] == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["explore.trtlab"]  # no temp file left


CONCURRENT_BUNDLE_WRITER = """
    import json, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[4])
    import runner
    from trtlab.builder import save_bundle

    path, tag, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    info = json.loads(json.dumps(runner._LAYER_INFO))
    info["Layers"][0]["TacticName"] = tag
    while not go.exists():
        time.sleep(0.01)
    for i in range(40):
        save_bundle(path, {"onnx": runner._tiny_model_bytes(), "layer_info": info, "metadata": {"writer": tag}})
"""


def test_processes_saving_one_bundle_leave_a_valid_bundle(tmp_path):
    from trtlab.builder import load_bundle

    path, go = tmp_path / "shared.trtlab", tmp_path / "go"
    procs = [_python(CONCURRENT_BUNDLE_WRITER, str(path), tag, str(go), str(ROOT / "tests" / "bad_inputs"))
             for tag in ("A", "B")]
    time.sleep(1.5)
    go.write_text("go")
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
    bundle = load_bundle(path)  # verifies every member's sha256
    assert bundle.metadata["writer"] in ("A", "B")
    assert json.loads(bundle.layer_info_text)["Layers"][0]["TacticName"] == bundle.metadata["writer"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["go", "shared.trtlab"]


# ----------------------------------------------------------------------------- sessions
@pytest.fixture
def doubles():
    """The CPU doubles of CUDA and TensorRT in tests/runtime."""
    sys.path.insert(0, str(ROOT / "tests" / "runtime"))
    try:
        fake_trt = pytest.importorskip("fake_trt")
        fake_cuda = pytest.importorskip("fake_cuda")
        import importlib.util

        spec = importlib.util.spec_from_file_location("runtime_conftest", ROOT / "tests" / "runtime" / "conftest.py")
        runtime_conftest = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(runtime_conftest)
        IDENTITY = runtime_conftest.IDENTITY  # the runtime tests' identity engine  # noqa: N806
    finally:
        sys.path.pop(0)
    pytest.importorskip("trtlab.runtime")
    cuda = fake_cuda.FakeCuda()
    fake_trt.use_memory(fake_trt.FakeMemory(cuda))

    def engine():
        return fake_trt.ICudaEngine(json.loads(json.dumps(IDENTITY)), fake_trt._MEMORY[0])

    return cuda, engine


def _feeds(batch=4):
    return {"x": np.ones((batch, 3, 8, 8), np.float32), "mask": np.ones((2, 5), np.int32)}


def _held(cuda) -> tuple[int, int, int]:
    return cuda.used, len(cuda._pinned), len(cuda._streams)


def test_session_dropped_without_close_frees_everything(doubles):
    from trtlab.runtime import InferenceSession

    cuda, engine = doubles
    baseline = _held(cuda)
    s = InferenceSession(engine(), cuda=cuda)
    s.run(_feeds())
    assert _held(cuda) != baseline
    ref = weakref.ref(s)
    del s
    gc.collect()
    assert ref() is None and _held(cuda) == baseline


def test_session_in_a_reference_cycle_is_freed_by_the_collector(doubles):
    from trtlab.runtime import InferenceSession

    cuda, engine = doubles
    baseline = _held(cuda)
    holder = {"session": InferenceSession(engine(), cuda=cuda)}
    holder["self"] = holder  # like a notebook namespace referring to itself
    holder["session"].run(_feeds())
    ref = weakref.ref(holder["session"])
    del holder
    gc.collect()
    assert ref() is None and _held(cuda) == baseline


def test_notebook_loop_of_sessions_returns_to_baseline(doubles):
    """200 sessions created, run (some with bad inputs), closed or just dropped."""
    from trtlab.runtime import InferenceSession

    cuda, engine = doubles
    baseline = _held(cuda)
    for i in range(200):
        s = InferenceSession(engine(), cuda=cuda)
        out = s.run(_feeds(batch=1 + i % 16))
        assert out["y"].shape[0] == 1 + i % 16
        if i % 3 == 0:
            with pytest.raises(trtlab.BindingError):
                s.run({"x": np.ones((2, 3, 8, 8), np.float64)})
        if i % 2 == 0:
            s.close()
        del s, out
    gc.collect()
    assert _held(cuda) == baseline


# ----------------------------------------------------------------------------- host memory over builds
def test_hundred_builds_do_not_grow_host_memory(rtx):
    """A notebook-like loop: build (cache off), look at the layers, repeat 100 times."""
    psutil = pytest.importorskip("psutil")
    from trtlab.builder import build_engine

    proc = psutil.Process()
    for _ in range(3):  # warm-up: TensorRT's one-time allocations
        build_engine(MODEL, cache=None)
    rss = []
    engine = None
    for _ in range(100):
        engine = build_engine(MODEL, cache=None)
        plan = engine.layer_info
        assert len(plan) > 0
        repr(engine), plan._repr_html_()
        rss.append(proc.memory_info().rss)
    first, last = rss[49] - rss[0], rss[99] - rss[50]
    print(f"RSS {rss[0] / 2**20:.1f} -> {rss[-1] / 2**20:.1f} MiB; growth over builds 1-50: "
          f"{first / 2**20:+.2f} MiB, over builds 51-100: {last / 2**20:+.2f} MiB")
    assert last < RSS_GROWTH_LIMIT, f"host memory grew {last / 2**20:.1f} MiB over the last 50 builds"
