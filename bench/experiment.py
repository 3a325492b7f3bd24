"""Run the experiment of nbs/11_experiments (pixel system vs DDPM at matched compute, every sampler, sweeps) and copy its report.

    python bench/experiment.py --protocol cpu --out runs/experiment_cpu --report nbs/experiments/cpu   # ~1.5 h, 2-core CPU
    python bench/experiment.py --protocol gpu --out runs/experiment_gpu --report $OUT/experiment_gpu  # one GPU, ~10 min

The run folder (checkpoints) stays where it is; the report (results.json and the sample grids, a few MB) is what the
notebook reads. Rerunning with the same --out skips finished stages.
"""

import argparse, os, sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pixeldiff_nb.experiments import run_experiment, copy_report, PROTOCOLS


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--protocol', default='cpu', choices=tuple(PROTOCOLS))
    p.add_argument('--out', default=None)
    p.add_argument('--report', default=None, help='folder to copy results.json and the grids into')
    a = p.parse_args(argv)
    out = a.out or f'runs/experiment_{a.protocol}'
    r = run_experiment(a.protocol, out)
    print(f"done in {r['total_seconds'] / 60:.1f} min on {r['machine']}; results in {out}/results.json")
    if a.report:
        print(f"report copied to {copy_report(out, a.report)}")


if __name__ == '__main__':
    main()
