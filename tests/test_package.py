"""The package itself: public API, lazy imports, the pure core's dependency rule."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import trtlab

HEAVY = ("tensorrt", "tensorrt_rtx_bindings", "tensorrt_lean_bindings", "pycuda", "cuda",
         "onnxruntime", "pandas", "ipywidgets", "tqdm", "matplotlib.pyplot")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_import_trtlab_imports_no_heavy_module():
    mods = _modules_after("import trtlab")
    assert not [m for m in HEAVY if m in mods]


def test_every_public_name_resolves():
    for name in trtlab.__all__:
        assert getattr(trtlab, name) is not None, name


def test_subpackages_load_on_first_attribute_access():
    mods = _modules_after("import trtlab; print(trtlab.data.bundled_models())")
    assert "trtlab.data" in mods and not [m for m in HEAVY if m in mods]
    assert "fixtures_dir" not in trtlab.__all__ and "shared_fixtures" not in trtlab.__all__


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        trtlab.no_such_thing  # noqa: B018


def test_every_exception_derives_from_the_base():
    import trtlab.errors as errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), trtlab.TrtlabError), name


@pytest.mark.parametrize("module", ["trtlab.graph", "trtlab.draw", "trtlab.engine", "trtlab.fusion"])
def test_pure_core_imports_only_the_core(module):
    mods = _modules_after(f"import {module}")
    assert not [m for m in HEAVY if m in mods], module


def test_missing_dependency_names_the_extra():
    from trtlab._optional import require

    with pytest.raises(trtlab.MissingDependencyError, match=r"pip install 'trtlab\[gpu\]'"):
        require("pycuda_that_does_not_exist", "Running engines", extra="gpu")
