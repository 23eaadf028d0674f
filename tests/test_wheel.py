"""The built wheel works on its own: installed into a fresh venv, used outside the checkout.

Builds the wheel from a copy of the sources (so no leftover ``build/`` folder can leak files into
it), installs it with its declared core dependencies into a new virtual environment (no access to
the checkout or to the test venv's packages) and, from a temporary working directory, loads a
bundled model, draws it and runs the ``trtlab`` command on it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
import json, trtlab
from trtlab.data import bundled_models
g = trtlab.load_onnx(trtlab.bundled_model("resnet18"))
g.draw().save("resnet18.png")
print(json.dumps({"file": trtlab.__file__, "models": bundled_models(), "nodes": len(g),
                  "first": g.topological_order()[0], "last": g.topological_order()[-1]}))
"""


def _run(cmd: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _build_wheel(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "trtlab", src / "trtlab", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)], tmp, 300)
    (wheel,) = (tmp / "dist").glob("trtlab-*.whl")
    return wheel


def _package_data_files() -> set[str]:
    """Files of the package that are not Python sources: models, the view's front end, ..."""
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / "trtlab").rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}


def test_installed_wheel_loads_a_bundled_model_outside_the_checkout(tmp_path):
    wheel = _build_wheel(tmp_path)
    shipped = set(zipfile.ZipFile(wheel).namelist())
    data = _package_data_files()
    assert "trtlab/data/resnet18.onnx" in data  # the scan itself works
    assert data <= shipped, f"package files missing from the wheel (add them to package-data): {sorted(data - shipped)}"
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], tmp_path, 120)
    python, trtlab_cmd = venv / "bin" / "python", venv / "bin" / "trtlab"
    _run([str(python), "-m", "pip", "install", "-q", str(wheel)], tmp_path, 600)

    work = tmp_path / "work"  # outside the checkout: nothing here but what the test writes
    work.mkdir()
    out = json.loads(_run([str(python), "-c", CHECK], work, 300).stdout.strip().splitlines()[-1])
    assert Path(out["file"]).is_relative_to(venv), out["file"]  # the installed copy, not the checkout
    assert out["models"] == ["googlenet", "inception_block", "resnet18", "transformer_block"]
    # data/README.md: ResNet-18 as the legacy exporter wrote it, Conv_0 ... Gemm_48
    assert (out["nodes"], out["first"], out["last"]) == (49, "Conv_0", "Gemm_48")
    assert (work / "resnet18.png").read_bytes().startswith(b"\x89PNG")

    model = json.loads(_run([str(python), "-c", "import trtlab, json; print(json.dumps(str("
                             "trtlab.bundled_model('inception_block'))))"], work, 120).stdout)
    _run([str(trtlab_cmd), "show", model, "-o", str(work / "show"), "--format", "svg"], work, 300)
    assert (work / "show" / "inception_block.svg").is_file()
