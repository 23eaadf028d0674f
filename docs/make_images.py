"""Make the pictures in README.md from real data: ``python docs/make_images.py``.

- ``googlenet_3a_stages.png``: the classic lesson (before fusion / after vertical fusion / after
  horizontal fusion) for GoogLeNet's inception_3a, from a real TensorRT profile of BVLC GoogLeNet
  (shared fixtures) mapped onto the bundled ``googlenet.onnx``;
- ``resnet18_fp16_before_after.png``: ResNet-18 before and after fusion, from the real A100 FP16
  engine's layer information;
- ``inception_block_rtx.png``: the bundled inception block built here on the CPU with TensorRT
  for RTX (skipped when the ``rtx`` extra is not installed).
"""

from __future__ import annotations

from pathlib import Path

import trtlab
import trtlab.data

OUT = Path(__file__).resolve().parent / "images"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    fx = trtlab.data.shared_fixtures(required=True)
    googlenet = trtlab.load_onnx(trtlab.bundled_model("googlenet"))
    profile = trtlab.load_profile(fx / "trt-profiles" / "googlenet-jetson-gpu.profile.json")
    report = trtlab.map_fusion(googlenet, profile)
    report.draw(mode="stages", focus=r"^inception_3a/", title="GoogLeNet inception_3a: what TensorRT's layer fusion does").save(OUT / "googlenet_3a_stages.png")

    resnet = trtlab.load_onnx(trtlab.bundled_model("resnet18"))
    plan = trtlab.load_layer_info(fx / "trt-layerinfo" / "resnet18-a100-fp16" / "engine.graph.json")
    trtlab.map_fusion(resnet, plan).draw(focus=r"^(Conv|Relu|MaxPool|Add)_([0-9]|1[0-2])$").save(
        OUT / "resnet18_fp16_before_after.png")

    try:
        built = trtlab.build_engine(trtlab.bundled_model("inception_block"))
    except trtlab.MissingDependencyError as exc:
        print(f"skipped the RTX picture: {exc}")
    else:
        built.fusion().draw().save(OUT / "inception_block_rtx.png")
    for p in sorted(OUT.glob("*.png")):
        print(f"wrote {p.relative_to(OUT.parent.parent)} ({p.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
