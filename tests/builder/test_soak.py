"""Builds never hang and never leak: TensorRT objects are released deterministically.

TensorRT's destructors take its own locks; one left to Python's cyclic collector is destroyed
whenever (and on whichever thread) the collector next runs -- inside a later build's
``parser.parse`` this deadlocked. These tests keep every failure, cancel and callback error in
a reference cycle (as a notebook's last traceback or ``pytest.raises`` does) and check that the
collector finds no TensorRT object there, then soak the builder with a collector thread.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from trtlab.builder import BuildConfig, CancelToken, ShapeProfile, build_engine
from trtlab.errors import BuildCancelled, BuildError, ConfigError, ModelLoadError

ROOT = Path(__file__).resolve().parents[2]
BLOCK = ROOT / "trtlab" / "data" / "inception_block.onnx"


def _is_tensorrt(obj) -> bool:
    if isinstance(obj, type):
        return False
    return any(cls.__module__.split(".")[0].startswith("tensorrt") for cls in type(obj).__mro__)


def _tensorrt_garbage(fail) -> list[str]:
    """Run ``fail()`` (which raises), keep its exception in a reference cycle, and collect.

    Returns the type names of TensorRT objects the cyclic collector would have had to free.
    """
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        try:
            fail()
        except Exception as exc:  # noqa: BLE001 - the exception is what is kept
            cycle = [exc]
            cycle.append(cycle)
            del cycle
        gc.collect()
        # pybind11 objects are not tracked by the collector: look at what the garbage refers to
        reached = [*gc.garbage, *gc.get_referents(*gc.garbage)]
        return sorted({type(o).__name__ for o in reached if _is_tensorrt(o)})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def _wrong_profile():
    build_engine(BLOCK, BuildConfig(profiles=(ShapeProfile("no_such_input", (1,), (1,), (1,)),)))


def _callback_raises():
    def boom(event):
        raise ValueError("progress callback failed")

    build_engine(BLOCK, progress=boom)


def _cancelled():
    token = CancelToken()
    token.cancel()
    build_engine(BLOCK, cancel=token)


@pytest.mark.parametrize("fail, error", [(_wrong_profile, ConfigError), (_callback_raises, BuildError),
                                         (_cancelled, BuildCancelled)], ids=["config", "callback", "cancel"])
def test_a_failed_build_leaves_no_tensorrt_object_to_the_collector(rtx, fail, error):
    with pytest.raises(error):
        fail()
    assert _tensorrt_garbage(fail) == []


def test_a_parser_failure_leaves_no_tensorrt_object_to_the_collector(rtx, fixtures):
    model = fixtures / "onnx" / "custom_op_node.onnx"
    if not model.exists():
        pytest.skip("fixture custom_op_node.onnx missing")
    assert _tensorrt_garbage(lambda: build_engine(model)) == []


COLLECT_INSIDE_TENSORRT = """
import gc, sys
import tensorrt_rtx_bindings as trt
import trtlab.builder.trt_session as session
from trtlab.builder import BuildConfig, ShapeProfile, build_engine
from trtlab.errors import ConfigError

base = session.logger_class(trt)

class Collecting(base):  # TensorRT's logger callback runs the collector: where the hang was
    def log(self, severity, msg):
        gc.collect()
        base.log(self, severity, msg)

session.logger_class = lambda module: Collecting
gc.disable()  # garbage waits for the collections inside TensorRT
for i in range(2):
    try:
        build_engine(sys.argv[1], BuildConfig(profiles=(ShapeProfile("no_such_input", (1,), (1,), (1,)),)))
    except ConfigError as exc:
        cycle = [exc]
        cycle.append(cycle)
        del cycle, exc
    assert build_engine(sys.argv[1]).plan
print("ok")
"""


def test_a_collection_inside_tensorrt_callbacks_does_not_hang(rtx):
    """The collector running inside TensorRT's logger callback (TensorRT holding its lock) after
    failed builds whose exceptions sit in reference cycles: this deadlocked when those frames
    held a Builder. Run in a child process so a regression fails the test instead of hanging it."""
    proc = subprocess.run([sys.executable, "-c", COLLECT_INSIDE_TENSORRT, str(BLOCK)], capture_output=True,
                          text=True, timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]


def _collector(stop: threading.Event, counter: list) -> None:
    """Collect young garbage every few milliseconds and everything every tenth time.

    Full collections over a whole test session's objects hold the interpreter lock for tens of
    milliseconds each; doing only those would starve the builds on a loaded 2-core machine.
    """
    while not stop.is_set():
        gc.collect() if counter[0] % 10 == 0 else gc.collect(1)
        counter[0] += 1
        time.sleep(0.01)


def _one_build(i: int, models: list[Path], bad: Path) -> str:
    """Build number ``i`` of the soak: mostly real builds, every few a cancel or a failure."""
    kind = ("build", "build", "cancel", "build", "config", "build", "bad model", "build")[i % 8]
    try:
        if kind == "cancel":
            token = CancelToken()
            build_engine(models[i % len(models)], progress=lambda ev: token.cancel() or None, cancel=token)
        elif kind == "config":
            _wrong_profile()
        elif kind == "bad model":
            build_engine(bad)
        else:
            engine = build_engine(models[i % len(models)])
            assert engine.plan and engine.layer_info_format in ("json", "oneline")
    except (BuildCancelled, ConfigError, ModelLoadError) as exc:
        cycle = [exc, kind]
        cycle.append(cycle)  # kept in a cycle, as a notebook keeps its last error
        return kind
    return kind


def _rss() -> int:
    psutil = pytest.importorskip("psutil")
    return psutil.Process().memory_info().rss


@pytest.mark.slow
def test_soak_200_builds_with_a_collector_thread(rtx, tmp_path):
    """200 builds (cancels and failures mixed in) with gc.collect() looping on another thread."""
    models = [BLOCK, ROOT / "trtlab" / "data" / "transformer_block.onnx"]
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx model")
    stop, counter = threading.Event(), [0]
    thread = threading.Thread(target=_collector, args=(stop, counter), daemon=True)
    thread.start()
    rss = []
    kinds: dict[str, int] = {}
    try:
        for i in range(200):
            kind = _one_build(i, models, bad)
            kinds[kind] = kinds.get(kind, 0) + 1
            if i % 8 == 7:
                rss.append(_rss())
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert counter[0] > 0
    assert kinds == {"build": 125, "cancel": 25, "config": 25, "bad model": 25}
    # flat: after a warm-up of 50 builds, memory grows by less than 64 MiB over the last 150
    warm = rss[len(rss) // 4]
    print(f"soak: {counter[0]} collections on the other thread; RSS after build 8 {rss[0] / 2**20:.1f} MiB, "
          f"after build 56 {warm / 2**20:.1f} MiB, max of builds 56-200 {max(rss[len(rss) // 4:]) / 2**20:.1f} MiB, "
          f"after build 200 {rss[-1] / 2**20:.1f} MiB")
    assert max(rss[len(rss) // 4:]) - warm < 64 * 2**20, [r >> 20 for r in rss]
