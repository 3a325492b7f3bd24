"Shared helpers of the benchmark scripts: the library's timer and machine name (`pixeldiff_nb.bench`) with the benchmarks' defaults, and printing to the screen and a results file."

import os, time
from pixeldiff_nb.system import synchronize as sync  # noqa: F401
from pixeldiff_nb.bench import machine as device_name, timeit as _timeit  # noqa: F401


def timeit(fn, dev, reps: int = 20, warmup: int = 3, max_s: float = 20.0) -> float:
    "The library's timer (`system.timeit`) with the benchmarks' defaults: 20 calls after 3, at most 20 s."
    return _timeit(fn, dev, reps, warmup, max_s)


class Report:
    "Print lines and keep them, to write to a results file at the end."

    def __init__(self):
        self.lines = []

    def __call__(self, *args):
        line = ' '.join(str(a) for a in args)
        print(line, flush=True)
        self.lines.append(line)

    def save(self, path):
        if path:
            os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
            with open(path, 'w') as f:
                f.write('\n'.join(self.lines) + '\n')


def fmt(s: float) -> str:
    "Seconds as a readable duration."
    return f"{s * 1e3:9.3f} ms" if s < 10 else f"{s:9.2f} s "


def write_record(res: dict, out, t0: float):
    "Stamp `res` with the seconds since `t0` and write it as JSON to `out` (folders made), saying where."
    import json, pathlib

    res['seconds'] = time.time() - t0
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + '\n')
    print(f"wrote {out} ({res['seconds']:.0f} s)")
