"""compare_engines on real engines: A100 FP32/FP16/INT8 ResNet-18, a TensorRT 10 engine against a
TensorRT-for-RTX build of the same ONNX file, and FP32/FP16 builds made here."""

from __future__ import annotations

import pytest

import trtlab
from trtlab.engine import load_layer_info, load_profile
from trtlab.errors import MappingError
from trtlab.fusion import EngineComparison, compare_engines, map_fusion
from trtlab.graph import load_onnx

A100 = "trt-layerinfo"


@pytest.fixture(scope="module")
def fp32_vs_fp16(fixtures, resnet18):
    return compare_engines(fixtures / A100 / "resnet18-a100-fp32", fixtures / A100 / "resnet18-a100-fp16",
                           resnet18, labels=("FP32", "FP16"))


@pytest.fixture(scope="module")
def fp16_vs_int8(fixtures):
    return compare_engines(fixtures / A100 / "resnet18-a100-fp16", fixtures / A100 / "resnet18-qat-a100-int8",
                           labels=("FP16", "INT8"))


def _rows_with(cmp: EngineComparison, node: str):
    return [r for r in cmp.rows if node in r.nodes]


def _every_layer_once(cmp: EngineComparison, plans) -> None:
    """Each engine layer is in exactly one row, except sync/Myelin bookkeeping (counted in the totals)."""
    for side, plan, totals in zip("ab", plans, cmp.totals):
        named = [n for r in cmp.rows for n in (r.layers_a if side == "a" else r.layers_b)]
        assert len(named) == len(plan.layers) - totals.other_inserted
        assert sorted(named) == sorted(layer.name for layer in plan.layers if layer.kind not in ("sync", "internal"))


# ----------------------------------------------------------------------------- A100 FP32 vs FP16
def test_fp32_and_fp16_absorb_the_same_nodes_one_to_one_for_every_convolution(fp32_vs_fp16, resnet18):
    convs = resnet18.find(op_type="Conv")
    assert len(convs) == 20
    for conv in convs:
        (row,) = _rows_with(fp32_vs_fp16, conv)
        assert row.matched_by == "nodes" and len(row.layers_a) == len(row.layers_b) == 1
        assert row.layers_a == row.layers_b  # the same fused name, e.g. 'Conv_5 + Add_6 + Relu_7'
    # every Add and Relu is fused into a convolution in both engines: no fusion differs
    for node in resnet18.find(op_type=["Add", "Relu"]):
        (row,) = _rows_with(fp32_vs_fp16, node)
        assert any(n in convs for n in row.nodes)
    assert fp32_vs_fp16.changed("fusion") == []
    assert fp32_vs_fp16.matched_by == "ONNX nodes"


def test_fp32_vs_fp16_every_computing_layer_moves_to_fp16_and_gets_faster(fp32_vs_fp16):
    paired = [r for r in fp32_vs_fp16.rows if r.matched_by == "nodes"]
    assert len(paired) == fp32_vs_fp16.totals[0].computing == fp32_vs_fp16.totals[1].computing == 23
    for r in paired:
        assert (r.precision_a, r.precision_b) == ("FP32", "FP16")
        assert "precision" in r.changes
    # Tensor Cores: each convolution group runs faster in FP16 on the A100
    convs = [r for r in paired if r.kind_a in ("vertical", "single") and r.label.startswith("Conv")]
    assert len(convs) == 20 and all(r.time_b < r.time_a and r.speedup > 1 for r in convs)
    assert fp32_vs_fp16.totals[0].by_precision == {"FP32": (23, pytest.approx(sum(r.time_a for r in paired)))}


def test_fp32_vs_fp16_totals_equal_the_profiles(fp32_vs_fp16, fixtures):
    plans = [load_layer_info(fixtures / A100 / f / "engine.graph.json") for f in ("resnet18-a100-fp32", "resnet18-a100-fp16")]
    profiles = [load_profile(fixtures / A100 / f / "engine.profile.json") for f in ("resnet18-a100-fp32", "resnet18-a100-fp16")]
    for totals, plan, profile in zip(fp32_vs_fp16.totals, plans, profiles):
        assert totals.layers == len(plan.layers)
        assert totals.time_ms == pytest.approx(profile.total_ms)
        assert totals.reformat == sum(layer.kind == "reformat" for layer in plan.layers)
    _every_layer_once(fp32_vs_fp16, plans)


def test_fp16_engine_adds_the_input_conversion_only_it_needs(fp32_vs_fp16):
    only_b = fp32_vs_fp16.changed("only B")
    assert only_b and all(r.kind_b == "reformat" for r in only_b)
    # the FP16 engine converts the FP32 network input for its first convolution: the costliest reformat
    first = next(r for r in only_b if r.layers_b[0].endswith("to Conv_0 + Relu_1"))
    assert first.label == "reformat input0 of Conv_0 + Relu_1"
    assert first.time_b == max(r.time_b for r in only_b) > 0
    # reformats both engines have pair by name
    assert any(r.matched_by == "name" for r in fp32_vs_fp16.rows)


def test_reports_plans_and_folders_compare_alike(fp32_vs_fp16, fixtures, resnet18):
    f32, f16 = (fixtures / A100 / f for f in ("resnet18-a100-fp32", "resnet18-a100-fp16"))
    reports = [map_fusion(resnet18, f / "engine.graph.json", f / "engine.profile.json") for f in (f32, f16)]
    from_reports = compare_engines(*reports, labels=("FP32", "FP16"))
    from_files = compare_engines(f32 / "engine.graph.json", f16 / "engine.graph.json", resnet18,
                                 profile_a=f32 / "engine.profile.json", profile_b=f16 / "engine.profile.json",
                                 labels=("FP32", "FP16"))
    for other in (from_reports, from_files):
        assert other.rows_as_dicts() == fp32_vs_fp16.rows_as_dicts()
    # without the ONNX model the names alone pair the same layers, even with only the two profiles
    from_names = compare_engines(f32, f16, labels=("FP32", "FP16"))
    from_profiles = compare_engines(f32 / "engine.profile.json", f16 / "engine.profile.json")
    for other in (from_names, from_profiles):
        assert [(r.layers_a, r.layers_b, r.kind_a, r.kind_b, r.time_a, r.time_b) for r in other] == [
            (r.layers_a, r.layers_b, r.kind_a, r.kind_b, r.time_a, r.time_b) for r in fp32_vs_fp16]
    # a profile says nothing of precision: the 23 computing layers are counted, in "unknown"
    assert from_profiles.totals[1].by_precision == {"unknown": fp32_vs_fp16.totals[1].by_precision["FP16"]}


def test_an_engine_compared_with_itself_changes_nothing(fixtures):
    folder = fixtures / A100 / "resnet18-a100-fp16"
    cmp = compare_engines(folder, folder)
    assert cmp.changed() == [] and len(cmp.rows) == 36
    assert all(r.matched_by in ("nodes", "name") for r in cmp.rows)


# ----------------------------------------------------------------------------- FP16 vs a Q/DQ export
def test_int8_export_pairs_by_structure_with_matching_convolutions(fp16_vs_int8, fixtures, resnet18):
    assert fp16_vs_int8.matched_by == "structure"
    int8 = load_layer_info(fixtures / A100 / "resnet18-qat-a100-int8" / "engine.graph.json")
    paired = [r for r in fp16_vs_int8.rows if r.matched_by == "structure"]
    convs = [r for r in paired if int8.layer(r.layers_b[0]).raw.get("ParameterType") == "Convolution"]
    assert len(convs) == 21  # 20 convolutions and the FC layer TensorRT runs as a convolution
    for r in convs:
        # the FP16 side's ONNX node (the bundled model has the A100 engines' legacy names, at a
        # quarter of the channel widths) has the kernel, stride and channels of the INT8 layer it was
        # paired with, read from the other export's JSON
        node = resnet18.node(next(n for n in r.nodes_a if resnet18.node(n).op_type in ("Conv", "Gemm")))
        weight = resnet18.initializers[node.inputs[1]]
        layer = int8.layer(r.layers_b[0])
        if node.op_type == "Conv":
            assert list(layer.raw["Kernel"]) == node.attributes["kernel_shape"]
            assert list(layer.raw["Stride"]) == node.attributes["strides"]
            assert layer.raw["OutMaps"] == 4 * weight[0]
        else:
            assert layer.raw["OutMaps"] == weight[0] == 1000  # the classifier keeps its 1000 classes
        assert r.precision_b == "INT8" and r.precision_a == "FP16"


def test_int8_engine_left_maxpool_in_fp32_and_adds_quantize_layers(fp16_vs_int8):
    (pool,) = [r for r in fp16_vs_int8.rows if r.layers_b == ("MaxPool_12",)]
    assert pool.layers_a == ("MaxPool_2",) and (pool.precision_a, pool.precision_b) == ("FP16", "FP32")
    quantize = [r for r in fp16_vs_int8.changed("only B") if r.layers_b[0].startswith("QuantizeLinear_")]
    assert len(quantize) == 10 and all(r.time_b > 0 for r in quantize)
    # the residual Adds fuse into the same convolutions (the 1x1 downsample ones in layers 2-4)
    assert fp16_vs_int8.changed("fusion") == []
    (totals_fp16, totals_int8) = fp16_vs_int8.totals
    assert totals_int8.by_precision["INT8"][0] == 21 and "INT8" not in totals_fp16.by_precision


# ----------------------------------------------------------------------------- two TensorRT versions
@pytest.mark.rtx
def test_tensorrt10_engine_against_an_rtx_build_of_the_same_onnx(fixtures):
    pytest.importorskip("tensorrt_rtx_bindings")
    graph = load_onnx(fixtures / "onnx-torchvision" / "resnet18.onnx")
    built = trtlab.build_engine(graph.model, trtlab.BuildConfig(precision="fp16"))
    folder = fixtures / "trt10" / "resnet18-rtx3060-fp16"
    cmp = compare_engines(folder, built, labels=("TensorRT 10", "TensorRT for RTX"))
    assert cmp.matched_by == "ONNX nodes"
    for conv in graph.find(op_type="Conv"):
        (row,) = _rows_with(cmp, conv)
        assert row.layers_a and row.layers_b and row.matched_by == "nodes"
    # TensorRT 10 keeps each downsample block's conv2 apart from the Add; the RTX build fuses
    # differently there: those groups hold two layers on each side and are marked as fusion changes
    fused = cmp.changed("fusion")
    assert fused and all(r.nodes for r in fused)
    assert cmp.totals[0].time_ms == pytest.approx(load_profile(folder / "engine.profile.json").total_ms)
    assert cmp.totals[1].time_ms is None  # built here, never run
    _every_layer_once(cmp, [load_layer_info(folder / "engine.graph.json"), built.layer_info])


@pytest.mark.rtx
def test_fp32_and_fp16_rtx_builds_of_the_inception_block():
    pytest.importorskip("tensorrt_rtx_bindings")
    model = trtlab.bundled_model("inception_block")
    e32 = trtlab.build_engine(model, trtlab.BuildConfig(precision="fp32"))
    e16 = trtlab.build_engine(model, trtlab.BuildConfig(precision="fp16"))
    cmp = compare_engines(e32, e16, labels=("FP32", "FP16"))
    graph = load_onnx(model)
    for conv in graph.find(op_type="Conv"):
        (row,) = _rows_with(cmp, conv)
        assert len(row.layers_a) == len(row.layers_b) == 1 and (row.precision_a, row.precision_b) == ("FP32", "FP16")
    # the FP16 build reads and writes FP32 at the network's edges: casts only it has
    only_b = cmp.changed("only B")
    assert any("Cast" in r.layers_b[0] for r in only_b)
    _every_layer_once(cmp, [e32.layer_info, e16.layer_info])
    assert cmp.totals[0].other_inserted == sum(layer.kind == "sync" for layer in e32.layer_info.layers) > 0
    # no profile: the picture counts layers and, when it must choose, shows the changed groups
    drawing = cmp.draw(top=5)
    assert "engine layers" in drawing.ax.get_xlabel()
    assert set(drawing.nodes) <= {r.label for r in cmp.changed()} and drawing.n_nodes == 5


# ----------------------------------------------------------------------------- displays and bad input
def test_table_dataframe_and_picture(fp32_vs_fp16, output_dir):
    html = fp32_vs_fp16._repr_html_()
    assert "FP32" in html and "Conv_5 + Add_6 + Relu_7" in html and "only in FP16" in html
    df = fp32_vs_fp16.to_dataframe()
    assert len(df) == len(fp32_vs_fp16.rows) and df["time_a_ms"].sum() == pytest.approx(
        sum(r.time_a or 0 for r in fp32_vs_fp16.rows))
    drawing = fp32_vs_fp16.draw(top=12)
    assert drawing.n_nodes == 12
    slowest = sorted(fp32_vs_fp16.rows, key=lambda r: -max(r.time_a or 0, r.time_b or 0))[:12]
    assert set(drawing.nodes) == {r.label for r in slowest}
    assert drawing.save(output_dir / "compare_fp32_fp16.png").stat().st_size > 10_000


@pytest.mark.parametrize("call, words", [
    (lambda f: compare_engines(f, f, labels=("one",)), "two strings"),
    (lambda f: compare_engines(f, f, time_tolerance=2), "time_tolerance"),
    (lambda f: compare_engines(f, f, time_tolerance="10%"), "time_tolerance"),
    (lambda f: compare_engines(f, f, labels=5), "two strings"),
    (lambda f: compare_engines(None, f), "engine a is a NoneType"),
    (lambda f: compare_engines(f, 42), "engine b is a int"),
    (lambda f: compare_engines(f.parent, f), "no *.graph.json"),
    (lambda f: compare_engines(f, f).changed("faster"), "not one of fusion"),
])
def test_bad_input_says_what_is_allowed(fixtures, call, words):
    with pytest.raises(MappingError, match=words.replace("*", r"\*")):
        call(fixtures / A100 / "resnet18-a100-fp16")
