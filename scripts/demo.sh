#!/usr/bin/env bash
# The main job on bundled data: set up .venv (once), show which TensorRT backend is here, build
# the bundled GoogLeNet with it and write the engine, its layer information and the
# before/after-fusion picture to out/googlenet/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/trtlab info
.venv/bin/trtlab build trtlab/data/googlenet.onnx -o out/googlenet
