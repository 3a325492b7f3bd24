"The benchmark scripts run (at their small CPU size) and print their ratios; the GPU notebook runner runs and stops at a failure."

import json, subprocess, sys, pathlib
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(*args, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_sampler_bench_small():
    r = run('bench/sampler_bench.py', '--small')
    assert r.returncode == 0, r.stderr[-3000:]
    for line in ('memory floor', 'naive loop / fused algorithm1', 'DDPM-100                  / one pass'):
        assert line in r.stdout, line


def test_train_step_bench_small():
    r = run('bench/train_step_bench.py', '--small')
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'ratio ParallelUNet / EpsUNet training step' in r.stdout


def test_full_benchmarks_refuse_the_cpu():
    r = run('bench/train_step_bench.py', '--device', 'cpu')
    assert r.returncode != 0 and 'needs a GPU; use --small' in r.stderr


def _nb(cells):
    return {
        'cells': [
            {'cell_type': 'code', 'source': c, 'metadata': {}, 'outputs': [], 'execution_count': None} for c in cells
        ],
        'metadata': {},
        'nbformat': 4,
        'nbformat_minor': 5,
    }


def test_run_notebook(tmp_path):
    good, bad = tmp_path / 'good.ipynb', tmp_path / 'bad.ipynb'
    good.write_text(json.dumps(_nb(['x = 2', '#| eval: false\nraise RuntimeError', 'assert x == 2'])))
    bad.write_text(json.dumps(_nb(['x = 2', 'assert x == 3, "wrong x"'])))
    r = run('bench/run_notebook.py', str(good))
    assert r.returncode == 0 and '3 code cells passed' in r.stdout, r.stderr
    r = run('bench/run_notebook.py', str(bad))
    assert r.returncode == 1 and 'code cell 1' in r.stderr and 'wrong x' in r.stderr


def test_experiment_script():
    """bench/experiment.py is argument parsing over run_experiment and copy_report, whose smoke run (the whole pipeline end
    to end, and the report the notebook reads) 11_experiments runs once; here only the script's own plumbing."""
    r = run('bench/experiment.py', '--help')
    assert r.returncode == 0 and '--protocol' in r.stdout and 'smoke' in r.stdout, r.stderr
    r = run('bench/experiment.py', '--protocol', 'nope')
    assert r.returncode == 2 and "invalid choice: 'nope'" in r.stderr


def test_regime_s_small(tmp_path):
    "bench/regime_s.py scores a (2-step) 16x16 baseline against the ladder of degraded real images and appends to search.json."
    t = subprocess.run(
        [
            'pixeldiff',
            'train',
            '--model',
            'ddpm',
            '--config',
            'tiny16',
            '--steps',
            '2',
            '--batch-size',
            '8',
            '--n-data',
            '64',
            '--sample-every',
            '0',
            '--out',
            str(tmp_path / 'ddpm'),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert t.returncode == 0, t.stderr[-3000:]
    r = run(
        'bench/regime_s.py',
        '--run',
        str(tmp_path / 'ddpm'),
        '--n',
        '64',
        '--samplers',
        'ddim:2',
        '--report',
        str(tmp_path / 'rs'),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'rs' / 'search.json').read_text())[-1]
    assert res['step'] == 2 and res['size'] == 16 and set(res['ladder']) >= {'real (floor)', 'blurred 1 px'}
    lad = res['ladder']
    assert lad['real (floor)']['fd'] < lad['blurred 0.5 px']['fd'] < lad['blurred 1 px']['fd']  # the ladder is ordered
    assert (tmp_path / 'rs' / res['samples']['ddim-2+clip']['grid']).is_file()


def test_pack_run(tmp_path):
    "bench/pack_run.py packs a run's report and EMA weights; the slim checkpoint loads with load_system and refuses to resume."
    import tarfile, torch
    from pixeldiff_nb.system import load_system
    from pixeldiff_nb.train import TrainConfig, train

    exp = tmp_path / 'exp'
    t = subprocess.run(
        [
            'pixeldiff',
            'train',
            '--model',
            'ddpm',
            '--config',
            'tiny16',
            '--steps',
            '2',
            '--batch-size',
            '8',
            '--n-data',
            '64',
            '--sample-every',
            '0',
            '--out',
            str(exp / 'runs/ddpm'),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert t.returncode == 0, t.stderr[-3000:]
    (exp / 'results.json').write_text(json.dumps({'machine': 'test', 'stage_seconds': {}}))
    r = run('bench/pack_run.py', str(exp), str(tmp_path / 'back'))
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / 'back').iterdir()) == ['report.tar', 'weights_seed0.tar']
    with tarfile.open(tmp_path / 'back/weights_seed0.tar') as f:
        f.extractall(tmp_path / 'unpacked', filter='data')
    slim = torch.load(tmp_path / 'unpacked/ddpm/eps/last.pt', weights_only=False)
    full = torch.load(exp / 'runs/ddpm/eps/last.pt', weights_only=False)
    assert 'opt' not in slim and all(torch.equal(slim['ema'][k], full['ema'][k]) for k in full['ema'])
    assert load_system(tmp_path / 'unpacked/ddpm').kind == 'ddpm'
    cfg = TrainConfig(**{**slim['train_config'], 'steps': 3, 'out_dir': str(tmp_path / 'unpacked/ddpm/eps')})
    with pytest.raises(ValueError, match='EMA weights only'):
        train(cfg, progress=False)
