"""A real kernel survives every bad input the widgets can be given; each widget shows the error.

Runs a notebook through nbclient (a real ipykernel, as JupyterLab would) whose cells feed the
widgets bad paths, corrupt models, mismatched layer information, bad options and a handler
that fails with a non-trtlab exception. No cell may produce an error output, the widgets'
status lines must carry the trtlab messages, and the kernel must still answer at the end.
"""

from __future__ import annotations

import json

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

CELLS = [
    """
import json, pathlib, tempfile
import trtlab
from trtlab.widgets import ModelExplorer, EngineBuilder, FusionExplorer, InferencePanel, ProfilePlots
fx = trtlab.data.shared_fixtures(required=True) / "trt-layerinfo" / "resnet18-a100-fp16"
try:
    import tensorrt_rtx_bindings
    seen = {"rtx": True}
except ImportError:
    seen = {"rtx": False}
tmp = pathlib.Path(tempfile.mkdtemp())
(tmp / "corrupt.onnx").write_bytes(b"\\x08\\x07 not a model" * 50)
(tmp / "bad.json").write_text("{ nope")
""",
    # ModelExplorer: missing path, corrupt model, bad regex
    """
me = ModelExplorer(trtlab.bundled_model("inception_block"))
me.source.value = "(a path...)"
me.path.value = str(tmp / "missing.onnx"); seen["me_missing"] = me.status.text
me.path.value = str(tmp / "corrupt.onnx"); seen["me_corrupt"] = me.status.text
me.path.value = str(trtlab.bundled_model("inception_block"))
me.pattern.value = "(("; seen["me_regex"] = me.status.text
me
""",
    # FusionExplorer: corrupt model, bad layer info, mismatched layer info, unexpected exception
    """
f1 = FusionExplorer.from_files(tmp / "corrupt.onnx", fx / "engine.graph.json"); seen["fx_corrupt"] = f1.status.text
f2 = FusionExplorer.from_files(trtlab.bundled_model("resnet18"), tmp / "bad.json"); seen["fx_badjson"] = f2.status.text
f3 = FusionExplorer.from_files(trtlab.bundled_model("googlenet"), fx / "engine.graph.json"); seen["fx_mismatch"] = f3.status.text

class Exploding:
    @property
    def layers(self):
        raise KeyError("boom")
    def draw(self):
        pass
f4 = FusionExplorer(Exploding()); seen["fx_unexpected"] = f4.status.text
f3
""",
    # EngineBuilder: bad shapes, bad path, int8 without Q/DQ (real RTX build attempts when installed)
    """
b = EngineBuilder(trtlab.bundled_model("resnet18"), cache=tmp / "cache")
seen["eb_precisions"] = list(b.precision.options)
b.set_profile("input.1", "1x3x224x224", "1x3x2x2", "1x3x224x224"); b.build_button.click(); seen["eb_shapes"] = b.status.text
b.set_profile("input.1", "1x3", "1x3", "1x3"); b.build(wait=True); seen["eb_rank"] = b.status.text
if seen["rtx"]:
    b.set_profile("input.1"); b.precision.value = "int8"; b.build(wait=True); seen["eb_int8"] = b.status.text
b.source.value = "(a path...)"; b.path.value = str(tmp / "corrupt.onnx"); seen["eb_corrupt"] = b.status.text
b
""",
    # ProfilePlots and InferencePanel
    """
p = ProfilePlots(tmp / "bad.json"); seen["pp_bad"] = p.status.text
p2 = ProfilePlots.from_folder(tmp / "nowhere"); seen["pp_missing"] = p2.status.text
ip = InferencePanel(b"\\x00not a plan", onnx=trtlab.bundled_model("inception_block")); seen["ip_unavailable"] = ip.unavailable
ip.source.value = "file"; ip.path.value = str(tmp / "bad.json"); ip.run_button.click(); seen["ip_badfile"] = ip.status.text
ip
""",
    "print(json.dumps(seen))",
    "print('kernel alive', 6 * 7)",
]


def test_kernel_survives_every_bad_widget_input(fixtures, tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src.strip()) for src in CELLS]
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [out for cell in nb.cells for out in cell.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, [f"{e['ename']}: {e['evalue']}" for e in errors]
    seen = json.loads(nb.cells[-2]["outputs"][0]["text"])
    assert nb.cells[-1]["outputs"][0]["text"].strip() == "kernel alive 42"

    assert seen["me_missing"].startswith("ModelLoadError") and "missing.onnx" in seen["me_missing"]
    assert seen["me_corrupt"].startswith("ModelLoadError")
    assert "((" in seen["me_regex"]
    assert seen["fx_corrupt"].startswith("ModelLoadError")
    assert seen["fx_badjson"].startswith("LayerInfoError")
    assert "another model" in seen["fx_mismatch"]
    assert seen["fx_unexpected"] == "unexpected KeyError: 'boom'"
    if seen["rtx"]:  # real TensorRT for RTX build attempts; int8 is refused for a model without Q/DQ nodes
        assert seen["eb_shapes"].startswith("ConfigError") and "min <= opt <= max" in seen["eb_shapes"]
        assert "rank" in seen["eb_rank"]
        assert "int8" in seen["eb_precisions"] and "Q/DQ" in seen["eb_int8"]
    else:  # without a TensorRT backend: fp32 only, and every build says which extra to install
        assert seen["eb_precisions"] == ["fp32"], seen["eb_precisions"]
        for key in ("eb_shapes", "eb_rank"):
            assert seen[key].startswith("BackendError") and "trtlab[rtx]" in seen[key], seen[key]
    assert seen["eb_corrupt"].startswith("ModelLoadError")
    assert seen["pp_bad"].startswith("LayerInfoError")
    assert "does not exist" in seen["pp_missing"]
    assert seen["ip_unavailable"].startswith(("CudaError", "BundleError", "MissingDependencyError"))
    assert seen["ip_badfile"].startswith("ConfigError") and "bad.json" in seen["ip_badfile"]
    # every widget cell displayed a widget view and its static snapshot
    for i in (1, 2, 3, 4):
        data = nb.cells[i]["outputs"][-1]["data"]
        assert "application/vnd.jupyter.widget-view+json" in data and "trtlab-" in data["text/html"]
