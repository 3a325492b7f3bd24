"""Train the papers' system (scale VAE, then the parallel U-Net on the frozen VAE's estimate), or with
`--model pixel-eps` the scale VAE and a noise network on a per-pixel schedule, or with `--model aniso` the noise
network on the anisotropic DCT schedule alone (no VAE stage), in the training wall time a baseline
run took on this machine, with a cosine learning rate, whose horizon must be fixed before the U-Net starts: the VAE
trains its `--vae-steps`, a timed probe measures the U-Net's seconds per step, and the U-Net gets the steps the time
left buys.

    python bench/matched_time.py --baseline runs/s_gn20k --vae-steps 3000 --out runs/s_px_gn
    python bench/matched_time.py --seconds 2016.65 --head-bank blocks --head-balance 0.25 --out runs/s_px_blocks
    python bench/matched_time.py --baseline-steps 20000 --probe 20,120 --model aniso --kappa 3 --out runs/s_an
    python bench/regime_s.py --run runs/s_px_gn --n 1000 --batch 500 \\
        --samplers vae_only,parallel_deterministic,algorithm1,block_sequential:10 \\
        --report nbs/experiments/regime_s_cosine

The run it writes is the one `pixeldiff train --model pixel --config tiny16 --data shapes --vae-target x0
--lr-decay cosine --vae-steps V --steps S` writes (`--model pixel-eps` with its schedule for the other), with S
printed here; its `matched_time.json` keeps the budget,
the probe and the choice. The probe is two short runs (`--probe` steps) in a scratch folder; their difference removes
the start-up cost, and the probe's seconds count against the budget. Should the probe have underestimated the step's
cost, the U-Net stops at 1.2 times the time left, before its horizon (`steps_done` in the record).

With `--baseline-steps N` the budget is the time the baseline's U-Net takes for N steps on this machine, timed by the
same probe before the run (outside the budget): the protocol on a machine slower or faster than the one that timed the
baseline (the 2-core CPU of 2026-12-06's evening took twice the seconds per step of the one that timed runs/s_gn20k).
"""

import argparse, json, pathlib, shutil, sys, tempfile, time
import torch
from pixeldiff_nb.train import TrainConfig, train
from pixeldiff_nb.data import load_images
from pixeldiff_nb.experiments import REGIME_S_CPU as P  # the protocol's one definition (11_experiments)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='the new pixel run folder')
    budget = ap.add_mutually_exclusive_group(required=True)
    budget.add_argument('--baseline', help="a ddpm run folder whose training seconds are the budget")
    budget.add_argument('--seconds', type=float, help='the budget in seconds')
    budget.add_argument(
        '--baseline-steps',
        type=int,
        help="the budget as the time the baseline's U-Net takes for this many steps on this machine, timed here by "
        "the same probe (for a machine other than the one that timed the baseline)",
    )
    ap.add_argument('--model', default='pixel', choices=('pixel', 'pixel-eps', 'aniso'))
    ap.add_argument('--schedule', default=None, choices=('pixel', 'fixed-end'), help='pixel-eps: the schedule')
    ap.add_argument('--kappa', type=float, default=None, help="the fixed-end schedule's curvature, or aniso's bend")
    ap.add_argument('--guide', default=None, choices=('prior', 'x1'), help="fixed-end: the guide in training")
    ap.add_argument('--head-bank', default=None, choices=('conv', 'blocks'), help="pixel: the parallel U-Net's heads")
    ap.add_argument('--head-balance', type=float, default=None, help='pixel: the share of each batch at i = T')
    ap.add_argument('--vae-steps', type=int, default=P['vae_steps'])
    ap.add_argument('--vae-target', default=P['vae_target'], choices=('x_delta', 'x0'))
    ap.add_argument('--batch-size', type=int, default=P['batch'])
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--n-data', type=int, default=None)
    ap.add_argument('--probe', default=','.join(map(str, P['probe'])), help='the two probe lengths, in U-Net steps')
    ap.add_argument('--sample-every', type=int, default=1000)
    a = ap.parse_args(argv)
    out = pathlib.Path(a.out)
    if out.exists():
        sys.exit(f"{out} exists; this script starts a run, it does not resume one (use pixeldiff train --resume)")
    if a.baseline:
        ck = torch.load(pathlib.Path(a.baseline) / 'eps' / 'last.pt', map_location='cpu', weights_only=False)
        a.seconds = ck['train_seconds']
    short, long = map(int, a.probe.split(','))
    if not 0 < short < long:
        sys.exit(f"--probe must be two step counts, the first smaller, got {a.probe}")
    net = {'pixel': 'parallel', 'pixel-eps': 'pixel-eps', 'aniso': 'aniso-eps'}[a.model]
    own = {k: v for k, v in dict(schedule=a.schedule, kappa=a.kappa, guide=a.guide).items() if v is not None}
    if own and a.model == 'pixel' or (a.schedule or a.guide) and a.model == 'aniso':
        sys.exit(f'--schedule, --kappa and --guide set the pixel-eps network; leave them unset for --model {a.model}')
    heads = {k: v for k, v in dict(head_bank=a.head_bank, head_balance=a.head_balance).items() if v is not None}
    if heads and a.model != 'pixel':
        sys.exit(f"--head-bank and --head-balance set the parallel U-Net; leave them unset for --model {a.model}")
    own |= heads
    images = load_images(P['data'], 'train', n=a.n_data, seed=a.seed, size=P['size'])[0]
    common = dict(config=P['config'], data=P['data'], batch_size=a.batch_size, lr_decay=P['lr_decay'], seed=a.seed)
    out.mkdir(parents=True)
    t0 = time.perf_counter()
    if a.model != 'aniso':  # the scale VAE first: its time counts against the budget
        vae = TrainConfig(model='vae', steps=a.vae_steps, out_dir=str(out / 'vae'), vae_target=a.vae_target,
                          ckpt_every=min(500, a.vae_steps), sample_every=a.sample_every, **common)  # fmt: skip
        train(vae, images, device='cpu')
        own['vae_ckpt'] = str(out / 'vae' / 'last.pt')
    vae_seconds = time.perf_counter() - t0
    parallel = lambda steps, folder, **kw: TrainConfig(
        model=net, steps=steps, out_dir=str(folder), **common, **own, **kw
    )

    def timed(make) -> tuple:  # (seconds per step, the probe's two timings) of the network `make(steps, folder)` trains
        probe = {}
        with tempfile.TemporaryDirectory() as d:
            train(make(1, pathlib.Path(d) / 'w'), images, device='cpu', progress=False)  # one-time costs, untimed
            for n in (short, long):
                shutil.rmtree(pathlib.Path(d) / 'p', ignore_errors=True)
                t = time.perf_counter()
                train(make(n, pathlib.Path(d) / 'p'), images, device='cpu', progress=False)
                probe[n] = time.perf_counter() - t
        per_step = (probe[long] - probe[short]) / (long - short)
        if per_step <= 0:
            sys.exit(f"the probe's timings ({probe}) do not grow with its steps; give --probe longer runs")
        return per_step, probe

    if a.baseline_steps:  # the baseline's step timed first, outside the budget, then its steps' time is the budget
        base = lambda n, f: TrainConfig(model='eps', steps=n, out_dir=str(f), ckpt_every=n, sample_every=0, **common)
        base_step, base_probe = timed(base)
        a.seconds = a.baseline_steps * base_step
        t0 = time.perf_counter() - vae_seconds
    per_step, probe = timed(lambda n, f: parallel(n, f, ckpt_every=n, sample_every=0))
    left = a.seconds - (time.perf_counter() - t0)
    steps = int(left / per_step)
    if steps < 1:
        sys.exit(f"the budget ({a.seconds:.0f} s) is spent before the {net} U-Net starts; give more seconds")
    timing = {}
    if a.baseline_steps:
        timing = dict(baseline_steps=a.baseline_steps, baseline_seconds_per_step=base_step, baseline_probe=base_probe)
    record = dict(budget_seconds=a.seconds, baseline=a.baseline, seed=a.seed, **own, **timing,
                  vae_steps=a.vae_steps if a.model != 'aniso' else 0, vae_seconds=vae_seconds,
                  probe_seconds=probe, seconds_per_step=per_step, network=net, steps=steps)  # fmt: skip
    (out / 'matched_time.json').write_text(json.dumps(record, indent=1))
    print(json.dumps(record), flush=True)
    # a probe that underestimates the step's cost (short probes are noisy) cannot overrun the budget by more than a
    # fifth: the run then stops with a checkpoint before its cosine horizon, and the record says where
    cfg = parallel(steps, out / net, ckpt_every=min(500, steps), sample_every=a.sample_every)
    train(cfg, images, device='cpu', time_limit=1.2 * left)
    record['steps_done'] = torch.load(out / net / 'last.pt', map_location='cpu', weights_only=False)['step']
    record['total_seconds'] = time.perf_counter() - t0
    (out / 'matched_time.json').write_text(json.dumps(record, indent=1))
    print(f"trained {out} in {record['total_seconds']:.0f} s of a {a.seconds:.0f} s budget", flush=True)


if __name__ == '__main__':
    main()
