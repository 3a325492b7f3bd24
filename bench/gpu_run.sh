#!/usr/bin/env bash
# Everything GPU-specific in one run (the device machine has PyTorch, Triton and torchvision, but no internet):
# install the few pure-Python wheels carried in gpu_wheels/ if missing, run the CUDA-flagged notebook checks,
# then the benchmarks, writing their reports under $OUT (or bench/results).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/results}; mkdir -p "$OUT"
export PYTHONPATH=$PWD:${PYTHONPATH:-} MPLBACKEND=Agg PYTHONUNBUFFERED=1
python -c "import fastcore, sympy, tqdm" 2>/dev/null || { python -m pip install -q --no-index --no-deps --target /tmp/gpu_site gpu_wheels/*.whl 2>&1 | grep -v WARNING; export PYTHONPATH=/tmp/gpu_site:$PYTHONPATH; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)" | tee -a "$OUT/gpu.txt"
rc=0
timeout 150 python bench/run_notebook.py nbs/04_cuda.ipynb 2>&1 | tee "$OUT/cuda_checks.txt"; rc=$((rc | ${PIPESTATUS[0]}))
timeout 240 python bench/sampler_bench.py --out "$OUT/sampler_bench.txt" || rc=1
timeout 120 python bench/train_step_bench.py --out "$OUT/train_step_bench.txt" || rc=1
exit $rc
