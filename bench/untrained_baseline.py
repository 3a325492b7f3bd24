"""Add the untrained network's scores to a train_eval JSON whose run could not compute them (the first GPU run).

    python bench/untrained_baseline.py bench/results/train_eval_cifar10/train_eval_cifar10.json

The initial weights are those train() makes (torch.manual_seed(seed), then the constructor on the CPU), so they are
the same here as on the GPU; the test images and noise seeds are train_eval.py's. Runs on the CPU.
"""

import json, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_eval import vae_ssim, STEPS
from common import device_name
from pixeldiff_nb.data import load_images, to_model
from pixeldiff_nb.train import TrainConfig, build

path = sys.argv[1]
res = json.load(open(path))
test = to_model(torch.from_numpy(load_images('cifar10', 'test', n=res['n_test'])[0]).permute(0, 3, 1, 2))
cfg = TrainConfig(model='vae', config=res['config'])
torch.manual_seed(cfg.seed)
vae = build(cfg).eval()
res['vae']['ssim_untrained'], res['vae']['ssim_x0_untrained'] = vae_ssim(vae, test, STEPS)
res['vae']['untrained_computed_on'] = device_name('cpu')
json.dump(res, open(path, 'w'), indent=1)
print({k: res['vae'][k] for k in ('ssim_untrained', 'ssim_x0_untrained', 'ssim_model')})
