"""First build vs cached rebuild of the bundled models, side by side, in one run.

What a user would do without trtlab's cache is build the engine again: that is the "first
build" column (a real TensorRT build of the bundled model, no cache). The cached columns are
``build_engine(model, cache=...)`` again with the same model and config:

- *cached, same process*: a notebook re-running its build cell (the entry was verified by
  sha256 when this process wrote or first read it; unchanged files are not hashed again);
- *cached, new process*: a fresh process (a CLI call): the model is read and hashed, the
  entry is read and its sha256 verified.

Usage: ``python bench/build_cache.py [--repeat N] [--update-docs]``
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from trtlab.builder import EngineCache, backend_info, build_engine  # noqa: E402
from trtlab.builder import model as _model  # noqa: E402

SECTION = "## Engine build and cache"


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(repeat: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted((ROOT / "trtlab" / "data").glob("*.onnx")):
            build_engine(path)  # warm TensorRT's own one-time setup so the first model is not penalized
            first = _time(lambda: build_engine(path), max(1, repeat // 3))
            cache = EngineCache(Path(tmp) / path.stem)
            eng = build_engine(path, cache=cache)
            assert not eng.from_cache

            def warm():
                assert build_engine(path, cache=cache).from_cache

            def cold():
                _model._DIGESTS.clear()  # what a new process starts with
                assert build_engine(path, cache=EngineCache(cache.path)).from_cache

            rows.append({
                "model": path.stem,
                "plan_mib": len(eng.plan) / 2**20,
                "build_s": first,
                "warm_ms": _time(warm, repeat) * 1000,
                "cold_ms": _time(cold, repeat) * 1000,
            })
    return rows


def table(rows: list[dict]) -> str:
    info = backend_info()
    lines = [
        f"Backend {info.module} {info.version}, {info.device}; {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}. Medians; `python bench/build_cache.py`.",
        "",
        "| model | plan MiB | first build (s) | cached, same process (ms) | speed-up | cached, new process (ms) | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['plan_mib']:.1f} | {r['build_s']:.3f} | {r['warm_ms']:.2f} | "
            f"{r['build_s'] * 1000 / r['warm_ms']:.0f}x | {r['cold_ms']:.2f} | {r['build_s'] * 1000 / r['cold_ms']:.0f}x |"
        )
    return "\n".join(lines)


def update_docs(text: str) -> None:
    """Replace (or append) only this benchmark's section of docs/benchmarks.md."""
    doc = ROOT / "docs" / "benchmarks.md"
    current = doc.read_text() if doc.is_file() else "# Benchmarks\n"
    block = f"{SECTION}\n\n{text}\n"
    if SECTION in current:
        head, _, rest = current.partition(SECTION)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1:] if nxt >= 0 else ""
        current = head + block + ("\n" + tail if tail else "")
    else:
        current = current.rstrip("\n") + "\n\n" + block
    doc.write_text(current)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--update-docs", action="store_true", help=f"write the table under '{SECTION}' in docs/benchmarks.md")
    args = ap.parse_args()
    text = table(run(args.repeat))
    print(text)
    if args.update_docs:
        update_docs(text)


if __name__ == "__main__":
    main()
