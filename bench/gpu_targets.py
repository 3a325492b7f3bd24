"""The six GPU speed targets in one run: each figure a ratio against its baseline timed in the same run on the same card,
written with the card, the versions and the command into a JSON list (`bench/results/gpu_targets.json` keeps the latest
figure of each target).

    python bench/gpu_targets.py --json $OUT/gpu_targets.json --out $OUT/gpu_targets.txt   # one GPU, about 5 minutes
    python bench/gpu_targets.py --small --json /tmp/targets.json   # a CPU check of the same code at small sizes

1. The fused deterministic recursion (batch 128, T = 200): its time over the copy floor of the bytes it reads (<= 2).
2. `algorithm1` with in-kernel noise: the naive PyTorch loop over the fused kernel, batch 128 (>= 100).
3. Batch-1 generation (VAE decode, one parallel-U-Net pass, fused sampler) replayed as one CUDA graph (<= 10 ms), its
   images checked against eager on the same inputs.
4. The baseline given the same treatment: its network replayed as a CUDA graph inside the library's own DDPM-1000,
   DDIM-10 and DPM-Solver++(2M)-10 loops (no per-step host sync), at batch 1 and 128; our generation's ratios to them.
5. Recorded from the GPU protocol's `results.json` (`--protocol-results`): its minutes in all (<= 9).
6. One parallel-U-Net training step over one DDPM step at equal batch (<= 2), with a torch.profiler table of the
   parallel step (`--profile`).

On the CPU (`--small`) CUDA graphs do not exist: those rows are timed eagerly and say so; the JSON marks nothing met.
"""

import argparse, datetime, json, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, device_name, timeit, fmt
import sampler_bench, train_step_bench
from pixeldiff_nb import sampler as S, cuda as C
from pixeldiff_nb.checks import inside_loop
from pixeldiff_nb.schedule import PixelSchedule, LinearSchedule
from pixeldiff_nb.unet import ParallelUNet, EpsUNet
from pixeldiff_nb.vae import ScaleVAE


def cuda_graph(fn, dev, warmup: int = 3):
    """`fn()` (fixed shapes, no host sync) captured as one CUDA graph: a function that replays it and returns the tensor
    `fn` returned during capture (overwritten by every replay). On the CPU: `fn` itself."""
    if torch.device(dev).type != 'cuda':
        return fn
    side = torch.cuda.Stream(dev)
    side.wait_stream(torch.cuda.current_stream(dev))
    with torch.cuda.stream(side):
        for _ in range(warmup):
            fn()
    torch.cuda.current_stream(dev).wait_stream(side)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        out = fn()

    def replay():
        g.replay()
        return out

    return replay


def graphed_eps(eps, B: int, dev, ctx):
    "The baseline's `model(x, j)` with its network replayed as a CUDA graph at batch `B` (step and input copied in)."
    x_s = torch.zeros(B, eps.in_ch, eps.size, eps.size, device=dev)
    t_s = torch.ones(B, dtype=torch.int64, device=dev)

    def fwd():
        with torch.no_grad(), inside_loop(), ctx():
            return eps(x_s, t_s).float()

    replay = cuda_graph(fwd, dev)

    def model(x, j):
        x_s.copy_(x)
        t_s.fill_(j)
        return replay()

    return model


def generation(rep, dev, B: int, cfg: str, T_ddpm: int, amp: bool) -> dict:
    "Target 3 and 4 at batch `B`: our generation eager and as a graph, and the baseline's three samplers."
    ctx = (
        (lambda: torch.autocast('cuda', dtype=torch.bfloat16))
        if amp
        else (lambda: torch.autocast('cpu', enabled=False))
    )
    s, lin = PixelSchedule(20, 200), LinearSchedule(T_ddpm)
    vae = ScaleVAE.from_config(cfg).to(dev).eval()
    net = ParallelUNet.from_config(cfg).to(dev).eval()
    eps = EpsUNet.from_config(cfg, T=T_ddpm).to(dev).eval()
    gen = torch.Generator(dev).manual_seed(0)
    u = torch.randn(B, vae.latent, device=dev, generator=gen)  # the VAE's latent and the prior's noise: graph inputs
    e = torch.randn(B, 3, net.size, net.size, device=dev, generator=gen)
    model = net.sampler_model(vae)

    @torch.no_grad()
    def ours():
        with inside_loop(), ctx():
            xd = vae.decode(u).float()
            xd64 = xd.double()  # sampler.prior_sample's x_T, from the noise `e`
            xT = (xd64.sqrt() * (-xd64.log() / s.gamma) + (1 - xd64).sqrt() * e.double()).float()
            Z = model(xT, xd, s.T)
            if S.fused_kernel('auto', xT) is None:  # the CPU (--small): the PyTorch code
                return S.parallel_deterministic(Z, xT, s, s.T, x_delta_hat=xd)
            return C.fused_reverse(Z, xT, s.T, xd, s.T, check=False)

    t, graphs = {}, torch.device(dev).type == 'cuda'
    eager_img = ours().clone()
    t['ours eager'] = timeit(ours, dev, reps=20)
    g_ours = cuda_graph(ours, dev)
    diff = (g_ours() - eager_img).abs().max().item()

    def ours_fresh():  # new latent and noise per call, as generation draws them
        u.normal_(generator=gen)
        e.normal_(generator=gen)
        return g_ours()

    t['ours graph'] = timeit(ours_fresh, dev, reps=50)
    m = graphed_eps(eps, B, dev, ctx)
    x_T = torch.randn(B, 3, eps.size, eps.size, device=dev, generator=gen)
    with torch.no_grad():
        t['DDIM-10'] = timeit(lambda: S.ddim(m, x_T, lin, T_ddpm, steps=10), dev, reps=10, warmup=1)
        t['DPM-Solver++(2M)-10'] = timeit(
            lambda: S.linear_ode_sample(m, x_T, lin, 9, solver='dpmpp2m', denoise=True), dev, reps=10, warmup=1
        )  # 9 solver steps and the final data prediction: 10 passes
        t[f'DDPM-{T_ddpm}'] = timeit(lambda: S.ddpm(m, x_T, lin, T_ddpm, generator=gen), dev, reps=2, warmup=1)
    how = 'CUDA graph' if graphs else 'eager (CPU: no CUDA graphs)'
    rep(f"\n## Generation, batch {B}, '{cfg}' networks, {'bf16 autocast' if amp else 'fp32'}, random weights")
    rep(f"ours (VAE decode + 1 ParallelUNet pass + fused sampler), eager        {fmt(t['ours eager'])}")
    rep(f"ours, {how:58s} {fmt(t['ours graph'])}   (max |graph - eager| = {diff:.2e})")
    for k in ('DDIM-10', 'DPM-Solver++(2M)-10', f'DDPM-{T_ddpm}'):
        rep(f"baseline {k:20s} network as a {how:34s} {fmt(t[k])}   / ours = {t[k] / t['ours graph']:8.1f}x")
    t['max_abs_diff'] = diff
    return t


def entry(target, value, baseline, ratio, goal, met, card, command, **extra):
    return dict(
        target=target,
        value=value,
        baseline=baseline,
        ratio=ratio,
        goal=goal,
        met=met,
        card=card,
        versions=versions(),
        command=command,
        date=datetime.date.today().isoformat(),
        **extra,
    )


def versions() -> str:
    try:
        import triton

        tv = triton.__version__
    except ImportError:
        tv = 'none'
    return f"torch {torch.__version__}, triton {tv}, CUDA {torch.version.cuda}"


def merge(path, entries: list):
    "Write `entries` into the JSON list at `path`, replacing older entries of the same targets."
    old = json.load(open(path)) if os.path.isfile(path) else []
    done = {e['target'] for e in entries}
    out = sorted([e for e in old if e['target'] not in done] + entries, key=lambda e: e['target'])
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
        f.write('\n')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--small', action='store_true', help='a quick CPU check of the same code at small sizes')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--out', default=None, help='also write the printed report to this file')
    p.add_argument('--json', default='bench/results/gpu_targets.json', help='the JSON list to update')
    p.add_argument('--profile', default=None, help="write target 6's torch.profiler table here")
    p.add_argument('--protocol-results', default=None, help="the GPU protocol's results.json, for target 5")
    p.add_argument('--parts', default='1,2,3,4,6', help='the targets to measure')
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    if not a.small and dev.type != 'cuda':
        p.error("the full run needs a GPU; use --small on the CPU")
    parts = set(a.parts.split(','))
    rep, card, cmd = Report(), device_name(dev), 'python bench/gpu_targets.py ' + ' '.join(sys.argv[1:] or [])
    gpu = dev.type == 'cuda'
    rep(f"# {cmd.strip()} on {card}; {versions()}")
    entries = []
    if parts & {'1', '2'}:
        B, T, size = (4, 40, 8) if a.small else (128, 200, 32)
        k = sampler_bench.part1(rep, dev, B=B, T=T, size=size)
        floor = k['memory floor (read Z once)']
        # the fastest way found: the default launch, or the best tile of the sweep, stepped coefficients or not
        det = {'default launch': k['fused parallel_deterministic, check=False']}
        det |= {n: v for n, v in k.items() if n.startswith('best tile, deterministic')}
        how, fused = min(det.items(), key=lambda kv: kv[1])
        noisy = {'default launch': k['fused algorithm1, Philox noise']}
        noisy |= {n: v for n, v in k.items() if n.startswith('best tile, Philox noise')}
        how_n, fa = min(noisy.items(), key=lambda kv: kv[1])
        naive = k['naive PyTorch loop (sampler.algorithm1)']
        if '1' in parts:
            entries.append(entry(1, fused, floor, fused / floor, '<= 2', gpu and fused / floor <= 2, card, cmd,
                                 units='seconds; baseline: the copy floor', batch=B, T=T, launch=how,
                                 all_launches=det))  # fmt: skip
        if '2' in parts:
            entries.append(entry(2, fa, naive, naive / fa, '>= 100', gpu and naive / fa >= 100, card, cmd,
                                 units='seconds; baseline: the naive PyTorch loop', batch=B, T=T, launch=how_n,
                                 all_launches=noisy))  # fmt: skip
    if parts & {'3', '4'}:
        cfg, T_ddpm, amp = ('tiny', 100, False) if a.small else ('cifar10', 1000, True)
        g = {B: generation(rep, dev, B, cfg, T_ddpm, amp) for B in (1, 2 if a.small else 128)}
        one = g[1]['ours graph']
        if '3' in parts:
            entries.append(entry(3, one, g[1]['ours eager'], g[1]['ours eager'] / one, '<= 0.010 s', gpu and one <= 0.010,
                                 card, cmd, units='seconds; baseline: the same generation eager', batch=1,
                                 max_abs_diff_vs_eager=g[1]['max_abs_diff']))  # fmt: skip
        if '4' in parts:
            for B, t in g.items():
                for k in ('DDIM-10', 'DPM-Solver++(2M)-10', f'DDPM-{T_ddpm}'):
                    entries.append(entry(4, t['ours graph'], t[k], t[k] / t['ours graph'],
                                         'the baseline as compiled as ours (CUDA graph), no per-step sync', gpu,
                                         card, cmd, units=f'seconds; baseline: {k}', batch=B, sampler=k))  # fmt: skip
    if '6' in parts:
        ts = train_step_bench.measure(dev, a.small, rep, profile=a.profile)
        entries.append(entry(6, ts['parallel'], ts['eps'], ts['parallel'] / ts['eps'], '<= 2',
                             gpu and ts['parallel'] / ts['eps'] <= 2, card, cmd,
                             units='seconds per training step; baseline: the DDPM step', batch=ts['batch'],
                             profile=a.profile))  # fmt: skip
    if a.protocol_results:
        res = json.load(open(a.protocol_results))
        sec = res['total_seconds']
        entries.append(entry(5, sec, 540.0, sec / 540.0, '<= 540 s in one call', gpu and sec <= 540, res['machine'],
                             cmd, units='seconds in all; baseline: the 9-minute limit',
                             protocol=res['protocol']['name']))  # fmt: skip
    # several rows per target (target 4: three samplers at two batch sizes) all replace the older ones of that target
    merge(a.json, entries)
    rep(f"\n{len(entries)} figures written to {a.json}")
    rep.save(a.out)
    return entries


if __name__ == '__main__':
    main()
