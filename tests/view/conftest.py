"""Real fixtures for the view tests: ResNet-18 (A100 FP16, and TensorRT 10 on an RTX 3060), GoogLeNet."""

from __future__ import annotations

import pytest

import trtlab


@pytest.fixture(scope="session")
def resnet18():
    return trtlab.load_onnx(trtlab.bundled_model("resnet18"))


@pytest.fixture(scope="session")
def fp16(fixtures):
    """(plan, profile) of the real ResNet-18 FP16 engine built by trtexec on an A100."""
    folder = fixtures / "trt-layerinfo" / "resnet18-a100-fp16"
    return trtlab.load_layer_info(folder / "engine.graph.json"), trtlab.load_profile(folder / "engine.profile.json")


@pytest.fixture(scope="session")
def fp16_report(resnet18, fp16):
    plan, profile = fp16
    return trtlab.map_fusion(resnet18, plan, profile)


@pytest.fixture(scope="session")
def trt10(fixtures):
    """(onnx graph, plan, profile) of torchvision's ResNet-18 built by TensorRT 10 on an RTX 3060 (FP16)."""
    folder = fixtures / "trt10" / "resnet18-rtx3060-fp16"
    graph = trtlab.load_onnx(fixtures / "onnx-torchvision" / "resnet18.onnx")
    return graph, trtlab.load_layer_info(folder / "engine.graph.json"), trtlab.load_profile(folder / "engine.profile.json")


@pytest.fixture(scope="session")
def googlenet_report(fixtures):
    graph = trtlab.load_onnx(trtlab.bundled_model("googlenet"))
    profile = trtlab.load_profile(fixtures / "trt-profiles" / "googlenet-jetson-gpu.profile.json")
    return trtlab.map_fusion(graph, profile)
