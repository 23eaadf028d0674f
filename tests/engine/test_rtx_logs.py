"""parse_oneline on verbose logs of real TensorRT-for-RTX builds, made here on the CPU."""

from __future__ import annotations

import networkx as nx
import onnx
import pytest

from trtlab.engine import load_layer_info, parse_layer_name, parse_oneline

trt = pytest.importorskip("tensorrt_rtx_bindings")


class _Collect(trt.ILogger):
    """Keeps every message the builder logs (VERBOSE included)."""

    def __init__(self):
        trt.ILogger.__init__(self)
        self.messages: list[tuple[object, str]] = []

    def log(self, severity, msg):
        self.messages.append((severity, msg))


def build_log(path, verbosity="DETAILED", max_batch=2) -> list[tuple[object, str]]:
    logger = _Collect()
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse_from_file(str(path)), [parser.get_error(i).desc() for i in range(parser.num_errors)]
    config = builder.create_builder_config()
    config.profiling_verbosity = getattr(trt.ProfilingVerbosity, verbosity)
    profile = builder.create_optimization_profile()
    dynamic = False
    for i in range(network.num_inputs):
        inp = network.get_input(i)
        shape = list(inp.shape)
        if -1 in shape:
            dynamic = True
            lo = [1 if d == -1 else d for d in shape]
            hi = [max_batch if d == -1 else d for d in shape]
            profile.set_shape(inp.name, lo, lo, hi)
    if dynamic:
        config.add_optimization_profile(profile)
    assert builder.build_serialized_network(network, config) is not None
    return logger.messages


def _node_keys(path) -> dict[str, str]:
    """ONNX node -> op type, keyed as the ONNX parser names nodes (unnamed: "node_of_<output 0>")."""
    out = {}
    for n in onnx.load(str(path)).graph.node:
        out[n.name or f"node_of_{n.output[0]}"] = n.op_type
    return out


@pytest.fixture(scope="module")
def residual(fixtures):
    path = fixtures / "onnx" / "residual_block.onnx"
    messages = build_log(path)
    return path, messages, parse_oneline("\n".join(m for _, m in messages))


def test_detailed_log_layers_name_real_onnx_nodes(residual):
    path, _, plan = residual
    assert (plan.source, plan.verbosity) == ("oneline", "detailed")
    nodes = _node_keys(path)
    compute = [layer for layer in plan.layers if layer.inputs or layer.outputs]
    assert len(compute) >= 5
    seen = set()
    for layer in plan.layers:
        assert set(layer.onnx_nodes_from_metadata) <= set(nodes), layer.name
        seen.update(layer.onnx_nodes_from_metadata)
    # every ONNX node of the model is named by some engine layer's Metadata
    assert seen == set(nodes)
    # Conv + BatchNormalization + Relu of the stem were fused into one layer
    stem = next(layer for layer in plan.layers if "node_of_gpu_0/conv1_1" in layer.onnx_nodes_from_metadata)
    assert [nodes[n] for n in stem.onnx_nodes_from_metadata][:2] == ["Conv", "BatchNormalization"]


def test_detailed_log_tensors_graph_and_io(residual):
    _, _, plan = residual
    sync = [layer for layer in plan.layers if layer.is_sync]
    assert sync and {layer.layer_type for layer in sync} <= {"signal", "wait"}
    assert all(not layer.inputs and not layer.outputs for layer in sync)
    assert {layer.stream_id for layer in plan.layers} >= {0, 1}  # the branches run on two streams
    (inp,), (out,) = plan.inputs, plan.outputs
    assert inp.name == "gpu_0/data_0" and inp.shape == (-1, 3, 224, 224) and inp.dtype == "FP32"
    assert inp.profile == {"min": (1, 3, 224, 224), "opt": (1, 3, 224, 224), "max": (2, 3, 224, 224)}
    assert out.mode == "output" and out.shape[1:] == (256, 56, 56)
    g = plan.nx
    assert nx.is_directed_acyclic_graph(g)
    src = next(layer.uid for layer in plan.layers if inp.name in {t.name for t in layer.inputs})
    dst = next(layer.uid for layer in plan.layers if out.name in {t.name for t in layer.outputs})
    assert nx.has_path(g, src, dst)
    # the residual join reads two tensors coming from two different layers
    join = plan.layer(dst)
    assert len(join.inputs) == 2 and g.in_degree(dst) == 2
    for t in join.inputs + join.outputs:
        assert t.dtype == "FP32" and t.format and t.shape[0] == -1


def test_log_prefixes_and_load_layer_info(residual):
    path, messages, plan = residual
    # a logger that prefixes each message (multi-line messages get it on their first line only)
    prefixed = "\n".join(f"[11/21/2026-04:35:00] [TRT] [V] {m}" for _, m in messages)
    # and one that prefixes every line
    every_line = "\n".join(f"{sev}|{line}" for sev, m in messages for line in m.splitlines())
    for text in (prefixed, every_line):
        again = parse_oneline(text)
        assert [layer.name for layer in again.layers] == [layer.name for layer in plan.layers]
        assert [t.name for t in again.io_tensors] == [t.name for t in plan.io_tensors]
    # load_layer_info takes the log text too
    assert len(load_layer_info(prefixed)) == len(plan)


def test_names_only_log_is_the_builder_summary(fixtures):
    path = fixtures / "onnx" / "residual_block.onnx"
    messages = build_log(path, "LAYER_NAMES_ONLY")
    plan = parse_oneline("\n".join(m for _, m in messages))
    assert plan.verbosity == "layer_names_only" and "detailed" in plan.note
    (layer,) = plan.layers  # one Myelin region holds the whole model
    assert layer.layer_type == "Myelin"
    name = parse_layer_name(layer.name)
    assert name.kind == "myelin"
    first, last = name.ranges()[0]
    nodes = _node_keys(path)
    assert first in nodes and last in nodes and nodes[first] == "Conv"
    assert [t.name for t in layer.inputs] == ["gpu_0/data_0"] and layer.inputs[0].shape == (-1, 3, 224, 224)
    assert [t.mode for t in plan.io_tensors] == ["input", "output"]


@pytest.mark.parametrize("model", ["conv.onnx", "matmul_2layer.onnx", "multi_output.onnx"])
def test_other_models(fixtures, model):
    path = fixtures / "onnx" / model
    plan = parse_oneline("\n".join(m for _, m in build_log(path)))
    nodes = _node_keys(path)
    named = {n for layer in plan.layers for n in layer.onnx_nodes_from_metadata}
    assert named and named <= set(nodes)
    assert len(plan.outputs) == len(onnx.load(str(path)).graph.output)
    assert nx.is_directed_acyclic_graph(plan.nx)


def test_fast_and_general_one_line_readers_agree(residual):
    # parse_oneline reads lines with a flat fast path and falls back to a general recursive
    # reader; on every real line (layers and I/O tensors) both give the same record
    from trtlab.engine import oneline

    _, messages, _ = residual
    lines = [line[line.index("Name: "):] for _, m in messages for line in m.splitlines()
             if "Name: " in line and (", LayerType: " in line or ", IOMode: " in line)]
    assert len(lines) >= 10
    for line in lines:
        fast = oneline._fast_record(line)
        general, _ = oneline._fields(line + " ", 0, "")
        assert fast is not None and fast == general
