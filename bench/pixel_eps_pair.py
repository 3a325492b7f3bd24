"""Two pixel-eps networks on one scale VAE, equal steps: the papers' pixel schedule and the fixed-end one.

    python bench/pixel_eps_pair.py --out runs/S/pair --vae-steps 1500 --steps 1500 --report nbs/experiments/pixel_eps_pair

Trains the scale VAE once (`pixeldiff train --model pixel-eps` would train one per run), copies it into a second run
folder, trains a pixel-eps network in each (`--schedule pixel` and `--schedule fixed-end`), the two at once in two
processes of one thread each, then samples both with DPM-Solver++(2M) at the given passes on each grid (clipped; one row unclipped) and measures
FD (beside its floor) and KID against the shapes test split. A sanity check of the fixed-end pipeline on the CPU at a
budget where the baseline does not make the data yet: not a ranking (nbs/11_experiments' shapes_ode_gpu is).
"""

import argparse, json, os, pathlib, shutil, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def train(out, steps, vae_steps, schedule, threads, seed):
    "One `pixeldiff train` process (its output into out.log)."
    args = ['train', '--model', 'pixel-eps', '--config', 'tiny16', '--data', 'shapes', '--vae-target', 'x0']
    args += ['--steps', str(steps), '--vae-steps', str(vae_steps), '--out', str(out), '--seed', str(seed)]
    args += ['--sample-every', '500'] + (['--schedule', schedule, '--guide', 'x1'] if schedule else [])  # the records'
    if (out / 'vae' / 'last.pt').exists():
        args.append('--resume')
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    log = open(f'{out}.log', 'w')
    return subprocess.Popen(['pixeldiff', *args], env=env, stdout=log, stderr=log)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='runs/S/pair')
    ap.add_argument('--steps', type=int, default=1500)
    ap.add_argument('--vae-steps', type=int, default=1500)
    ap.add_argument('--passes', default='10,20')
    ap.add_argument('--n', type=int, default=500)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--report', default=None, help='folder for results.json and the grids')
    ap.add_argument('--baseline', default=None, help='also a ddpm run folder, sampled the same way (its own budget)')
    a = ap.parse_args(argv)
    out = pathlib.Path(a.out)
    pix, fe = out / 'pixel', out / 'fixed_end'
    if not (pix / 'vae' / 'last.pt').exists():  # the VAE alone first (pixel-eps steps 0 is not allowed: stop it after)
        out.mkdir(parents=True, exist_ok=True)
        from pixeldiff_nb.train import TrainConfig, train as train_net
        from pixeldiff_nb.data import load_images

        cfg = TrainConfig(model='vae', config='tiny16', data='shapes', vae_target='x0', steps=a.vae_steps,
                          seed=a.seed, out_dir=str(pix / 'vae'), sample_every=0, ckpt_every=500)  # fmt: skip
        train_net(cfg, load_images('shapes', 'train', seed=a.seed, size=16)[0])
    if not (fe / 'vae' / 'last.pt').exists():
        shutil.copytree(pix / 'vae', fe / 'vae')
    procs = [train(pix, a.steps, a.vae_steps, None, 1, a.seed), train(fe, a.steps, a.vae_steps, 'fixed-end', 1, a.seed)]
    if any(p.wait() for p in procs):
        sys.exit(f'a training process failed: see {pix}.log and {fe}.log')

    import torch
    from pixeldiff_nb.system import load_system, save_grid
    from pixeldiff_nb.bench import machine

    torch.set_num_threads(2)
    cks = {k: torch.load(p, map_location='cpu', weights_only=False)
           for k, p in (('vae', pix / 'vae/last.pt'), ('pixel', pix / 'pixel-eps/last.pt'), ('fixed-end', fe / 'pixel-eps/last.pt'))}  # fmt: skip
    trained = {k: dict(steps=c['step'], images=c['step'] * c['train_config']['batch_size'], seconds=c['train_seconds'], threads=2 if k == 'vae' else 1)
             for k, c in cks.items()}  # fmt: skip
    res = dict(machine=machine('cpu'), n=a.n, seed=a.seed, batch=64, train=trained, rows=[],
               note='the two pixel-eps networks trained at once, one thread each, on the 2-core machine')  # fmt: skip
    report = pathlib.Path(a.report or out / 'report')
    (report / 'grids').mkdir(parents=True, exist_ok=True)
    old = json.loads((report / 'results.json').read_text()) if (report / 'results.json').exists() else {}
    if (old.get('n'), old.get('seed'), old.get('train')) == (
        a.n,
        a.seed,
        trained,
    ):  # the same networks: keep their rows
        res['rows'] = old['rows']
    res['baseline'] = old.get('baseline')
    done = {r['label'] for r in res['rows']}
    passes = [int(p) for p in a.passes.split(',')]
    runs = [('pixel', pix), ('fixed-end', fe)] + ([('ddpm', pathlib.Path(a.baseline))] if a.baseline else [])
    for name, run in runs:
        system = load_system(run)
        grids = {'fixed-end': ('logsnr', 'edm', 'minimax'), 'pixel': ('logsnr', 'uniform', 'edm', 'minimax')}.get(name)
        specs = [('vae_only', {}), ('dpmpp2m', dict(steps=passes[-1] - 1, grid='logsnr'))]  # one unclipped row
        specs += [('dpmpp2m', dict(steps=p - 1, grid=g, clip=True)) for p in passes for g in grids or ()]
        if name == 'ddpm':  # diffusers' linspace grid; DDIM on integer steps with clipping beside it
            ck = torch.load(run / 'eps' / 'last.pt', map_location='cpu', weights_only=False)
            res['baseline'] = dict(run=str(run), steps=ck['step'], images=ck['step'] * ck['train_config']['batch_size'],
                                   seconds=ck.get('train_seconds'), threads=2)  # fmt: skip
            specs = [(s_, dict(steps=p - 1, clip=True)) for p in passes for s_ in ('dpmpp2m', 'ode_ddim')]
            specs += [('ddim', dict(steps=p, clip=True)) for p in passes]
        for sampler, opts in specs:
            clip = '+clip' if opts.get('clip') else ''
            n_passes = system.passes(sampler, **opts)
            grid = f" {opts['grid']}" if opts.get('grid') else ''
            label = f"{name} {sampler}{grid}{clip} {n_passes} passes"
            if label in done:
                continue
            r = system.evaluate(a.n, sampler, a.seed, batch_size=250, progress=False, return_images=True, **opts)
            x = r.pop('images')
            png = save_grid(x[:64], report / 'grids' / (label.replace(' ', '_') + '.png'))
            row = dict(label=label, schedule=name, sampler=sampler, **opts, passes=r['passes'], seconds=r['sample_seconds'],
                       fd=r['fd'], fd_floor=r['fd_floor'], kid=r['kid'], kid_se=r['kid_se'], png=png.name)  # fmt: skip
            res['rows'].append(row)
            (report / 'results.json').write_text(json.dumps(res, indent=1))  # every row as it comes
            print(f"{label:42s} FD {r['fd']:.3f} (floor {r['fd_floor']:.3f})  KID {r['kid']:.4f} ± {r['kid_se']:.4f}"
                  f"  {r['sample_seconds']:.1f} s", flush=True)  # fmt: skip
    res['guides'] = old.get('guides') if res['rows'] is old.get('rows') else None
    if not res['guides']:
        res['guides'] = guides(load_system(fe), a.n, a.seed)
    (report / 'results.json').write_text(json.dumps(res, indent=1))
    print(f"results in {report / 'results.json'}")


def guides(system, n: int, seed: int) -> dict:
    """The fixed-end network's guide images as training saw them (the VAE's estimate G(x_1, 1) of test images) and as
    sampling draws them (the VAE's decoder on its prior): FD and KID, spread across images, RMS distance to the test
    images."""
    import torch
    from pixeldiff_nb.train import fixed_end_guide, guide_pixels
    from pixeldiff_nb.data import load_images, to_model
    from pixeldiff_nb.metrics import quality

    net, g = system.net, torch.Generator().manual_seed(seed)
    x = to_model(torch.from_numpy(load_images('shapes', 'test', n=n, size=net.size)[0]).permute(0, 3, 1, 2))
    train = fixed_end_guide('vae', x, net.gamma, net.T, g, system.vae, guide='x1')  # the records' guide
    out = {}
    for name, xd in (('training: G(x_1, 1)', train), ('sampling: prior decode', system.vae.generate(n, generator=g))):
        c = guide_pixels(xd, net.gamma, net.T)
        q = quality(c, 'shapes')
        out[name] = dict(fd=q['fd'], fd_floor=q['fd_floor'], kid=q['kid'], kid_se=q['kid_se'],
                         std_across_images=float(c.std(0).mean()), rms_to_test_images=float(((c - x) ** 2).mean().sqrt()))  # fmt: skip
        print(name, {k: round(v, 4) for k, v in out[name].items()})
    return out


if __name__ == '__main__':
    main()
