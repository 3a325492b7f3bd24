"""Pack trained run folders into the small pretrained systems the package ships (pixeldiff_nb/assets/pretrained_*.pt).

    python bench/make_pretrained.py --ddpm runs/s_gn20k --pixel runs/s_px_gn --pixel-eps runs/s_pe_gn

Any of the three may be left out (only the named systems are written).
Each network's EMA weights only (no optimizer state: such a checkpoint samples, it does not resume), the U-Nets' in
float16 (half the bytes; loaded back into float32 networks), the scale VAE's in float32 (the parallel U-Net records the
SHA-256 of exactly those weights, and `load_system` checks it). Prints the files' SHA-256, which `system.PRETRAINED` pins.
The shipped ones come from regime S on the 2-core CPU, each trained for the same 33.6 minutes (see README, "Pretrained
systems").
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
    p.add_argument('--pixel', help="a pixel run folder (vae/ and parallel/): the papers' system")
    p.add_argument(
        '--pixel-eps', help='a pixel-eps run folder (vae/ and pixel-eps/): a noise network on the pixel schedule'
    )
    p.add_argument('--ddpm', help='a ddpm run folder (eps/): the baseline')
    p.add_argument('--name', default='shapes')
    p.add_argument('--out', default=str(ROOT / 'pixeldiff_nb' / 'assets'))
    a = p.parse_args(argv)
    out = pathlib.Path(a.out)
    nets = {'pixel': ('vae', 'parallel'), 'pixel_eps': ('vae', 'pixel-eps'), 'ddpm': ('eps',)}
    runs = {k: pathlib.Path(v) for k, v in vars(a).items() if k in nets and v}
    if not runs:
        p.error('name at least one run folder: --ddpm, --pixel or --pixel-eps')
    for kind, run in runs.items():
        for n in nets[kind]:
            if not (run / n / 'last.pt').is_file():
                p.error(f"{run / n / 'last.pt'} is missing: --{kind.replace('_', '-')} takes a {kind} run folder")
    packs = {
        f"{a.name}-{kind.replace('_', '-')}": {n: slim(run / n / 'last.pt', half=n != 'vae') for n in nets[kind]}
        for kind, run in runs.items()
    }
    for name, pack in packs.items():
        f = out / f'pretrained_{name}.pt'
        torch.save(pack, f)
        print(
            f"{f.name}: {f.stat().st_size / 2**20:.2f} MiB, sha256 {hashlib.sha256(f.read_bytes()).hexdigest()}, "
            + ', '.join(f"{n} step {c['step']}" for n, c in pack.items())
        )


if __name__ == '__main__':
    sys.exit(main())
