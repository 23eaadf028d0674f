"""Every ``tests/**/test_*.py`` file is collected by pytest.

pytest silently skips whole folders (its default ``norecursedirs`` drops any folder named
``build`` or ``dist``, for one) and files whose names or imports go wrong; the suite then stays
green without them. This test runs ``pytest --collect-only`` the way CI does and fails naming
every test file that yielded no test, was skipped as a whole module, or failed to import.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# "SKIPPED [1] tests/notebooks/test_notebooks.py:10: could not import 'nbformat'" (module-level skip)
_SKIPPED = re.compile(r"^SKIPPED \[\d+\] (?P<path>[^:]+\.py):\d+: ")
# "ERROR tests/x/test_y.py - ImportError: ..." (collection error)
_ERROR = re.compile(r"^ERROR (?P<path>\S+\.py)")


def _test_files() -> set[str]:
    """The test files in the tree, relative to the repository root (``tests/_output`` excluded)."""
    files = set()
    for path in (ROOT / "tests").rglob("test_*.py"):
        rel = path.relative_to(ROOT)
        if not any(part.startswith(("_", ".")) for part in rel.parts[:-1]):
            files.add(rel.as_posix())
    return files


def _collect() -> tuple[set[str], set[str], set[str], str]:
    """Run ``pytest --collect-only``: files with tests, files skipped whole, files that errored."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-rs", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    collected, skipped, errored = set(), set(), set()
    for line in proc.stdout.splitlines():
        if "::" in line and not line.startswith(("SKIPPED", "ERROR")):
            collected.add(line.split("::", 1)[0])
        elif match := _SKIPPED.match(line):
            skipped.add(match["path"])
        elif match := _ERROR.match(line):
            errored.add(match["path"])
    return collected, skipped, errored, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_every_test_file_is_collected():
    files = _test_files()
    assert "tests/test_collection.py" in files and len(files) > 20  # the glob itself works
    collected, skipped, errored, tail = _collect()
    assert "tests/test_collection.py" in collected, tail  # the parsing itself works
    assert not errored, f"test files that fail to import: {sorted(errored)}\n{tail}"
    missing = sorted(files - collected - skipped)
    assert not missing, (
        f"test files pytest does not collect: {missing}. A folder named build/ or dist/ is skipped by "
        f"pytest's norecursedirs; rename it. Otherwise run `pytest --collect-only FILE` to see why.\n{tail}"
    )
