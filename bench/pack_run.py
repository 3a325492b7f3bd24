"""Pack a run of bench/experiment.py for the trip back from the device machine, and print what it measured.

    python bench/pack_run.py RUN DEST

writes DEST/report.tar (results.json and every sample grid, seed grids included) and DEST/weights_<seed>.tar (each
trained network's EMA weights, optimizer state dropped, as `<run path>/last.pt`; each pixel-eps network in its own weights_pixel_eps*.tar; `model` holds the EMA weights
too, so `load_system` reads them either way; such a checkpoint cannot resume training). Files come back from the
device only two folders deep and eight at most, hence the archives.
"""

import io, json, pathlib, sys, tarfile
import torch


def slim(path) -> bytes:
    c = torch.load(path, map_location='cpu', weights_only=False)
    c.pop('opt', None)
    c['model'] = c['ema']  # the same tensors: saved once
    c['slim'] = 'EMA weights only: optimizer state dropped, model = ema; cannot resume training'
    buf = io.BytesIO()
    torch.save(c, buf)
    return buf.getvalue()


def pack(run, dest):
    run, dest = pathlib.Path(run), pathlib.Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if (run / 'results.json').is_file():
        with tarfile.open(dest / 'report.tar', 'w') as t:
            t.add(run / 'results.json', 'results.json')
            if (run / 'grids').is_dir():
                t.add(run / 'grids', 'grids')
    groups = {}
    for ck in sorted((run / 'runs').rglob('last.pt')):
        rel = ck.relative_to(run / 'runs')
        top = rel.parts[0]  # a file may come back at most 16 MiB: the pixel-eps network gets its own
        groups.setdefault(top if top.startswith(('seed', 'pixel_eps')) else 'seed0', []).append((rel, ck))
    for key, cks in groups.items():
        with tarfile.open(dest / f'weights_{key}.tar', 'w') as t:
            for rel, path in cks:
                b = slim(path)
                info = tarfile.TarInfo(str(rel))
                info.size = len(b)
                t.addfile(info, io.BytesIO(b))
    return sorted(p.name for p in dest.iterdir())


def summary(run) -> str:
    path = pathlib.Path(run) / 'results.json'
    if not path.is_file():
        return f'no results.json in {run}'
    r, lines = json.loads(path.read_text()), []
    lines.append(f"{r.get('machine')}; stages done: {', '.join(r.get('stage_seconds', {}))}")
    for k, v in r.get('stage_seconds', {}).items():
        lines.append(f'  {k:24s} {v:8.1f} s')
    for key in ('train_pixel', 'train_ddpm'):
        for m, t in r.get(key, {}).items():
            lines.append(
                f"  {m:9s} steps {t['steps']:6d} images {t['images']:8d} in {t['seconds']:6.1f} s, loss {t['final_loss']}"
            )
    rows = [('seed0', w) for w in r.get('samplers_pixel', []) + r.get('samplers_ddpm', [])]
    rows += [('ode', w) for w in r.get('ode', {}).get('samplers', [])]
    for s in [k for k in r if k.startswith('seed')]:
        rows += [(s, w) for w in r[s]['samplers']]
        lines.append(
            f"  {s}: "
            + json.dumps({m: (v['steps'], v['images'], round(v['seconds'])) for m, v in r[s]['train'].items()})
        )
    for s, w in rows:
        lines.append(
            f"  {w['system']:5s} {s} {w['sampler']:42s} passes {w['passes']:5d} {w['seconds']:7.2f} s  "
            f"FD {w['fd']:7.3f} (floor {w['fd_floor']:.3f})  KID {w['kid']:.4f} ± {w['kid_se']:.4f}  clamped {w['clamped']:.3f}"
        )
    return '\n'.join(lines)


if __name__ == '__main__':
    run, dest = sys.argv[1:3]
    print(summary(run))
    print('packed:', pack(run, dest))
