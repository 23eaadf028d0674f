"""Every case of the bad-input corpus (tests/bad_inputs/cases.json) through its entry point.

Each case must end as its ``expect`` says: the exact trtlab error class with a message naming
the file or the bad value (``mentions``), or ``ok`` with the documented result checked by
``runner.CHECKS``. No other exception may escape. ``generate.py`` must reproduce the committed
corpus byte for byte.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "bad_inputs"
sys.path.insert(0, str(HERE))
import runner  # noqa: E402

sys.path.remove(str(HERE))

CASES = runner.load_cases()
MILLION = "li_million_layers.json"
# a names-only file of 10^6 layers (27 MB) must parse within this much peak memory (measured:
# ~0.75 GiB; docs/reliability.md); far more would mean per-layer waste that kills kernels
MILLION_PEAK_RSS_LIMIT = 1.5 * 2**30


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """A scratch copy of the corpus with each case's setup applied (the symlink out)."""
    return runner.prepare(tmp_path_factory.mktemp("bad_inputs"))


def _assert_outcome(case: dict, out: runner.Outcome, work: Path) -> None:
    if out.kind == "skip":
        pytest.skip(out.message)
    assert out.kind != "raw", f"{case['id']}: a non-trtlab exception escaped {case['entry']}: {out.message}"
    assert out.label == case["expect"], f"{case['id']}: expected {case['expect']}, got {out.label}: {out.message}"
    if out.kind == "error":
        for text in runner.mentions(case, out):
            assert text in out.message, f"{case['id']}: the message does not mention {text!r}: {out.message}"
    else:
        check = runner.CHECKS.get(case["id"])
        assert check is not None, f"{case['id']} is expected to load but has no check of its result in runner.CHECKS"
        check(out, work)


@pytest.mark.parametrize("case", [c for c in CASES if c["id"] != MILLION], ids=lambda c: c["id"])
def test_case(case, corpus, tmp_path):
    out = runner.run_case(case, corpus, tmp_path)
    _assert_outcome(case, out, tmp_path)


def test_million_layers_parse_within_memory_bound(tmp_path):
    """10^6 layers: parsed correctly, in a fresh process whose peak RSS is measured."""
    (case,) = [c for c in CASES if c["id"] == MILLION]
    code = textwrap.dedent(f"""
        import json, resource, sys
        from pathlib import Path
        sys.path.insert(0, {str(HERE)!r})
        import runner
        case = json.loads({json.dumps(json.dumps(case))})
        work = Path({str(tmp_path)!r})
        path = runner.make(case, work)
        import trtlab.engine  # imported before the baseline: only the parse is measured
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out = runner.run_case(dict(case, file=path.name, make=None), path.parent, work)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if out.kind == "ok":
            runner.CHECKS[case["id"]](out, work)
        print(json.dumps({{"label": out.label, "message": out.message, "before_kib": before, "peak_kib": peak}}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["label"] == case["expect"], result["message"]
    print(f"10^6 layers: peak RSS {result['peak_kib'] / 2**20:.2f} GiB "
          f"(before parsing {result['before_kib'] / 2**20:.2f} GiB)")
    # ru_maxrss is a high-water mark: the parse cannot have used less than peak - before,
    # and the baseline already holds the 27 MB text written by make()
    assert result["peak_kib"] * 1024 < MILLION_PEAK_RSS_LIMIT, result


def test_every_entry_point_and_enough_cases():
    entries = {c["entry"] for c in CASES}
    assert {"load_onnx", "build_engine", "load_layer_info", "parse_oneline", "parse_layer_name", "load_profile",
            "load_timing", "map_fusion_profile", "load_bundle", "load_engine", "cache_rebuild"} <= entries
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    for c in CASES:
        assert sum(k in c for k in ("file", "fixture", "make")) == 1, c
        assert c["expect"] == "ok" or c["expect"].startswith("error:"), c
        if c["expect"] == "ok":
            assert c["id"] in runner.CHECKS, f"{c['id']} has no check"
        else:
            import trtlab.errors

            assert issubclass(getattr(trtlab.errors, c["expect"][6:]), trtlab.errors.TrtlabError), c


def test_generate_reproduces_the_committed_corpus(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bad_inputs_generate", HERE / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    monkeypatch.setattr(gen, "HERE", tmp_path)
    monkeypatch.setattr(gen, "FILES", tmp_path / "files")
    cases = gen.generate()
    assert cases == CASES
    assert (tmp_path / "cases.json").read_bytes() == (HERE / "cases.json").read_bytes()
    made = {p.name: p.read_bytes() for p in (tmp_path / "files").iterdir()}
    committed = {p.name: p.read_bytes() for p in (HERE / "files").iterdir()}
    assert sorted(made) == sorted(committed)
    for name in made:
        assert made[name] == committed[name], f"files/{name} differs from what generate.py writes"


def test_report_table_matches_the_cases():
    """docs/reliability.md's table was generated from the current cases.json (regenerate with --report)."""
    doc = Path(__file__).resolve().parent.parent / "docs" / "reliability.md"
    text = doc.read_text()
    spec = importlib.util.spec_from_file_location("bad_inputs_generate", HERE / "generate.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    table = text.split(gen.REPORT_BEGIN, 1)[1].split(gen.REPORT_END, 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert len(rows) == len(CASES), "docs/reliability.md is stale: run python tests/bad_inputs/generate.py --report"
    for row, case in zip(rows, CASES):
        cells = [c.strip() for c in row.split(" | ")]
        assert cells[2] == f"`{case['entry']}`" and cells[4] == case["expect"], row
        assert "UNEXPECTED" not in row and "CHECK FAILED" not in row, row
