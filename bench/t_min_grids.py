"""Where the t_min network's grid should spend its passes: the recorded logsnr grid to t_min against three others.

    python bench/t_min_grids.py --run runs/s_pe_tmin --n 1000 --out nbs/experiments/feature_spaces/t_min_grids.json

At 10 DPM-Solver++(2M) steps (11 passes), clipped, sampling seed 0, the same draws for every grid (as `System.sample`
makes them): 'logsnr' (even in the mid-grey pixel's logSNR from t = 1 to t_min, what the registry runs), 'stop at 1/T'
(the shipped network's grid: the new network sampled as the old one was), 'nine to 1/T, one to t_min' (the old grid's
first nine steps, then one step from 1/T to t_min) and 'seven to 1/T, three to t_min' (seven steps on the old grid's
spacing, three even in logSNR below 1/T). Scored in both feature spaces with the grain distance.
"""

import argparse, json, pathlib, time
import torch

from pixeldiff_nb import sampler as S
from pixeldiff_nb.bench import machine
from pixeldiff_nb.data import from_model
from pixeldiff_nb.metrics import edge_strength, quality_spaces
from pixeldiff_nb.system import load_system


def grids(net, steps: int) -> dict:
    g, lo = net.gamma, net.t_min
    old = S.ode_grid(steps, 'logsnr', g, 1 / net.T)
    nine = torch.cat([S.ode_grid(steps - 1, 'logsnr', g, 1 / net.T), torch.tensor([lo], dtype=torch.float64)])
    k = steps - steps * 3 // 10  # steps to 1/T on the shipped grid's spacing, the rest even in logSNR below it
    split = torch.cat([S.ode_grid(k, 'logsnr', g, 1 / net.T), S.ode_grid(steps - k, 'logsnr', g, lo, 1 / net.T)[1:]])
    return {
        'logsnr': S.ode_grid(steps, 'logsnr', g, lo),
        'stop at 1/T': old,
        'nine to 1/T, one to t_min': nine,
        'seven to 1/T, three to t_min': split,
    }


@torch.no_grad()
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--run', default='runs/s_pe_tmin')
    p.add_argument('--n', type=int, default=1000)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--batch', type=int, default=500)
    p.add_argument('--out', required=True)
    a = p.parse_args(argv)
    t0, sy = time.time(), load_system(a.run)
    res = dict(run=a.run, n=a.n, steps=a.steps, seed=0, machine=machine('cpu'), rows={})
    for name, ts in grids(sy.net, a.steps).items():
        g, out = torch.Generator().manual_seed(0), []
        for k in range(0, a.n, a.batch):
            b = min(a.batch, a.n - k)
            xd = sy.vae.generate(b, generator=g).float()
            x_T = S.prior_sample(xd, sy.schedule, g)
            x = S.ode_sample(
                sy.model(xd),
                x_T,
                sy.schedule,
                a.steps,
                x_delta_hat=xd,
                solver='dpmpp2m',
                grid=ts,
                t_min=float(ts[-1]),
                clip=True,
            )
            out.append(from_model(x).float().clamp(0, 1))
        x = torch.cat(out)
        q = quality_spaces(x, 'shapes')
        res['rows'][name] = dict(times=ts.tolist(), edges=edge_strength(x), grain_w1=q['grain_w1'],
                                 grain_w1_se=q['grain_w1_se'], spaces=q['spaces'])  # fmt: skip
        sp = q['spaces']
        c, h = sp['cifar10'], sp['shapes']
        print(f"{name:28s} CIFAR-10 {c['fd']:.3f} ± {c['fd_se']:.3f}  shapes {h['fd']:.1f} ± {h['fd_se']:.1f}  "
              f"grain {1e3 * q['grain_w1']:.1f}", flush=True)  # fmt: skip
    res['seconds'] = time.time() - t0
    pathlib.Path(a.out).write_text(json.dumps(res, indent=1) + '\n')


if __name__ == '__main__':
    main()
