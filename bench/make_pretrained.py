"""Pack trained run folders into the small pretrained systems the package ships (pixeldiff_nb/assets/pretrained_*.pt).

    python bench/make_pretrained.py --pixel RUN/pixel --ddpm RUN/ddpm

Each network's EMA weights only (no optimizer state: such a checkpoint samples, it does not resume), the U-Nets' in
float16 (half the bytes; loaded back into float32 networks), the scale VAE's in float32 (the parallel U-Net records the
SHA-256 of exactly those weights, and `load_system` checks it). Prints the files' SHA-256, which `system.PRETRAINED` pins.
The shipped ones come from regime S on one H200 (see README, "Pretrained systems").
"""

import argparse, hashlib, pathlib, sys
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]


def slim(path, half: bool) -> dict:
    c = torch.load(path, map_location='cpu', weights_only=False)
    ema = {k: (v.half() if half and v.is_floating_point() else v) for k, v in c['ema'].items()}
    return dict(
        model=ema,
        ema=ema,
        step=c['step'],
        history=c['history'][-20:],
        train_config=c['train_config'],
        model_config=c['model_config'],
        cond_vae=c.get('cond_vae'),
        slim='EMA weights only' + (', float16' if half else '') + '; cannot resume training',
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--pixel', required=True, help='a pixel run folder (vae/ and parallel/)')
    p.add_argument('--ddpm', required=True, help='a ddpm run folder (eps/)')
    p.add_argument('--name', default='shapes')
    p.add_argument('--out', default=str(ROOT / 'pixeldiff_nb' / 'assets'))
    a = p.parse_args(argv)
    out = pathlib.Path(a.out)
    packs = {
        f'{a.name}-pixel': {
            'vae': slim(pathlib.Path(a.pixel) / 'vae' / 'last.pt', half=False),
            'parallel': slim(pathlib.Path(a.pixel) / 'parallel' / 'last.pt', half=True),
        },
        f'{a.name}-ddpm': {'eps': slim(pathlib.Path(a.ddpm) / 'eps' / 'last.pt', half=True)},
    }
    for name, nets in packs.items():
        f = out / f'pretrained_{name}.pt'
        torch.save(nets, f)
        print(
            f"{f.name}: {f.stat().st_size / 2**20:.2f} MiB, sha256 {hashlib.sha256(f.read_bytes()).hexdigest()}, "
            + ', '.join(f"{n} step {c['step']}" for n, c in nets.items())
        )


if __name__ == '__main__':
    sys.exit(main())
