"""Speed of the fused sampler and of end-to-end generation, as ratios against baselines timed in the same run.

    python bench/sampler_bench.py                 # on a GPU: batch 128 and 1, T = 200, the paper-size networks
    python bench/sampler_bench.py --small         # a quick CPU run of the same code at a small size (checks the script)

Part 1 times the reverse recursion alone: the fused Triton kernel (`pixeldiff_nb.cuda`), the naive PyTorch loop
(`sampler.algorithm1`), the collapsed weighted sum (`sampler.parallel_deterministic`), and the memory floor: the bytes of Z
over the copy bandwidth measured here. Part 2 times generation from scratch: scale VAE decode + one ParallelUNet pass +
fused sampler, and block_sequential (K = 10), against DDPM-1000, DDIM-100 and DDIM-10 (a 10-step solver: same number of
network passes as DPM-Solver-10) on the EpsUNet baseline at the same batch. Weights are random: timing does not depend on them.
"""

import argparse, math, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, device_name, timeit, fmt, sync
from pixeldiff_nb import sampler as S, cuda as C
from pixeldiff_nb.schedule import PixelSchedule, LinearSchedule
from pixeldiff_nb.unet import ParallelUNet, EpsUNet
from pixeldiff_nb.vae import ScaleVAE


def copy_bandwidth(dev, nbytes: int) -> float:
    "Bytes per second of a device-to-device copy (read + write counted)."
    a = torch.empty(nbytes // 4, dtype=torch.float32, device=dev)
    b = torch.empty_like(a)
    t = timeit(lambda: b.copy_(a), dev, reps=20)
    return 2 * a.numel() * 4 / t


def part1(rep, dev, B, T, size):
    s = PixelSchedule(20, T)
    g = torch.Generator(dev).manual_seed(0)
    Z = torch.randn(B, T, 3, size, size, device=dev, generator=g)
    x = torch.randn(B, 3, size, size, device=dev, generator=g)
    xd = torch.exp(-20 * torch.rand(B, 3, size, size, device=dev, generator=g).clamp(4e-3, 1))
    zbytes = Z.numel() * Z.element_size()
    bw = copy_bandwidth(dev, max(zbytes, 256 * 2**20))
    floor = zbytes / bw
    gen = torch.Generator(dev).manual_seed(1)
    on_gpu = S.fused_kernel('auto', x) is not None  # on the CPU (--small) the "fused" rows time the PyTorch code

    def unchecked(**noise):  # the kernel without the host read of its error flag (`check=False`)
        if not on_gpu:
            return (
                S.algorithm1(Z, x, s, T, x_delta_hat=xd, generator=gen)
                if noise
                else S.parallel_deterministic(Z, x, s, T, x_delta_hat=xd)
            )
        return C.fused_reverse(Z, x, T, xd, T, check=False, **noise)

    philox = lambda: dict(step_noise='philox', seed=C.seed_tensor(gen, x.device))
    t = {
        'fused algorithm1, Philox noise': timeit(lambda: S.algorithm1(Z, x, s, T, x_delta_hat=xd, generator=gen), dev),
        'fused algorithm1, Philox noise, check=False': timeit(lambda: unchecked(**philox()), dev),
        'fused parallel_deterministic': timeit(lambda: S.parallel_deterministic(Z, x, s, T, x_delta_hat=xd), dev),
        'fused parallel_deterministic, check=False': timeit(unchecked, dev),
        'naive PyTorch loop (sampler.algorithm1)': timeit(
            lambda: S.algorithm1(Z, x, s, T, x_delta_hat=xd, generator=gen, backend='torch'), dev, reps=5
        ),
        'collapsed sum (sampler.parallel_deterministic)': timeit(
            lambda: S.parallel_deterministic(Z, x, s, T, x_delta_hat=xd, backend='torch'), dev
        ),
    }
    rep(
        f"\n## Reverse recursion alone: batch {B}, T = {T}, {3 * size * size} pixels, Z = {zbytes / 2**20:.1f} MiB fp32"
    )
    rep(f"copy bandwidth {bw / 1e12:.2f} TB/s -> memory floor (read Z once) {fmt(floor)}")
    for k, v in t.items():
        rep(f"{k:48s} {fmt(v)}")
    t['memory floor (read Z once)'] = floor
    fa, fa0 = t['fused algorithm1, Philox noise'], t['fused algorithm1, Philox noise, check=False']
    fd0 = t['fused parallel_deterministic, check=False']
    naive = t['naive PyTorch loop (sampler.algorithm1)']
    rep(f"fused parallel_deterministic (check=False) / floor = {fd0 / floor:8.2f}x   (target <= 2)")
    rep(
        f"fused algorithm1 (check=False) / floor             = {fa0 / floor:8.2f}x   (also draws {Z.numel() / 1e6:.1f}M normals)"
    )
    rep(
        f"naive loop / fused algorithm1                      = {naive / fa:8.1f}x   (target >= 100; {naive / fa0:.1f}x with check=False)"
    )
    rep(
        f"collapsed sum / fused parallel_deterministic       = {t['collapsed sum (sampler.parallel_deterministic)'] / t['fused parallel_deterministic']:8.1f}x"
    )
    if B > 1 and dev.type == 'cuda':
        philox = dict(step_noise='philox', seed=torch.ones(1, dtype=torch.int64, device=dev))
        for label, kw in (
            ('deterministic', {}),
            ('deterministic, stepped', dict(stepped=True)),
            ('Philox noise', philox),
            ('Philox noise, stepped', dict(philox, stepped=True)),
        ):
            rows = []
            for bn in (512, 1024):
                for bk in (8, 16):
                    for nw in (4, 8):
                        for ns in (1, 3):
                            try:
                                rows.append(
                                    (
                                        timeit(
                                            lambda: C.fused_reverse(
                                                Z,
                                                x,
                                                T,
                                                xd,
                                                T,
                                                check=False,
                                                block_n=bn,
                                                block_k=bk,
                                                num_warps=nw,
                                                num_stages=ns,
                                                **kw,
                                            ),
                                            dev,
                                        ),
                                        bn,
                                        bk,
                                        nw,
                                        ns,
                                    )
                                )
                            except Exception as e:
                                rep(f"  tile {bn}x{bk} warps {nw} stages {ns} failed: {type(e).__name__}")
            rows.sort()
            if not rows:
                continue
            rep(
                f"tile sweep ({label}, check=False), fastest first (block_n x block_k / warps / stages): "
                + ', '.join(f"{bn}x{bk}/{nw}/{ns} {tt * 1e3:.3f} ms" for tt, bn, bk, nw, ns in rows[:5])
            )
            rep(f"  best {label} / floor = {rows[0][0] / floor:.2f}x; naive loop / best = {naive / rows[0][0]:.1f}x")
            t[f'best tile, {label}'] = rows[0][0]
    return t


def part2(rep, dev, B, cfg, T_ddpm, amp):
    s = PixelSchedule(20, 200) if cfg != 'tiny' else PixelSchedule(20, 200)
    vae = ScaleVAE.from_config(cfg).to(dev).eval()
    net = ParallelUNet.from_config(cfg).to(dev).eval()
    eps = EpsUNet.from_config(cfg).to(dev).eval()
    lin = LinearSchedule(T_ddpm)
    ctx = (
        (lambda: torch.autocast('cuda', dtype=torch.bfloat16))
        if amp
        else (lambda: torch.autocast('cpu', enabled=False))
    )
    gen = torch.Generator(dev).manual_seed(0)

    @torch.no_grad()
    def one_pass():
        with ctx():
            xd = vae.generate(B, generator=gen).float()
            xT = S.prior_sample(xd, s, generator=gen)
            Z = net.sampler_model(vae)(xT, xd, s.T)  # conditioned on the VAE's estimate G(x_T, T), as trained
        return S.parallel_deterministic(Z, xT, s, s.T, x_delta_hat=xd)  # the fused kernel on a GPU

    @torch.no_grad()
    def block10():
        with ctx():
            xd = vae.generate(B, generator=gen).float()
            xT = S.prior_sample(xd, s, generator=gen)
            return S.block_sequential(net.sampler_model(vae), xT, s, s.T, x_delta_hat=xd, K=10, generator=gen)

    def baseline(kind, steps=None):
        @torch.no_grad()
        def run():
            with ctx():
                x = torch.randn(B, 3, eps.size, eps.size, device=dev, generator=gen)
                model = lambda x_, j: eps(x_, j).float()
                if kind == 'ddpm':
                    return S.ddpm(model, x, lin, T_ddpm, generator=gen)
                return S.ddim(model, x, lin, T_ddpm, steps=steps, generator=gen)

        return run

    rep(
        f"\n## Generation from scratch: batch {B}, '{cfg}' networks, {'bf16 autocast' if amp else 'fp32'}, eager, random weights"
    )
    rep(
        f"ScaleVAE {sum(p.numel() for p in vae.parameters()) / 1e6:.1f}M, ParallelUNet {sum(p.numel() for p in net.parameters()) / 1e6:.1f}M (T = {s.T}), EpsUNet {sum(p.numel() for p in eps.parameters()) / 1e6:.1f}M (T = {T_ddpm})"
    )
    t = {
        'ours: VAE + 1 ParallelUNet pass + fused sampler': timeit(one_pass, dev, reps=10),
        'ours: block_sequential K=10 (20 passes of 10 heads)': timeit(block10, dev, reps=3, warmup=1),
        'DDIM-10 (10-step solver)': timeit(baseline('ddim', 10), dev, reps=5, warmup=1),
        'DDIM-100': timeit(baseline('ddim', 100), dev, reps=2, warmup=1),
        f'DDPM-{T_ddpm}': timeit(baseline('ddpm'), dev, reps=1, warmup=0),
    }
    for k, v in t.items():
        rep(f"{k:55s} {fmt(v)}")
    one, blk = (
        t['ours: VAE + 1 ParallelUNet pass + fused sampler'],
        t['ours: block_sequential K=10 (20 passes of 10 heads)'],
    )
    for k in ('DDIM-10 (10-step solver)', 'DDIM-100', f'DDPM-{T_ddpm}'):
        rep(f"{k:25s} / one pass = {t[k] / one:9.1f}x    / block_sequential K=10 = {t[k] / blk:8.2f}x")
    rep("targets (one pass): >= 300x DDPM-1000, >= 5x the 10-step solver")
    return t


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--small', action='store_true', help='a quick run at a small size (CPU check of the script)')
    p.add_argument('--out', default=None, help='also write the report to this file')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument(
        '--parts',
        default='kernel,e2e',
        help='kernel (the reverse recursion alone), e2e (generation from scratch), or both',
    )
    a = p.parse_args(argv)
    parts = a.parts.split(',')
    dev = torch.device(a.device)
    rep = Report()
    rep(f"# bench/sampler_bench.py{' --small' if a.small else ''} on {device_name(dev)}")
    if a.small:
        if 'kernel' in parts:
            part1(rep, dev, B=4, T=40, size=8)
        if 'e2e' in parts:
            part2(rep, dev, B=2, cfg='tiny', T_ddpm=100, amp=False)
    else:
        if dev.type != 'cuda':
            p.error("the full benchmark needs a GPU; use --small on the CPU")
        if 'kernel' in parts:
            for B in (128, 1):
                part1(rep, dev, B=B, T=200, size=32)
        if 'e2e' in parts:
            part2(rep, dev, B=128, cfg='cifar10', T_ddpm=1000, amp=True)
    rep.save(a.out)


if __name__ == '__main__':
    main()
