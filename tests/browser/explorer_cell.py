# FusionExplorer on the real ResNet-18 FP16 engine (A100): pick a layer, see its ONNX nodes
import trtlab
import trtlab.data
from trtlab.widgets import FusionExplorer

_fx = trtlab.data.shared_fixtures(required=True) / "trt-layerinfo" / "resnet18-a100-fp16"
explorer = FusionExplorer.from_files(
    trtlab.bundled_model("resnet18"), _fx / "engine.graph.json", _fx / "engine.profile.json"
)
explorer.select("Conv_5 + Add_6 + Relu_7")
explorer
