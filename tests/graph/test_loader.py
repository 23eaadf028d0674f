"""Reading models: sources, bad files, external data and its path checks, shape inference."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from trtlab.errors import ModelLoadError, TrtlabError
from trtlab.graph import OnnxGraph, load_onnx


def _graph_signature(g: OnnxGraph):
    nodes = [(n, g.node(n).op_type, g.node(n).inputs, g.node(n).outputs, g.node(n).params) for n in g.topological_order()]
    edges = sorted((u, v, tuple(d["tensors"])) for u, v, d in g.nx.edges(data=True))
    return nodes, edges, g.inputs, g.outputs, g.initializers, g.name


# --------------------------------------------------------------------------- sources
def test_path_bytes_and_modelproto_give_the_same_graph(fixtures: Path):
    path = fixtures / "onnx" / "residual_block.onnx"
    by_path = load_onnx(path)
    by_str = load_onnx(str(path))
    by_bytes = load_onnx(path.read_bytes())
    proto = onnx.load(str(path))
    by_proto = load_onnx(proto)
    # the file stem names unnamed graphs only for paths; this graph has a name, so all agree
    assert _graph_signature(by_path) == _graph_signature(by_str) == _graph_signature(by_bytes) == _graph_signature(by_proto)
    assert by_path.warnings == by_bytes.warnings == by_proto.warnings
    assert len(by_path) == 15


def test_modelproto_source_is_not_modified(fixtures: Path):
    proto = onnx.load(str(fixtures / "onnx" / "ext_weights.onnx"), load_external_data=False)
    before = proto.SerializeToString()
    g = load_onnx(proto, base_dir=fixtures / "onnx")
    assert proto.SerializeToString() == before  # still external, no value_info added
    assert g.model is not proto


def test_missing_file_names_the_path(tmp_path: Path):
    missing = tmp_path / "nope" / "model.onnx"
    with pytest.raises(ModelLoadError, match="not found") as exc:
        load_onnx(missing)
    assert str(missing) in str(exc.value)


def test_directory_is_refused(tmp_path: Path):
    with pytest.raises(ModelLoadError, match="not a file"):
        load_onnx(tmp_path)


@pytest.mark.parametrize("bad", [123, None, 4.5, ["a.onnx"], {"graph": 1}])
def test_wrong_source_type_is_a_clear_error(bad):
    with pytest.raises(ModelLoadError, match="pass a file path") as exc:
        load_onnx(bad)
    assert type(bad).__name__ in str(exc.value)


def test_empty_and_garbage_bytes(tmp_path: Path):
    with pytest.raises(ModelLoadError, match="empty"):
        load_onnx(b"")
    f = tmp_path / "text.onnx"
    f.write_text("this is not an onnx model\n" * 5)
    with pytest.raises(ModelLoadError, match="not a valid ONNX model") as exc:
        load_onnx(f)
    assert str(f) in str(exc.value)


def test_known_field_with_wrong_wire_type_is_refused(fixtures: Path):
    good = (fixtures / "onnx" / "conv.onnx").read_bytes()
    # field 7 (ModelProto.graph) encoded as a varint: protobuf keeps it as an unknown field
    with pytest.raises(ModelLoadError, match="graph.*wrong protobuf encoding"):
        load_onnx(b"\x38\x05" + good)


def test_a_serialized_tensor_is_not_a_model():
    tensor = numpy_helper.from_array(np.arange(6, dtype=np.float32), "t").SerializeToString()
    with pytest.raises(ModelLoadError):
        load_onnx(tensor)


def test_model_without_graph_is_refused():
    m = onnx.ModelProto(ir_version=8)
    with pytest.raises(ModelLoadError, match="holds no graph"):
        load_onnx(m.SerializeToString())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_truncated_or_corrupted_files_never_escape_raw(fixtures: Path, data):
    good = (fixtures / "onnx" / "conv.onnx").read_bytes()
    cut = data.draw(st.integers(0, len(good) - 1), label="cut")
    blob = bytearray(good[:cut])
    flips = data.draw(st.lists(st.tuples(st.integers(0, max(cut - 1, 0)), st.integers(0, 255)), max_size=3))
    for pos, value in flips:
        if blob:
            blob[pos] = value
    try:
        g = load_onnx(bytes(blob))
    except ModelLoadError as exc:
        assert str(exc)  # a message, not a bare class
    else:  # protobuf accepts some prefixes cut at a field boundary: then it is a consistent graph
        assert isinstance(g, OnnxGraph) and len(g) == g.nx.number_of_nodes() == len(g.model.graph.node)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=512))
def test_random_bytes_give_a_trtlab_error(blob):
    try:
        load_onnx(blob)
    except TrtlabError:
        pass  # a graph is acceptable only if the bytes really encode one (vanishingly rare)


def test_truncated_file_on_disk(tmp_path: Path, fixtures: Path):
    good = (fixtures / "onnx" / "residual_block.onnx").read_bytes()
    f = tmp_path / "cut.onnx"
    f.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelLoadError, match="truncated or corrupt"):
        load_onnx(f)


# --------------------------------------------------------------------------- tensor data sizes
def _add_model(init: onnx.TensorProto) -> onnx.ModelProto:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    node = helper.make_node("Add", ["x", init.name], ["y"], name="add")
    return helper.make_model(helper.make_graph([node], "g", [x], [y], [init]),
                             opset_imports=[helper.make_opsetid("", 17)])


def test_initializer_claiming_more_data_than_it_holds_is_refused():
    init = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
    init.dims[:] = [1 << 20, 1 << 20]
    with pytest.raises(ModelLoadError, match="'w'.*stores 24 bytes"):
        load_onnx(_add_model(init))
    typed = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 3], float_data=[1.0] * 5)  # 5 of 6 values
    with pytest.raises(ModelLoadError, match="stores 5 values"):
        load_onnx(_add_model(typed))


def test_stripped_weights_load_with_a_warning():
    init = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 3])  # dims, no data
    g = load_onnx(_add_model(init))
    assert g.node("add").params == 6
    assert any("hold no data" in w for w in g.warnings)


# --------------------------------------------------------------------------- external data
def test_ext_weights_fixture_loads_its_data(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "ext_weights.onnx")
    inits = {t.name: numpy_helper.to_array(t) for t in g.model.graph.initializer}
    raw = (fixtures / "onnx" / "ext_weights.data").read_bytes()
    assert sorted(inits) == ["a", "b", "d"]
    # the data really came from the .data file (3 tensors of 1x3 float32 = 36 bytes)
    assert np.concatenate([inits[k].ravel() for k in ("a", "b", "d")]).tobytes() == raw
    assert g.initializers == {"a": (1, 3), "b": (1, 3), "d": (1, 3)}
    assert [g.node(n).params for n in g.topological_order()] == [6, 3, 0]
    assert g.summary().params == 9


def test_ext_weights_without_loading_data_still_counts_params(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "ext_weights.onnx", external_data=False)
    assert g.summary().params == 9
    assert all(t.data_location == TensorProto.EXTERNAL for t in g.model.graph.initializer)


def _external_model(location: str, nbytes: int = 24) -> onnx.ModelProto:
    init = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 3])
    init.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(nbytes))):
        entry = init.external_data.add()
        entry.key, entry.value = k, v
    return _add_model(init)


def test_external_data_in_a_subfolder_loads(tmp_path: Path):
    (tmp_path / "weights").mkdir()
    values = np.arange(6, dtype=np.float32)
    (tmp_path / "weights" / "w.bin").write_bytes(values.tobytes())
    onnx.save(_external_model("weights/w.bin"), str(tmp_path / "m.onnx"))
    g = load_onnx(tmp_path / "m.onnx")
    np.testing.assert_array_equal(numpy_helper.to_array(g.model.graph.initializer[0]), values.reshape(2, 3))
    # bytes source: the folder comes from base_dir=
    blob = (tmp_path / "m.onnx").read_bytes()
    g2 = load_onnx(blob, base_dir=tmp_path)
    np.testing.assert_array_equal(numpy_helper.to_array(g2.model.graph.initializer[0]), values.reshape(2, 3))
    with pytest.raises(ModelLoadError, match="base_dir="):
        load_onnx(blob)
    assert len(load_onnx(blob, external_data=False)) == 1


@pytest.mark.parametrize("location", ["../secret.bin", "../../etc/passwd", "weights/../../secret.bin"])
def test_external_data_escaping_the_folder_is_refused(tmp_path: Path, location: str):
    (tmp_path / "secret.bin").write_bytes(b"\0" * 24)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    onnx.save(_external_model(location), str(model_dir / "m.onnx"))
    with pytest.raises(ModelLoadError, match="outside the model's folder") as exc:
        load_onnx(model_dir / "m.onnx")
    assert location in str(exc.value)


def test_external_data_absolute_path_is_refused(tmp_path: Path):
    target = tmp_path / "abs.bin"
    target.write_bytes(b"\0" * 24)
    onnx.save(_external_model(str(target)), str(tmp_path / "m.onnx"))
    with pytest.raises(ModelLoadError, match="absolute path"):
        load_onnx(tmp_path / "m.onnx")


def test_external_data_symlink_out_of_the_folder_is_refused(tmp_path: Path):
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"\0" * 24)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    os.symlink(outside, model_dir / "link.bin")
    onnx.save(_external_model("link.bin"), str(model_dir / "m.onnx"))
    with pytest.raises(ModelLoadError, match="outside the model's folder"):
        load_onnx(model_dir / "m.onnx")
    # onnx itself refuses even a symlink that stays inside the folder: still a clear error
    (model_dir / "real.bin").write_bytes(np.arange(6, dtype=np.float32).tobytes())
    os.symlink(model_dir / "real.bin", model_dir / "inner.bin")
    onnx.save(_external_model("inner.bin"), str(model_dir / "inner.onnx"))
    with pytest.raises(ModelLoadError, match="symbolic link"):
        load_onnx(model_dir / "inner.onnx")


def test_external_data_missing_or_short_file(tmp_path: Path):
    onnx.save(_external_model("missing.bin"), str(tmp_path / "m.onnx"))
    with pytest.raises(ModelLoadError, match="'missing.bin'.*not found"):
        load_onnx(tmp_path / "m.onnx")
    (tmp_path / "short.bin").write_bytes(b"\0" * 8)
    onnx.save(_external_model("short.bin"), str(tmp_path / "s.onnx"))
    with pytest.raises(ModelLoadError, match="only 8 bytes"):
        load_onnx(tmp_path / "s.onnx")
    (tmp_path / "long.bin").write_bytes(b"\0" * 64)
    onnx.save(_external_model("long.bin", nbytes=16), str(tmp_path / "l.onnx"))
    with pytest.raises(ModelLoadError, match="declares dims"):
        load_onnx(tmp_path / "l.onnx")


# --------------------------------------------------------------------------- shape inference
def test_custom_op_keeps_inference_for_the_other_nodes():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    nodes = [
        helper.make_node("Relu", ["x"], ["a"], name="relu"),
        helper.make_node("MyPlugin", ["a"], ["b"], name="plugin", domain="trt.plugins"),
        helper.make_node("Relu", ["b"], ["c"], name="after"),
        helper.make_node("Sigmoid", ["a"], ["d"], name="side"),
    ]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("c", "d")]
    m = helper.make_model(helper.make_graph(nodes, "g", [x], outs), opset_imports=[helper.make_opsetid("", 17)])
    g = load_onnx(m)
    assert g.nx.edges["relu", "plugin"]["tensors"][0].shape == ("batch", 3)
    assert g.tensor("d").shape == ("batch", 3)  # inferred past the custom op's sibling
    assert g.nx.edges["plugin", "after"]["tensors"][0].shape is None  # the plugin's output is unknown
    assert g.node("plugin").domain == "trt.plugins"
    assert any("trt.plugins" in w for w in g.warnings)
    # the model given back is the original: no opset import was added to it
    assert [o.domain for o in g.model.opset_import] == [""]


def test_failing_shape_inference_is_a_warning_not_a_crash(fixtures: Path):
    # residual_block declares its output as a scalar, which contradicts the Sum's inferred 4-D shape
    g = load_onnx(fixtures / "onnx" / "residual_block.onnx")
    assert any("shape inference" in w and "Sum" in w for w in g.warnings)
    assert g.tensor("gpu_0/pool1_1").shape == (None, 64, 56, 56)  # lenient inference still ran


def test_infer_shapes_false_uses_stored_shapes(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "residual_block.onnx", infer_shapes=False)
    assert g.tensor_info("gpu_0/pool1_1").shape is None
    assert g.warnings == []


def test_an_onnx_graph_is_returned_as_is(fixtures: Path):
    g = load_onnx(fixtures / "onnx" / "conv.onnx")
    assert load_onnx(g) is g


def test_file_over_the_protobuf_limit_is_refused_without_reading_it(tmp_path: Path):
    big = tmp_path / "huge.onnx"
    with big.open("wb") as f:
        f.truncate(2**31)  # sparse: takes no disk space, and is never read
    with pytest.raises(ModelLoadError, match="2.0 GiB.*external data"):
        load_onnx(big)
