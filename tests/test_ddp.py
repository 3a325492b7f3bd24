"Data-parallel training under torchrun: two processes (gloo, CPU) compute exactly what one process computes on the whole batch."

import subprocess, sys, textwrap
import pytest, torch

SCRIPT = textwrap.dedent('''
    import sys
    from pixeldiff_nb.data import load_images
    from pixeldiff_nb.train import TrainConfig, train
    model, out = sys.argv[1], sys.argv[2]
    cond = dict(cond='oracle') if model == 'parallel' else {}     # data parallelism is what is tested; the oracle needs no VAE
    cfg = TrainConfig(model=model, batch_size=8, steps=3, ckpt_every=3, sample_every=0, log_every=1, out_dir=out, seed=3, **cond)
    train(cfg, images=load_images('shapes', n=32)[0], device='cpu', progress=False)
''')


@pytest.mark.parametrize('model', ['parallel', 'vae'])
def test_two_processes_match_one(tmp_path, model):
    script = tmp_path / 'run.py'
    script.write_text(SCRIPT)
    one = subprocess.run(
        [sys.executable, str(script), model, str(tmp_path / 'one')], capture_output=True, text=True, timeout=300
    )
    assert one.returncode == 0, one.stderr[-3000:]
    two = subprocess.run(
        [
            sys.executable,
            '-m',
            'torch.distributed.run',
            '--nproc_per_node=2',
            '--standalone',
            str(script),
            model,
            str(tmp_path / 'two'),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert two.returncode == 0, two.stderr[-3000:]
    a, b = (torch.load(tmp_path / k / 'last.pt', weights_only=False) for k in ('one', 'two'))
    assert a['step'] == b['step'] == 3
    # the same losses, step for step (step 1 starts from the same weights, so it must agree to rounding)
    torch.testing.assert_close(torch.tensor(b['history'])[:, 1], torch.tensor(a['history'])[:, 1], rtol=1e-4, atol=0)
    diff = torch.cat([(a['model'][k] - b['model'][k]).abs().flatten() for k in a['model']])
    # Adam moves each weight by at most about lr per step, so rounding in near-zero gradients (biases in front of
    # GroupNorm) can differ by up to 2 lr per step; everything else agrees to float rounding
    assert diff.max() <= 2 * 3 * 1e-4, diff.max()
    assert (diff < 1e-6).float().mean() > 0.99, (diff < 1e-6).float().mean()
    assert len(b['rng']) == 2  # both processes' generator states are in the checkpoint
