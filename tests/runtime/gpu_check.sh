#!/usr/bin/env bash
# Everything trtlab.runtime checks on a GPU machine, in one go: the gpu-marked tests with both CUDA
# backends, then the benchmarks (copy bandwidth three times at 4 MiB and once at 256 MiB, run overhead).
# Run from the repository root with .whl/ carried: pycuda sdist + pytools, platformdirs, mako, siphash24,
# onnx_graphsurgeon wheels. Writes logs under $OUT (or ./out).
set -o pipefail
OUT=${OUT:-out}; mkdir -p "$OUT"
WHL=${WHL:-.whl}
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$WHL"/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PATH=/usr/local/cuda/bin:$PATH CUDA_ROOT=/usr/local/cuda PYTHONUNBUFFERED=1
if ! python3 -c 'import pycuda.driver' 2>/dev/null; then
  t0=$(date +%s)
  python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/site "$WHL"/pycuda-*.tar.gz \
    > "$OUT/pycuda_build.txt" 2>&1 || { tail -30 "$OUT/pycuda_build.txt"; exit 1; }
  echo "pycuda built in $(( $(date +%s) - t0 )) s"
fi
{ nvidia-smi --query-gpu=name,driver_version,memory.total,pcie.link.gen.current,pcie.link.width.current --format=csv
  python3 -c 'import pycuda, cuda.bindings, numpy, sys; print("python", sys.version.split()[0], "pycuda", pycuda.VERSION_TEXT, "cuda.bindings", cuda.bindings.__version__, "numpy", numpy.__version__)'
} 2>&1 | tee "$OUT/env.txt"
python3 -m pytest -q -p no:cacheprovider tests/runtime -rA -s 2>&1 | tee "$OUT/gpu_tests.txt"
cp tests/_output/pipeline_timeline_*.png "$OUT"/ 2>/dev/null
{ for i in 1 2 3; do python3 bench/copy_bandwidth.py --size-mib 4 --iters 50; done
  python3 bench/copy_bandwidth.py --size-mib 256 --iters 20; } 2>&1 | tee "$OUT/copy_bandwidth.txt"
python3 bench/run_overhead.py --runs 2000 2>&1 | tee "$OUT/run_overhead.txt"
python3 bench/pipeline_overlap.py --batches 200 --png "$OUT/pipeline_timeline_h200.png" 2>&1 | tee "$OUT/pipeline_overlap.txt"
