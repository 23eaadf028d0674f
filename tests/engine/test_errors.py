"""Bad input gets a LayerInfoError that says what is wrong; nothing else ever escapes."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trtlab.engine._source as source
from trtlab import LayerInfoError
from trtlab.engine import load_layer_info, load_profile, load_timing, parse_layer_name, parse_oneline

LAYER = {"Name": "Conv_0", "LayerType": "CaskConvolution",
         "Inputs": [{"Name": "x", "Dimensions": [1, 3], "Format/Datatype": "Row major linear FP32"}], "Outputs": []}


@pytest.mark.parametrize(
    "src, match",
    [
        ('{"Layers": [', "not valid JSON .* line 1, column"),
        ("{'Layers': []}", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        ({"Layers": {"a": 1}}, "'Layers' must be a list, got dict"),
        ({"Layers": [42]}, "layer 0 must be an object"),
        ({"Layers": [{"LayerType": "X"}]}, "layer 0 has no string 'Name'"),
        ({"Layers": [{"Name": 3}]}, "layer 0 has no string 'Name'"),
        ({"Layers": [dict(LAYER, Inputs={"Name": "x"})]}, "'Inputs' must be a list of tensors, got dict"),
        ({"Layers": [dict(LAYER, Inputs=[{"Dimensions": [1]}])]}, "tensor has no string 'Name'"),
        ({"Layers": [dict(LAYER, Inputs=[{"Name": "x", "Dimensions": "1x3"}])]}, "Dimensions must be a list of integers"),
        ({"Layers": [dict(LAYER, Inputs=[{"Name": "x", "Dimensions": [1, "a"]}])]}, "Dimensions must be a list of integers"),
        ({"Layers": [LAYER], "Bindings": [1, 2]}, "'Bindings' must list tensor names"),
        ({"Layers": [LAYER], "Bindings": "x"}, "'Bindings' must be a list"),
        ({"Layers": [LAYER], "I/O Tensors": [{"IOMode": "Input"}]}, "'I/O Tensors'.* no string 'Name'"),
        ({"Bindings": ["x"]}, "no 'Layers' key"),
        ([{"count": 3}, {"name": "a", "timeMs": 1, "averageMs": 1, "percentage": 100}], "per-layer profile.*load_profile"),
        ([{"startEnqMs": 0, "latencyMs": 1}], "timing file.*load_timing"),
        ([1, 2, 3], "neither layers nor names"),
        ("no_such_file.json", "does not exist"),
        (12, "cannot read layer information from a int"),
        (None, "cannot read layer information from a NoneType"),
        ("just some words\nand more", "no layer information found"),
        ("Name: a, LayerType: X, Inputs: [ { Name: b, Dimensions: [1,2 }], Outputs: []", "one-line format"),
    ],
)
def test_layer_info_errors(src, match):
    with pytest.raises(LayerInfoError, match=match):
        load_layer_info(src)


def test_directory_and_huge_file(tmp_path, monkeypatch):
    with pytest.raises(LayerInfoError, match="is not a file"):
        load_layer_info(tmp_path)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"Layers": ["x" * 100] * 20}))
    monkeypatch.setattr(source, "MAX_INPUT_BYTES", 1000)
    for loader in (load_layer_info, load_profile, load_timing):
        with pytest.raises(LayerInfoError, match="larger than the .* limit"):
            loader(big)
    with pytest.raises(LayerInfoError, match="limit"):
        load_layer_info("[" + " " * 2000 + "]")


def test_deeply_nested_json():
    with pytest.raises(LayerInfoError):
        load_layer_info("[" * 100000 + "]" * 100000)


@pytest.mark.parametrize(
    "src, match",
    [
        ({"Layers": []}, "layer information .*load_layer_info"),
        ([{"count": 1}], "no layer timings"),
        ([{"count": "many"}], "'count' must be a non-negative integer"),
        ([{"name": "a", "timeMs": 1}], "lacks \\['averageMs'\\]"),
        ([{"name": "a", "averageMs": "fast", "timeMs": 1}], "'averageMs' must be a number"),
        ([{"name": "a", "averageMs": float("nan")}], "not a finite number"),
        ([{"name": 5, "averageMs": 1}], "'name' must be a string"),
        ([{"Name": "Conv_0", "LayerType": "X"}], "list of engine layers.*load_layer_info"),
        ([{"startEnqMs": 0, "latencyMs": 1}], "timing file.*load_timing"),
        ([7], "entry 0 must be an object"),
        ("Name: a, LayerType: b", "not JSON"),
    ],
)
def test_profile_errors(src, match):
    with pytest.raises(LayerInfoError, match=match):
        load_profile(src)


@pytest.mark.parametrize(
    "src, match",
    [
        ([], "no iterations"),
        ({"latencyMs": 1}, "JSON object"),
        ([{"foo": 1}], "no 'latencyMs'"),
        ([{"latencyMs": "slow"}], "'latencyMs' must be a number"),
        ([{"count": 3}, {"name": "a", "averageMs": 1}], "per-layer profile.*load_profile"),
    ],
)
def test_timing_errors(src, match):
    with pytest.raises(LayerInfoError, match=match):
        load_timing(src)


def test_older_timing_keys():
    # trtexec before 8.x wrote startInMs/endInMs and startOutMs/endOutMs, and no h2dMs/d2hMs
    recs = [{"startEnqMs": 0.0, "endEnqMs": 0.1, "startInMs": 0.0, "endInMs": 0.2, "startComputeMs": 0.2,
             "endComputeMs": 1.2 + i, "startOutMs": 1.2 + i, "endOutMs": 1.5 + i, "latencyMs": 1.5 + i} for i in range(5)]
    t = load_timing(recs)
    assert t.stats["h2d"].mean == pytest.approx(0.2) and t.stats["d2h"].median == pytest.approx(0.3)
    assert t.stats["compute"].max == pytest.approx(5.0) and t.stats["latency"].median == pytest.approx(3.5)
    assert "<table" in t._repr_html_()


# ----------------------------------------------------------------------------- fuzzing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(
        st.sampled_from(["Name", "LayerType", "Inputs", "Outputs", "Dimensions", "Format/Datatype", "Datatype",
                         "Format", "Metadata", "Layers", "Bindings", "I/O Tensors", "IOMode", "ProfileInfo",
                         "MinShape", "name", "count", "averageMs", "timeMs", "medianMs", "percentage",
                         "latencyMs", "startEnqMs", "endEnqMs", "average_time_ms", "StreamId", "x"]),
        children, max_size=6),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_fuzz_json_only_trtlab_errors(value):
    for loader in (load_layer_info, load_profile, load_timing):
        try:
            result = loader(value if isinstance(value, (dict, list)) else json.dumps(value))
        except LayerInfoError:
            continue
        if loader is load_layer_info:
            result.nx  # the graph builds too
            result._repr_html_()


oneline_text = st.lists(
    st.sampled_from(["Layers:", "I/O Tensors:", "Bindings:", "Name: ", ", LayerType: ", "Inputs: [", "{ ", " }",
                     "]", ", ", "Dimensions: [1,2]", "Metadata: [ONNX Layer: a]", "\n", "x", "Layer(Myelin): ",
                     ", Tactic: 0x0, ", "a (Float[1,2])", " -> ", "Engine Layer Information:", "[", "(", "PWN("]),
    max_size=30,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(oneline_text, st.text(max_size=200)))
def test_fuzz_text_only_trtlab_errors(text):
    try:
        plan = parse_oneline(text)
        plan.nx
    except LayerInfoError:
        pass
    name = parse_layer_name(text)
    assert isinstance(name.leaves(), list) and isinstance(name.ranges(), list)
