"End-to-end runs of the console script and the import footprint, in fresh processes."

import os, pathlib, subprocess, sys
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)


def test_forward_figures_cli_on_the_embedded_data(tmp_path):
    r = run('pixeldiff-forward', '--out', str(tmp_path / 'figs'), '--index', '2')
    assert r.returncode == 0, r.stderr
    for name in ('mean_variance.png', 'forward_grid.png'):
        f = tmp_path / 'figs' / name
        assert f.is_file() and f.stat().st_size > 10_000
        assert f"wrote {f}" in r.stdout


def test_forward_figures_cli_bad_arguments(tmp_path):
    r = run('pixeldiff-forward', '--out', str(tmp_path), '--data', 'folder', '--path', str(tmp_path / 'missing'))
    assert r.returncode == 2
    assert 'does not exist' in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run('pixeldiff-forward', '--data', 'mnist')
    assert r.returncode == 2 and "invalid choice: 'mnist'" in r.stderr


def test_library_imports_without_jupyter():
    "The explorer imports ipywidgets lazily: importing the library pulls in neither ipywidgets nor IPython."
    code = "import sys, pixeldiff_nb.schedule, pixeldiff_nb.data, pixeldiff_nb.theory, pixeldiff_nb.sampler, pixeldiff_nb.cuda, pixeldiff_nb.vae, pixeldiff_nb.unet, pixeldiff_nb.train, pixeldiff_nb.metrics, pixeldiff_nb.cli; print(sorted(m for m in ('ipywidgets', 'IPython') if m in sys.modules))"
    r = run(sys.executable, '-c', code)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == '[]'


def test_cuda_notebook_after_triton_was_imported_elsewhere(tmp_path):
    """diffusers imports Triton without the interpreter, and nbdev_test reuses worker processes, so 03_sampler can load
    Triton before 04_cuda sets TRITON_INTERPRET=1 (a CI run failed that way). The library must say what is wrong instead
    of failing inside Triton, and the notebook must pass anyway: its cells run here up to its first check of the kernel
    against the float64 reference (nbdev_test runs the whole notebook once; running it twice cost 100 s)."""
    script = tmp_path / 'triton_first.py'
    script.write_text(
        """import os, sys, torch
from diffusers import DDPMScheduler
assert 'triton' in sys.modules
from pixeldiff_nb import cuda
x = torch.zeros(1, 3, 4, 4)
assert not cuda.triton_usable(x)
try:
    cuda.fused_reverse(torch.zeros(1, 1, 3, 4, 4), x, 1, x + 0.5, 10)
except RuntimeError as e:
    assert 'TRITON_INTERPRET=1' in str(e) and 'diffusers' in str(e), e
else:
    raise AssertionError('no error')
from execnb.nbio import read_nb
from execnb.shell import CaptureShell
os.chdir('nbs')
cells = [c.source for c in read_nb('04_cuda.ipynb').cells if c.cell_type == 'code']
first = next(k for k, s in enumerate(cells) if 'fused_reverse(' in s and not s.startswith('#| export'))
sh = CaptureShell()
for s in cells[: first + 1]:
    sh.run(s)
    assert not sh.exc, (s[:300], sh.exc)
print(f'passed: {first + 1} cells, the kernel checked')
"""
    )
    r = run(sys.executable, script, cwd=ROOT, env={k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'})
    assert r.returncode == 0 and 'passed' in r.stdout, r.stdout[-3000:] + r.stderr[-3000:]
