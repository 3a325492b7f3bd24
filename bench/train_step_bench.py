"""One training step of the parallel U-Net (target construction included) against one step of the DDPM baseline.

    python bench/train_step_bench.py              # on a GPU: the 'cifar10' configurations, batch 128, bf16 autocast
    python bench/train_step_bench.py --small      # a quick CPU run of the same code ('tiny', batch 4)

Same batch, same machine, same run; a step is zero_grad + loss (targets, forward) + backward + gradient clipping + Adam.
Prints each time and the ratio (target: at most 2x for 'cifar10'), plus the parts of the parallel step.
"""

import argparse, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Report, device_name, timeit, fmt, sync
from pixeldiff_nb.train import TrainConfig, batch_loss
from pixeldiff_nb.unet import ParallelUNet, EpsUNet, parallel_targets
from pixeldiff_nb.vae import ScaleVAE


def step_fn(model, loss_fn, amp, dev):
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = loss_fn()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    return step


def measure(dev, small: bool, rep, batch: int = None, profile: str = None) -> dict:
    """Seconds per training step of the DDPM baseline (`eps`) and of the parallel U-Net (`parallel`) at equal batch,
    printed with the parts of the parallel step; with `profile`, a torch.profiler table of three parallel steps there."""
    cfg, B, amp = ('tiny', batch or 4, False) if small else ('cifar10', batch or 128, True)
    rep(f"'{cfg}' configurations, batch {B}, {'bf16 autocast' if amp else 'fp32'}, eager, Adam + clipping")
    g = torch.Generator(dev).manual_seed(0)
    x0 = torch.rand(B, 3, 32, 32, device=dev, generator=g) * 0.996 + 4e-3
    eps_net, par = EpsUNet.from_config(cfg).to(dev).train(), ParallelUNet.from_config(cfg).to(dev).train()
    cfg_eps, cfg_par = (
        TrainConfig(model='eps', config=cfg),
        TrainConfig(model='parallel', config=cfg),
    )  # the trainer's losses
    t_eps = timeit(step_fn(eps_net, lambda: batch_loss(eps_net, cfg_eps, x0, g), amp, dev), dev, reps=20)
    vae = (
        ScaleVAE.from_config(cfg).to(dev).eval().requires_grad_(False)
    )  # the frozen scale VAE the U-Net is conditioned on
    par_step = step_fn(par, lambda: batch_loss(par, cfg_par, x0, g, vae=vae), amp, dev)
    t_par = timeit(par_step, dev, reps=20)
    s = par.schedule()
    i = torch.randint(1, s.T + 1, (B,), device=dev, generator=g)
    t_tgt = timeit(lambda: parallel_targets(x0, i, s, g), dev)
    xd = torch.exp(-s.gamma * x0)
    with torch.no_grad(), torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
        t_fwd_par = timeit(lambda: par(x0, xd, i), dev)
        t_fwd_eps = timeit(lambda: eps_net(x0, i), dev)
    rep(f"{'EpsUNet step (DDPM baseline)':45s} {fmt(t_eps)}")
    rep(f"{'ParallelUNet step (targets, VAE estimate incl.)':45s} {fmt(t_par)}")
    rep(f"  of which target construction (T = {s.T})     {fmt(t_tgt)}")
    rep(f"forward only: EpsUNet {fmt(t_fwd_eps)}, ParallelUNet (all {s.T} heads) {fmt(t_fwd_par)}")
    rep(f"ratio ParallelUNet / EpsUNet training step = {t_par / t_eps:.2f}x   (target <= 2)")
    if profile:
        from torch.profiler import profile as prof, ProfilerActivity

        acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == 'cuda' else [])
        with prof(activities=acts) as pr:
            for _ in range(3):
                par_step()
            sync(dev)
        key = 'cuda_time_total' if dev.type == 'cuda' else 'cpu_time_total'
        table = pr.key_averages().table(sort_by=key, row_limit=30)
        os.makedirs(os.path.dirname(profile) or '.', exist_ok=True)
        with open(profile, 'w') as f:
            f.write(f"# three ParallelUNet training steps ('{cfg}', batch {B}), {device_name(dev)}, sorted by {key}\n")
            f.write(table + '\n')
        rep(f"profile of three parallel steps written to {profile}")
    return dict(eps=t_eps, parallel=t_par, batch=B, targets=t_tgt, forward_eps=t_fwd_eps, forward_parallel=t_fwd_par)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--small', action='store_true')
    p.add_argument('--out', default=None)
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--batch', type=int, default=None)
    p.add_argument('--profile', default=None, help='write a torch.profiler table of the parallel step here')
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    if not a.small and dev.type != 'cuda':
        p.error("the full benchmark needs a GPU; use --small on the CPU")
    rep = Report()
    rep(f"# bench/train_step_bench.py{' --small' if a.small else ''} on {device_name(dev)}")
    measure(dev, a.small, rep, a.batch, a.profile)
    rep.save(a.out)


if __name__ == '__main__':
    main()
