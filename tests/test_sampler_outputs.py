"""Every registered sampler's output, bit for bit, against a record written before a refactor.

A change to how the samplers are organised (their signatures, where their coefficients come from, which module
dispatches them) must not change a single output bit. `outputs()` runs every registered sampler on every system kind it
applies to (the three pretrained systems, and seeded random networks for the fixed-end and anisotropic ones, which
have no pretrained file), with its options' variants, from one seed, two images each, on the CPU; plus the diffusers
scheduler's loop and the trainer's loss on a fixed batch. The record is `tests/records/sampler_outputs.pt`; rewrite it
only for a change meant to alter outputs:

    python tests/test_sampler_outputs.py --write
"""

import hashlib, pathlib, platform, sys
import torch
import pytest

RECORD = pathlib.Path(__file__).parent / 'records' / 'sampler_outputs.pt'
B, SEED = 2, 0
# One thread: PyTorch's CPU kernels split their sums by thread, so the bits depend on the thread count. They also
# depend on the CPU: two x86_64 machines with the same vector capability (AVX512) differed by up to 4e-5 of an
# output's scale (the record of 2026-12-06 read on the machine of 2026-12-07). The record keeps the CPU's model, its
# instruction flags, vector capability and PyTorch's version; elsewhere the test compares within float32 rounding (1e-4 of the output's
# scale) instead of bit for bit, and says so.
THREADS = 1


def machine() -> dict:
    "What the bits depend on besides the code: the CPU (model and instruction flags), its vector capability, PyTorch."
    cpuinfo = pathlib.Path('/proc/cpuinfo')
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    field = lambda name: next((l.split(':', 1)[1].strip() for l in lines if l.startswith(name)), '')
    return dict(cpu=field('model name') or platform.processor(), flags=hashlib.sha1(field('flags').encode()).hexdigest()[:8],
                cpu_capability=torch.backends.cpu.get_cpu_capability(), torch=str(torch.__version__))  # fmt: skip

# (system, sampler, options): every registered sampler on every kind it applies to, with its options' variants
CASES = (
    ('shapes-pixel', 'vae_only', {}),
    ('shapes-pixel', 'algorithm1', {}),
    ('shapes-pixel', 'algorithm1', dict(clip=True, standard_prior=True)),
    ('shapes-pixel', 'parallel_deterministic', {}),
    ('shapes-pixel', 'parallel_deterministic', dict(clip=True)),
    ('shapes-pixel', 'block_sequential', {}),
    ('shapes-pixel', 'block_sequential', dict(K=3, clip=True)),
    ('shapes-pixel', 'ddpm_pixel', {}),
    ('shapes-pixel', 'ddpm_pixel', dict(clip=True)),
    ('shapes-pixel', 's2n', dict(steps=4)),
    ('shapes-pixel', 's2n', dict(steps=4, rho=0.0, gamma_s2n=0.0)),
    ('shapes-pixel-eps', 'vae_only', {}),
    ('shapes-ddpm', 'ddpm', {}),
    ('shapes-ddpm', 'ddpm', dict(clip=True)),
    ('shapes-ddpm', 'ddim', dict(steps=5)),
    ('shapes-ddpm', 'ddim', dict(steps=5, clip=True)),
    ('aniso', 'heun', dict(steps=3)),
    ('aniso', 'heun', dict(steps=3, grid='uniform', denoise=False, clip=True)),
) + tuple(
    (system, solver, opts)
    for solver in ('dpmpp2m', 'ode_ddim')
    for system, opts in (
        ('shapes-ddpm', dict(steps=4)),
        ('shapes-ddpm', dict(steps=4, denoise=False, clip=True)),
        ('shapes-pixel-eps', dict(steps=4)),
        ('shapes-pixel-eps', dict(steps=4, clip=True, final='fixed_point')),
        *(('shapes-pixel-eps', dict(steps=4, grid=grid)) for grid in ('uniform', 'edm', 'minimax')),
        ('fixed-end', dict(steps=4)),
        ('fixed-end', dict(steps=4, grid='minimax', final='fixed_point', clip=True)),
        ('fixed-end-none', dict(steps=4)),
        ('aniso', dict(steps=4)),
        ('aniso', dict(steps=4, grid='uniform', clip=True)),
    )
)


def _random_systems() -> dict:
    "The kinds with no pretrained file: seeded random networks of the tiny16 configuration."
    from pixeldiff_nb.system import System
    from pixeldiff_nb.vae import ScaleVAE
    from pixeldiff_nb.unet import PixelEpsUNet, AnisoEpsUNet

    frozen = lambda m: m.eval().requires_grad_(False)
    torch.manual_seed(1)
    vae = frozen(ScaleVAE.from_config('tiny16'))
    fixed_end = frozen(PixelEpsUNet.from_config('tiny16', kappa=3.0))
    aniso = frozen(AnisoEpsUNet.from_config('tiny16'))
    return {
        'fixed-end': System('pixel-eps', {'vae': vae, 'pixel-eps': fixed_end}),
        'fixed-end-none': System('pixel-eps', {'vae': vae, 'pixel-eps': fixed_end}, cond='none'),
        'aniso': System('aniso', {'aniso-eps': aniso}),
    }


def _label(system: str, sampler: str, opts: dict) -> str:
    return f"{system}/{sampler}" + ''.join(f",{k}={v}" for k, v in sorted(opts.items()))


@torch.no_grad()
def sampler_outputs() -> dict:
    "label -> the raw batch (before `System.sample`'s clamp) of every case, each from a generator seeded with SEED."
    from pixeldiff_nb.system import load_pretrained
    from pixeldiff_nb.registry import get_sampler, sampler_options

    systems = {n: load_pretrained(n) for n in ('shapes-pixel', 'shapes-pixel-eps', 'shapes-ddpm')} | _random_systems()
    out = {}
    for system, sampler, opts in CASES:
        sy = systems[system]
        o = sampler_options(sampler, sy.kind, **opts)
        out[_label(system, sampler, opts)] = get_sampler(sampler, sy.kind).run(
            sy, B, torch.Generator().manual_seed(SEED), **o
        )
    return out


@torch.no_grad()
def scheduler_outputs() -> dict:
    "The diffusers scheduler's loop (both step types) on the pretrained pixel-eps network, from one seed."
    from pixeldiff_nb.system import load_pretrained
    from pixeldiff_nb.scheduler import PixelAwareScheduler, STEP_TYPES

    sy = load_pretrained('shapes-pixel-eps')
    out = {}
    for step_type in STEP_TYPES:
        g = torch.Generator().manual_seed(SEED)
        xd = sy.vae.generate(B, generator=g).float()
        sch = PixelAwareScheduler(gamma=sy.net.gamma, num_train_timesteps=sy.net.T, step_type=step_type)
        sch.set_scale(xd)
        sch.set_timesteps(5)
        x = torch.randn(xd.shape, generator=g)
        for t in sch.timesteps:
            x = sch.step(sy.net(x, xd, t), t, x, generator=g).prev_sample
        out[f"scheduler/{step_type}"] = x
    return out


def loss_outputs() -> dict:
    "The trainer's loss of every model on one fixed batch of the shapes data, from one seed."
    from pixeldiff_nb.train import TrainConfig, build, batch_loss
    from pixeldiff_nb.data import load_images, to_model

    from pixeldiff_nb.vae import ScaleVAE

    x0 = to_model(torch.from_numpy(load_images('shapes', 'train', n=8, size=16)[0]).permute(0, 3, 1, 2))
    out = {}
    for model, extra in (
        ('vae', {}),
        ('parallel', {}),
        ('eps', {}),
        ('pixel-eps', {}),
        ('pixel-eps', dict(schedule='fixed-end', kappa=3.0)),
        ('aniso-eps', {}),
    ):
        torch.manual_seed(2)
        # the recorded fixed-end loss is the guide G(x_1, 1)'s, the default before the prior guide (07_train tests that)
        pinned = dict(guide='x1') if extra.get('schedule') == 'fixed-end' else {}
        cfg = TrainConfig(model=model, config='tiny16', data='shapes', **extra, **pinned)
        net = build(cfg)
        vae = ScaleVAE.from_config('tiny16').eval() if model in ('parallel', 'pixel-eps') else None
        g = torch.Generator().manual_seed(SEED)
        out[_label('loss', model, extra)] = batch_loss(net, cfg, x0, g, vae=vae).detach()
    return out


PARTS = {'sampler': sampler_outputs, 'scheduler': scheduler_outputs, 'loss': loss_outputs}


def _one_thread(fn):
    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    try:
        return fn()
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def record():
    if not RECORD.exists():
        pytest.fail(f"{RECORD} is missing: write it with `python tests/test_sampler_outputs.py --write`")
    return torch.load(RECORD, weights_only=True)


def test_every_case_recorded(record):
    "The record and the cases name the same outputs (a new sampler needs a case and a rewritten record)."
    from pixeldiff_nb.registry import SAMPLERS

    assert {s for _, s, _ in CASES} == set(SAMPLERS), set(SAMPLERS) ^ {s for _, s, _ in CASES}
    labels = {_label(*c) for c in CASES}
    recorded = {k for k in record['outputs'] if not k.startswith(('scheduler/', 'loss/'))}
    assert recorded == labels, sorted(recorded ^ labels)


@pytest.mark.parametrize('part', ['sampler', 'scheduler', 'loss'])
def test_outputs_bit_for_bit(record, part):
    """Every output equals the record to the bit (on the recording machine: CPU model, vector capability, PyTorch;
    elsewhere to within float32 rounding, relative to the output's scale)."""
    new, old = _one_thread(PARTS[part]), record['outputs']
    exact = machine() == record.get('machine')
    differ = []
    for k, v in new.items():
        if k not in old:
            differ.append(f"{k}: not in the record")
            continue
        w = old[k]
        if v.shape != w.shape or v.dtype != w.dtype:
            differ.append(f"{k}: {v.dtype} {tuple(v.shape)}, recorded {w.dtype} {tuple(w.shape)}")
            continue
        same = torch.equal(v, w) if exact else torch.allclose(v, w, rtol=1e-4, atol=1e-4 * float(w.abs().max()))
        if not same:
            differ.append(f"{k}: max |difference| {(v.double() - w.double()).abs().max().item():.3g}")
    where = 'bit for bit' if exact else f"within rounding (recorded on {record.get('machine', 'another machine')})"
    assert not differ, f"outputs differ from the record ({where}):\n" + '\n'.join(differ)


if __name__ == '__main__':
    if sys.argv[1:] != ['--write']:
        sys.exit(__doc__)
    RECORD.parent.mkdir(exist_ok=True)
    outputs = _one_thread(lambda: {k: v for f in PARTS.values() for k, v in f().items()})
    torch.save(dict(outputs=outputs, machine=machine()), RECORD)
    print(f"wrote {len(outputs)} outputs to {RECORD} ({RECORD.stat().st_size / 1e3:.0f} kB)")
