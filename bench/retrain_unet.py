"""Train a shipped system's noise network again with one setting changed, on the same frozen scale VAE.

    python bench/retrain_unet.py --system shapes-pixel-eps --t-min 5.05e-6 --out runs/s_pe_tmin
    python bench/retrain_unet.py --schedule fixed-end --kappa 3 --steps 16769 --out runs/s_fe_prior

The shipped U-Net's training settings (steps, batch, learning rate and its cosine horizon, seed, data) are taken from
its checkpoint and only the named ones change, so the new network differs from the shipped one by that setting alone:
the same VAE (its file copied to OUT/vae/last.pt, so `load_system(OUT)` and `bench/regime_s.py --run OUT` load the
pair), the same number of images, the same draws of data order. Resumable: run the same command again. The shipped
network has been the one trained down to t_min since 2026-12-07 (the first command made it); the fixed-end schedule
drops its t_min.
"""

import argparse, pathlib, shutil, sys, time

from pixeldiff_nb.data import load_images
from pixeldiff_nb.system import PRETRAINED, load_pretrained
from pixeldiff_nb.train import TrainConfig, image_size, read_checkpoint, train


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--system', default='shapes-pixel-eps', choices=[n for n in PRETRAINED if 'pixel-eps' in n])
    p.add_argument('--out', required=True, help='the new run folder (vae/ and pixel-eps/)')
    p.add_argument('--t-min', type=float, default=None, help="the pixel schedule's smallest time (06_unet)")
    p.add_argument('--schedule', default=None, choices=('pixel', 'fixed-end'), help="default: the shipped network's")
    p.add_argument('--kappa', type=float, default=None, help="the fixed-end schedule's curvature (default 3)")
    p.add_argument('--guide', default=None, choices=('prior', 'x1'), help="fixed-end: the guide in training (prior)")
    p.add_argument('--seed', type=int, default=None, help="the training seed (default: the shipped network's)")
    p.add_argument('--steps', type=int, default=None, help="default: the shipped network's (and its cosine horizon)")
    a = p.parse_args(argv)
    shipped = pathlib.Path(load_pretrained(a.system).run)
    saved = read_checkpoint(shipped / 'pixel-eps' / 'last.pt', keys=('train_config',))['train_config']
    out = pathlib.Path(a.out)
    (out / 'vae').mkdir(parents=True, exist_ok=True)
    if not (out / 'vae' / 'last.pt').is_file():
        shutil.copyfile(shipped / 'vae' / 'last.pt', out / 'vae' / 'last.pt')
    own = dict(t_min=a.t_min, schedule=a.schedule, kappa=a.kappa, guide=a.guide, seed=a.seed, steps=a.steps)
    new = {k: v for k, v in own.items() if v is not None}
    if a.steps is not None:
        new['lr_decay_steps'] = a.steps
    if a.schedule == 'fixed-end':  # t_min extends only the papers' schedule (the shipped network's, since the re-pack)
        new['t_min'] = None
    cfg = TrainConfig(**{**saved, **new, 'out_dir': str(out / 'pixel-eps'), 'vae_ckpt': str(out / 'vae' / 'last.pt')})
    print(f"retraining {a.system}'s pixel-eps network with {new or 'nothing changed'} into {out}", flush=True)
    images = load_images(
        cfg.data, 'train', path=cfg.data_path, n=cfg.n_data, seed=cfg.seed, size=image_size(cfg.config)
    )
    t0 = time.perf_counter()
    train(cfg, images[0], progress=sys.stderr.isatty())
    print(f"trained {cfg.steps} steps in {time.perf_counter() - t0:.0f} s: {out / 'pixel-eps' / 'last.pt'}")


if __name__ == '__main__':
    main()
