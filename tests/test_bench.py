"The benchmark scripts run (at their small CPU size) and print their ratios; the GPU notebook runner runs and stops at a failure."

import json, shutil, subprocess, sys, pathlib
import pytest
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(*args, timeout=600):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope='module')
def ddpm_run(tmp_path_factory) -> pathlib.Path:
    "A baseline run of 2 steps on 64 shapes at 16x16, trained once by the command line for the tests that read one."
    out = tmp_path_factory.mktemp('runs') / 'ddpm'
    args = '--model ddpm --config tiny16 --steps 2 --batch-size 8 --n-data 64 --sample-every 0 --out'.split()
    t = subprocess.run(['pixeldiff', 'train', *args, str(out)], capture_output=True, text=True, timeout=600)
    assert t.returncode == 0, t.stderr[-3000:]
    return out


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


def test_regime_s_small(ddpm_run, tmp_path):
    "bench/regime_s.py scores a (2-step) 16x16 baseline against the ladder of degraded real images and appends to search.json."
    score = ['bench/regime_s.py', '--run', str(ddpm_run), '--n', '64', '--samplers', 'ddim:2']
    r = run(*score, '--report', str(tmp_path / 'rs'), '--cache', str(tmp_path / 'cache'))
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'rs' / 'search.json').read_text())[-1]
    assert res['step'] == 2 and res['size'] == 16 and set(res['ladder']) >= {'real (floor)', 'blurred 1 px'}
    lad = res['ladder']
    assert lad['real (floor)']['fd'] < lad['blurred 0.5 px']['fd'] < lad['blurred 1 px']['fd']  # the ladder is ordered
    s = res['samples']['ddim-2+clip']
    assert (tmp_path / 'rs' / s['grid']).is_file()
    assert all(x['fd_se'] > 0 for x in [*lad.values(), s]) and 0 < s['fd_mean_term'] <= s['fd']
    edges = {k: v['pixel_stats']['edges'] for k, v in lad.items()}  # blur softens edges
    assert edges['blurred 1 px'] < edges['blurred 0.5 px'] < edges['real (floor)']
    assert set(s['pixel_stats']) == {'contrast', 'saturation', 'edges', 'at_bounds'}
    # the margin over the criterion is the difference of the two FDs (the shared reference, the same groups)
    assert (
        abs(s['fd_minus_criterion'] - (s['fd'] - lad['blurred 1 px']['fd'])) < 1e-9 and s['fd_minus_criterion_se'] > 0
    )
    # asked again, the samples come from the cache: the same numbers, and the sampling time the file holds (marked here,
    # since sampling afresh would give the same images)
    (cached,) = list((tmp_path / 'cache').glob('*ddim-2+clip_n64_seed0_batch*_cpu.npz'))
    z = dict(np.load(cached))
    np.savez(cached, **(z | {'seconds': np.float64(12345.0)}))
    r = run(*score, '--cache', str(cached.parent))
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"FD {s['fd']:.3f} ± {s['fd_se']:.3f}" in r.stdout and '(12345 s,' in r.stdout, r.stdout


def test_regime_s_sampler_spec():
    "A --samplers entry sets a sampler's steps (block_sequential: its block size) and an ODE solver's time grid."
    sys.path.insert(0, str(ROOT / 'bench'))
    from regime_s import sampler_spec

    assert sampler_spec('dpmpp2m:20:edm', 'pixel-eps') == (
        'dpmpp2m-20-edm+clip',
        'dpmpp2m',
        {'clip': True, 'steps': 20, 'grid': 'edm'},
    )
    assert sampler_spec('dpmpp2m:20', 'ddpm') == ('dpmpp2m-20+clip', 'dpmpp2m', {'clip': True, 'steps': 20})
    assert sampler_spec('block_sequential:10', 'pixel') == ('block_sequential-10+clip', 'block_sequential',
                                                            {'clip': True, 'K': 10})  # fmt: skip
    assert sampler_spec('vae_only', 'pixel') == ('vae_only', 'vae_only', {})
    for bad in ('ddim:10:edm', 'dpmpp2m:10:edm:x'):
        with pytest.raises(ValueError, match='name:N:grid for a sampler with a grid'):
            sampler_spec(bad, 'ddpm')


def test_regime_s_pixel_system(tmp_path):
    """bench/regime_s.py scores the papers' system on the same ladder with its own samplers: `name:N` is the block size
    of block_sequential, the VAE alone cannot clip, and the images seen count the scale VAE's too."""
    t = subprocess.run(
        ['pixeldiff', 'train', '--model', 'pixel', '--config', 'tiny16', '--steps', '2', '--vae-steps', '3',
         '--batch-size', '8', '--n-data', '64', '--sample-every', '0', '--out', str(tmp_path / 'px')],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert t.returncode == 0, t.stderr[-3000:]
    samplers = 'vae_only,parallel_deterministic,block_sequential:100'
    r = run('bench/regime_s.py', '--run', str(tmp_path / 'px'), '--n', '32', '--samplers', samplers,
            '--report', str(tmp_path / 'rs'))  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'rs' / 'search.json').read_text())[-1]
    assert res['kind'] == 'pixel' and res['step'] == 2 and res['group_ch'] == 4
    assert (res['train']['vae']['steps'], res['train']['parallel']['steps'], res['images_seen']) == (3, 2, 40)
    assert res['train']['vae']['vae_target'] == 'x_delta' and res['train']['parallel']['cond'] == 'vae'
    assert 'cond' not in res['train']['vae'] and 'vae_target' not in res['train']['parallel']
    s = res['samples']
    assert set(s) == {'vae_only', 'parallel_deterministic+clip', 'block_sequential-100+clip'}
    assert [s[k]['passes'] for k in s] == [0, 1, 2]
    assert all((tmp_path / 'rs' / v['grid']).is_file() and v['grid'].startswith('pixel_px_') for v in s.values())
    r = run('bench/regime_s.py', '--run', str(tmp_path / 'px'), '--n', '32', '--samplers', 'ddpm')
    assert r.returncode != 0 and "sampler 'ddpm' does not apply to a pixel system" in r.stderr


def test_matched_time(tmp_path):
    """bench/matched_time.py trains the papers' system in a given wall time: the VAE its steps, the parallel U-Net what
    the probe says the time left buys, with the cosine horizon set to that; it refuses a budget spent before the U-Net."""
    small = ['--vae-steps', '2', '--batch-size', '8', '--n-data', '64', '--probe', '2,6', '--sample-every', '0']
    r = run('bench/matched_time.py', '--out', str(tmp_path / 'px'), '--seconds', '40', *small)
    assert r.returncode == 0, r.stderr[-3000:]
    rec = json.loads((tmp_path / 'px' / 'matched_time.json').read_text())
    assert (
        rec['steps'] >= 1 and rec['network'] == 'parallel' and rec['seconds_per_step'] > 0 and rec['total_seconds'] < 80
    )
    from pixeldiff_nb.system import load_system

    sy = load_system(tmp_path / 'px')
    # the U-Net trains the steps the probe's rate buys, or stops at 1.2 times the time left before its horizon
    assert (
        sy.kind == 'pixel'
        and sy.steps == {'vae': 2, 'parallel': rec['steps_done']}
        and rec['steps_done'] <= rec['steps']
    )
    cfg = sy.configs['parallel']
    assert (cfg['lr_decay'], cfg['lr_decay_steps'], sy.configs['vae']['vae_target']) == (
        'cosine',
        rec['steps'],
        'x0',
    )
    r = run('bench/matched_time.py', '--out', str(tmp_path / 'px2'), '--seconds', '0.5', *small)
    assert r.returncode != 0 and 'is spent before the parallel U-Net starts' in r.stderr
    r = run('bench/matched_time.py', '--out', str(tmp_path / 'pe'), '--seconds', '30', '--model', 'pixel-eps',
            '--schedule', 'fixed-end', *small)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    sy = load_system(tmp_path / 'pe')
    assert sy.kind == 'pixel-eps' and sy.configs['pixel-eps']['schedule'] == 'fixed-end'
    rec = json.loads((tmp_path / 'pe' / 'matched_time.json').read_text())
    assert rec['network'] == 'pixel-eps' and 1 <= rec['steps_done'] <= rec['steps'] and rec['total_seconds'] < 80
    r = run('bench/matched_time.py', '--out', str(tmp_path / 'px'), '--seconds', '40', *small)
    assert r.returncode != 0 and 'exists' in r.stderr
    r = run('bench/matched_time.py', '--out', str(tmp_path / 'px3'), '--seconds', '40', '--kappa', '3', *small)
    assert r.returncode != 0 and 'leave them unset for --model pixel' in r.stderr and not (tmp_path / 'px3').exists()
    # the anisotropic network: no VAE stage; its budget the time the baseline's U-Net takes for 200 steps here (the
    # probe's seconds count against it, so fewer would leave nothing on a loaded machine)
    r = run('bench/matched_time.py', '--out', str(tmp_path / 'an'), '--baseline-steps', '200', '--model', 'aniso',
            '--kappa', '2', *small[:-4], '--probe', '4,12', '--sample-every', '0')  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    sy = load_system(tmp_path / 'an')
    rec = json.loads((tmp_path / 'an' / 'matched_time.json').read_text())
    assert sy.kind == 'aniso' and sy.net.kappa == 2.0 and not (tmp_path / 'an' / 'vae').exists()
    assert rec['vae_steps'] == 0 and rec['baseline_steps'] == 200 and rec['baseline_seconds_per_step'] > 0
    assert abs(rec['budget_seconds'] - 200 * rec['baseline_seconds_per_step']) < 1e-9 and rec['steps_done'] >= 1
    r = run('bench/matched_time.py', '--out', str(tmp_path / 'an2'), '--seconds', '40', '--model', 'aniso',
            '--schedule', 'fixed-end', *small)  # fmt: skip
    assert r.returncode != 0 and 'leave them unset for --model aniso' in r.stderr


def test_pack_run(ddpm_run, tmp_path):
    "bench/pack_run.py packs a run's report and EMA weights; the slim checkpoint loads with load_system and refuses to resume."
    import tarfile, torch
    from pixeldiff_nb.system import load_system
    from pixeldiff_nb.train import TrainConfig, train

    exp = tmp_path / 'exp'
    shutil.copytree(ddpm_run, exp / 'runs/ddpm')
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


def test_regime_s_trains_in_steps(tmp_path):
    "bench/regime_s.py --train-minutes trains the protocol's baseline up to each budget (resuming) and scores it after each."
    r = run(
        'bench/regime_s.py',
        '--device',
        'cpu',
        '--protocol',
        'shapes',
        '--train-minutes',
        '0.15,0.3',
        '--run',
        str(tmp_path / 'base'),
        '--n',
        '32',
        '--samplers',
        'ddim:2',
        '--report',
        str(tmp_path / 'rs'),
    )
    assert r.returncode == 0, r.stderr[-3000:]
    runs = json.loads((tmp_path / 'rs' / 'search.json').read_text())
    assert len(runs) == 2 and 0 < runs[0]['step'] < runs[1]['step'], [x['step'] for x in runs]
    assert runs[0]['train_seconds'] < runs[1]['train_seconds'] and runs[1]['batch'] == 64  # the protocol's batch
    assert all((tmp_path / 'rs' / x['samples']['ddim-2+clip']['grid']).is_file() for x in runs)


def test_gpu_targets_small(tmp_path):
    """bench/gpu_targets.py measures every target at its small CPU size and writes one JSON list with the fields the
    speed report asks for; nothing is marked met on a CPU; a rerun replaces a target's figures; the full run refuses the
    CPU."""
    out, prof = tmp_path / 'targets.json', tmp_path / 'profile.txt'
    r = run('bench/gpu_targets.py', '--small', '--json', str(out), '--profile', str(prof), timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = json.loads(out.read_text())
    keys = {'target', 'value', 'baseline', 'ratio', 'goal', 'met', 'card', 'versions', 'command', 'date'}
    assert all(keys <= set(e) for e in rows) and {e['target'] for e in rows} == {1, 2, 3, 4, 6}
    assert all(e['met'] is False and e['card'].startswith('CPU') for e in rows)
    for e in rows:
        assert e['value'] > 0 and e['baseline'] > 0
        assert (
            abs(e['ratio'] - (e['value'] / e['baseline'] if e['target'] in (1, 6) else e['baseline'] / e['value']))
            < 1e-9 * e['ratio']
        )
    assert len([e for e in rows if e['target'] == 4]) == 6  # three baseline samplers at two batch sizes
    assert 'ProfilerStep' in prof.read_text() or 'aten::' in prof.read_text()
    res = tmp_path / 'results.json'
    res.write_text(json.dumps({'total_seconds': 500.0, 'machine': 'test card', 'protocol': {'name': 'gpu'}}))
    r = run('bench/gpu_targets.py', '--small', '--parts', 'none', '--protocol-results', str(res), '--json', str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    rows = json.loads(out.read_text())
    five = [e for e in rows if e['target'] == 5]
    assert len(rows) == 11 and len(five) == 1 and five[0]['value'] == 500.0 and five[0]['met'] is False
    r = run('bench/gpu_targets.py', '--device', 'cpu')
    assert r.returncode == 2 and 'needs a GPU; use --small' in r.stderr


def test_regime_c_seed_small(tmp_path):
    """bench/regime_c_seed.py trains another seed of the baseline and of the fixed-end noise network in a finished run
    folder (here the smoke protocol's) and samples both at the given passes; it refuses a folder of another protocol."""
    from pixeldiff_nb.experiments import run_experiment

    run_experiment('smoke', tmp_path / 'smoke', progress=False)
    args = ['bench/regime_c_seed.py', '--out', str(tmp_path / 'smoke'), '--passes', '1,2']
    r = run(*args, '--protocol', 'smoke', '--report', str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'seed1_ode.json').read_text())
    assert (res['seed'], res['train']['eps']['seed'], res['train']['fixed_end']['seed']) == (1, 1, 1)
    assert res['train']['fixed_end']['schedule'] == 'fixed-end' and res['train']['fixed_end']['cond'] == 'vae'
    rows = [(w['system'], w['sampler']) for w in res['samplers']]
    assert len(rows) == 16 and rows[-1] == ('ddpm', 'dpmpp2m linspace+clip 2 passes'), rows
    assert rows[0] == ('pixel-eps', 'fixed-end ddim logsnr+clip 1 passes')
    grids = {g.name for g in (tmp_path / 'grids/seed1').iterdir()}  # DPM-Solver++(2M) at the most passes, and
    assert {'ddpm_dpmpp2m_linspace+clip_2_passes.png', 'pixel-eps_fixed-end_dpmpp2m_logsnr+clip_2_passes.png'} <= grids
    kinds = {(w['system'], w['passes']) for w in res['samplers']}  # each system's best setting at each pass count
    best = {
        min((w for w in res['samplers'] if (w['system'], w['passes']) == k), key=lambda w: w['kid'])['grid']
        for k in kinds
    }
    assert best <= grids and len(grids) <= 6, grids
    r = run(*args, '--protocol', 'cifar_cpu')
    assert r.returncode != 0 and 'was not written by protocol' in r.stderr
    # the guide ablation: curvature 0, the fixed-end network alone, in its own folder and results file
    r = run(*args[:-1], '1', '--protocol', 'smoke', '--kappa', '0', '--systems', 'fixed_end', '--report', str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'seed1_kappa0_ode.json').read_text())
    assert res['kappa'] == 0 and list(res['train']) == ['fixed_end'] and res['train']['fixed_end']['kappa'] == 0
    assert {w['system'] for w in res['samplers']} == {'pixel-eps'} and len(res['samplers']) == 6
    assert (tmp_path / 'smoke/runs/seed1/pixel_eps_fixed_end_kappa0/last.pt').is_file()
    # without a guide as well (cond='none'): no scale VAE in training, a constant mid-grey guide in sampling
    r = run(*args[:-1], '1', '--protocol', 'smoke', '--kappa', '0', '--cond', 'none', '--systems', 'fixed_end')
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((tmp_path / 'smoke/seed1_kappa0_none_ode.json').read_text())
    assert res['cond'] == res['train']['fixed_end']['cond'] == 'none' and len(res['samplers']) == 6
    r = run(*args, '--protocol', 'smoke', '--systems', 'eps,vae')
    assert r.returncode != 0 and '--systems takes eps and/or fixed_end' in r.stderr
    r = run(*args, '--protocol', 'smoke', '--baseline-grids', 'linspace,edm')
    assert r.returncode != 0 and '--baseline-grids takes linspace' in r.stderr


def test_regime_c_seed_new(tmp_path):
    """`--new` starts a run folder from scratch (the scale VAE trained there), trains the fixed-end network on the prior
    guide and gives the baseline the grids asked for; `--grids-only` copies a finished run's grids again."""
    out, rep = tmp_path / 'fresh', tmp_path / 'report'
    args = ['bench/regime_c_seed.py', '--new', '--out', str(out), '--protocol', 'smoke', '--seed', '0']
    args += ['--passes', '2', '--guide', 'prior', '--baseline-grids', 'linspace,karras']
    r = run(*args, '--report', str(rep))
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads((rep / 'seed0_prior_ode.json').read_text())
    assert list(res['train']) == ['vae', 'eps', 'fixed_end'] and res['train']['fixed_end']['guide'] == 'prior'
    assert json.loads((out / 'results.json').read_text())['protocol']['name'] == 'smoke'
    base = [w['sampler'] for w in res['samplers'] if w['system'] == 'ddpm']
    assert base == [f'{s} {g}+clip 2 passes' for g in ('linspace', 'karras') for s in ('ddim', 'dpmpp2m')], base
    shown = sorted(g.name for g in (rep / 'grids/seed0_prior').iterdir())
    r = run('bench/regime_c_seed.py', '--grids-only', '--out', str(out), '--protocol', 'smoke', '--seed', '0',
            '--passes', '2', '--guide', 'prior', '--report', str(tmp_path / 'again'))  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(g.name for g in (tmp_path / 'again/grids/seed0_prior').iterdir()) == shown
    r = run('bench/regime_c_seed.py', '--grids-only', '--out', str(out), '--protocol', 'smoke', '--seed', '5')
    assert r.returncode != 0 and 'seed5_ode.json) into --report; give both' in r.stderr, r.stderr


def test_regime_s_pretrained():
    "bench/regime_s.py scores the shipped baseline by name; it refuses to train one."
    r = run('bench/regime_s.py', '--run', 'pretrained:shapes-ddpm', '--n', '32', '--samplers', 'ddim:2')
    assert r.returncode == 0 and 'step  20000 ddim-2+clip' in r.stdout, r.stderr[-3000:]
    r = run('bench/regime_s.py', '--run', 'pretrained:shapes-ddpm', '--train-minutes', '1')
    assert r.returncode == 1 and 'not a pretrained system' in r.stderr, r.stderr[-3000:]


def test_heads_tolerance_small(tmp_path):
    """The tolerance of the parallel heads on 8 images and two error sizes: the best heads with the true coefficients
    are exact."""
    out = tmp_path / 't.json'
    p = run('bench/heads_tolerance.py', '--n', '8', '--starts', '10', '--sizes', '0,0.01', '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(out.read_text())
    best = [x for x in r['rows'] if x['coefficients'] == 'true' and x['e'] == 0]
    assert best and all(x['rms'] < 1e-5 for x in best), best
    assert {x['errors'] for x in r['rows']} == {'independent', 'common', 'trained heads'}
    assert len(r['trained'][0]['excess_rms']['bright']) == 10  # one per head 1..i


def test_rescore_update_alone():
    "`rescore.py --update` redraws one shipped system's answer-table rows: it refuses the options that pick other rows."
    for extra in (('--rows', 'vae_only'), ('--run', 'runs/x', '--samplers', 'vae_only')):
        r = run('bench/rescore.py', '--update', 'shapes-pixel-eps', *extra)
        assert r.returncode != 0 and 'use it without --run and --rows' in r.stderr, r.stderr[-3000:]


def test_rescore_max_rel_diff():
    "The ladder check of `rescore.py --update`: relative differences wherever the base record has numbers, inf if not."
    sys.path.insert(0, str(ROOT / 'bench'))
    from rescore import max_rel_diff

    assert max_rel_diff({'a': 1.0, 'extra': [1]}, {'a': 1.0}) == 0.0  # keys the base lacks are not compared
    assert abs(max_rel_diff({'a': {'fd': 1.002}}, {'a': {'fd': 1.0}}) - 0.002 / 1.002) < 1e-12
    assert max_rel_diff({'a': 1.0}, {'a': 1.0, 'b': 2.0}) == float('inf')  # a number the base has is missing
    assert max_rel_diff({'a': [1.0, 2.0]}, {'a': [1.0]}) == float('inf')


def test_last_step_small(tmp_path):
    """The last-step comparison on 64 images and 2 steps: every row scored in both spaces. On the shipped network,
    trained down to t_min, the coefficients hardly matter at the last step: real noised images denoised with any of
    them keep real edges, the fixed point's no grainier than the prior draw's (the gain of the fixed point on the
    network from 1/T is in the committed record, `14_few_passes`)."""
    out = tmp_path / 'ls.json'
    p = run('bench/last_step.py', '--n', '64', '--steps', '2', '--out', str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(out.read_text())
    assert set(r['samples']) == {'dpmpp2m-2+clip+plugin', 'dpmpp2m-2+clip+fixed_point'}
    assert all(set(v['spaces']) == {'cifar10', 'shapes'} for v in r['samples'].values())
    d = r['denoised']
    assert d['fixed point from the prior draw']['edges'] <= d['VAE prior draw']['edges'] + 1e-3
    assert all(abs(v['edges'] - r['real']['edges']) < 0.01 for v in d.values()), (r['real'], d)
    assert (tmp_path / 'grid_10_plugin.png').exists() is False  # grids only at 10 steps
