"""Every TensorRT call trtlab makes exists in the real bindings.

``tensorrt_api.py`` (beside this file) lists each TensorRT class and member trtlab uses. Here that table is
checked with ``hasattr`` against the real TensorRT for RTX module (builder side) and the real
TensorRT 11 lean runtime (runtime side); and the source of ``trtlab/builder`` and
``trtlab/runtime`` is scanned so that a call missing from the table fails too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import tensorrt_api as api  # the table beside this file (pytest puts this folder on sys.path)

ROOT = Path(__file__).resolve().parents[2]
SCANNED = sorted((ROOT / "trtlab" / "builder").glob("*.py")) + sorted((ROOT / "trtlab" / "runtime").glob("*.py"))
TRT_NAMES = {"trt"}  # local name of the TensorRT module in trtlab's code


def _missing(module, table) -> list[str]:
    out = []
    for cls, members in table.items():
        obj = getattr(module, cls, None)
        if obj is None:
            out.append(cls)
            continue
        out += [f"{cls}.{m}" for m in sorted(members) if not hasattr(obj, m)]
    return out


def test_builder_side_exists_in_tensorrt_for_rtx():
    rtx = pytest.importorskip("tensorrt_rtx_bindings")
    assert _missing(rtx, api.BUILD_API) == []


def test_runtime_side_exists_in_tensorrt_11_lean():
    lean = pytest.importorskip("tensorrt_lean_bindings")
    assert _missing(lean, api.RUNTIME_API) == []


def test_guarded_members_are_not_required():
    rtx = pytest.importorskip("tensorrt_rtx_bindings")
    # these really are version-dependent: RTX lacks the weakly typed precision flags
    assert not hasattr(rtx.BuilderFlag, "FP16") and hasattr(rtx.BuilderFlag, "TF32")


def _known(cls: str) -> set[str]:
    return api.BUILD_API.get(cls, set()) | api.RUNTIME_API.get(cls, set()) | api.GUARDED.get(cls, set())


def scan(source: str, filename: str = "<src>") -> list[str]:
    """Uses of TensorRT in ``source`` that the API table does not list."""
    tree = ast.parse(source, filename)
    classes = set(api.BUILD_API) | set(api.RUNTIME_API) | set(api.GUARDED)
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or node.attr.startswith("__"):
            continue  # dunders (__init__ of a subclassed interface, __name__) are Python's, not TensorRT's
        base = node.value
        where = f"{filename}:{node.lineno}"
        # trt.<Name>
        if isinstance(base, ast.Name) and base.id in TRT_NAMES:
            if node.attr not in classes and node.attr not in api.MODULE_NAMES:
                problems.append(f"{where}: trt.{node.attr}")
        # trt.<Class>.<member>
        elif isinstance(base, ast.Attribute) and isinstance(base.value, ast.Name) and base.value.id in TRT_NAMES:
            if node.attr not in _known(base.attr):
                problems.append(f"{where}: trt.{base.attr}.{node.attr}")
        # <variable holding a TensorRT object>.<member>
        elif isinstance(base, ast.Name) and base.id in api.VARIABLES:
            cls = api.VARIABLES[base.id]
            if node.attr not in _known(cls):
                problems.append(f"{where}: {base.id}.{node.attr} ({cls})")
    return problems


def test_trtlab_uses_only_tabled_tensorrt_api():
    problems = []
    for path in SCANNED:
        problems += scan(path.read_text(), str(path.relative_to(ROOT)))
    assert problems == []


def test_scan_catches_renamed_calls():
    src = (
        "def f(trt, builder, bconfig):\n"
        "    builder.build_engine(None, None)\n"             # removed in TensorRT 10
        "    bconfig.max_workspace_size = 1\n"                # removed in TensorRT 10
        "    trt.BuilderFlag.STRICT_TYPES\n"                  # removed
        "    trt.NoSuchClass\n"
        "    builder.build_serialized_network(None, None)\n"  # fine
    )
    found = scan(src)
    assert len(found) == 4, found
    assert any("build_engine" in p for p in found) and any("max_workspace_size" in p for p in found)


def test_table_names_real_variables_in_the_code():
    # every variable convention in the table is used somewhere, so the scan is not vacuous
    text = "\n".join(p.read_text() for p in SCANNED)
    used = [v for v in api.VARIABLES if f"{v}." in text]
    assert {"builder", "network", "parser", "bconfig", "oprofile", "host_mem"} <= set(used)
