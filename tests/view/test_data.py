"""The view data builders on real graphs and real engines: what each panel holds and links."""

from __future__ import annotations

import json

import pytest

from trtlab.view import onnx_view_data, plan_view_data, report_view_data, stages_view_data
from trtlab.view.widget import lit


def _nodes(data, panel=0):
    return {n["id"]: n for n in data["panels"][panel]["nodes"]}


def _edges_point_down(panel) -> bool:
    ys = {n["id"]: n["y"] for n in panel["nodes"]}
    return all(ys[e["source"]] < ys[e["target"]] for e in panel["edges"])


def test_onnx_view_has_every_node_and_tensor_shapes_on_edges(resnet18):
    data = onnx_view_data(resnet18)
    nodes = _nodes(data)
    assert {n["name"] for n in nodes.values()} == set(resnet18.nx)
    assert len(data["panels"][0]["edges"]) == resnet18.nx.number_of_edges()
    assert _edges_point_down(data["panels"][0])
    # the edge Conv_0 -> Relu_1 names its tensor with the shape ONNX shape inference gave it
    (t,) = resnet18.nx.edges["Conv_0", "Relu_1"]["tensors"]
    edge = next(e for e in data["panels"][0]["edges"] if e["source"] == "onnx:Conv_0" and e["target"] == "onnx:Relu_1")
    assert t.name in edge["label"] and ", ".join(map(str, t.shape)) in edge["label"]
    # coloured by op type: every op present has its own legend entry
    assert set(data["color_modes"]["op"]["palette"]) == {n["op"] for n in nodes.values()}
    json.dumps(data)


def test_engine_view_from_layer_information_alone(fp16):
    plan, profile = fp16
    data = plan_view_data(plan, profile)
    nodes = _nodes(data)
    assert len(nodes) == len(plan.layers)  # no sync layers in a TensorRT 8 engine
    panel = data["panels"][0]
    assert _edges_point_down(panel)
    assert {"kind", "precision", "time"} <= set(data["color_modes"])
    assert {"FP16", "FP32"} <= set(data["color_modes"]["precision"]["palette"])
    # the slowest layer of the profile is the hottest node, and its details say its time and tactic
    slowest = max(profile.layers, key=lambda t: t.average_ms)
    hottest = max(nodes.values(), key=lambda n: n["heat"] or 0)
    assert hottest["name"] == slowest.name and hottest["heat"] == 1.0
    rows = dict(hottest["details"])
    assert rows["tactic"] == plan.layer(slowest.name).tactic
    assert f"{slowest.average_ms:.4f} ms" in rows["time"]
    # tensor formats of the engine on the edges: an FP16 conv output in its channel-major layout
    layer = plan.layer("Conv_3 + Relu_4")
    out = layer.outputs[0]
    edge = next(e for e in panel["edges"] if e["source"] == "engine:Conv_3 + Relu_4")
    assert out.name in edge["label"] and out.format in edge["label"] and "FP16" in edge["label"]


def test_engine_view_of_a_tensorrt10_plan_with_and_without_profile(trt10):
    _, plan, profile = trt10
    plain = plan_view_data(plan)
    assert "time" not in plain["color_modes"]
    assert all(n["heat"] is None for n in plain["panels"][0]["nodes"])
    timed = plan_view_data(plan, profile)
    assert "time" in timed["color_modes"]
    assert max(n["heat"] or 0 for n in timed["panels"][0]["nodes"]) == 1.0
    drawn = len(timed["panels"][0]["nodes"])
    assert drawn == sum(1 for layer in plan.layers if not layer.is_sync)
    assert str(len(plan.layers)) in timed["title"]


def test_report_view_links_engine_layers_and_onnx_nodes_both_ways(fp16_report):
    data = report_view_data(fp16_report)
    onnx, engine = _nodes(data, 0), _nodes(data, 1)
    assert {n["name"] for n in onnx.values()} == set(fp16_report.onnx_graph.nx)
    car = engine["engine:L" + str(fp16_report.layer("Conv_5 + Add_6 + Relu_7").index)]
    assert sorted(car["links"]) == ["onnx:Add_6", "onnx:Conv_5", "onnx:Relu_7"]
    for nid in car["links"]:
        assert car["id"] in onnx[nid]["links"]
        assert onnx[nid]["parent"] == f"onnx:group:L{fp16_report.layer('Conv_5 + Add_6 + Relu_7').index}"
    # every link points at a node that links back
    everything = {**onnx, **engine}
    for node in everything.values():
        for other in node["links"]:
            assert node["id"] in everything[other]["links"]
    # one fused layer, one box: every layer of more than one ONNX node is a group
    fused = [r for r in fp16_report.layers if len(r.onnx_nodes) > 1]
    assert len(data["panels"][0]["groups"]) == len(fused)
    # reformat layers absorb no ONNX node and link to none
    reformats = [n for n in engine.values() if n["kind"] == "reformat"]
    assert reformats and all(not n["links"] for n in reformats)


def test_selection_lights_the_layer_and_its_nodes(fp16_report):
    data = report_view_data(fp16_report)
    idx = fp16_report.layer("Conv_5 + Add_6 + Relu_7").index
    assert lit(data, f"engine:L{idx}") == ("Conv_5 + Add_6 + Relu_7", ["Add_6", "Conv_5", "Relu_7"])
    # clicking one ONNX node of a fused layer lights the layer and all of its nodes
    assert lit(data, "onnx:Add_6") == ("Conv_5 + Add_6 + Relu_7", ["Add_6", "Conv_5", "Relu_7"])
    assert lit(data, "nothing") == ("", [])


def test_report_view_of_a_tensorrt10_engine(trt10):
    import trtlab

    graph, plan, profile = trt10
    report = trtlab.map_fusion(graph, plan, profile)
    data = report_view_data(report)
    onnx, engine = _nodes(data, 0), _nodes(data, 1)
    for r in report.layers:
        node = engine.get(f"engine:L{r.index}")
        if node is not None:
            assert sorted(node["links"]) == sorted(f"onnx:{n}" for n in r.onnx_nodes)
    mapped = [n for n in onnx.values() if report.layer_of(n["name"]) is not None]
    assert mapped and all(n["links"] for n in mapped)
    assert "time" in data["color_modes"]
    json.dumps(data)


def test_stages_of_googlenet_inception_3a(googlenet_report):
    # the classic lesson on real TensorRT output: 14 ONNX nodes, 7 CBR layers, 5 after horizontal fusion
    data = stages_view_data(googlenet_report, focus=r"^inception_3a/")
    counts = [sum(1 for n in p["nodes"] if n["role"] != "io") for p in data["panels"]]
    assert counts == [14, 7, 5]
    assert "14 \u2192 7 \u2192 5" in data["title"]
    # the three 1x1 branches fused horizontally are boxed together in the middle panel
    (box,) = data["panels"][1]["groups"]
    members = [n for n in data["panels"][1]["nodes"] if n["parent"] == box["id"]]
    assert len(members) == 3
    # a node of one branch lights its branch in stage 2 and the horizontal layer in stage 3
    conv = next(n for n in data["panels"][0]["nodes"] if n["name"] == "inception_3a/1x1")
    assert len(conv["links"]) == 2 and conv["links"][0].startswith("s1:") and conv["links"][1].startswith("s2:")
    for p in data["panels"]:
        assert _edges_point_down(p)


def test_titles_count_layers_as_the_summary_does(fp16_report, trt10):
    # one sentence for the counts everywhere: the view's title is the report's and the plan's own
    assert fp16_report.counts().sentence() in report_view_data(fp16_report)["title"]
    _, plan, _ = trt10
    data = plan_view_data(plan)
    assert data["title"] == plan.counts().sentence()
    if any(layer.is_sync for layer in plan.layers):
        assert "sync" in data["legend_note"]


def test_quantized_engine_is_coloured_by_the_precision_it_computes_in(fixtures):
    import trtlab

    plan = trtlab.load_layer_info(fixtures / "trt-layerinfo" / "resnet18-qat-a100-int8" / "engine.graph.json")
    data = plan_view_data(plan)
    nodes = data["panels"][0]["nodes"]
    int8 = [n for n in nodes if n["precision"] == "INT8"]
    assert int8 and "INT8" in data["color_modes"]["precision"]["palette"]
    for n in int8:
        assert plan.layer(n["name"]).compute_precision == "INT8"


def test_every_fixture_model_gives_view_data(fixtures):
    # odd graphs too: empty, a Loop with a body, custom ops, symbolic shapes, duplicate inputs
    import trtlab
    from trtlab.errors import TrtlabError
    from trtlab.view.html import standalone_html

    seen = 0
    for path in sorted((fixtures / "onnx").glob("*.onnx")):
        try:
            graph = trtlab.load_onnx(path)
        except TrtlabError:
            continue  # the deliberately broken models are the loader's business
        data = onnx_view_data(graph)
        assert len(data["panels"][0]["nodes"]) == len(graph), path.name
        assert standalone_html(data).lower().count("</script>") == 2  # the data element and the module
        seen += 1
    assert seen >= 10


def test_engine_layers_group_into_collapsible_blocks_by_name(trt10):
    _, plan, _ = trt10
    data = plan_view_data(plan, blocks=True)
    panel = data["panels"][0]
    groups = {g["id"]: g for g in panel["groups"]}
    assert groups and all(g["collapsible"] for g in groups.values())
    for node in panel["nodes"]:
        if node["parent"] is not None:
            # a layer sits in the block its name starts with
            assert node["name"].lstrip("/").startswith(groups[node["parent"]]["label"])
    assert plan_view_data(plan)["panels"][0]["groups"] == []  # 26 layers: no blocks unless asked


def test_report_view_of_part_of_the_network(googlenet_report):
    data = report_view_data(googlenet_report, focus=r"^inception_3a/")
    onnx, engine = data["panels"]
    assert {n["name"] for n in onnx["nodes"]} == {v for v in googlenet_report.onnx_graph.nx
                                                  if v.startswith("inception_3a/")}
    layers = {n["name"] for n in engine["nodes"] if n["role"] == "layer"}
    h = next(r for r in googlenet_report.by_kind("horizontal") if r.onnx_nodes[0].startswith("inception_3a/"))
    assert h.name in layers
    ids = {n["id"] for n in onnx["nodes"] + engine["nodes"]}
    assert all(i in ids for n in onnx["nodes"] + engine["nodes"] for i in n["links"])


@pytest.mark.rtx
def test_engine_and_fusion_views_agree_on_kinds_of_an_rtx_build():
    # TensorRT for RTX names a fused Conv+Relu after its Conv; its metadata says what it absorbed
    pytest.importorskip("tensorrt_rtx_bindings")
    import trtlab
    from trtlab.builder import BuildConfig, build_engine

    engine = build_engine(trtlab.bundled_model("inception_block"), BuildConfig(precision="fp32"))
    plan_kinds = {n["name"]: n["kind"] for n in plan_view_data(engine.layer_info)["panels"][0]["nodes"]}
    report = report_view_data(engine.fusion())
    report_kinds = {n["name"]: n["kind"] for n in report["panels"][1]["nodes"] if n["role"] == "layer"}
    assert plan_kinds == report_kinds
    assert list(plan_kinds.values()).count("vertical") == 6  # the six Conv+Relu pairs
