"""A second training seed for regime C's few-pass comparison (issue 14): the baseline and the fixed-end noise network.

    python bench/regime_c_seed.py --out runs/experiment_cifar_cpu --seed 1 --report nbs/experiments/cifar_cpu

In a finished `cifar_cpu` run folder, trains the DDPM baseline (12 minutes) and the fixed-end `PixelEpsUNet` (10
minutes, on the run's seed-0 scale VAE, as the main one was) again with another training seed, one after the other,
then samples both with the probability-flow solvers at 10 and 20 passes (clipped; the baseline on diffusers' linspace
grid, the fixed-end network on each of its grids), 256 images each against the same reference as the main run. The
1000-step chain is left out (35 minutes here). Writes `seed{seed}_ode.json` into --report (and the run folder), with
the same row format as results.json's `ode` stage. Rerunning resumes the training where it stopped.
"""

import argparse, json, os, pathlib, sys, time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='runs/experiment_cifar_cpu', help='a finished cifar_cpu run folder')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--protocol', default='cifar_cpu', help='the protocol the run folder was written by')
    ap.add_argument('--passes', default='10,20')
    ap.add_argument('--report', default=None, help='folder to copy seed{seed}_ode.json into')
    a = ap.parse_args(argv)

    from pixeldiff_nb.experiments import protocol, train_net, load_pixel_eps, evaluate_samplers, ode_specs
    from pixeldiff_nb.system import System, load_system, machine

    out = pathlib.Path(a.out)
    res = json.loads((out / 'results.json').read_text()) if (out / 'results.json').is_file() else {}
    p = protocol(a.protocol)
    if res.get('protocol', {}).get('name') != a.protocol:
        sys.exit(f"{out}/results.json was not written by protocol {a.protocol!r}; run bench/experiment.py first")
    p = json.loads(json.dumps(p | {'ode_passes': tuple(int(n) for n in a.passes.split(','))}))
    run, t0 = out / f'runs/seed{a.seed}', time.time()
    vae_ckpt = out / 'runs/pixel/vae/last.pt'
    train = dict(
        eps=train_net(run / 'ddpm/eps', 'eps', p, p['minutes']['eps'], seed=a.seed, T=p['eps_T']),
        fixed_end=train_net(
            run / 'pixel_eps_fixed_end',
            'pixel-eps',
            p,
            p['minutes']['parallel'],
            seed=a.seed,
            cond=p['cond'],
            vae_ckpt=str(vae_ckpt),
            schedule='fixed-end',
            kappa=p['kappa'],
            gamma=p['gamma'],
            T=p['T'],
        ),
    )
    ema = p['weights'] == 'ema'
    pix = load_system(out / 'runs/pixel', p['device'], ema)
    pe = load_pixel_eps(run / 'pixel_eps_fixed_end/last.pt', pix.vae, p['device'], ema)
    fixed_end = System('pixel-eps', {'vae': pix.vae, 'pixel-eps': pe}, pix.configs, cond=p['cond'])
    base = load_system(run / 'ddpm', p['device'], ema)
    grids = run / 'grids'
    ev = dict(n=p['n'], seed=p['seed'], batch_size=p['sample_batch'], grid_dir=grids, grid=p['grid'])
    rows = evaluate_samplers(fixed_end, ode_specs(p, 'fixed-end'), **ev)
    rows += evaluate_samplers(base, ode_specs(p, 'ddpm'), **ev)
    result = dict(seed=a.seed, train=train, samplers=rows, machine=machine(p['device']), seconds=time.time() - t0)
    text = json.dumps(result, indent=1)
    (out / f'seed{a.seed}_ode.json').write_text(text)
    if a.report:
        (pathlib.Path(a.report) / f'seed{a.seed}_ode.json').write_text(text)
    for r in rows:
        print(f"{r['system']:10s} {r['sampler']:45s} FD {r['fd']:.2f}  KID {r['kid']:.4f} ± {r['kid_se']:.4f}")


if __name__ == '__main__':
    main()
