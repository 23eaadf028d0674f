"""load_layer_info / load_profile / load_timing on the real trtexec outputs in the shared fixtures."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from trtlab import LayerInfoError, TrtlabError
from trtlab.engine import EnginePlan, load_layer_info, load_profile, load_timing

ENGINES = ["resnet18-a100-fp32", "resnet18-a100-fp16", "resnet18-qat-a100-int8", "mobilenet-qat-titanrtx-int8"]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request, fixtures):
    folder = fixtures / "trt-layerinfo" / request.param
    return request.param, folder, load_layer_info(folder / "engine.graph.json")


def test_every_layer_and_tensor_parsed(engine):
    name, folder, plan = engine
    raw = json.loads((folder / "engine.graph.json").read_text())
    assert isinstance(plan, EnginePlan)
    assert (plan.source, plan.verbosity) == ("json-8", "detailed")  # 8.4-8.5 files: no Metadata/StreamId
    assert [layer.name for layer in plan.layers] == [r["Name"] for r in raw["Layers"]]
    for layer, r in zip(plan.layers, raw["Layers"]):
        assert layer.layer_type == r["LayerType"]
        assert [t.name for t in layer.inputs] == [t["Name"] for t in r["Inputs"]]
        assert [t.shape for t in layer.outputs] == [tuple(t["Dimensions"]) for t in r["Outputs"]]
        assert all(t.dtype in {"FP32", "FP16", "INT8"} for t in layer.inputs + layer.outputs)
        assert layer.raw is r or layer.raw == r
    assert [t.name for t in plan.io_tensors] == raw["Bindings"]
    assert [t.mode for t in plan.io_tensors] == ["input", "output"]
    assert plan.io_tensors[0].dtype == "FP32" and plan.io_tensors[0].shape[1:] == (3, 224, 224)


def test_engine_graph_connects_through_tensors(engine):
    _, _, plan = engine
    g = plan.nx
    assert g.number_of_nodes() == len(plan)
    assert nx.is_directed_acyclic_graph(g) and nx.is_weakly_connected(g)
    # edges follow tensors: every edge's tensors are outputs of u and inputs of v
    for u, v, data in g.edges(data=True):
        outs = {t.name for t in plan.layer(u).outputs}
        ins = {t.name for t in plan.layer(v).inputs}
        assert data["tensors"] and set(data["tensors"]) <= outs & ins
    # the engine input feeds the first layer; the output comes out of the last
    first = plan.layers[0]
    assert plan.inputs[0].name in {t.name for t in first.inputs}
    assert plan.outputs[0].name in {t.name for t in plan.layers[-1].outputs}
    assert list(nx.topological_sort(g))[0] == first.uid


def test_profile_names_join_layer_info(engine):
    name, folder, plan = engine
    prof = load_profile(folder / "engine.profile.json")
    # 1:1 join between the profile and the layer info of the same engine
    assert [t.name for t in prof.layers] == [layer.name for layer in plan.layers]
    assert prof.count >= 1 and all(t.median_ms is not None for t in prof.layers)
    assert sum(t.percentage for t in prof.layers) == pytest.approx(100, abs=0.5)
    assert prof.total_ms == pytest.approx(sum(t.average_ms for t in prof.layers))


def test_precisions_and_reformats(fixtures):
    def plan(name):
        return load_layer_info(fixtures / "trt-layerinfo" / name / "engine.graph.json")

    fp32, fp16, int8 = plan("resnet18-a100-fp32"), plan("resnet18-a100-fp16"), plan("resnet18-qat-a100-int8")
    assert {layer.precision for layer in fp32.layers} == {"FP32"}
    assert fp16.summary()["precisions"]["FP16"] > 30
    assert {"INT8", "FP16", "FP32"} <= {layer.precision for layer in int8.layers}
    # reformat layers: the first layer of the fp16 engine converts the FP32 input to FP16 (HWC4)
    r = fp16.layers[0]
    assert r.is_reformat and r.layer_type == "Reformat"
    assert (r.inputs[0].dtype, r.outputs[0].dtype) == ("FP32", "FP16")
    assert "HWC4" in r.outputs[0].format and r.outputs[0].raw_format.startswith("Channel major FP16")
    assert sum(layer.is_reformat for layer in fp16.layers) >= 5
    # Q/DQ: QuantizeLinear_2 is a Reformat layer implementing an ONNX node, not an inserted one
    q = int8.layer("QuantizeLinear_2")
    assert q.layer_type == "Reformat" and q.origin == "QDQ" and not q.is_reformat
    assert q.outputs[0].dtype == "INT8"
    assert int8.layer("Reformatting CopyNode for Output Tensor 0 to MaxPool_12").is_reformat
    conv = int8.layer("layer1.0.conv1.weight + QuantizeLinear_20 + Conv_22")
    assert conv.precision == "INT8" and conv.tactic and not conv.is_reformat
    # precision is the outputs' type: the first conv reads INT8 and writes FP32
    first = int8.layer("conv1.weight + QuantizeLinear_7 + Conv_9")
    assert (first.inputs[0].dtype, first.precision) == ("INT8", "FP32")


def test_googlenet_profiles(fixtures):
    d = fixtures / "trt-profiles"
    prof = load_profile(d / "googlenet-jetson-gpu.profile.json")
    assert prof.source == "trtexec" and prof.count == 12483 and len(prof) == 85
    assert all(t.median_ms is None for t in prof.layers)  # older TensorRT: no medianMs
    times = load_profile(d / "googlenet-jetson-gpu.layer_times.json")
    assert times.source == "layer_times" and times.count is None and len(times) == 66
    assert sum(t.percentage for t in times.layers) == pytest.approx(100)
    assert times.layers[0].layer_count == 2
    # the same engine: every layer of layer_times (no reformatters) is in the full profile
    assert set(times.by_name) <= set(prof.by_name)
    assert {n for n in prof.by_name if "reformatter" not in n} == set(times.by_name)
    plan = times.to_plan()
    assert plan.source == "profile" and len(plan) == 66 and plan.nx.number_of_edges() == 0


def test_timing_matches_trtexec_summary(fixtures):
    d = fixtures / "trt-layerinfo" / "resnet18-a100-fp32"
    timing = load_timing(d / "engine.timing.json")
    summary = json.loads((d / "engine.profile.metadata.json").read_text())["performance_summary"]
    s = timing.stats["latency"]
    assert len(timing) == len(json.loads((d / "engine.timing.json").read_text()))
    # trtexec's summary lists [min, max, mean, median, p99] over its own window; max, median and
    # p99 of the exported iterations agree with it
    assert s.max == pytest.approx(summary["Latency"][1], abs=1e-4)
    assert s.median == pytest.approx(summary["Latency"][3], abs=1e-4)
    assert s.p99 == pytest.approx(summary["Latency"][4], abs=1e-4)
    assert s.min <= s.median <= s.p90 <= s.p95 <= s.p99 <= s.max
    assert set(timing.stats) == {"latency", "enqueue", "h2d", "compute", "d2h"}
    assert timing.stats["compute"].median == pytest.approx(s.median)  # no transfers in this run


def test_wrong_file_kind_says_so(fixtures):
    d = fixtures / "trt-layerinfo" / "resnet18-a100-fp32"
    with pytest.raises(LayerInfoError, match="load_profile"):
        load_layer_info(d / "engine.profile.json")
    with pytest.raises(LayerInfoError, match="load_timing"):
        load_layer_info(d / "engine.timing.json")
    with pytest.raises(LayerInfoError, match="load_layer_info"):
        load_profile(d / "engine.graph.json")
    with pytest.raises(LayerInfoError, match="load_profile"):
        load_timing(d / "engine.profile.json")
    with pytest.raises(TrtlabError, match="'Layers'"):
        load_layer_info(d / "engine.build.metadata.json")


def test_html_displays(fixtures):
    d = fixtures / "trt-layerinfo" / "mobilenet-qat-titanrtx-int8"
    html = load_layer_info(d / "engine.graph.json")._repr_html_()
    assert "<table" in html and "PWN(Clip_16)" in html and "more rows not shown" in html
    phtml = load_profile(d / "engine.profile.json")._repr_html_()
    assert "<table" in phtml and "6610 iterations" in phtml
