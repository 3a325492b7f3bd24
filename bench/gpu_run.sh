#!/usr/bin/env bash
# Everything GPU-specific, in one run (the device machine has PyTorch, Triton and torchvision, but no internet):
#   bash bench/gpu_run.sh [checks] [targets] [kernel] [e2e] [train_step] [train] [experiment] [regime_s] [ode] [baseline_s]
#                         [blocks_img]   (the papers' head bank at the baseline's image count; its device time is not measured, BLOCKS_SECONDS caps it)
#   (default: checks and targets, the six speed targets in one script, bench/gpu_targets.py, ~5 min, which
#   writes $OUT/gpu_targets.json; kernel, e2e, train_step and train are the older separate benchmarks; the last four
#   take a whole call each: nbs/11_experiments' gpu protocol, ~10 min, which also records target 5; its
#   shapes_gpu protocol, ~8 min; its shapes_ode_gpu protocol (the few-pass comparison: both pixel schedules' noise networks, every ODE
#   solver and grid), ~7 min; regime S's baseline trained for 1.5, 3, 4.5 and 6 minutes in all, its 1000-step chain
#   scored after each against the 1-pixel-blur criterion, ~7.5 min)
# installs the pure-Python wheels carried in gpu_wheels/ if missing, then runs the CUDA-flagged notebook checks, the
# benchmarks and a short CIFAR-10 training, writing reports under $OUT (or bench/results).
# CIFAR-10 is read from $PIXELDIFF_CIFAR10 (default data/cifar10, a git-ignored copy of shared/data/cifar10).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/results}; mkdir -p "$OUT"
export PYTHONPATH=$PWD:${PYTHONPATH:-} MPLBACKEND=Agg PYTHONUNBUFFERED=1 PIXELDIFF_CIFAR10=${PIXELDIFF_CIFAR10:-data/cifar10}
python -c "import fastcore, sympy, tqdm" 2>/dev/null || { python -m pip install -q --no-index --no-deps --target /tmp/gpu_site gpu_wheels/*.whl 2>&1 | grep -v WARNING; export PYTHONPATH=/tmp/gpu_site:$PYTHONPATH; }
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/gpu.txt"
python -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__)" | tee -a "$OUT/gpu.txt"
parts=${*:-checks targets}
rc=0
for p in $parts; do
  case $p in
    checks)     timeout 150 python bench/run_notebook.py nbs/04_cuda.ipynb 2>&1 | tee "$OUT/cuda_checks.txt"; rc=$((rc | ${PIPESTATUS[0]}));;
    targets)    timeout ${TARGETS_SECONDS:-480} python bench/gpu_targets.py --json "$OUT/gpu_targets.json" --out "$OUT/gpu_targets.txt" \
                  --profile "$OUT/train_step_profile.txt" 2>&1 | grep -v Warning; rc=$((rc | ${PIPESTATUS[0]}));;
    kernel)     timeout 200 python bench/sampler_bench.py --parts kernel --out "$OUT/sampler_bench_kernel.txt" || rc=1;;
    e2e)        timeout 200 python bench/sampler_bench.py --parts e2e --out "$OUT/sampler_bench_e2e.txt" || rc=1;;
    train_step) timeout 120 python bench/train_step_bench.py --out "$OUT/train_step_bench.txt" || rc=1;;
    train)      timeout 300 python bench/train_eval.py --config cifar10 --minutes ${TRAIN_MINUTES:-1.5} --batch 128 --out "$OUT/train_eval" 2>&1 | grep -v Warning || rc=1
                rm -f "$OUT"/train_eval/*/last.pt;;    # checkpoints stay on the device (too large to bring back)
    experiment) timeout ${EXPERIMENT_SECONDS:-540} python bench/experiment.py --protocol gpu --out /tmp/experiment_gpu 2>&1 | grep -v Warning || rc=1
                python -c "from pixeldiff_nb.experiments import copy_report; copy_report('/tmp/experiment_gpu', '$OUT/experiment_gpu')"   # what finished, even after a timeout
                python bench/gpu_targets.py --parts none --protocol-results "$OUT/experiment_gpu/results.json" --json "$OUT/gpu_targets.json" || rc=1;;
    regime_s)   timeout ${EXPERIMENT_SECONDS:-530} python bench/experiment.py --protocol shapes_gpu --out /tmp/shapes_gpu > "$OUT/regime_s_log.txt" 2>&1 || rc=1
                python bench/pack_run.py /tmp/shapes_gpu "$OUT" || rc=1;;          # the report and the EMA weights, even after a timeout
    ode)        timeout ${EXPERIMENT_SECONDS:-530} python bench/experiment.py --protocol shapes_ode_gpu --out /tmp/shapes_ode_gpu > "$OUT/ode_log.txt" 2>&1 || rc=1
                python bench/pack_run.py /tmp/shapes_ode_gpu "$OUT" || rc=1;;
    baseline_s) timeout ${EXPERIMENT_SECONDS:-540} python bench/regime_s.py --device cuda --train-minutes ${BASELINE_MINUTES:-1.5,3,4.5,6} \
                  --run /tmp/baseline_s --n 1000 --samplers ddpm --report "$OUT/regime_s_budget" > "$OUT/baseline_s_log.txt" 2>&1 || rc=1;;
    blocks_img) # the papers' head bank at the baseline's image count (17,000 U-Net steps after a 3,000-step VAE; 6 CPU
                # hours), scored by regime_s.py on the device; the EMA weights come back (vae.pt, parallel.pt: optimizer dropped)
                run=/tmp/s_px_blocks_img
                timeout ${BLOCKS_SECONDS:-480} python -c "import sys; from pixeldiff_nb.cli import main; sys.exit(main())" train --model pixel --config tiny16 --data shapes --vae-target x0 --lr-decay cosine \
                  --vae-steps ${BLOCKS_VAE_STEPS:-3000} --steps ${BLOCKS_STEPS:-17000} --head-bank blocks --head-balance 0.25 \
                  --sample-every 2000 --device ${DEVICE:-cuda} --out $run > "$OUT/blocks_img_log.txt" 2>&1 || rc=1
                mkdir -p "$OUT/blocks_img"; cp $run/parallel/samples_*.png "$OUT/blocks_img/" 2>/dev/null
                python -c "import sys; sys.path.insert(0, 'bench'); from pack_run import slim; import pathlib; d = pathlib.Path('$OUT/blocks_img'); [(d / f'{n}.pt').write_bytes(slim(f'$run/{n}/last.pt')) for n in ('vae', 'parallel') if pathlib.Path(f'$run/{n}/last.pt').is_file()]" || rc=1
                timeout ${SCORE_SECONDS:-100} python bench/regime_s.py --run $run --device ${DEVICE:-cuda} --n ${SCORE_N:-1000} --batch 500 \
                  --samplers vae_only,parallel_deterministic,block_sequential:10 --report "$OUT/blocks_img" >> "$OUT/blocks_img_log.txt" 2>&1 || rc=1;;
    *) echo "unknown part $p"; rc=1;;
  esac
done
exit $rc
