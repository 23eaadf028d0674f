"""One model reader for graph loading, building and the ONNX Runtime reference.

External data is checked the same way wherever it sits (initializers, ``Constant`` values,
``If``/``Loop``/``Scan`` bodies) and by every consumer; the engine cache key covers each
external file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from trtlab.builder import build_engine
from trtlab.builder.model import read_model
from trtlab.errors import ModelLoadError
from trtlab.graph import load_onnx
from trtlab.graph.loader import open_model
from trtlab.runtime.reference import run_onnxruntime

WEIGHTS = np.arange(6, dtype=np.float32)


def _external(name: str, location: str) -> TensorProto:
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[2, 3])
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "24")):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def _constant_model(location: str) -> onnx.ModelProto:
    """y = x + c, with c a Constant node's value kept in external data."""
    const = helper.make_node("Constant", [], ["c"], name="const", value=_external("c_value", location))
    add = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    graph = helper.make_graph([const, add], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _if_model(location: str) -> onnx.ModelProto:
    """y = If(cond) then x + c else x, with c an initializer of the then-branch kept in external data."""
    then_add = helper.make_node("Add", ["x", "c"], ["t"], name="then_add")
    then = helper.make_graph([then_add], "then", [], [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2, 3])],
                             initializer=[_external("c", location)])
    other = helper.make_graph([helper.make_node("Identity", ["x"], ["e"], name="else_id")], "else", [],
                              [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2, 3])])
    node = helper.make_node("If", ["cond"], ["y"], name="if", then_branch=then, else_branch=other)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
                                            helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


MODELS = {"constant": _constant_model, "if-body": _if_model}


def _save(model: onnx.ModelProto, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "m.onnx"
    path.write_bytes(model.SerializeToString())  # onnx.save would rewrite the external locations
    return path


def _escaping(tmp_path: Path, how: str, make) -> Path:
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"SECRETS!" * 3)
    folder = tmp_path / "model"
    folder.mkdir()
    if how == "symlink":
        os.symlink(secret, folder / "link.bin")
        return _save(make("link.bin"), folder)
    return _save(make("../secret.bin"), folder)


def _readers():
    return {
        "load_onnx": lambda p: load_onnx(p),
        "build (model source)": lambda p: read_model(p),
        "onnxruntime reference": lambda p: open_model(p).for_onnxruntime(),
    }


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("how", ["symlink", "dotdot"])
@pytest.mark.parametrize("reader", sorted(_readers()))
def test_external_data_escaping_the_folder_is_refused_by_every_reader(tmp_path, kind, how, reader):
    path = _escaping(tmp_path, how, MODELS[kind])
    with pytest.raises(ModelLoadError, match="outside the model's folder|symbolic link"):
        _readers()[reader](path)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_build_engine_refuses_an_escaping_constant(rtx, tmp_path, kind):
    path = _escaping(tmp_path, "dotdot", MODELS[kind])
    with pytest.raises(ModelLoadError, match="outside the model's folder"):
        build_engine(path)


def test_a_constants_external_file_is_part_of_the_cache_key(tmp_path):
    folder = tmp_path / "m"
    path = _save(_constant_model("c.bin"), folder)
    (folder / "c.bin").write_bytes(WEIGHTS.tobytes())
    first = read_model(path).digest
    assert read_model(path).digest == first
    (folder / "c.bin").write_bytes((WEIGHTS + 1).tobytes())
    assert read_model(path).digest != first


def test_an_inside_constant_loads_runs_and_builds(rtx, tmp_path):
    folder = tmp_path / "m"
    path = _save(_constant_model("c.bin"), folder)
    (folder / "c.bin").write_bytes(WEIGHTS.tobytes())
    graph = load_onnx(path)
    assert graph.node("add").op_type == "Add"
    x = np.ones((2, 3), np.float32)
    pytest.importorskip("onnxruntime")
    out = run_onnxruntime(path, {"x": x})
    np.testing.assert_array_equal(out["y"], x + WEIGHTS.reshape(2, 3))
    assert build_engine(path).plan


def test_external_data_without_a_folder_is_refused(tmp_path):
    model = _constant_model("c.bin")
    with pytest.raises(ModelLoadError, match="pass the .onnx file's path"):
        read_model(model.SerializeToString())
