"""A second training seed for regime C's few-pass comparison: the baseline and the fixed-end noise network.

    python bench/regime_c_seed.py --out runs/experiment_cifar_cpu --seed 1 --report nbs/experiments/cifar_cpu

In a finished `cifar_cpu` run folder, trains the DDPM baseline (12 minutes) and the fixed-end `PixelEpsUNet` (10
minutes, on the run's seed-0 scale VAE, as the main one was) again with another training seed, one after the other,
then samples both with the probability-flow solvers at 10 and 20 passes (clipped; the baseline on diffusers' linspace
grid, the fixed-end network on each of its grids), 256 images each against the same reference as the main run. The
1000-step chain is left out (35 minutes here). Writes `seed{seed}_ode.json` into --report (and the run folder), with
the same row format as results.json's `ode` stage, and DPM-Solver++(2M)'s grids at the most passes into
`grids/seed{seed}`. Rerunning resumes the training where it stopped.

The guide ablation (`--kappa 0 --systems fixed_end`): the fixed-end network with curvature 0, where every pixel
follows one schedule (logSNR linear in t) and only the network's input, the VAE's image, remains; it separates the
per-pixel bending from the guide. Writes `seed{seed}_kappa0_ode.json`. With `--cond none` as well, the network sees no
image (a constant mid-grey guide, in training and sampling): a plain noise network on the fixed-end path, which
separates the guide from the path (`seed{seed}_kappa0_none_ode.json`).

    python bench/regime_c_seed.py --seed 0 --kappa 0 --systems fixed_end --report nbs/experiments/cifar_cpu
    python bench/regime_c_seed.py --seed 0 --kappa 0 --cond none --systems fixed_end --report nbs/experiments/cifar_cpu

`--guide prior` trains the fixed-end network on the guide sampling has (a decode of the VAE's prior, TrainConfig's
default) instead of the records' `G(x_1, 1)` (the protocol's `guide`), into its own folder and `..._prior_ode.json`.

Regime C with the fixed networks (four channels per GroupNorm group, the guide sampling has), from scratch: `--new`
starts a run folder that has none (the protocol's scale VAE, 2 minutes, training seed 0, and a results.json holding
only the protocol, which `bench/experiment.py` can finish later); `--baseline-grids` gives the baseline every grid of
its solvers, so that it is compared at its best (about 40 minutes a seed here):

    python bench/regime_c_seed.py --new --out runs/regime_c_fixed --seed 0 --guide prior --passes 4,10,20 \
        --baseline-grids linspace,trailing,logsnr,karras --report nbs/experiments/cifar_cpu_fixed
"""

import argparse, json, os, pathlib, shutil, sys, time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def copy_grids(rows, grid_dir, shown, most):
    """Into `shown`: DPM-Solver++(2M)'s grids at `most` passes on the logsnr grid (the baseline's: linspace), and each
    system's best setting (lowest KID) at every pass count, the ones a report's figures show."""
    shown.mkdir(parents=True, exist_ok=True)
    kept = (f'pixel-eps_*dpmpp2m_logsnr+clip_{most}_passes.png', f'ddpm_dpmpp2m_linspace+clip_{most}_passes.png')
    names = {g.name for k in kept for g in grid_dir.glob(k)}
    for system, passes in {(r['system'], r['passes']) for r in rows}:
        names.add(
            min((r for r in rows if (r['system'], r['passes']) == (system, passes)), key=lambda r: r['kid'])['grid']
        )
    for n in sorted(names):
        shutil.copy(grid_dir / n, shown / n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='runs/experiment_cifar_cpu', help='a finished cifar_cpu run folder')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--protocol', default='cifar_cpu', help='the protocol the run folder was written by')
    ap.add_argument('--passes', default='10,20')
    ap.add_argument('--report', default=None, help='folder to copy seed{seed}_ode.json into')
    ap.add_argument('--kappa', type=float, default=None, help="the fixed-end curvature (default: the protocol's)")
    ap.add_argument('--systems', default='eps,fixed_end', help='comma-separated: eps (the baseline), fixed_end')
    ap.add_argument(
        '--cond', default=None, help="the fixed-end network's guide: vae (default) or none (with --kappa 0)"
    )
    ap.add_argument(
        '--guide', default=None, choices=('prior', 'x1'), help="the fixed-end guide (default: the protocol's)"
    )
    ap.add_argument('--new', action='store_true', help='start --out if it holds no run: train the scale VAE there')
    ap.add_argument(
        '--baseline-grids', default='linspace', help="comma-separated grids of the baseline's solvers (LINEAR_GRIDS)"
    )
    ap.add_argument('--grids-only', action='store_true', help="copy a finished run's grids into --report, nothing else")
    a = ap.parse_args(argv)

    from pixeldiff_nb.experiments import protocol, train_net, load_pixel_eps, evaluate_samplers, ode_specs
    from pixeldiff_nb.system import System, load_system
    from pixeldiff_nb.train import load_scale_vae, read_checkpoint
    from pixeldiff_nb.sampler import LINEAR_GRIDS
    from pixeldiff_nb.bench import machine

    out = pathlib.Path(a.out)
    p = protocol(a.protocol)
    base_grids = a.baseline_grids.split(',')
    if set(base_grids) - set(LINEAR_GRIDS):
        sys.exit(f"--baseline-grids takes {', '.join(LINEAR_GRIDS)}, got {a.baseline_grids!r}")
    if a.new and not (out / 'results.json').is_file():  # as run_experiment starts one: the protocol, then stages
        out.mkdir(parents=True, exist_ok=True)
        (out / 'results.json').write_text(json.dumps(dict(protocol=p, machine=machine(p['device'])), indent=1))
    res = json.loads((out / 'results.json').read_text()) if (out / 'results.json').is_file() else {}
    if res.get('protocol', {}).get('name') != a.protocol:
        sys.exit(f"{out}/results.json was not written by protocol {a.protocol!r}; run bench/experiment.py first")
    p = json.loads(json.dumps(p | {'ode_passes': tuple(int(n) for n in a.passes.split(','))}))
    systems = a.systems.split(',')
    if set(systems) - {'eps', 'fixed_end'}:
        sys.exit(f"--systems takes eps and/or fixed_end, got {a.systems!r}")
    kappa = p['kappa'] if a.kappa is None else a.kappa
    cond, guide = a.cond or p['cond'], a.guide or p['guide']
    tag = ('' if kappa == p['kappa'] else f'_kappa{kappa:g}') + ('' if cond == p['cond'] else f'_{cond}')
    tag += '' if guide == p['guide'] or cond != 'vae' else f'_{guide}'
    # an ablation gets its own folder and results file
    run, t0 = out / f'runs/seed{a.seed}', time.time()
    if a.grids_only:
        done = out / f'seed{a.seed}{tag}_ode.json'
        if not (a.report and done.is_file()):
            sys.exit(f"--grids-only copies a finished run's grids ({done}) into --report; give both")
        rows = json.loads(done.read_text())['samplers']
        return copy_grids(
            rows, run / f'grids{tag}', pathlib.Path(a.report) / f'grids/seed{a.seed}{tag}', max(p['ode_passes'])
        )
    vae_ckpt = out / 'runs/pixel/vae/last.pt'
    ema, train, rows = p['weights'] == 'ema', {}, []
    if a.new:  # the main pixel system's VAE, trained as train_pixel trains it (resumed or skipped if done)
        vae_run, sched = out / 'runs/pixel/vae', dict(gamma=p['gamma'], T=p['T'])
        train['vae'] = train_net(vae_run, 'vae', p, p['minutes']['vae'], vae_target=p['vae_target'], **sched)
    ev = dict(n=p['n'], seed=p['seed'], batch_size=p['sample_batch'], grid_dir=run / f'grids{tag}', grid=p['grid'])
    if 'eps' in systems:
        train['eps'] = train_net(run / 'ddpm/eps', 'eps', p, p['minutes']['eps'], seed=a.seed, T=p['eps_T'])
    if 'fixed_end' in systems:
        folder = run / f'pixel_eps_fixed_end{tag}'
        train['fixed_end'] = train_net(
            folder,
            'pixel-eps',
            p,
            p['minutes']['parallel'],
            seed=a.seed,
            cond=cond,
            **({'vae_ckpt': str(vae_ckpt), 'guide': guide} if cond == 'vae' else {}),
            schedule='fixed-end',
            kappa=kappa,
            gamma=p['gamma'],
            T=p['T'],
        )
        vae = load_scale_vae(vae_ckpt, p['gamma'], p['T'], p['device'])[0]  # the weights the network was trained on
        configs = {'vae': read_checkpoint(vae_ckpt, keys=('train_config',))['train_config']}
        pe = load_pixel_eps(folder / 'last.pt', vae, p['device'], ema)
        fixed_end = System('pixel-eps', {'vae': vae, 'pixel-eps': pe}, configs, cond=cond)
        rows += evaluate_samplers(fixed_end, ode_specs(p, 'fixed-end'), **ev)
    if 'eps' in systems:
        specs = [(name.replace('linspace', g), o | {'grid': g}) for g in base_grids for name, o in ode_specs(p, 'ddpm')]
        rows += evaluate_samplers(load_system(run / 'ddpm', p['device'], ema), specs, **ev)
    result = dict(
        seed=a.seed,
        kappa=kappa,
        cond=cond,
        guide=guide if cond == 'vae' else None,
        train=train,
        samplers=rows,
        machine=machine(p['device']),
    )
    text = json.dumps(result | dict(seconds=time.time() - t0), indent=1)
    name = f'seed{a.seed}{tag}_ode.json'
    (out / name).write_text(text)
    if a.report:
        pathlib.Path(a.report).mkdir(parents=True, exist_ok=True)
        (pathlib.Path(a.report) / name).write_text(text)
        copy_grids(rows, ev['grid_dir'], pathlib.Path(a.report) / f'grids/seed{a.seed}{tag}', max(p['ode_passes']))
    for r in rows:
        print(f"{r['system']:10s} {r['sampler']:45s} FD {r['fd']:.2f}  KID {r['kid']:.4f} ± {r['kid_se']:.4f}")


if __name__ == '__main__':
    main()
