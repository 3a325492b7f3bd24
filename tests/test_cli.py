"""`pixeldiff` end to end, as an installed console script in fresh processes: train and exact resume, sample, evaluate,
bench, the demo within its time budget, and one-line errors with a non-zero exit status."""

import json, pathlib, re, subprocess, time
import numpy as np
import pytest
import torch

TINY = ['--n-data', '64', '--batch-size', '8', '--sample-every', '0']


def pixeldiff(*args, cwd=None, timeout=900):
    return subprocess.run(['pixeldiff', *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def ok(*args, **kw):
    r = pixeldiff(*args, **kw)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def one_line_error(r, *fragments):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith('pixeldiff'), r.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope='module')
def run_dir(tmp_path_factory):
    """4 steps of each network straight, and 4 VAE + 2 U-Net steps then --resume to 4 (only --steps/--vae-steps repeated).
    The VAE is complete before the U-Net resumes, as in an interrupted run: extending the VAE would change the U-Net's
    conditioning, so a straight run and an extended one are different systems (09_system)."""
    d = tmp_path_factory.mktemp('cli')
    ok('train', '--data', 'shapes', '--config', 'tiny', '--steps', 4, '--vae-steps', 4, '--out', d / 'straight', *TINY)
    ok('train', '--data', 'shapes', '--config', 'tiny', '--steps', 2, '--vae-steps', 4, '--out', d / 'resumed', *TINY)
    out = ok('train', '--steps', 4, '--vae-steps', 4, '--out', d / 'resumed', '--resume', '--sample-every', '0')
    assert 'trained vae, parallel' in out
    return d


def test_resume_is_exact(run_dir):
    for net in ('vae', 'parallel'):
        a = torch.load(run_dir / 'straight' / net / 'last.pt', weights_only=False)
        b = torch.load(run_dir / 'resumed' / net / 'last.pt', weights_only=False)
        assert a['step'] == b['step'] == 4
        for k in a['model']:
            assert torch.equal(a['model'][k], b['model'][k]) and torch.equal(a['ema'][k], b['ema'][k]), (net, k)
        assert set(a['history']) <= set(b['history'])  # the resumed run also logged the end of its first part


def test_train_refuses_to_overwrite_and_bad_resume(run_dir, tmp_path):
    one_line_error(pixeldiff('train', '--out', run_dir / 'straight', '--steps', 2), 'already holds a run', '--resume')
    one_line_error(pixeldiff('train', '--out', tmp_path / 'new', '--steps', 2, '--resume'), 'nothing to resume')
    one_line_error(
        pixeldiff('train', '--out', run_dir / 'straight', '--steps', 8, '--resume', '--seed', 3),
        'another configuration',
    )
    one_line_error(pixeldiff('train', '--out', tmp_path / 'x', '--steps', -1), '--steps must be at least 1')
    one_line_error(
        pixeldiff(
            'train', '--out', tmp_path / 'x', '--data', 'folder', '--data-path', tmp_path / 'missing', '--steps', 1
        ),
        'does not exist',
    )
    r = pixeldiff('train', '--out', tmp_path / 'x', '--data', 'mnist')
    assert r.returncode == 2 and "invalid choice: 'mnist'" in r.stderr


def test_ddpm_baseline_trains_and_samples(tmp_path):
    ok('train', '--model', 'ddpm', '--steps', 2, '--out', tmp_path / 'ddpm', *TINY)
    out = ok(
        'sample',
        '--checkpoint',
        tmp_path / 'ddpm',
        '--n',
        3,
        '--sampler',
        'ddim',
        '--steps',
        5,
        '--clip',
        '--out',
        tmp_path / 'g.png',
    )
    assert (tmp_path / 'g.png').is_file() and '3 images' in out
    one_line_error(
        pixeldiff('sample', '--checkpoint', tmp_path / 'ddpm', '--sampler', 'algorithm1', '--out', tmp_path / 'g.png'),
        'does not apply to a ddpm system',
    )


def test_papers_head_bank_trains_resumes_and_samples(tmp_path):
    "--head-bank blocks --head-balance: trained, resumed with its heads (not named again), sampled by the closed loop."
    d, heads = tmp_path / 'blocks', ('--head-bank', 'blocks', '--head-balance', 0.25)
    ok('train', '--config', 'tiny16', '--steps', 2, '--vae-steps', 2, *heads, '--out', d, *TINY)
    ok('train', '--steps', 3, '--vae-steps', 2, '--out', d, '--resume', '--sample-every', '0')
    ck = torch.load(d / 'parallel' / 'last.pt', weights_only=False)
    assert ck['step'] == 3 and ck['model_config']['head_bank'] == 'blocks'
    assert ck['train_config']['head_balance'] == 0.25
    ok('sample', '--checkpoint', d, '--n', 2, '--sampler', 'block_sequential', '--out', tmp_path / 'g.png')
    one_line_error(
        pixeldiff('train', '--model', 'ddpm', *heads, '--out', tmp_path / 'x', '--steps', 1),
        'head_bank and head_balance',
    )


def test_cosine_learning_rate_is_kept_on_resume(tmp_path):
    ok('train', '--model', 'ddpm', '--steps', 4, '--lr-decay', 'cosine', '--out', tmp_path / 'cos', *TINY)
    ck = torch.load(tmp_path / 'cos' / 'eps' / 'last.pt', weights_only=False)
    assert (ck['train_config']['lr_decay'], ck['train_config']['lr_decay_steps']) == ('cosine', 4)
    assert ck['opt']['param_groups'][0]['lr'] == pytest.approx(1e-4 * (1 - np.cos(np.pi / 4)) / 2)  # step 4 of 4
    # --resume reads the decay from the run (not given again), and its horizon stays 4
    one_line_error(
        pixeldiff('train', '--model', 'ddpm', '--out', tmp_path / 'cos', '--steps', 6, '--resume'),
        'reaches lr 0 at step 4',
        'steps 6',
    )


def test_sample_writes_grid_and_npz(run_dir, tmp_path):
    def sample(grid: str, npz: str):  # six images of block_sequential, seed 3
        args = (
            '--n',
            6,
            '--sampler',
            'block_sequential',
            '--seed',
            3,
            '--out',
            tmp_path / grid,
            '--npz',
            tmp_path / npz,
        )
        return ok('sample', '--checkpoint', run_dir / 'straight', *args)

    out = sample('grid.png', 's.npz')
    from PIL import Image

    assert Image.open(tmp_path / 'grid.png').size == (3 * 34 + 2, 2 * 34 + 2)
    z = np.load(tmp_path / 's.npz')
    assert z['images'].shape == (6, 32, 32, 3) and z['images'].dtype == np.uint8 and int(z['seed']) == 3
    sample('g2.png', 's2.npz')
    assert np.array_equal(np.load(tmp_path / 's2.npz')['images'], z['images'])  # seeded
    one_line_error(
        pixeldiff('sample', '--checkpoint', tmp_path / 'nothing', '--out', tmp_path / 'g.png'), 'no run folder'
    )
    one_line_error(
        pixeldiff('sample', '--checkpoint', run_dir / 'straight', '--out', tmp_path / 'g.jpg'), 'must end in .png'
    )
    one_line_error(
        pixeldiff('sample', '--checkpoint', run_dir / 'straight', '--n', 0, '--out', tmp_path / 'g.png'),
        '--n must be at least 1',
    )
    if not torch.cuda.is_available():
        one_line_error(
            pixeldiff('sample', '--checkpoint', run_dir / 'straight', '--device', 'cuda', '--out', tmp_path / 'g.png'),
            'no CUDA device',
        )


def test_evaluate_prints_fd_kid_count_seed(run_dir, tmp_path):
    out = ok(
        'evaluate',
        '--checkpoint',
        run_dir / 'straight',
        '--n',
        8,
        '--sampler',
        'parallel_deterministic',
        '--seed',
        1,
        '--json',
        tmp_path / 'q.json',
    )
    assert (
        'FD ' in out
        and 'KID ' in out
        and '8 samples from parallel_deterministic, seed 1' in out
        and 'shapes/test' in out
    )
    one_line_error(pixeldiff('evaluate', '--checkpoint', run_dir / 'straight', '--n', 2), 'at least 4')


def test_evaluate_inception_with_a_weights_file(tmp_path):
    "The standard-FID path with a stand-in InceptionV3 of random weights (the real file cannot be fetched here)."
    from pixeldiff_nb.metrics import save_random_inception, INCEPTION_FILE

    w = save_random_inception(tmp_path / 'inception.pth')
    args = ('evaluate', '--pretrained', 'shapes-ddpm', '--sampler', 'ddim', '--steps', 2, '--n', 8)
    out = ok(*args, '--metric', 'inception', '--inception-weights', w, '--n-ref', 8, '--json', tmp_path / 'q.json')
    assert 'FID ' in out and 'against 8 shapes/test images' in out and 'NOT the standard InceptionV3 weights' in out
    r = json.loads((tmp_path / 'q.json').read_text())
    assert r['fid'] > 0 and r['n'] == 8 and r['n_ref'] == 8 and r['standard'] is False
    one_line_error(pixeldiff(*args, '--metric', 'inception'), INCEPTION_FILE, '--inception-weights PATH')
    one_line_error(pixeldiff(*args, '--metric', 'inception', '--inception-weights', tmp_path / 'no.pth'), 'no.pth')


def test_bench_prints_ratios():
    out = ok('bench', '--batch', 1, '--reps', 1)
    assert 'DDPM, 200 steps (baseline)' in out and 'block_sequential, K=10' in out and 'CPU' in out
    ratios = [float(x) for x in re.findall(r' ([0-9.]+)x(?:\s|$)', out)]
    assert len(ratios) == 7 and ratios[0] == 1.0 and all(r > 0 for r in ratios)


def test_help_of_every_command():
    assert 'demo' in ok('--help')
    for c in ('demo', 'train', 'sample', 'evaluate', 'bench'):
        assert '--help' in ok(c, '--help')


def test_demo_writes_its_figures(tmp_path):
    """The README's first command, at its defaults, on this machine: the figures it writes, and the best sampler's images are
    not noise. How long it takes is a benchmark figure (bench/demo_time.py), not a test: a slower machine must not fail
    the suite; the bound here only catches a hang."""
    import json

    t0 = time.perf_counter()
    out = ok('demo', '--out', tmp_path / 'demo', cwd=tmp_path)
    secs = time.perf_counter() - t0
    for name in ('forward_grid.png', 'mean_variance.png', 'samplers.png'):
        assert (tmp_path / 'demo' / name).stat().st_size > 1000, name
    q = json.loads((tmp_path / 'demo' / 'samplers.json').read_text())
    best = q['rows'][0]
    assert best['label'].startswith('shapes-ddpm') and best['n'] == 64, best
    # uniform noise scores KID about 1.07 and FD about 26 at n = 64 in this feature space; the shipped baseline's best
    # (DDIM-50) 0.003 and 0.74, real images 0.59
    assert best['kid'] < 0.03 and best['fd'] < 2, best
    assert [r['fd'] for r in q['rows']] == sorted(r['fd'] for r in q['rows'])  # best first
    assert 'time per part' in out and 'look at' in out.strip().splitlines()[-1]
    print(out, f'demo took {secs:.0f} s')
    assert secs < 900, f'pixeldiff demo took {secs:.0f} s: hung?'


def test_interrupt_keeps_a_checkpoint_and_resumes(tmp_path):
    "Ctrl-C during training: exit status 130, a line saying how to continue, and a checkpoint that --resume continues from."
    import signal, torch

    out = tmp_path / 'run'
    # a background job (CI runs under nohup/&) inherits SIGINT ignored, and Python then installs no KeyboardInterrupt
    # handler: restore the default in the child, as in a terminal where a user presses Ctrl-C
    p = subprocess.Popen(
        ['pixeldiff', 'train', '--out', str(out), '--steps', '2', '--vae-steps', '100000', *TINY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    while not (out / 'vae').is_dir() and time.time() < deadline and p.poll() is None:
        time.sleep(0.2)
    time.sleep(4)  # some steps into the VAE's training
    p.send_signal(signal.SIGINT)
    try:
        _, err = p.communicate(timeout=120)
    finally:
        p.kill()
    assert p.returncode == 130, (p.returncode, err[-2000:])
    assert 'interrupted' in err.strip().splitlines()[-1] and '--resume' in err.strip().splitlines()[-1]
    step = torch.load(out / 'vae' / 'last.pt', weights_only=False)['step']
    assert step > 0
    ok('train', '--out', out, '--resume', '--vae-steps', step + 2, '--steps', 1, '--sample-every', '0')
    assert torch.load(out / 'vae' / 'last.pt', weights_only=False)['step'] == step + 2
    assert torch.load(out / 'parallel' / 'last.pt', weights_only=False)['step'] == 1


def test_load_system_refuses_mixed_schedules(tmp_path):
    "A scale VAE and a parallel U-Net trained on different (gamma, T) cannot be loaded as one system."
    import shutil
    from pixeldiff_nb.system import train_system, load_system

    kw = dict(data='shapes', n_data=64, batch_size=8, sample_every=0, progress=False, steps=1)
    train_system(tmp_path / 'a', **kw)
    train_system(tmp_path / 'b', gamma=10.0, **kw)
    load_system(tmp_path / 'a')  # one schedule: fine
    shutil.copy(tmp_path / 'b/vae/last.pt', tmp_path / 'a/vae/last.pt')
    with pytest.raises(ValueError, match='trained on different schedules'):
        load_system(tmp_path / 'a')


def test_sigterm_keeps_a_checkpoint_that_resumes_exactly(tmp_path):
    """SIGTERM (what a cluster scheduler sends before it stops a job) during training: as Ctrl-C, but exit status 143
    (128 + 15, the shell's code for it), and a checkpoint; resuming from it gives the same weights, bit for bit, as a run that was never stopped."""
    import signal, torch

    out = tmp_path / 'stopped'
    p = subprocess.Popen(
        ['pixeldiff', 'train', '--out', str(out), '--steps', '1', '--vae-steps', '100000', *TINY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not (out / 'vae').is_dir() and time.time() < deadline and p.poll() is None:
        time.sleep(0.2)
    time.sleep(3)
    p.send_signal(signal.SIGTERM)
    try:
        _, err = p.communicate(timeout=120)
    finally:
        p.kill()
    assert p.returncode == 143, (p.returncode, err[-2000:])
    assert 'interrupted' in err.strip().splitlines()[-1]
    step = torch.load(out / 'vae' / 'last.pt', weights_only=False)['step']
    assert step > 0
    ok('train', '--out', out, '--resume', '--vae-steps', step + 3, '--steps', 1, '--sample-every', '0')
    ok('train', '--out', tmp_path / 'straight', '--vae-steps', step + 3, '--steps', 1, *TINY)
    a, b = (torch.load(d / 'vae' / 'last.pt', weights_only=False) for d in (out, tmp_path / 'straight'))
    assert a['step'] == b['step'] == step + 3
    assert all(torch.equal(a['model'][k], b['model'][k]) and torch.equal(a['ema'][k], b['ema'][k]) for k in a['model'])


def test_pretrained_commands_in_readme_still_start(tmp_path):
    """The README's commands that reproduce the pretrained systems run (one step each, a small batch, on the CPU), and the
    pretrained systems load and sample from the command line."""
    readme = (pathlib.Path(__file__).resolve().parents[1] / 'README.md').read_text()
    section = readme.split('**Pretrained systems.**')[1].split('\n#')[0]
    cmds = [l.strip() for l in section.splitlines() if l.startswith('pixeldiff train')]
    assert len(cmds) == 3 and {c.split()[3] for c in cmds} == {'ddpm', 'pixel', 'pixel-eps'}, cmds
    for k, cmd in enumerate(cmds):
        args = cmd.split()[1:]
        args = [a for a in args if a not in ('--device', 'cuda')]
        for flag, small in (
            ('--steps', '1'),
            ('--vae-steps', '1'),
            ('--batch-size', '8'),
            ('--out', str(tmp_path / f'run{k}')),
        ):
            if flag in args:
                args[args.index(flag) + 1] = small
        ok(*args, '--n-data', '64')
    for name, sampler in (('shapes-pixel', 'vae_only'), ('shapes-pixel-eps', 'dpmpp2m'), ('shapes-ddpm', 'ddim')):
        out = ok('sample', '--pretrained', name, '--n', 4, '--sampler', sampler, '--out', tmp_path / f'{name}.png')
        assert '4 images' in out and (tmp_path / f'{name}.png').is_file()


def test_fixed_point_last_step_from_the_command_line(tmp_path):
    "`--final fixed_point` samples the per-pixel noise network; the baseline refuses it in one line."
    out = ok('sample', '--pretrained', 'shapes-pixel-eps', '--n', 4, '--steps', 2, '--final', 'fixed_point',
             '--out', tmp_path / 'fp.png', '--npz', tmp_path / 'fp.npz')  # fmt: skip
    assert '4 images' in out and np.load(tmp_path / 'fp.npz')['images'].shape == (4, 16, 16, 3)
    one_line_error(
        pixeldiff(
            'sample',
            '--pretrained',
            'shapes-ddpm',
            '--sampler',
            'dpmpp2m',
            '--final',
            'fixed_point',
            '--n',
            2,
            '--out',
            tmp_path / 'x.png',
        ),  # fmt: skip
        "final='fixed_point' is for per-pixel schedules",
    )


def test_pixel_eps_fixed_end_trains_resumes_and_samples(tmp_path):
    """`--model pixel-eps --schedule fixed-end`: trained, resumed exactly, sampled on every ODE grid; bad settings refused
    before any training."""
    fe = ['--model', 'pixel-eps', '--schedule', 'fixed-end', '--kappa', '2', '--config', 'tiny16', *TINY]
    ok('train', '--steps', 4, '--vae-steps', 2, '--out', tmp_path / 'straight', *fe)
    ok('train', '--steps', 2, '--vae-steps', 2, '--out', tmp_path / 'resumed', *fe)
    ok('train', '--model', 'pixel-eps', '--steps', 4, '--vae-steps', 2, '--out', tmp_path / 'resumed', '--resume')
    a, b = (torch.load(tmp_path / k / 'pixel-eps' / 'last.pt', weights_only=False) for k in ('straight', 'resumed'))
    assert a['model_config']['kappa'] == b['model_config']['kappa'] == 2.0 and b['step'] == 4
    assert all(torch.equal(a['model'][n], b['model'][n]) for n in a['model'])
    assert a['train_config']['guide'] == b['train_config']['guide'] == 'prior'  # the guide sampling draws
    old = tmp_path / 'straight' / 'pixel-eps' / 'last.pt'  # a run from before the setting: its guide was G(x_1, 1)
    torch.save({**a, 'train_config': {k: v for k, v in a['train_config'].items() if k != 'guide'}}, old)
    ok('train', '--model', 'pixel-eps', '--steps', 5, '--vae-steps', 2, '--out', tmp_path / 'straight', '--resume')
    assert torch.load(old, weights_only=False)['train_config']['guide'] == 'x1'  # resumed as it was trained
    r = pixeldiff('train', '--out', tmp_path / 'g', '--model', 'pixel-eps', '--guide', 'x1', '--steps', 2, *TINY)
    one_line_error(r, "guide is the fixed-end network's VAE guide in training")
    for grid in ('uniform', 'logsnr', 'edm'):
        out = ok(
            'sample', '--checkpoint', tmp_path / 'straight', '--n', 2, '--sampler', 'dpmpp2m', '--steps', 3,
            '--grid', grid, '--out', tmp_path / f'{grid}.png',
        )  # fmt: skip
        assert (tmp_path / f'{grid}.png').is_file() and '2 images' in out
    one_line_error(
        pixeldiff('train', '--out', tmp_path / 'p', '--schedule', 'fixed-end', '--steps', 2, *TINY),
        "set the pixel-eps network's schedule",
    )
    r = pixeldiff('train', '--out', tmp_path / 'k', '--model', 'pixel-eps', '--kappa', '2', '--steps', 2, *TINY)
    one_line_error(r, "set schedule='fixed-end' too")
    assert not (tmp_path / 'k' / 'vae').exists()  # refused before the VAE trained


def test_pixel_eps_t_min_trains_and_samples_down_to_it(tmp_path):
    """`--t-min`: the pixel-eps network trains below 1/T, keeps t_min in its configuration, and the registry's ODE
    samplers integrate down to it (the same images as `ode_sample` with that t_min); other models refuse it."""
    from pixeldiff_nb import sampler as S
    from pixeldiff_nb.data import from_model
    from pixeldiff_nb.system import load_system

    pe = ['--model', 'pixel-eps', '--t-min', '1e-5', '--config', 'tiny16', *TINY]
    ok('train', '--steps', 2, '--vae-steps', 2, '--out', tmp_path / 'pe', *pe)
    sy = load_system(tmp_path / 'pe')
    assert sy.net.t_min == sy.net.config['t_min'] == 1e-5
    x, _ = sy.sample(2, 'dpmpp2m', 0, 2, steps=3, clip=True)
    g = torch.Generator().manual_seed(0)
    xd = sy.vae.generate(2, generator=g).float()
    x_T = S.prior_sample(xd, sy.schedule, g)
    with torch.no_grad():
        want = S.ode_sample(
            sy.model(xd), x_T, sy.schedule, 3, x_delta_hat=xd, solver='dpmpp2m', grid='logsnr', t_min=1e-5, clip=True
        )
    assert torch.equal(x, from_model(want).float().clamp(0, 1)), 'the registry did not integrate to the network t_min'
    one_line_error(
        pixeldiff('train', '--out', tmp_path / 'd', '--model', 'ddpm', '--t-min', '1e-5', '--steps', 2, *TINY),
        'leave t_min unset for a ddpm run',
    )
    r = pixeldiff('train', '--out', tmp_path / 'f', *pe[:4], '--schedule', 'fixed-end', '--steps', 2, *TINY)
    one_line_error(r, "t_min extends the pixel-eps network's pixel schedule")


def test_readme_usage_commands_run(tmp_path):
    """Every command of README's "Using it" block runs as written, at a tiny size (two steps, a few images), in a fresh
    folder: what a reader copies works."""
    readme = (pathlib.Path(__file__).resolve().parents[1] / 'README.md').read_text()
    block = readme.split('## Using it')[1].split('```bash')[1].split('```')[0]
    cmds = [l.split('#')[0].split()[1:] for l in block.splitlines() if l.startswith('pixeldiff ')]
    assert [c[0] for c in cmds] == ['train'] * 4 + ['sample', 'evaluate'], cmds
    small = {'--steps': '2', '--n': '50'}
    for args in cmds:
        args = [small.get(args[k - 1], a) if k else a for k, a in enumerate(args)]
        if args[0] == 'train':
            args += ['--steps', '2', '--vae-steps', '2'] if '--steps' not in args else ['--vae-steps', '2']
            args += [] if '--resume' in args else TINY
        ok(*args, cwd=tmp_path)
    assert (tmp_path / 'grid.png').is_file() and (tmp_path / 'samples.npz').is_file()
    assert json.loads((tmp_path / 'scores.json').read_text())['n'] == 50


def test_evaluate_scores_an_npz_of_images(tmp_path):
    """`pixeldiff evaluate --images FILE.npz` scores any set of images against the data's reference, with precision and
    recall in its JSON; a wrong array is one line that names the expected shape and dtype, exit status 2."""
    ok('sample', '--pretrained', 'shapes-ddpm', '--sampler', 'ddim', '--steps', 5, '--n', 16, '--out',
       tmp_path / 'g.png', '--npz', tmp_path / 's.npz')  # fmt: skip
    out = ok('evaluate', '--images', tmp_path / 's.npz', '--json', tmp_path / 'r.json')
    assert f"16 images from {tmp_path / 's.npz'}" in out and 'precision' in out
    r = json.loads((tmp_path / 'r.json').read_text())
    assert {'fd', 'fd_se', 'kid', 'kid_se', 'precision', 'recall'} <= set(r) and 0 <= r['precision'] <= 1
    # shapes images: both feature spaces by default, each with its own numbers, and the grain beside the real images'
    assert set(r['spaces']) == {'cifar10', 'shapes'} and r['spaces']['shapes']['fd'] != r['spaces']['cifar10']['fd']
    assert {'fd', 'fd_se', 'kid', 'kid_se', 'precision', 'recall'} <= set(r['spaces']['shapes'])
    assert r['grain_w1'] >= 0 and r['grain_w1_se'] > 0 and 'shapes space: FD' in out and 'grain ' in out
    ok('evaluate', '--images', tmp_path / 's.npz', '--features', 'shapes', '--json', tmp_path / 'r1.json')
    r1 = json.loads((tmp_path / 'r1.json').read_text())
    assert list(r1['spaces']) == ['shapes'] and r1['fd'] == r['spaces']['shapes']['fd']
    np.savez(tmp_path / 'bad.npz', images=np.zeros((4, 16, 16, 3), np.float32))
    one_line_error(pixeldiff('evaluate', '--images', tmp_path / 'bad.npz'), 'must be uint8 (N, H, W, 3)')


def test_anisotropic_network_trains_resumes_samples_and_evaluates(tmp_path):
    """`--model aniso`: one network and no scale VAE, trained, resumed exactly with its kappa, sampled with each of its
    solvers and evaluated; the pixel grids and another kind's sampler are refused in one line."""
    an = ['--model', 'aniso', '--kappa', '2', '--config', 'tiny16', *TINY]
    out = ok('train', '--steps', 4, '--out', tmp_path / 'straight', *an)
    assert 'trained aniso-eps' in out and not (tmp_path / 'straight' / 'vae').exists()
    ok('train', '--steps', 2, '--out', tmp_path / 'resumed', *an)
    ok('train', '--model', 'aniso', '--steps', 4, '--out', tmp_path / 'resumed', '--resume')
    a, b = (torch.load(tmp_path / k / 'aniso-eps' / 'last.pt', weights_only=False) for k in ('straight', 'resumed'))
    assert a['model_config']['kappa'] == b['model_config']['kappa'] == 2.0 and b['step'] == 4
    assert all(torch.equal(a['model'][n], b['model'][n]) for n in a['model'])
    for sampler, grid in (('dpmpp2m', 'minimax'), ('heun', 'uniform'), ('ode_ddim', 'minimax')):
        out = ok('sample', '--checkpoint', tmp_path / 'straight', '--n', 2, '--sampler', sampler, '--steps', 2,
                 '--grid', grid, '--clip', '--out', tmp_path / f'{sampler}.png')  # fmt: skip
        assert '2 images' in out and (tmp_path / f'{sampler}.png').is_file()
    out = ok('evaluate', '--checkpoint', tmp_path / 'straight', '--n', 8, '--steps', 2, '--json', tmp_path / 'r.json')
    assert json.loads((tmp_path / 'r.json').read_text())['passes'] == 3  # the default: dpmpp2m, 2 steps + denoise
    one_line_error(
        pixeldiff('sample', '--checkpoint', tmp_path / 'straight', '--grid', 'logsnr', '--out', tmp_path / 'x.png'),
        "take grid 'uniform' or 'minimax'",
    )
    one_line_error(
        pixeldiff('sample', '--checkpoint', tmp_path / 'straight', '--sampler', 'ddim', '--out', tmp_path / 'x.png'),
        "does not apply to a aniso system",
    )
    one_line_error(pixeldiff('train', '--out', tmp_path / 'c', '--cond', 'oracle', *an), 'for a aniso run')


def test_a_broken_checkpoint_is_named_in_one_line(run_dir, tmp_path):
    "A run whose last.pt was cut short, or replaced by another kind of file: one line naming the file, no traceback."
    import shutil

    broken = tmp_path / 'broken'
    shutil.copytree(run_dir / 'straight', broken)
    last = broken / 'parallel' / 'last.pt'
    blob = last.read_bytes()
    last.write_bytes(blob[: len(blob) // 3])
    out = tmp_path / 'g.png'
    one_line_error(pixeldiff('sample', '--checkpoint', broken, '--out', out), str(last), 'cut short')
    one_line_error(pixeldiff('train', '--out', broken, '--steps', 8, '--resume'), str(last), 'cut short')
    torch.save({'weights': 1}, last)
    one_line_error(pixeldiff('sample', '--checkpoint', broken, '--out', out), str(last), 'holds no model_config')


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    "Two runs started into one --out: the second ends at once, naming the first; the first is unharmed and resumes."
    import signal

    out = tmp_path / 'run'
    first = subprocess.Popen(
        ['pixeldiff', 'train', '--out', str(out), '--steps', '1', '--vae-steps', '100000', *TINY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.time() + 120
        while not (out / '.lock').is_file() and time.time() < deadline and first.poll() is None:
            time.sleep(0.2)
        assert (out / '.lock').is_file(), first.communicate(timeout=60)
        one_line_error(pixeldiff('train', '--out', out, '--steps', 1, *TINY), 'is being trained into by another run')
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=120)
    finally:
        first.kill()
    assert first.returncode == 143, err[-2000:]
    assert not (out / '.lock').exists()  # released on the way out
    ok('train', '--out', out, '--resume', '--vae-steps', 3, '--steps', 1, '--sample-every', '0')


def test_resume_does_not_train_a_finished_vae_on_unless_told(run_dir, tmp_path):
    "A resumed pixel run keeps the VAE its U-Net trained on; a larger --vae-steps needs --extend-vae."
    import shutil

    run = tmp_path / 'run'
    shutil.copytree(run_dir / 'straight', run)
    one_line_error(pixeldiff('train', '--out', run, '--resume', '--steps', 5, '--vae-steps', 6), '--extend-vae')
    ok('train', '--out', run, '--resume', '--steps', 5, '--sample-every', '0')  # the U-Net alone goes on
    steps = {n: torch.load(run / n / 'last.pt', weights_only=False)['step'] for n in ('vae', 'parallel')}
    assert steps == {'vae': 4, 'parallel': 5}, steps
    ok('train', '--out', run, '--resume', '--steps', 5, '--vae-steps', 6, '--extend-vae', '--sample-every', '0')
    assert torch.load(run / 'vae' / 'last.pt', weights_only=False)['step'] == 6


def test_an_image_folder_is_evaluated_on_its_held_out_tenth(tmp_path):
    "A run on an image folder trains on nine tenths of it; evaluate scores against the held-out tenth, recorded in the run."
    from PIL import Image

    folder = tmp_path / 'images'
    folder.mkdir()
    rng = np.random.default_rng(0)
    for k in range(40):
        Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(folder / f'{k:02d}.png')
    run = tmp_path / 'run'
    args = ('--model', 'ddpm', '--config', 'tiny16', '--data', 'folder', '--data-path', folder, '--steps', 2)
    ok('train', *args, '--batch-size', 8, '--sample-every', 0, '--out', run)
    ck = torch.load(run / 'eps' / 'last.pt', weights_only=False)
    assert ck['data_split'] == {'held_out': 0.1, 'seed': 0}, ck['data_split']
    out = ok(
        'evaluate', '--checkpoint', run, '--n', 8, '--sampler', 'ddim', '--steps', 2, '--json', tmp_path / 'r.json'
    )
    r = json.loads((tmp_path / 'r.json').read_text())
    assert r['reference'] == 'folder/test' and r['n_ref'] == 4, (r['reference'], r['n_ref'], out)
