#!/usr/bin/env bash
# Creates .venv (once) and installs trtlab with the extras a CPU-only machine can use:
# the TensorRT for RTX builder, the TensorRT 11 lean runtime (API checks), ONNX Runtime,
# JupyterLab and the test tools. Re-runs pip only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.trtlab-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log=$(mktemp)
  if ! { .venv/bin/python -m pip install -q --upgrade pip \
         && .venv/bin/python -m pip install -q -e ".[rtx,lean,reference,notebook,test]"; } >"$log" 2>&1; then
    cat "$log"; echo "setup: pip install failed (log above)" >&2; exit 1
  fi
  rm -f "$log"
  echo "$want" > "$stamp"
fi
