"""Helpers for the fusion tests: real fixture paths, small ONNX graphs, RTX builds."""

from __future__ import annotations

import pytest

import trtlab.data


@pytest.fixture(scope="session")
def layerinfo(fixtures):
    """Path of a real layer-info/profile file: layerinfo("resnet18-a100-fp32", "graph")."""

    def path(folder: str, what: str = "graph"):
        return fixtures / "trt-layerinfo" / folder / f"engine.{what}.json"

    return path


@pytest.fixture(scope="session")
def resnet18():
    from trtlab.graph import load_onnx

    return load_onnx(trtlab.data.bundled_model("resnet18"))


@pytest.fixture(scope="session")
def googlenet():
    from trtlab.graph import load_onnx

    return load_onnx(trtlab.data.bundled_model("googlenet"))


@pytest.fixture(scope="session")
def googlenet_profile(fixtures):
    from trtlab.engine import load_profile

    return load_profile(fixtures / "trt-profiles" / "googlenet-jetson-gpu.profile.json")


@pytest.fixture(scope="session")
def rtx_build_log():
    """A function: build an ONNX file with TensorRT for RTX, return the builder's verbose log."""
    return _rtx_build_log


def _rtx_build_log(onnx_path) -> str:
    """Build ``onnx_path`` with TensorRT for RTX on this CPU; return the builder's verbose log."""
    trt = pytest.importorskip("tensorrt_rtx_bindings")

    class Collect(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.lines: list[str] = []

        def log(self, severity, msg):
            self.lines.append(msg)

    logger = Collect()
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    assert parser.parse_from_file(str(onnx_path)), [str(parser.get_error(i)) for i in range(parser.num_errors)]
    config = builder.create_builder_config()
    config.profiling_verbosity = trt.ProfilingVerbosity.DETAILED
    profile = builder.create_optimization_profile()
    dynamic = False
    for i in range(network.num_inputs):
        t = network.get_input(i)
        shape = list(t.shape)
        if any(d < 0 for d in shape):
            fixed = [1 if d < 0 else d for d in shape]
            profile.set_shape(t.name, fixed, fixed, fixed)
            dynamic = True
    if dynamic:
        config.add_optimization_profile(profile)
    blob = builder.build_serialized_network(network, config)
    assert blob is not None, "TensorRT for RTX failed to build " + str(onnx_path)
    return "\n".join(logger.lines)
