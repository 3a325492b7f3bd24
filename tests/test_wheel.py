"""What a user who installs the package gets: a wheel built from a clean tree, installed into a fresh virtual environment
(no system site packages, so every requirement must be declared), used there without the notebooks or the repository."""

import os, pathlib, shutil, subprocess, sys, zipfile
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(*cmd, cwd=None, timeout=900):
    r = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'VIRTUAL_ENV')},
    )
    assert r.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    return r.stdout


def test_wheel_in_fresh_venv(tmp_path):
    tree = tmp_path / 'tree'  # the tracked files only: no egg-info, caches or runs
    files = subprocess.run(
        ['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split('\0')
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (tree / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, tree / f)
    run(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '-w', tmp_path / 'dist', tree)
    whl = next((tmp_path / 'dist').glob('pixeldiff_nb-*.whl'))
    names = zipfile.ZipFile(whl).namelist()
    assert 'pixeldiff_nb/assets/feature_net.pt' in names and 'pixeldiff_nb/cli.py' in names, names
    assert not any(n.startswith(('nbs/', 'tests/')) for n in names)
    venv = tmp_path / 'venv'
    run(sys.executable, '-m', 'venv', venv)
    py, bindir = venv / 'bin' / 'python', venv / 'bin'
    run(py, '-m', 'pip', 'install', '-q', whl)
    work = tmp_path / 'elsewhere'
    work.mkdir()  # not the repository: nothing can be imported from it
    where = run(
        py, '-c', 'import pixeldiff_nb, pixeldiff_nb.cli, pixeldiff_nb.metrics; print(pixeldiff_nb.__file__)', cwd=work
    )
    assert str(venv) in where, where
    assert 'demo' in run(bindir / 'pixeldiff', '--help', cwd=work)
    run(
        bindir / 'pixeldiff',
        'train',
        '--out',
        'run',
        '--steps',
        '1',
        '--vae-steps',
        '1',
        '--n-data',
        '16',
        '--batch-size',
        '4',
        '--sample-every',
        '0',
        cwd=work,
    )
    out = run(
        bindir / 'pixeldiff',
        'sample',
        '--checkpoint',
        'run',
        '--n',
        '2',
        '--sampler',
        'parallel_deterministic',
        '--out',
        'grid.png',
        '--npz',
        's.npz',
        cwd=work,
    )
    assert (work / 'grid.png').stat().st_size > 0 and (work / 's.npz').is_file(), out
    out = run(
        bindir / 'pixeldiff',
        'evaluate',
        '--checkpoint',
        'run',
        '--n',
        '4',
        '--sampler',
        'parallel_deterministic',
        cwd=work,
    )
    assert 'FD' in out and 'KID' in out and '4 samples' in out, out
