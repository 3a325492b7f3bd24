"""Regime S: does a DDPM baseline make the `shapes` data at 16x16? Its 1000-step ancestral sampler (with Ho et al.'s x0
clipping) against a ladder of degraded real images, all at the same sample count, in the CIFAR-10 feature space.

    pixeldiff train --model ddpm --config tiny16 --data shapes --steps 8000 --out runs/S/ddpm_s0
    python bench/regime_s.py --run runs/S/ddpm_s0 --n 500 --report nbs/experiments/regime_s
    # the shipped baseline (regime S on one H200, seed 0) on this machine, its samples kept in --cache
    python bench/regime_s.py --run pretrained:shapes-ddpm --n 1000 --batch 500 --samplers ddpm,ddim:50 \
        --cache runs/regime_s_samples --report nbs/experiments/regime_s_pretrained
    # on a GPU: the baseline of protocol shapes_gpu trained for 2, 4 and 6 minutes in all, evaluated after each
    python bench/regime_s.py --device cuda --train-minutes 2,4,6 --run /tmp/baseline_s --n 1000 --samplers ddpm \\
        --report $OUT/regime_s_budget

The criterion: FD below that of real images blurred by a Gaussian of one pixel, and grids that show shapes.
Every FD comes with its jackknife standard error, and each sampler's margin over the criterion `FD - FD(blurred 1 px)`
with the standard error of that difference (the reference set is shared), so "below the criterion" can be read
against the noise. Images are scored as uint8 (as they are saved), so cached samples score as fresh ones.

The papers' system and the pixel-eps network are scored the same way, on the same ladder, with their own samplers:

    python bench/matched_time.py --baseline runs/s_gn20k --vae-steps 3000 --out runs/s_px_gn  # the baseline's time
    python bench/regime_s.py --run runs/s_px_gn --n 1000 --batch 500 \
        --samplers vae_only,parallel_deterministic,block_sequential:10 --report nbs/experiments/regime_s_cosine
"""

import argparse, functools, json, pathlib, sys, time
import numpy as np
import torch
from pixeldiff_nb.system import load_system, load_pretrained, save_grid
from pixeldiff_nb.data import load_images, to_uint8
from pixeldiff_nb.metrics import features, reference_features, frechet_distance_se, kid, FEATURE_NET_ID, blur
from pixeldiff_nb.bench import machine
from pixeldiff_nb.experiments import REGIME_S_CPU as P  # the protocol's one definition (11_experiments)


CRITERION = 'blurred 1 px'


def as_uint8(x: torch.Tensor) -> torch.Tensor:
    "Images in [0, 1] rounded to 8 bits (`data.to_uint8`) and back to floats: what a saved image holds."
    return torch.from_numpy(to_uint8(x)).float() / 255


@functools.lru_cache(maxsize=2)
def ladder_sets(n: int, size: int = 16, seed: int = 0) -> dict:
    """The ladder's sets of `n` images (8-bit steps in [0, 1]): real images (the floor), blurred by 0.5 and 1 pixel,
    with noise of std 0.1, one shape per image."""
    real = torch.from_numpy(load_images('shapes', 'train', n=n, size=size)[0]).permute(0, 3, 1, 2).float() / 255
    g = torch.Generator().manual_seed(seed)
    from pixeldiff_nb.data import shapes

    one = torch.from_numpy(shapes(n, seed=seed + 7, size=size, max_shapes=1)[0]).permute(0, 3, 1, 2).float() / 255
    sets = {
        'real (floor)': real,
        'blurred 0.5 px': blur(real, 0.5),
        CRITERION: blur(real, 1.0),
        'noise std 0.1': real + 0.1 * torch.randn(real.shape, generator=g),
        'one shape per image': one,
    }
    return {name: as_uint8(x) for name, x in sets.items()}


@functools.lru_cache(maxsize=2)
def ladder_features(n: int, size: int = 16, seed: int = 0) -> dict:
    "Features of the ladder's sets."
    return {name: features(x) for name, x in ladder_sets(n, size, seed).items()}


def pixel_stats(x: torch.Tensor) -> dict:
    """Pixel statistics to read an FD by, of images `(N, 3, H, W)` in [0, 1]: contrast within an image (standard
    deviation over its pixels, per channel), colour saturation (max minus min channel), edge strength (mean absolute
    difference of neighbouring pixels, both directions), and the share of values at 0 or 1."""
    return dict(
        contrast=float(x.std(dim=(2, 3), correction=0).mean()),
        saturation=float((x.amax(1) - x.amin(1)).mean()),
        edges=float(x.diff(dim=2).abs().mean() + x.diff(dim=3).abs().mean()),
        at_bounds=float(((x <= 0) | (x >= 1)).float().mean()),
    )


def score(f: np.ndarray, ref: np.ndarray, criterion: np.ndarray = None) -> dict:
    """FD with its standard error (and its mean term, the squared distance between the means) and KID with its
    standard error, of features `f` against `ref`; with `criterion`, FD's margin over the criterion's FD and its
    standard error."""
    fd, fd_se = frechet_distance_se(f, ref)
    k, se = kid(f, ref)
    mean_term = float(((f.mean(0) - ref.mean(0)) ** 2).sum())
    r = dict(fd=fd, fd_se=fd_se, fd_mean_term=mean_term, kid=k, kid_se=se, n=len(f))
    if criterion is not None:
        d, d_se = frechet_distance_se(f, ref, versus=criterion)
        r.update(fd_minus_criterion=d, fd_minus_criterion_se=d_se)
    return r


def ladder(n: int, size: int = 16, seed: int = 0) -> dict:
    "The ladder's sets scored against the shapes test split."
    ref, sets = reference_features('shapes', 'test', size=size), ladder_sets(n, size, seed)
    return {
        name: score(f, ref) | dict(pixel_stats=pixel_stats(sets[name]))
        for name, f in ladder_features(n, size, seed).items()
    }


def sampler_spec(spec: str, kind: str) -> tuple:
    """`(key, sampler, options)` of a `--samplers` entry: `name`, `name:N` or `name:N:grid`, where N is the sampler's
    `steps` (its block size `K` for `block_sequential`) and `grid` an ODE solver's time grid; every sampler that can
    clip does."""
    from pixeldiff_nb.registry import get_sampler

    name, count, grid, *extra = spec.split(':') + ['', '']
    takes = get_sampler(name, kind).options
    if any(extra) or (grid and 'grid' not in takes):
        raise ValueError(f"--samplers entry {spec!r}: expected name, name:N, or name:N:grid for a sampler with a grid")
    opts = {'clip': True} if 'clip' in takes else {}
    if count:
        opts['steps' if 'steps' in takes else 'K'] = int(count)
    if grid:
        opts['grid'] = grid
    key = f"{name}{'-' + count if count else ''}{'-' + grid if grid else ''}{'+clip' if 'clip' in opts else ''}"
    return key, name, opts


def samples(sy, res: dict, key: str, sampler: str, opts: dict, a) -> tuple:
    """`(images as uint8 steps in [0, 1] on the CPU, fraction clamped, seconds)` of `sampler` with `opts` on `a.n` from
    seed `a.seed`, read from `a.cache` when an earlier call saved exactly these there."""
    f = None
    if a.cache:
        tag = f"{pathlib.Path(sy.run).name}_step{res['step']}_{key}_n{a.n}_seed{a.seed}_batch{a.batch}_{a.device}"
        f = pathlib.Path(a.cache) / f"{tag}.npz"
        if f.is_file():
            z = np.load(f)
            return torch.from_numpy(z['x']).float() / 255, float(z['clamped']), float(z['seconds'])
    t0 = time.perf_counter()
    x, clamped = sy.sample(a.n, sampler, a.seed, a.batch, **opts)
    seconds = time.perf_counter() - t0
    x = as_uint8(x.cpu())
    if f is not None:
        f.parent.mkdir(parents=True, exist_ok=True)
        np.savez(f, x=to_uint8(x), clamped=clamped, seconds=seconds)
    return x, clamped, seconds


# each network's own settings, recorded beside its training (the others keep TrainConfig's unused defaults)
OWN_SETTINGS = {'vae': ('vae_target',), 'parallel': ('cond', 'head_bank', 'head_balance'),
                'pixel-eps': ('cond', 'schedule', 'kappa', 't_min', 'guide'), 'eps': (), 'aniso-eps': ('kappa',)}  # fmt: skip


def evaluate(run, a, ladder_res: dict) -> dict:
    """The run `run` (a baseline, a pixel system or a pixel-eps system, on shapes) at its current step: what each of its
    networks was trained on, and each of `a.samplers` (with clipping where the sampler can) on `a.n`."""
    from pixeldiff_nb.system import SYSTEMS

    sy = load_system(run, a.device)
    names = SYSTEMS[sy.kind]
    main_net, size = names[-1], sy.net.size  # the network the system is named for: its step and config
    cfg = sy.configs[main_net]
    if cfg['data'] != 'shapes':
        sys.exit(f"{run}: expected a run on shapes, got a {sy.kind} run on {sy.data}")
    if not ladder_res:
        ladder_res.update(ladder(a.n, size, a.seed))
        for name, x in ladder_res.items():
            fd, kid_ = f"FD {x['fd']:.3f} ± {x['fd_se']:.3f}", f"KID {x['kid']:.4f} ± {x['kid_se']:.4f}"
            print(f"{name:22s} {fd}  {kid_}", flush=True)
    train = {}
    for n in names:
        ck = torch.load(pathlib.Path(run) / n / 'last.pt', map_location='cpu', weights_only=False)
        c = sy.configs[n]
        train[n] = dict(
            steps=ck['step'],
            batch=c['batch_size'],
            images=ck['step'] * c['batch_size'],
            seconds=ck.get('train_seconds'),
            final_loss=float(np.mean([l for _, l in ck['history'][-20:]])),
            **{k: c[k] for k in ('lr', 'lr_decay', 'seed') + OWN_SETTINGS[n] if k in c},
        )
    seconds = [t['seconds'] for t in train.values()]
    res = dict(
        run=a.name,
        kind=sy.kind,
        step=sy.steps[main_net],
        batch=cfg['batch_size'],
        lr=cfg['lr'],
        lr_decay=cfg.get('lr_decay', 'constant'),
        group_ch=sy.net.config.get('group_ch', 1),  # channels per GroupNorm group (1: before nbs/06_unet's fix)
        **{k: sy.net.config[k] for k in ('head_bank', 'head_groups', 'head_width') if k in sy.net.config},
        config=cfg['config'],
        size=size,
        images_seen=sum(t['images'] for t in train.values()),  # every network's, the pixel system's VAE included
        train_seconds=None if None in seconds else sum(seconds),
        final_loss=train[main_net]['final_loss'],
        train=train,
        n=a.n,
        seed=a.seed,
        machine=machine(a.device),
        feature_net=FEATURE_NET_ID,
        ladder=ladder_res,
        samples={},
    )
    ref = reference_features('shapes', 'test', size=size)
    report = pathlib.Path(a.report) if a.report else None
    crit = ladder_features(a.n, size, a.seed)[CRITERION]
    for spec in a.samplers.split(','):
        key, sampler, opts = sampler_spec(spec, sy.kind)
        x, clamped, seconds = samples(sy, res, key, sampler, opts, a)
        res['samples'][key] = dict(
            score(features(x), ref, crit),
            pixel_stats=pixel_stats(x),
            clamped=clamped,
            seconds=seconds,
            passes=sy.passes(sampler, **opts),
        )
        if report:
            seed = f'_seed{a.seed}' if a.seed else ''  # seed 0 keeps the name it always had
            name = f"{sy.kind}_{pathlib.Path(run).name}_step{res['step']}_{key}{seed}.png"
            res['samples'][key]['grid'] = save_grid(x[:64], report / name).name
        r = res['samples'][key]
        print(
            f"step {res['step']:6d} {key:28s} FD {r['fd']:.3f} ± {r['fd_se']:.3f} (criterion + "
            f"{r['fd_minus_criterion']:.3f} ± {r['fd_minus_criterion_se']:.3f})  "
            f"KID {r['kid']:.4f} ± {r['kid_se']:.4f}  "
            f"({seconds:.0f} s, clamped {clamped:.3f})",
            flush=True,
        )
    if report:
        report.mkdir(parents=True, exist_ok=True)
        f = report / 'search.json'
        runs = json.loads(f.read_text()) if f.is_file() else []
        same = lambda r: (r['run'], r['step'], r['n'], r['seed']) == (res['run'], res['step'], res['n'], res['seed'])
        # a run scored again with other samplers keeps the samplers scored before
        res['samples'] = {**next((r['samples'] for r in runs if same(r)), {}), **res['samples']}
        runs = [r for r in runs if not same(r)] + [res]
        f.write_text(json.dumps(runs, indent=1))
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        '--run',
        required=True,
        help='a run folder on shapes (pixeldiff train --config tiny16, any --model), or pretrained:NAME',
    )
    ap.add_argument('--n', type=int, default=P['n'], help='samples per sampler')
    ap.add_argument('--seed', type=int, default=P['sampling_seed'], help='the sampling seed')
    ap.add_argument(
        '--samplers',
        default='ddpm,ddim:50',
        help='comma-separated; name:N for N steps (block_sequential: block size N), name:N:grid for an ODE solver on '
        'a time grid, for example ddim:50, block_sequential:10, dpmpp2m:20, dpmpp2m:20:edm',
    )
    ap.add_argument('--report', default=None, help='folder for search.json and the grids')
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--batch', type=int, default=P['score_batch'], help='images per sampling batch')
    ap.add_argument('--cache', default=None, help='folder that keeps each sampler\'s images, reused when asked again')
    ap.add_argument(
        '--train-minutes',
        default=None,
        help='comma-separated minutes in all (for example 2,4,6): train the baseline of --protocol into --run up to '
        'each (resuming), and evaluate it after each',
    )
    ap.add_argument(
        '--protocol', default='shapes_gpu', help="the experiment protocol whose baseline --train-minutes trains"
    )
    ap.add_argument('--train-seed', type=int, default=0, help='the training seed of --train-minutes')
    a = ap.parse_args(argv)
    a.name = a.run  # what search.json records: the folder, or pretrained:NAME
    if a.run.startswith('pretrained:'):
        if a.train_minutes:
            sys.exit('--train-minutes trains a run folder, not a pretrained system')
        a.run = load_pretrained(a.run.partition(':')[2]).run
    lad = {}  # the ladder, computed once at the first run's image size
    if not a.train_minutes:
        return [evaluate(a.run, a, lad)]
    from pixeldiff_nb.experiments import protocol, train_net

    p = protocol(a.protocol, device=a.device)
    if p['data'] != 'shapes':
        sys.exit(f"protocol {a.protocol} is not on shapes")
    out = []
    for minutes in map(float, a.train_minutes.split(',')):
        train_net(pathlib.Path(a.run) / 'eps', 'eps', p, minutes, True, a.train_seed, T=p['eps_T'])
        out.append(evaluate(a.run, a, lad))
    return out


if __name__ == '__main__':
    main()
