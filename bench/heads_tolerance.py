"""How good must the parallel heads be? The best heads given x0 (`sampler.PosteriorOracle`: `rho_kj eps_tilde_j`),
with head errors injected, through one pass from `x_T` and through `block_sequential` (K = 10) from `x_i`,
`i` = 10, 50 and T (clipped, as the answer table's rows), with the true coefficients (the image's own scale) and with the scale VAE's estimate from `x_i`.
Beside them, the shipped parallel U-Net's heads: their excess error over the oracle by head and pixel brightness, and
`block_sequential` with its own heads and the true coefficients instead of the VAE's.

    python bench/heads_tolerance.py            # writes nbs/experiments/heads_tolerance/tolerance.json
    # the trained heads alone, of any run (the papers' head bank of 13_papers_system, against the shipped network)
    python bench/heads_tolerance.py --run runs/s_px_blocks --trained-only --out nbs/experiments/heads_tolerance/blocks.json

Real 16x16 shapes test images noised to `x_i` by the forward process (the same draws for every row); errors of size
`e` in units of the unit-variance noise: independent (a fresh N(0, 1) draw per head and pixel) or common (one draw
per pixel shared by every head of a pass). Output error: RMS of `x0_hat - x0` in the model's [eps, 1] pixels; FD
± se in both feature spaces of the clamped outputs against the 2,000 test images.
"""

import argparse, pathlib, sys, time
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import write_record  # noqa: E402
from pixeldiff_nb import metrics as M  # noqa: E402
from pixeldiff_nb import sampler as S  # noqa: E402
from pixeldiff_nb.data import load_images, to_model, from_model  # noqa: E402
from pixeldiff_nb.system import load_pretrained, load_system  # noqa: E402
from pixeldiff_nb.bench import machine  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SIZES = [0.0, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
FD_SIZES = (0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # FD where it can move (the outputs are 8-bit images)


class NoisyHeads:
    "A heads function with errors of size `e` added: independent per head, or one draw common to every head of a pass."

    def __init__(self, heads, e: float, common: bool, generator):
        self.heads, self.e, self.common, self.g = heads, e, common, generator

    def __call__(self, x, x_delta_hat, j, heads=None):
        Z = self.heads(x, x_delta_hat, j, heads=heads)
        if self.e == 0:
            return Z
        shape = (Z.shape[0], 1, *Z.shape[2:]) if self.common else Z.shape
        return Z + self.e * torch.randn(shape, generator=self.g, dtype=Z.dtype).expand(Z.shape)


def run(heads, x_i, i, xd, sch, how, g):
    """`x0_hat` of one pass from `x_i` (`how='one pass'`, i = T only) or of block_sequential with K = 10, both clipped
    as the answer table's rows are."""
    if how == 'one pass':
        return S.parallel_deterministic(heads(x_i, xd, i, heads=(1, i)), x_i, sch, i, x_delta_hat=xd, clip=True)
    return S.block_sequential(heads, x_i, sch, i, x_delta_hat=xd, K=10, generator=g, clip=True)


def quality(x0_hat, x0, refs, real, fd: bool = True) -> dict:
    "Output RMS error, its share on bright pixels, and (with `fd`) FD ± se in both spaces of the clamped images."
    err = (x0_hat.double() - x0.double()) ** 2
    bright = x0 > 2 / 3
    img = M._to_uint8(from_model(x0_hat.float().clamp(S.EPS, 1)))
    out = dict(rms=float(err.mean().sqrt()), rms_bright=float(err[bright].mean().sqrt()))
    for s, ref in refs.items() if fd else ():
        v, se = M.frechet_distance_se(M.features(img, space=s), ref)
        out[s] = dict(fd=v, fd_se=se)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=500)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--starts', default='10,50,T', help='the steps i to start from (T: the last)')
    ap.add_argument('--sizes', default=','.join(map(str, SIZES)), help='head error sizes, 0 included')
    ap.add_argument(
        '--run', default='pretrained:shapes-pixel', help='the trained system: a run folder or pretrained:NAME'
    )
    ap.add_argument('--trained-only', action='store_true', help='only the trained heads (no oracle with errors)')
    ap.add_argument('--out', default=str(ROOT / 'nbs' / 'experiments' / 'heads_tolerance' / 'tolerance.json'))
    a = ap.parse_args(argv)
    sizes = [float(e) for e in a.sizes.split(',')]
    t0 = time.time()
    torch.set_grad_enabled(False)
    pre = a.run.removeprefix('pretrained:')
    sy = load_pretrained(pre) if pre != a.run else load_system(a.run)
    sch, model = sy.schedule, sy.model()
    real = load_images('shapes', 'test', size=16)[0]
    x0 = to_model(torch.from_numpy(real[: a.n]).permute(0, 3, 1, 2).float() / 255)
    refs = {s: M.features(real, space=s) for s in ('cifar10', 'shapes')}
    xd_true = torch.exp(-sch.gamma * x0)  # the image's own scale: its true coefficients
    oracle = S.PosteriorOracle(x0, sch)
    res = dict(run=a.run, heads=sy.net.config.get('head_bank', 'conv'), n=a.n, seed=a.seed, sizes=sizes,
               machine=machine('cpu'), gamma=sch.gamma, T=sch.T, rows=[], trained=[])  # fmt: skip
    for i in [sch.T if v == 'T' else int(v) for v in a.starts.split(',')]:
        g = torch.Generator().manual_seed(a.seed)
        x_i = sch.q_sample(x0, i, generator=g).float()
        coefs = {'true': xd_true, 'vae': sy.vae.estimate(x_i, i).float()}
        for how in (('one pass', 'block_sequential') if i == sch.T else ('block_sequential',)) * (not a.trained_only):
            for coef, xd in coefs.items():
                for common in (False, True):
                    for e in sizes:
                        g, g_err = (torch.Generator().manual_seed(a.seed + k) for k in (1, 2))
                        out = run(NoisyHeads(oracle, e, common, g_err), x_i, i, xd, sch, how, g)
                        q = quality(out, x0, refs, real, fd=e in FD_SIZES)
                        res['rows'].append(dict(i=i, sampler=how, coefficients=coef, errors='common' if common else
                                                'independent', e=e, **q))  # fmt: skip
                        fds = (
                            f"  FD cifar {q['cifar10']['fd']:.3f} shapes {q['shapes']['fd']:.2f}"
                            if 'shapes' in q
                            else ''
                        )
                        print(f"i={i:3d} {how:16s} {coef:4s} {'common' if common else 'indep':6s} e={e:7.0e} "
                              f"rms {q['rms']:.4g}{fds}", flush=True)  # fmt: skip
        # the trained heads at this i: excess error over the oracle, by head and brightness (coefficients don't enter)
        Z = model(x_i, coefs['vae'], i, heads=(1, i)).double()
        err = (Z - oracle(x_i, coefs['vae'], i, heads=(1, i)).double()) ** 2  # (B, i, C, H, W)
        bins = {'dark': x0 < 1 / 3, 'mid': (x0 >= 1 / 3) & (x0 <= 2 / 3), 'bright': x0 > 2 / 3}
        res['trained'].append(dict(i=i, excess_rms={k: [float(err[:, j][m].mean().sqrt()) for j in range(i)]
                                                    for k, m in bins.items()}))  # fmt: skip
        for how in ('one pass', 'block_sequential') if i == sch.T else ('block_sequential',):
            for coef, xd in coefs.items():  # the trained heads with each set of coefficients
                g = torch.Generator().manual_seed(a.seed + 1)
                q = quality(run(model, x_i, i, xd, sch, how, g), x0, refs, real)
                res['rows'].append(dict(i=i, sampler=how, coefficients=coef, errors='trained heads', e=None, **q))
                print(f"i={i:3d} {how:16s} trained heads, {coef} coefficients: rms {q['rms']:.4g}  FD cifar "
                      f"{q['cifar10']['fd']:.3f} shapes {q['shapes']['fd']:.2f}", flush=True)  # fmt: skip
    write_record(res, a.out, t0)


if __name__ == '__main__':
    main()
