"""A long fuzz run of trtlab's parsers: the targets of tests/fuzz, many more inputs, random seeds.

    python bench/fuzz_long.py [--examples N] [--seconds S] [--seed K]

For each target it prints how many inputs ran, how many were accepted (a result) and how many
were refused with a trtlab error, and every failure: an exception that is not trtlab's own
(or a broken property), with its input shortened. Exit status 1 if anything failed.
The bounded run in the test suite uses the same targets with a fixed, smaller budget.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
import targets as T  # noqa: E402

import trtlab  # noqa: E402


def _short(value, limit=160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _plan():
    """(name, strategy, target) for every fuzz target with seeds available here."""
    seeds = T.json_seeds()
    plan = [
        ("layer names (any text)", st.text(max_size=300) | st.text(alphabet="PWN(){}[]ForeignNode.+| ,", max_size=200),
         T.target_layer_name),
        ("layer info (random JSON)", T.trt_json, T.target_layer_info),
        ("profile (random JSON)", T.trt_json, T.target_profile),
        ("timing (random JSON)", T.trt_json, T.target_timing),
    ]
    if seeds["layer_info"]:
        plan.append(("layer info (mutated real JSON)", T.mutated_json(seeds["layer_info"]), T.target_layer_info))
        plan.append(("layer info (mutated real text)", T.mutated_text([json.dumps(s) for s in seeds["layer_info"]]),
                     T.target_layer_info))
        plan.append(("fusion (mutated ResNet-18 layer info)", T.mutated_json(seeds["layer_info"][1:2]), T.target_fusion))
    if seeds["profile"]:
        plan.append(("profile (mutated real JSON)", T.mutated_json(seeds["profile"]), T.target_profile))
    if seeds["timing"]:
        plan.append(("timing (mutated real JSON)", T.mutated_json(seeds["timing"]), T.target_timing))
    if T.oneline_seeds():
        plan.append(("one-line (mutated real RTX listing)", T.mutated_text(T.oneline_seeds()), T.target_oneline))
    plan.append(("bundles (mutated real bundle)", T.mutated_bytes(T.bundle_seeds()), T.target_bundle))
    if T.onnx_seeds():
        plan.append(("ONNX loader (mutated real models)", T.mutated_bytes(T.onnx_seeds()), T.target_onnx))
    return plan


def run_target(name, strategy, target, examples: int, seconds: float, seed_value: int) -> dict:
    """Run ``target`` on up to ``examples`` inputs or for ``seconds``, in batches of 200 (hypothesis
    cannot stop a run early without treating it as a failure, so the clock is checked between batches)."""
    stats = {"ran": 0, "accepted": 0, "refused": 0, "failures": []}
    stop_at = time.monotonic() + seconds

    def classify(value):
        stats["ran"] += 1
        try:
            stats[target(value)] += 1
        except Exception as exc:  # noqa: BLE001 - a failure to report, not to stop on
            stats["failures"].append((_short(value), "".join(traceback.format_exception_only(exc)).strip()[:300]))

    batch = 0
    while stats["ran"] < examples and time.monotonic() < stop_at:
        @seed(seed_value * 1000 + batch)  # reproducible with --seed
        @settings(max_examples=min(200, examples - stats["ran"]), database=None, deadline=None,
                  derandomize=False, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def drive(value):
            classify(value)

        drive()
        batch += 1
    return stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="long fuzz run of trtlab's parsers")
    parser.add_argument("--examples", type=int, default=5000, help="inputs per target (default 5000)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time budget per target (default 60)")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    args = parser.parse_args(argv)
    print(f"seed {args.seed}; up to {args.examples} inputs or {args.seconds:.0f} s per target\n")
    print("| target | inputs | accepted | refused (trtlab error) | failures | inputs/s |")
    print("|---|---:|---:|---:|---:|---:|")
    all_failures = []
    total = 0
    for name, strategy, target in _plan():
        t0 = time.monotonic()
        stats = run_target(name, strategy, target, args.examples, args.seconds, args.seed)
        dt = time.monotonic() - t0
        total += stats["ran"]
        print(f"| {name} | {stats['ran']} | {stats['accepted']} | {stats['refused']} | {len(stats['failures'])} "
              f"| {stats['ran'] / dt:.0f} |", flush=True)
        all_failures += [(name, *f) for f in stats["failures"]]
    print(f"\n{total} inputs, {len(all_failures)} failures")
    seen = set()
    for name, value, error in all_failures:
        if (name, error.splitlines()[-1]) in seen:
            continue
        seen.add((name, error.splitlines()[-1]))
        print(f"\nFAILURE in {name}: {error}\n  input: {value}")
    return 1 if all_failures else 0


if __name__ == "__main__":
    sys.exit(main())
