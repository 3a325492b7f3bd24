"""Train a feature network that defines one of this project's feature spaces (`pixeldiff_nb.metrics`), seeded.

    python bench/train_feature_net.py                          # CIFAR-10 space: pixeldiff_nb/assets/feature_net.{pt,json}
    python bench/train_feature_net.py --data shapes            # shapes space: assets/feature_net_shapes.{pt,json}
    python bench/train_feature_net.py --data shapes --seed 1 --out nbs/experiments/feature_nets/shapes_seed1.pt
    python bench/train_feature_net.py --out /tmp/fn.pt         # elsewhere (does not touch the committed weights)

CIFAR-10: the 50,000 train images, 15 epochs, crops and flips, cross-entropy on the classes. Shapes: 80,000 fresh
`shapes` images (half drawn at 32x32, half at 16x16 and upsampled; generator seed 2,000,000 + seed, never the data
the systems train or are scored on), 6 epochs, no augmentation, `metrics.shapes_loss` on what the generator drew.
The committed weights came from the first two commands (outputs in bench/results/). Retraining changes every reported
FD and KID: if you replace the weights, update `metrics.FEATURE_SPACES` and say so beside new numbers.
"""

import argparse, hashlib, json, os, pathlib, platform, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pixeldiff_nb.data import load_images
from pixeldiff_nb import metrics as M

ASSETS = pathlib.Path(__file__).parents[1] / 'pixeldiff_nb' / 'assets'
p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--data', default='cifar10', choices=('cifar10', 'shapes'))
p.add_argument('--out', default=None, help='weights file (default: the committed one of --data)')
p.add_argument('--epochs', type=int, default=None, help='default 15 (cifar10) or 6 (shapes)')
p.add_argument('--seed', type=int, default=0)
p.add_argument('--n', type=int, default=None, help='train on n images only (a quick check of the script)')
a = p.parse_args()
t0 = time.time()
if a.data == 'cifar10':
    tr, te = load_images('cifar10', 'train', n=a.n), load_images('cifar10', 'test')
    epochs = a.epochs or 15
    net, hist = M.train_feature_net(*tr, epochs=epochs, seed=a.seed, test=te, progress=True)
    extra = dict(test_accuracy=float(M.accuracy(net, *te)), train_images=len(tr[0]))
else:
    tr = M.shapes_training_set(a.n or 80_000, seed=2_000_000 + a.seed)
    te = M.shapes_training_set(4_000, seed=3_000_000)  # held out: another generator stream
    epochs = a.epochs or 6
    net, hist = M.train_feature_net(
        *tr,
        epochs=epochs,
        seed=a.seed,
        lr=0.05,
        outputs=M.SHAPES_OUTPUTS,
        loss=M.shapes_loss,
        augment=False,
        test=lambda net: M.shapes_scores(net, *te),
        progress=True,
    )
    extra = dict(M.shapes_scores(net, *te), train_images=len(tr[0]))
secs = time.time() - t0
default = ASSETS / ('feature_net.pt' if a.data == 'cifar10' else 'feature_net_shapes.pt')
out = pathlib.Path(a.out or default)
out.parent.mkdir(parents=True, exist_ok=True)
torch.save(net.state_dict(), out)
rec = dict(
    history=hist,
    sha256=hashlib.sha256(out.read_bytes()).hexdigest(),
    data=a.data,
    **extra,
    epochs=epochs,
    seed=a.seed,
    train_seconds=round(secs, 1),
    machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
    config=net.config,
)
out.with_suffix('.json').write_text(json.dumps(rec, indent=1) + '\n')
print(json.dumps(rec, indent=1))
