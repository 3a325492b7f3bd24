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


def test_cuda_notebook_after_triton_was_imported_elsewhere():
    """diffusers imports Triton without the interpreter, and nbdev_test reuses worker processes, so 03_sampler can load
    Triton before 04_cuda sets TRITON_INTERPRET=1 (a CI run failed that way). The notebook must pass anyway, and the
    library must say what is wrong instead of failing inside Triton."""
    code = (
        "import sys, os, torch\nfrom diffusers import DDPMScheduler\nassert 'triton' in sys.modules\n"
        "from pixeldiff_nb import cuda\nx = torch.zeros(1, 3, 4, 4)\nassert not cuda.triton_usable(x)\n"
        "try: cuda.fused_reverse(torch.zeros(1, 1, 3, 4, 4), x, 1, x + 0.5, 10)\n"
        "except RuntimeError as e: assert 'TRITON_INTERPRET=1' in str(e) and 'diffusers' in str(e), e\nelse: raise AssertionError('no error')\n"
        "from pathlib import Path\nfrom nbdev.test import test_nb\nos.chdir('nbs')\n"
        "ok, _ = test_nb(Path('04_cuda.ipynb').absolute(), skip_flags=['slow', 'cuda'])\nprint('passed' if ok else 'FAILED')\n"
    )
    r = run(sys.executable, '-c', code, cwd=ROOT, env={k: v for k, v in os.environ.items() if k != 'TRITON_INTERPRET'})
    assert r.returncode == 0 and r.stdout.strip().endswith('passed'), r.stdout[-3000:] + r.stderr[-3000:]
