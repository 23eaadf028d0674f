"""Synthetic engines of any size, written the way TensorRT writes layer information.

Used by the scale test here and by the parse benchmarks: ``python -m tests.engine.synthetic 10000``
prints parse and graph times for a 10,000-layer JSON file and one-line listing.
"""

from __future__ import annotations

import json


def _t10(name: str) -> dict:
    return {"Name": name, "Location": "Device", "Dimensions": [1, 64, 56, 56],
            "Format/Datatype": "Channel major FP16 format where channel % 8 == 0"}


def layer_records(n: int, skip: int = 5) -> list[dict]:
    """``n`` layers in a chain with a skip connection every layer (tensor t{i} -> t{i+1}, plus t{i-skip})."""
    out = []
    for i in range(n):
        if i % 3 == 0:
            name = f"Reformatting CopyNode for Input Tensor 0 to /blk{i}/Conv"
            layer_type = "Reformat"
        else:
            name = f"/blk{i}/Conv + /blk{i}/Add + PWN(/blk{i}/Sigmoid, /blk{i}/Mul)"
            layer_type = "CaskConvolution"
        ins = [_t10(f"t{i}")] + ([_t10(f"t{i - skip}")] if i >= skip else [])
        out.append({"Name": name, "LayerType": layer_type, "Inputs": ins, "Outputs": [_t10(f"t{i + 1}")],
                    "TacticName": "sm80_xmma_fprop_implicit_gemm", "StreamId": 0,
                    "Metadata": f"[ONNX Layer: /blk{i}/Conv]\x1f[ONNX Layer: /blk{i}/Add]"})
    return out


def json_text(n: int) -> str:
    """TensorRT 10 style --exportLayerInfo JSON of ``n`` layers."""
    return json.dumps({"Layers": layer_records(n), "Bindings": ["t0", f"t{n}"]})


def _oneline_tensor(name: str) -> str:
    return (f"{{ Name: {name}, Dimensions: [1,64,56,56], Strides: [200704,1,3584,64], StrideOrder: [3,0,2,1], "
            "Datatype: Half, Format: (NHWC) Channel major format }")


def oneline_text(n: int) -> str:
    """A TensorRT-for-RTX style verbose-log ``Layers:`` section of ``n`` layers, with I/O tensors."""
    lines = ["Engine generation completed in 0.1 seconds.", "Layers:"]
    for rec in layer_records(n):
        ins = ", ".join(_oneline_tensor(t["Name"]) for t in rec["Inputs"])
        outs = ", ".join(_oneline_tensor(t["Name"]) for t in rec["Outputs"])
        lines.append(f"Name: {rec['Name']}, LayerType: {rec['LayerType']}, Inputs: [ {ins}], Constants: [], "
                     f"Outputs: [ {outs}], TacticName: {rec['TacticName']}, StreamId: 0, Metadata: {rec['Metadata']}")
    lines += ["", "I/O Tensors:",
              " Name: t0, IOMode: Input, DataType: Half, Dimensions: [1,64,56,56], Location: Device, "
              "IsShapeInferenceIO: false, ProfileInfo: [ { Format: (NHWC) Channel major format }]",
              f" Name: t{n}, IOMode: Output, DataType: Half, Dimensions: [1,64,56,56], Location: Device, "
              "IsShapeInferenceIO: false, ProfileInfo: [ { Format: (NHWC) Channel major format }]", ""]
    return "\n".join(lines)


def profile_text(n: int) -> str:
    """trtexec --exportProfile JSON for the same ``n`` layers."""
    rows = [{"count": 100}] + [{"name": r["Name"], "timeMs": 1.0, "averageMs": 0.01, "medianMs": 0.01,
                                "percentage": 100.0 / n} for r in layer_records(n)]
    return json.dumps(rows)


if __name__ == "__main__":  # pragma: no cover - timing printout for benchmarks
    import sys
    import time

    from trtlab.engine import load_layer_info, load_profile, parse_oneline

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    inputs = {"json": json_text(n), "oneline": oneline_text(n), "profile": profile_text(n)}
    cases = [
        ("json.loads (stdlib, no model)", lambda: json.loads(inputs["json"])),
        ("load_layer_info(JSON)", lambda: load_layer_info(inputs["json"])),
        ("load_layer_info(JSON).nx", lambda: load_layer_info(inputs["json"]).nx),
        ("parse_oneline(log).nx", lambda: parse_oneline(inputs["oneline"]).nx),
        ("load_profile", lambda: load_profile(inputs["profile"])),
    ]
    print(f"{n} layers: JSON {len(inputs['json']) / 1e6:.1f} MB, one-line {len(inputs['oneline']) / 1e6:.1f} MB")
    print(f"{'case':34s} {'wall ms':>9s} {'CPU ms':>9s}   (best of 5)")
    for label, fn in cases:
        wall, cpu = [], []
        for _ in range(5):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(f"{label:34s} {min(wall) * 1000:9.1f} {min(cpu) * 1000:9.1f}")
