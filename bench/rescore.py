"""Regime S in both feature spaces: the ladder of degraded real images and every answer-table row whose network ships,
scored in the CIFAR-10 space, the shapes space (two training seeds of its network) and by the grain statistic.

    python bench/train_feature_net.py --data shapes                      # the committed shapes space (seed 0)
    python bench/train_feature_net.py --data shapes --seed 1 --out nbs/experiments/feature_nets/shapes_seed1.pt
    python bench/rescore.py --cache runs/rescore_samples                 # writes nbs/experiments/feature_spaces/
    # one shipped system re-packed: its rows drawn again, the others kept from --base (the ladder must agree with it)
    python bench/rescore.py --update shapes-pixel-eps --cache runs/rescore_samples \
        --out nbs/experiments/feature_spaces/rescore_pe_tmin.json
    # one run's samplers (as regime_s.py drew them: the same --cache), not the answer table's rows or the ladder
    python bench/rescore.py --run runs/s_px_blocks --samplers vae_only,parallel_deterministic,block_sequential:10 \
        --cache runs/regime_s_samples --out nbs/experiments/feature_spaces/blocks.json
    # a shipped system's samplers beyond the answer table's (the record it is compared with: its run folder's)
    python bench/rescore.py --run pretrained:shapes-ddpm --samplers dpmpp2m:1,dpmpp2m:2,dpmpp2m:4 \
        --cache runs/rescore_samples --out nbs/experiments/feature_spaces/ddpm_few.json

Samples are drawn again from the shipped seed-0 systems (`shapes-ddpm`, `shapes-pixel-eps`, `shapes-pixel`: the
regime-S networks `runs/s_gn20k`, `runs/s_pe_tmin`, `runs/s_px_gn` packed as EMA weights, the U-Nets in float16) with
the answer table's settings (1,000 images, sampling seed 0, batches of 500, clipped where the sampler can), so their
CIFAR-10 FD sits beside the one recorded from the float32 networks. Rows whose networks were not kept (training seed 1,
the fixed-end network, the longer-trained parallel U-Net) are listed as not rescored.
"""

import argparse, json, pathlib, sys, time
import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from common import write_record  # noqa: E402
from regime_s import pixel_stats, sampler_spec, samples  # noqa: E402  (the same sampling, cache and clipping as the record's)
from pixeldiff_nb import metrics as M  # noqa: E402
from pixeldiff_nb.system import load_pretrained, load_system  # noqa: E402
from pixeldiff_nb.bench import machine  # noqa: E402
from pixeldiff_nb.results import ANSWER_ROWS, runs, score  # noqa: E402
from pixeldiff_nb.experiments import REGIME_S_CPU as P  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHIPPED = {'runs/s_gn20k': 'shapes-ddpm', 'runs/s_pe_tmin': 'shapes-pixel-eps', 'runs/s_px_gn': 'shapes-pixel'}
SPEC = {  # record key -> the regime_s.py --samplers entry that made it
    'ddpm+clip': 'ddpm', 'dpmpp2m-10+clip': 'dpmpp2m:10', 'dpmpp2m-20+clip': 'dpmpp2m:20', 'vae_only': 'vae_only',
    'parallel_deterministic+clip': 'parallel_deterministic', 'algorithm1+clip': 'algorithm1',
    'block_sequential-10+clip': 'block_sequential:10', 'ddpm_pixel+clip': 'ddpm_pixel',
}  # fmt: skip
SEED1_NET = ROOT / 'nbs' / 'experiments' / 'feature_nets' / 'shapes_seed1.pt'


def nets() -> dict:
    "The feature networks: CIFAR-10's, the committed shapes one, and the shapes one of training seed 1."
    seed1 = json.loads(SEED1_NET.with_suffix('.json').read_text())['sha256']
    return {
        'cifar10': M.feature_net(space='cifar10'),
        'shapes': M.feature_net(space='shapes'),
        'shapes_seed1': M.feature_net(SEED1_NET, sha256=seed1, space='shapes'),
    }


def scores(x: np.ndarray, refs: dict, real: np.ndarray, crit: dict) -> dict:
    "FD (± se), its margin over the criterion, KID, precision and recall in each space, and the grain, of uint8 `x`."
    out = {}
    for space, (net, ref) in refs.items():
        f = M.features(x, net=net)
        fd, fd_se = M.frechet_distance_se(f, ref)
        d, d_se = M.frechet_distance_se(f, ref, versus=crit[space])
        k, k_se = M.kid(f, ref)
        pr, rc = M.precision_recall(ref, f)
        out[space] = dict(fd=fd, fd_se=fd_se, fd_minus_criterion=d, fd_minus_criterion_se=d_se, kid=k, kid_se=k_se,
                          precision=pr, recall=rc)  # fmt: skip
    stats = pixel_stats(torch.from_numpy(x).permute(0, 3, 1, 2).float() / 255)
    return dict(out, grain=M.grain_report(x, real), edges=M.edge_strength(x), pixel_stats=stats)


def max_rel_diff(a, b) -> float:
    "The largest relative difference between the numbers of `a` and of the record `b` wherever `b` has them (inf if not)."
    if isinstance(a, dict) and isinstance(b, dict):
        return max((max_rel_diff(a[k], b[k]) for k in b), default=0.0) if b.keys() <= a.keys() else float('inf')
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return max((max_rel_diff(x, y) for x, y in zip(a, b)), default=0.0) if len(a) == len(b) else float('inf')
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) / max(abs(a), abs(b), 1e-12)
    return 0.0 if a == b else float('inf')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=P['n'])
    ap.add_argument('--seed', type=int, default=P['sampling_seed'])
    ap.add_argument('--batch', type=int, default=P['score_batch'])
    ap.add_argument('--cache', default=None, help="folder that keeps each sampler's images, reused when asked again")
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--rows', default=None, help='only these record keys (comma-separated), for a quick check')
    ap.add_argument('--run', default=None, help="score this run folder's --samplers instead (no ladder, no table rows)")
    ap.add_argument('--samplers', default=None, help='with --run: regime_s.py --samplers entries')
    ap.add_argument(
        '--update',
        default=None,
        choices=sorted(SHIPPED.values()),
        help="draw only this shipped system's rows again; keep the others from --base (the ladder is recomputed and "
        'must agree with it)',
    )
    ap.add_argument('--base', default=str(ROOT / 'nbs' / 'experiments' / 'feature_spaces' / 'rescore.json'))
    ap.add_argument('--out', default=str(ROOT / 'nbs' / 'experiments' / 'feature_spaces' / 'rescore.json'))
    a = ap.parse_args(argv)
    t0, size = time.time(), 16
    rs, keep = runs(), set(a.rows.split(',')) if a.rows else None
    if a.update and (a.run or a.rows):
        sys.exit('--update redraws one shipped system in the answer table: use it without --run and --rows')
    old = json.loads(pathlib.Path(a.base).read_text()) if a.update else None
    drawn, systems = {}, {}  # samples first (cached with --cache), so a run stopped after them loses nothing
    table = ANSWER_ROWS
    if a.run:  # one run's samplers, as regime_s.py recorded them (a shipped one by its record's run folder)
        name = a.run.removeprefix('pretrained:')
        run0 = next((r for r, n in SHIPPED.items() if n == name), None) if name != a.run else a.run
        if run0 is None:
            sys.exit(f"--run {a.run}: no shipped system {name!r}; they are {', '.join(SHIPPED.values())}")
        sy = systems[run0] = load_pretrained(name, a.device) if name != a.run else load_system(a.run, a.device)
        keys = [sampler_spec(spec, sy.kind)[0] for spec in a.samplers.split(',')]
        SPEC.update(dict(zip(keys, a.samplers.split(','))))
        SHIPPED.setdefault(run0, pathlib.Path(a.run).name)
        table = [(sy.kind, key, key, run0, None) for key in keys]
    for sys_, label, key, run0, run1 in table:
        if run0 in SHIPPED and not (keep and key not in keep) and a.update in (None, SHIPPED[run0]):
            sy = systems.get(run0) or systems.setdefault(run0, load_pretrained(SHIPPED[run0], a.device))
            key2, sampler, opts = sampler_spec(SPEC[key], sy.kind)
            assert key2 == key, (key2, key)
            tag = key if a.run and name == a.run else f"{SHIPPED[run0]}_{key}"  # a folder: regime_s.py's names
            drawn[run0, key] = samples(sy, dict(step=rs[run0]['step']), tag, sampler, opts, a)
            print(f"drew {tag} ({drawn[run0, key][2]:.0f} s)", flush=True)
    fnets = nets()
    real = M.load_images('shapes', 'test', size=size)[0]
    refs = {s: (net, M.features(real, net=net)) for s, net in fnets.items()}
    edges_pe = score(rs, 'runs/s_pe_gn', 'dpmpp2m-10+clip')['pixel_stats']['edges']
    sets, s_matched = M.ladder_images(a.n, size, a.seed, edges=edges_pe)
    crit = {s: M.features(sets['blur 1 px'], net=net) for s, (net, _) in refs.items()}
    res = dict(
        n=a.n, n_ref=len(real), seed=a.seed, batch=a.batch, size=size, machine=machine(a.device),
        feature_nets={s: M.feature_space_id(s) for s in ('cifar10', 'shapes')}
        | {'shapes_seed1': json.loads(SEED1_NET.with_suffix('.json').read_text())['sha256'][:8]},
        matched_grain=dict(edges=edges_pe, std=s_matched),
        ladder={}, rows=[],
    )  # fmt: skip
    for name, x in sets.items() if not a.run else ():
        res['ladder'][name] = scores(x, refs, real, crit)
        r = res['ladder'][name]
        print(f"{name:16s} " + '  '.join(f"{s} {r[s]['fd']:.3f} ± {r[s]['fd_se']:.3f}" for s in fnets), flush=True)
    off = max_rel_diff(res['ladder'], old['ladder']) if old is not None else 0.0
    if off > 1e-3:  # another CPU rounds differently (about 1e-6 here); a changed feature net or data set moves it more
        sys.exit(f"the ladder differs from {a.base}'s by {off:.2g} (relative): the feature nets or the data changed; "
                 'rescore every row')  # fmt: skip
    if old is not None:
        print(f"the ladder agrees with {a.base}'s to {off:.1g} (relative); its ladder is kept with its rows")
        res['ladder'] = old['ladder']
    kept = (
        {(r['run'], r['key']): r for r in old['rows'] if r['run'] not in SHIPPED or SHIPPED[r['run']] != a.update}
        if old
        else {}
    )
    for sys_, label, key, run0, run1 in table:
        known = key in rs.get(run0, {}).get('samples', {})  # a sampler the run's record has (a new grid: not)
        row = dict(system=sys_, sampler=label, key=key, run=run0, recorded=score(rs, run0, key) if known else None)
        if (run0, key) in kept:  # --update: another system's row, as recorded
            res['rows'].append(kept[run0, key])
            continue
        if (run0, key) not in drawn:
            res['rows'].append(row | dict(rescored=None, why='network not kept' if run0 not in SHIPPED else 'skipped'))
            continue
        x, clamped, seconds = drawn[run0, key]
        row.update(pretrained=SHIPPED[run0], rescored=scores(M._to_uint8(x), refs, real, crit), seconds=seconds,
                   clamped=clamped)  # fmt: skip
        r = row['rescored']
        print(
            f"{sys_:4s} {key:28s} recorded {row['recorded']['fd'] if known else float('nan'):.3f}  "
            + '  '.join(f"{s} {r[s]['fd']:.3f} ± {r[s]['fd_se']:.3f}" for s in fnets)
            + f"  grain W1 {r['grain']['grain_w1']:.4f}  ({seconds:.0f} s)",
            flush=True,
        )
        res['rows'].append(row)
    write_record(res, a.out, t0)


if __name__ == '__main__':
    main()
