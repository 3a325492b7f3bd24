"""Train the scale VAE and the parallel U-Net on CIFAR-10 for a fixed time each, then measure what they learned.

    python bench/train_eval.py --config tiny --minutes 4 --batch 32          # on the CPU (the notebook's figures)
    python bench/train_eval.py --config cifar10 --minutes 2.5 --batch 128    # on a GPU

Writes, under --out: loss curves and SSIM-per-step figures (PNG), and the numbers (JSON): the VAE's SSIM of
x_delta_hat against x_delta on CIFAR-10 test images per step i (001 Fig 3 reports 0.86 to 0.99), and the parallel
U-Net's loss on test images against the loss of predicting zero for every head.
"""

import argparse, json, os, sys, time
import numpy as np, torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import device_name
from pixeldiff_nb.data import load_images, to_model
from pixeldiff_nb.schedule import PixelSchedule
from pixeldiff_nb.train import TrainConfig, train, build, batch_loss, load_scale_vae
from pixeldiff_nb.metrics import ssim


@torch.no_grad()
def vae_ssim(vae, x0, steps, seed=0, bs=250):
    "Mean SSIM per step i of x_delta_hat against x_delta, and of the implied x0_hat = -log(x_delta_hat)/gamma against x0."
    s = PixelSchedule(vae.gamma, vae.T)
    g = torch.Generator(x0.device).manual_seed(seed)
    out, out_x0 = {}, {}
    for i in steps:
        vals, vals_x0 = [], []
        for k in range(0, len(x0), bs):
            xb = x0[k : k + bs]
            x_i = s.q_sample(xb, i, torch.randn(xb.shape, generator=g, device=xb.device))
            xd = vae.estimate(x_i, i).float()
            vals.append(ssim(xd, s.x_delta(xb).float()))
            vals_x0.append(ssim(s.x0_from_x_delta(xd), xb.float()))
        out[i], out_x0[i] = float(torch.cat(vals).mean()), float(torch.cat(vals_x0).mean())
    return out, out_x0


@torch.no_grad()
def parallel_test_loss(net, cfg, x0, seed=0, bs=100, vae=None):
    losses, zero = [], []
    zero_net = lambda x_i, xd, i: torch.zeros((x_i.shape[0], net.T, *x_i.shape[1:]), device=x_i.device)
    zero_net.schedule = net.schedule
    for k in range(0, len(x0), bs):
        losses.append(
            float(batch_loss(net, cfg, x0[k : k + bs], torch.Generator(x0.device).manual_seed(seed + k), vae=vae))
        )
        zero.append(
            float(batch_loss(zero_net, cfg, x0[k : k + bs], torch.Generator(x0.device).manual_seed(seed + k), vae=vae))
        )
    return float(np.mean(losses)), float(np.mean(zero))


STEPS = [1, 10, 25, 50, 100, 150, 200]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default='tiny')
    p.add_argument('--minutes', type=float, default=4.0)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--n-test', type=int, default=1000)
    p.add_argument('--out', default='runs/train_eval')
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--models', default='vae,parallel')
    p.add_argument(
        '--minutes-parallel', type=float, default=None, help='minutes for the parallel U-Net (default --minutes)'
    )
    a = p.parse_args(argv)
    dev = torch.device(a.device)
    os.makedirs(a.out, exist_ok=True)
    train_imgs = load_images('cifar10', 'train')[0]
    test = to_model(torch.from_numpy(load_images('cifar10', 'test', n=a.n_test)[0]).permute(0, 3, 1, 2)).to(dev)
    res = dict(machine=device_name(dev), config=a.config, batch=a.batch, minutes_per_model=a.minutes, n_test=a.n_test)
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(14, 3.4))
    for k, model in enumerate(a.models.split(',')):
        cond = (
            dict(vae_ckpt=os.path.join(a.out, 'vae', 'last.pt')) if model == 'parallel' else {}
        )  # conditioned on the VAE trained before it
        cfg = TrainConfig(
            model=model,
            config=a.config,
            data='cifar10',
            batch_size=a.batch,
            steps=10**7,
            ema_decay=0.995,
            ckpt_every=1000,
            sample_every=0,
            log_every=10,
            out_dir=os.path.join(a.out, model),
            **cond,
        )
        t0 = time.time()
        minutes = a.minutes_parallel if model == 'parallel' and a.minutes_parallel else a.minutes
        train(cfg, images=train_imgs, device=dev, progress=False, time_limit=60 * minutes)
        ck = torch.load(os.path.join(cfg.out_dir, 'last.pt'), map_location=dev, weights_only=False)
        r = dict(
            minutes=minutes,
            steps=ck['step'],
            seconds=round(time.time() - t0, 1),
            images_seen=ck['step'] * a.batch,
            lr=cfg.lr,
            ema_decay=cfg.ema_decay,
        )
        hist = np.array(ck['history'])
        ax[k].plot(hist[:, 0], hist[:, 1], lw=0.6)
        ax[k].set_yscale('log')
        ax[k].set_xlabel('step')
        ax[k].set_title(f'{model} ({a.config}) training loss, batch {a.batch}, {minutes:g} min', fontsize=9)
        torch.manual_seed(cfg.seed)
        net = build(cfg).to(dev).eval()  # the initial weights, as train() makes them
        for which in ('untrained', 'model', 'ema'):
            if which != 'untrained':
                net.load_state_dict(ck[which])
            if model == 'vae':
                r[f'ssim_{which}'], r[f'ssim_x0_{which}'] = vae_ssim(net, test, STEPS)
            else:
                vae = load_scale_vae(cfg.vae_ckpt, net.gamma, net.T, dev)[0]
                r[f'test_loss_{which}'], r['test_loss_zero_prediction'] = parallel_test_loss(net, cfg, test, vae=vae)
        if model == 'parallel':
            ax[k].axhline(r['test_loss_zero_prediction'], color='k', ls=':', lw=1, label='zero prediction, test images')
            ax[k].axhline(r['test_loss_model'], color='r', ls='--', lw=1, label='trained, test images')
            ax[k].legend(fontsize=7)
        if model == 'vae':
            for which, ls in (('model', '-o'), ('ema', '--x'), ('untrained', ':')):
                sv = r[f'ssim_{which}']
                ax[2].plot(list(sv), list(sv.values()), ls, label=f'x_delta, {which} weights')
            sv = r['ssim_x0_model']
            ax[2].plot(list(sv), list(sv.values()), '-s', label='x0 = -log(x_delta)/gamma, model weights')
            ax[2].axhspan(0.86, 0.99, color='g', alpha=0.1, label='papers: 0.86-0.99')
            ax[2].set_xlabel('step i')
            ax[2].set_ylabel('SSIM')
            ax[2].legend(fontsize=6)
            ax[2].set_title(f'scale VAE on {a.n_test} CIFAR-10 test images', fontsize=9)
        res[model] = r
        print(model, json.dumps(r), flush=True)
    fig.suptitle(res['machine'], fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(a.out, f'train_eval_{a.config}.png'), dpi=90)
    with open(os.path.join(a.out, f'train_eval_{a.config}.json'), 'w') as f:
        json.dump(res, f, indent=1)


if __name__ == '__main__':
    main()
