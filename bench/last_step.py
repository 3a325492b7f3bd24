"""The per-pixel noise network's last step: the plug-in data prediction (the guide's coefficients) against the image's
own (`final='fixed_point'`, kept within `FIXED_POINT_MAX_MOVE` of the plug-in), on the shipped `shapes-pixel-eps` or
a pixel-eps run folder (`--run`).

1. Real test images noised to the network's t_min (1/T unless it was trained below) with their own coefficients and
   true noise, denoised with the network's noise prediction: with the true coefficients, with the scale VAE's estimate
   from the noisy image, with a VAE prior draw (what sampling has), and by the fixed point (which knows neither).
2. Samples from DPM-Solver++(2M) (clipped) at 10 and 20 passes, both finals from the same seed.
Edge strength, FD and KID in both feature spaces with their standard errors, and the grain distance.

    python bench/last_step.py --run runs/s_pe_gn --n 1000 --out nbs/experiments/last_step/shapes-pixel-eps.json

The committed records were made on the network trained from 1/T (`runs/s_pe_gn`), which shipped as `shapes-pixel-eps`
until it was re-packed from the one trained down to t_min (`runs/s_pe_tmin`): their `system` is the file as it was.
"""

import argparse, json, pathlib, platform, sys, time
import torch

from pixeldiff_nb.data import from_model, load_images, to_model
from pixeldiff_nb.metrics import edge_strength, quality_spaces
from pixeldiff_nb.sampler import FIXED_POINT_MAX_MOVE
from pixeldiff_nb.schedule import x0_fixed_point
from pixeldiff_nb.system import load_pretrained, load_system

KEEP = ('fd', 'fd_se', 'kid', 'kid_se', 'fd_floor', 'grain_w1', 'grain_w1_se')


def scored(images: torch.Tensor) -> dict:
    q = quality_spaces(images, 'shapes')
    return dict(
        edges=edge_strength(images),
        grain_w1=q['grain_w1'],
        grain_w1_se=q['grain_w1_se'],
        spaces={s: {k: v[k] for k in ('fd', 'fd_se', 'kid', 'kid_se', 'fd_floor')} for s, v in q['spaces'].items()},
    )


@torch.no_grad()
def denoised_real(sy, n: int, seed: int) -> dict:
    "Real test images noised to t_min, denoised with the network's noise under four choices of coefficients."
    sch, g = sy.schedule, torch.Generator().manual_seed(seed)
    x0 = to_model(
        torch.from_numpy(load_images('shapes', 'test', n=n, size=sy.net.size)[0]).permute(0, 3, 1, 2)
    ).double()
    t = sy.net.t_min  # where sampling stops: 1/T, or below it for a network trained there
    coef = lambda z: ((sch.log_alpha_bar_at(z, t) / 2).exp(), (-torch.expm1(sch.log_alpha_bar_at(z, t))).sqrt())
    a, s = coef(x0)
    x_t = a * x0 + s * torch.randn(x0.shape, generator=g, dtype=torch.float64)
    step = torch.full((n,), t)
    xd_est = sy.vae.estimate(x_t.float(), torch.ones(n, dtype=torch.long)).double()
    eps = sy.model(xd_est.float())(x_t.float(), step).double()  # cond='vae': the network's own guide G(x_t, 1)
    lx = lambda xd: -xd.clamp(min=1e-300).log() / sch.gamma  # the brightness a scale map stands for
    prior = sy.vae.generate(n, generator=g).double()
    out = {}
    for name, z in (('true coefficients', x0), ('VAE estimate G(x_t, 1)', lx(xd_est)), ('VAE prior draw', lx(prior))):
        a_, s_ = coef(z.clamp(sch.eps, 1))
        out[name] = ((x_t - s_ * eps) / a_).clamp(sch.eps, 1)
    out['fixed point from the prior draw'] = x0_fixed_point(
        sch, x_t, eps, t, out['VAE prior draw'], max_move=FIXED_POINT_MAX_MOVE
    )
    return {k: from_model(v.float()) for k, v in out.items()}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--n', type=int, default=1000)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--steps', default='10,20')
    p.add_argument('--run', default=None, help='a pixel-eps run folder instead of the shipped shapes-pixel-eps')
    p.add_argument('--out', required=True)
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    sy = load_system(a.run) if a.run else load_pretrained('shapes-pixel-eps')
    rec = dict(
        command='python ' + ' '.join(sys.argv),
        machine=f"{platform.machine()} ({torch.get_num_threads()} threads), torch {torch.__version__}",
        n=a.n,
        seed=a.seed,
        system=a.run or 'shapes-pixel-eps',
        real=dict(edges=edge_strength(load_images('shapes', 'test', n=a.n, size=sy.net.size)[0])),
        denoised={},
        samples={},
    )
    for k, im in denoised_real(sy, a.n, a.seed).items():
        rec['denoised'][k] = scored(im)
        print(k, json.dumps(rec['denoised'][k]))
    for steps in map(int, a.steps.split(',')):
        for final in ('plugin', 'fixed_point'):
            t0 = time.perf_counter()
            x, clamped = sy.sample(a.n, 'dpmpp2m', a.seed, 500, progress=False, steps=steps, clip=True, final=final)
            r = dict(scored(x), passes=steps + 1, seconds=time.perf_counter() - t0)
            rec['samples'][f'dpmpp2m-{steps}+clip+{final}'] = r
            print(steps, final, json.dumps(r))
            if steps == 10:
                from pixeldiff_nb.system import save_grid

                save_grid(x[:64], pathlib.Path(a.out).with_name(f'grid_10_{final}.png'), nrow=8)
    pathlib.Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(a.out).write_text(json.dumps(rec, indent=1) + '\n')
    print('wrote', a.out)


if __name__ == '__main__':
    main()
