"""Property-based tests (Hypothesis) of the public entry points: for any input a strategy produces, the result is valid
(finite, in range, the right shape) or a `ValueError` whose message names the problem; on the command line, exit
status 0 or 2 with one line.

`CASES` examples per entry point run in the README's test command; `PIXELDIFF_HYPOTHESIS=N` runs N (say 2000) for a
longer search. The notebooks that own each function say how many were tried.
"""

import contextlib, io, math, os, warnings
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

CASES = int(os.environ.get('PIXELDIFF_HYPOTHESIS', 200))
CLI_CASES = max(20, CASES // 5)  # each command-line case loads a system and samples: slower
common = settings(
    max_examples=CASES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)  # derandomized: a CI run is repeatable; a longer run with PIXELDIFF_HYPOTHESIS explores more of the space

# numbers as a user might type them: ordinary, huge, tiny, negative, NaN, infinities, bools, whole floats
anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-(10**6), 10**6),
    st.booleans(),
    st.sampled_from([0, 1, 2, 200, 0.5, 1e-300, -0.0, float('nan'), float('inf')]),
)


def _valid_or_named(fn, *names):
    "Run `fn`: its result, or None after a ValueError / TypeError whose message names one of `names`."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return fn()
    except (ValueError, TypeError) as e:
        assert any(n in str(e) for n in names), f"the error does not name {names}: {e}"
        return None


@common
@given(gamma=anything, T=anything, x=st.lists(anything, min_size=1, max_size=8), i=anything)
def test_pixel_schedule_q_sample(gamma, T, x, i):
    "PixelSchedule(gamma, T).q_sample(x0, i): a finite x_i of x0's shape, or an error naming gamma, T, x0 or i."
    from pixeldiff_nb.schedule import PixelSchedule

    s = _valid_or_named(lambda: PixelSchedule(gamma, T), 'gamma', 'T must')
    if s is None:
        return
    x0 = torch.tensor([float(v) for v in x], dtype=torch.float64)
    out = _valid_or_named(lambda: s.q_sample(x0, i, generator=torch.Generator().manual_seed(0)), 'x0', 'i must')
    if out is not None:
        assert out.shape == x0.shape and torch.isfinite(out).all()


@common
@given(steps=anything, solver=st.sampled_from(['ddim', 'dpmpp2m', 'euler']), grid=st.sampled_from(
    ['uniform', 'logsnr', 'edm', 'minimax', 'linear']), t_min=anything, clip=st.booleans())  # fmt: skip
def test_ode_sample(steps, solver, grid, t_min, clip):
    "ode_sample on the pixel schedule: a finite sample of the start's shape, or an error naming the bad argument."
    from pixeldiff_nb.schedule import PixelSchedule
    from pixeldiff_nb.sampler import ode_sample

    assume(not (isinstance(steps, int) and not isinstance(steps, bool) and steps > 30))  # keep each case quick
    g = torch.Generator().manual_seed(0)
    xd = torch.exp(-20 * (torch.rand(2, 3, 4, 4, generator=g) * 0.99 + 0.005))
    x_T = torch.randn(2, 3, 4, 4, generator=g)
    eps = lambda x, t: 0.1 * x
    out = _valid_or_named(
        lambda: ode_sample(eps, x_T, PixelSchedule(20, 200), steps, x_delta_hat=xd, solver=solver, grid=grid, t_min=t_min, clip=clip),
        'steps', 'solver', 'grid', 't_min',
    )  # fmt: skip
    if out is not None:
        assert out.shape == x_T.shape and torch.isfinite(out).all()
        if clip:
            assert out.min() >= 0 and out.max() <= 1


@common
@given(
    t=st.one_of(anything, st.sampled_from(['first', 'last', 'cast16', 'cast32', 'castbf16'])),
    x=anything,
    step_type=st.sampled_from(['ancestral', 'ddim']),
    scale=st.one_of(anything, st.just('map')),
)
def test_scheduler_step_and_add_noise(t, x, step_type, scale):
    "PixelAwareScheduler: step and add_noise give finite tensors of the sample's shape and dtype, or a named error."
    from pixeldiff_nb.scheduler import PixelAwareScheduler

    s = PixelAwareScheduler(gamma=5.0, num_train_timesteps=50, step_type=step_type)
    s.set_timesteps(10)
    ts = s.timesteps
    t = {'first': ts[0], 'last': ts[-1], 'cast16': ts[3].half(), 'cast32': ts[3].float(), 'castbf16': ts[3].bfloat16()}.get(
        t, t
    )  # fmt: skip
    shape = (2, 3, 4, 4)
    xd = torch.full(shape, 0.3 if scale == 'map' else float(scale), dtype=torch.float64)
    sample = torch.full(shape, float(x), dtype=torch.float64)
    scaled = _valid_or_named(lambda: s.set_scale(xd) or True, 'x_delta_hat')
    if scaled:
        out = _valid_or_named(lambda: s.step(torch.zeros(shape), t, sample), 'timestep', 'x_delta_hat', 'sample')
        if out is not None:
            assert out.prev_sample.shape == shape and torch.isfinite(out.prev_sample).all()
    x0 = torch.full(shape, float(x), dtype=torch.float64)
    out = _valid_or_named(lambda: s.add_noise(x0, torch.zeros(shape), t), 'original_samples', 'timesteps', 'noise')
    if out is not None:
        assert out.shape == shape and out.dtype == x0.dtype and torch.isfinite(out).all()


@common
@given(
    n=st.integers(0, 12),
    m=st.integers(0, 12),
    d=st.integers(0, 6),
    d2=st.integers(0, 6),
    fill=st.sampled_from(['normal', 'nan', 'inf', 'constant']),
)
def test_metrics(n, m, d, d2, fill):
    "frechet_distance, kid, precision_recall: finite numbers (FD >= 0, shares in [0, 1]) or an error naming the input."
    from pixeldiff_nb.metrics import frechet_distance, kid, precision_recall

    rng = np.random.default_rng(n * 100 + m)
    a, b = rng.normal(size=(n, d)), rng.normal(size=(m, d2))
    if fill == 'nan' and a.size:
        a[0, 0] = np.nan
    if fill == 'inf' and b.size:
        b[-1, -1] = np.inf
    if fill == 'constant':
        a[:] = 1.0
    fd = _valid_or_named(lambda: frechet_distance(a, b), 'a ', 'b ', 'a and b', 'feature')
    if fd is not None:
        assert math.isfinite(fd) and fd >= -1e-9
    k = _valid_or_named(lambda: kid(a, b), 'a ', 'b ', 'a and b', 'feature')
    if k is not None:
        assert all(math.isfinite(v) for v in k)
    pr = _valid_or_named(lambda: precision_recall(a, b), 'real', 'fake', 'k ')
    if pr is not None:
        assert all(0 <= v <= 1 for v in pr)


@st.composite
def arguments(draw, valid: dict, bad: dict, at_most: int = 2) -> list:
    """A command line from a valid one (`valid`: option -> strategy) with up to `at_most` options replaced by values
    from `bad` (option -> values, valid or not in that combination): about a third of the draws change nothing."""
    args = {k: draw(v) for k, v in valid.items()}
    for k in draw(st.sets(st.sampled_from(sorted(bad)), max_size=at_most)):
        args[k] = draw(st.sampled_from(bad[k]))
    return [str(a) for k, v in args.items() if v is not None for a in (k, v)]


def _cli(argv) -> tuple:
    "`pixeldiff` in this process: (exit status, stderr)."
    from pixeldiff_nb.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


def _exit_0_or_named(code, err, argv):
    event(f"exit {code}")  # --hypothesis-show-statistics counts them
    assert code in (0, 2), (code, argv, err[-2000:])
    if code == 2:  # argparse's usage line may come first; the last line says what was wrong
        assert 'error:' in err.strip().splitlines()[-1], err


SAMPLE_ARGS = arguments(
    {
        '--n': st.sampled_from(['1', '2']),
        '--sampler': st.sampled_from(['ddim', 'dpmpp2m', 'ode_ddim']),
        '--steps': st.sampled_from(['1', '3']),
        '--seed': st.sampled_from(['0', '7']),
    },
    {
        '--n': ['0', '-3', '1.5', 'x'],
        '--sampler': ['nope', 'block_sequential', 'heun', 'ddpm'],
        '--steps': ['0', '-1', '2.5', 'many'],
        '--seed': ['-1', 'abc'],
        '--grid': ['linspace', 'uniform', 'edm', 'bogus'],
        '--K': ['5', '0'],
    },
)


@settings(max_examples=CLI_CASES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(args=SAMPLE_ARGS)
def test_cli_sample(tmp_path_factory, args):
    "`pixeldiff sample` on the pretrained baseline: exit 0 with a grid written, or exit 2 with one line saying why."
    # a valid run of the 1000-pass ancestral sampler is too slow for a property test (ddpm with --steps is refused)
    assume(not ('ddpm' in args and '--steps' not in args))
    out = tmp_path_factory.mktemp('s') / 'g.png'
    argv = ['sample', '--pretrained', 'shapes-ddpm', *args, '--out', out]
    code, err = _cli(argv)
    _exit_0_or_named(code, err, argv)
    assert (code == 0) == out.is_file(), argv


TRAIN_ARGS = arguments(
    {
        '--model': st.sampled_from(['pixel', 'ddpm', 'pixel-eps', 'aniso']),
        '--steps': st.just('1'),
        '--batch-size': st.sampled_from(['4', '8']),
        '--n-data': st.just('16'),
    },
    {
        '--model': ['gan'],
        '--steps': ['0', '-1', 'x'],
        '--vae-steps': ['2', '0'],
        '--batch-size': ['0', '1000'],
        '--n-data': ['0', '1'],
        '--gamma': ['0', '-1', 'nan', '5'],
        '--T': ['0', '1.5', '20'],
        '--kappa': ['3', '-1'],
        '--lr': ['-1', '0.001'],
        '--seed': ['-1', '3'],
    },
)


@settings(max_examples=CLI_CASES // 2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(args=TRAIN_ARGS)
def test_cli_train(tmp_path_factory, args):
    "`pixeldiff train`: exit 0 with the system loadable, or exit 2 with a last line saying what was wrong."
    out = tmp_path_factory.mktemp('t') / 'run'
    argv = ['train', '--config', 'tiny16', *args, '--sample-every', '0', '--out', out]
    code, err = _cli(argv)
    _exit_0_or_named(code, err, argv)
    if code == 0:
        from pixeldiff_nb.system import load_system

        assert load_system(out).kind == args[args.index('--model') + 1]


@settings(max_examples=CLI_CASES // 2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    n=st.sampled_from(['8', '0', '2', 'x']),
    n_ref=st.sampled_from([None, '8', '1', '0']),
    reference=st.sampled_from([None, 'shapes', 'mnist']),
    images=st.sampled_from(['good', 'cut', 'text', None]),
)
def test_cli_evaluate(tmp_path_factory, n, n_ref, reference, images):
    "`pixeldiff evaluate` of the pretrained baseline or of an .npz: exit 0, or exit 2 with a last line saying why."
    d = tmp_path_factory.mktemp('e')
    argv = ['evaluate', '--n', n, '--sampler', 'ddim', '--steps', '2', '--json', d / 'r.json']
    if images is None:
        argv += ['--pretrained', 'shapes-ddpm']
    else:
        from pixeldiff_nb.system import save_npz

        f = save_npz(torch.rand(8, 3, 16, 16), d / 's.npz')
        if images == 'cut':
            f.write_bytes(f.read_bytes()[:200])
        if images == 'text':
            f.write_text('not an npz')
        argv = ['evaluate', '--images', f, '--json', d / 'r.json']
    argv += ['--n-ref', n_ref] if n_ref else []
    argv += ['--reference', reference] if reference else []
    code, err = _cli(argv)
    _exit_0_or_named(code, err, argv)
    assert (code == 0) == (d / 'r.json').is_file(), argv


@common
@given(
    i=st.one_of(st.integers(1, 50), anything),
    steps=st.one_of(st.integers(1, 10), anything),
    scale=st.one_of(st.just(True), st.floats(0.01, 1.0), anything),  # True: the images' own scale map
    K=st.one_of(st.integers(1, 60), anything),
)
def test_pixel_and_baseline_samplers(i, steps, scale, K):
    """parallel_deterministic and block_sequential (the parallel heads) and DDIM (the baseline) from step `i`: a finite
    sample of the start's shape, or an error naming the bad argument."""
    from pixeldiff_nb.schedule import PixelSchedule, LinearSchedule
    from pixeldiff_nb.sampler import parallel_deterministic, block_sequential, ddim, PosteriorOracle

    assume(not (isinstance(steps, int) and not isinstance(steps, bool) and steps > 30))  # keep each case quick
    s, g = PixelSchedule(20, 50), torch.Generator().manual_seed(0)
    x0 = torch.rand(2, 3, 4, 4, generator=g) * 0.99 + 0.005
    x_i = s.q_sample(x0, 50, generator=g)
    xd = s.x_delta(x0) if scale is True else torch.full(x0.shape, float(scale), dtype=torch.float64)
    Z = torch.randn(2, 50, 3, 4, 4, generator=g)
    named = ('i must', 'i ', 'x_delta_hat', 'K must', 'steps')
    for name, run in (
        ('parallel_deterministic', lambda: parallel_deterministic(Z, x_i, s, i, x_delta_hat=xd)),
        (
            'block_sequential',
            lambda: block_sequential(PosteriorOracle(x0, s), x_i, s, i, x_delta_hat=xd, K=K, generator=g),
        ),
        ('ddim', lambda: ddim(lambda x, j: 0.1 * x, x_i, LinearSchedule(50), i, steps=steps)),
    ):
        out = _valid_or_named(run, *named)
        event(f"{name}: {'refused' if out is None else 'sampled'}")
        if out is not None:
            assert out.shape == x_i.shape and torch.isfinite(out).all()
