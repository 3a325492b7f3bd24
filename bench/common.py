"Shared helpers of the benchmark scripts: timing with CUDA events, the machine's name, and printing to the screen and a results file."

import os, platform, statistics, time
import torch


def device_name(dev) -> str:
    "The machine a figure was measured on, to print beside it."
    if torch.device(dev).type == 'cuda':
        p = torch.cuda.get_device_properties(dev)
        return f"{p.name} ({p.total_memory / 2**30:.0f} GiB), torch {torch.__version__}"
    return f"CPU {platform.processor() or platform.machine()} x{os.cpu_count()}, torch {torch.__version__}"


def sync(dev):
    if torch.device(dev).type == 'cuda':
        torch.cuda.synchronize(dev)


def timeit(fn, dev, reps: int = 20, warmup: int = 3, max_s: float = 20.0) -> float:
    "Median wall time of `fn()` in seconds after `warmup` calls; fewer repetitions when one call is slow (stops after `max_s`)."
    for _ in range(warmup):
        fn()
    sync(dev)
    times, start = [], time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        sync(dev)
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > max_s:
            break
    return statistics.median(times)


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
