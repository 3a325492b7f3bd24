"What the repository itself promises: CI runs the README's command, notebooks stay light, no data set is committed."

import pathlib, subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    "What CI checks is what a new user runs: the README's test command appears verbatim in .ci/run."
    readme = (ROOT / 'README.md').read_text()
    cmd = next(l.strip() for l in readme.splitlines() if l.strip().startswith('pip install -e ".[dev]"'))
    assert cmd in (ROOT / '.ci' / 'run').read_text()


def tracked(*patterns):
    return subprocess.run(
        ['git', 'ls-files', *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()


def test_notebooks_are_committed_light():
    "Plots yes, megabyte dumps no."
    sizes = {f: (ROOT / f).stat().st_size for f in tracked('nbs/*.ipynb')}
    assert sizes and all(s < 1_000_000 for s in sizes.values()), sizes


def test_no_data_set_is_committed():
    "CIFAR-10 lives in shared/data or a user's path, never in this repository."
    assert tracked('*.npz', '*.npy', '*cifar-10-batches*') == []
