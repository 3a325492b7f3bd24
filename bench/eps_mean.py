"""How well a DDPM baseline predicts the part of the noise that is constant over each image, step by step.

    python bench/eps_mean.py --run runs/S/ddpm --report nbs/experiments/regime_s_cosine/eps_mean.json

For test images `x0` noised to `x_j` at steps `j`, it prints the network's mean squared error on `eps`, the root mean
square of the error of the per-image, per-channel mean of `eps` (a network that predicts none of that mean scores its
standard deviation, `1/sqrt(H W)`: 0.0625 at 16x16), and the error of the implied `x0`. A network whose last GroupNorm
has one channel per group cannot see each channel's mean over the image (nbs/06_unet).
"""

import argparse, json, math, pathlib
import torch
from pixeldiff_nb.system import load_system, load_pretrained
from pixeldiff_nb.bench import machine
from pixeldiff_nb.data import load_images, to_model
from pixeldiff_nb.schedule import LinearSchedule

STEPS = (1, 10, 50, 100, 200, 400, 600, 800, 900, 1000)


def eps_mean_errors(net, x0: torch.Tensor, steps=STEPS, seed: int = 0) -> list:
    "One row per step `j`: eps MSE, RMS error of eps's per-image channel means, RMS error of the implied x0."
    lin, g = LinearSchedule(net.T), torch.Generator().manual_seed(seed)
    rows = []
    with torch.no_grad():
        for j in steps:
            e = torch.randn(x0.shape, generator=g)
            i = torch.full((len(x0),), j)
            x_j = lin.q_sample(x0, i, e)
            err = net(x_j, i) - e
            ab = math.exp(lin.log_alpha_bars[j])
            rows.append(
                dict(
                    j=j,
                    eps_mse=float(err.pow(2).mean()),
                    mean_err_rms=float(err.mean((2, 3)).pow(2).mean().sqrt()),
                    x0_err_rms=float((math.sqrt(1 - ab) / math.sqrt(ab)) * err.pow(2).mean().sqrt()),
                )
            )
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--run', required=True, help='a ddpm run folder, or pretrained:NAME')
    ap.add_argument('--n', type=int, default=256, help='test images')
    ap.add_argument('--report', default=None, help='JSON file to add this run to')
    a = ap.parse_args(argv)
    name = a.run.partition('pretrained:')[2]
    sy = load_pretrained(name, 'cpu') if name else load_system(a.run, 'cpu')
    net, size = sy.net.eval(), sy.net.size
    imgs = torch.from_numpy(load_images(sy.configs['eps']['data'], 'test', n=a.n, size=size)[0]).permute(0, 3, 1, 2)
    rows = eps_mean_errors(net, 2 * to_model(imgs) - 1)
    for r in rows:
        print(
            f"j {r['j']:4d}  eps MSE {r['eps_mse']:.4f}  mean error {r['mean_err_rms']:.4f}  x0 error {r['x0_err_rms']:.3f}"
        )
    res = dict(
        run=a.run if name else pathlib.Path(a.run).name,
        group_ch=net.config.get('group_ch', 1),
        step=sy.steps['eps'],
        n=a.n,
        no_mean_rms=1 / size,
        machine=machine('cpu'),
        rows=rows,
    )
    if a.report:
        f = pathlib.Path(a.report)
        runs = [r for r in (json.loads(f.read_text()) if f.is_file() else []) if r['run'] != res['run']]
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(runs + [res], indent=1))
    return res


if __name__ == '__main__':
    main()
