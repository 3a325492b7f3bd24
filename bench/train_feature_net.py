"""Train the feature network that defines this project's FD and KID (`pixeldiff_nb.metrics`), seeded, on the CIFAR-10 train split.

    python bench/train_feature_net.py                       # writes pixeldiff_nb/assets/feature_net.{pt,json}
    python bench/train_feature_net.py --out /tmp/fn.pt      # elsewhere (does not touch the committed weights)

The committed weights came from the first command (output in bench/results/feature_net.txt). Retraining changes every
reported FD and KID: if you replace the weights, update `metrics.FEATURE_NET_SHA256` and say so beside new numbers.
"""

import argparse, hashlib, json, os, pathlib, platform, sys, time
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from pixeldiff_nb.data import load_images
from pixeldiff_nb.metrics import train_feature_net, accuracy

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument('--out', default=str(pathlib.Path(__file__).parents[1] / 'pixeldiff_nb' / 'assets' / 'feature_net.pt'))
p.add_argument('--epochs', type=int, default=15)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--n', type=int, default=None, help='train on the first n images only (a quick check of the script)')
a = p.parse_args()
tr, te = load_images('cifar10', 'train', n=a.n), load_images('cifar10', 'test')
t0 = time.time()
net, hist = train_feature_net(*tr, epochs=a.epochs, seed=a.seed, test=te, progress=True)
secs = time.time() - t0
out = pathlib.Path(a.out)
out.parent.mkdir(parents=True, exist_ok=True)
torch.save(net.state_dict(), out)
sha = hashlib.sha256(out.read_bytes()).hexdigest()
rec = dict(
    history=hist,
    sha256=sha,
    test_accuracy=float(accuracy(net, *te)),
    epochs=a.epochs,
    seed=a.seed,
    train_images=len(tr[0]),
    train_seconds=round(secs, 1),
    machine=f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}",
    config=net.config,
)
out.with_suffix('.json').write_text(json.dumps(rec, indent=1) + '\n')
print(json.dumps(rec, indent=1))
