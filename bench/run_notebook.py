"""Run a notebook's code cells in order, in one namespace, including those flagged `#| cuda` or `#| slow`.

    python bench/run_notebook.py nbs/04_cuda.ipynb

For the GPU machine, which has PyTorch but not nbdev: `nbdev_test --flags cuda` does the same where nbdev is installed.
Cells marked `#| eval: false` are skipped, as nbdev skips them. Stops at the first failing cell, naming it.
"""

import json, os, sys, tempfile, time, traceback, types


def run(path):
    cells = [c for c in json.load(open(path))['cells'] if c['cell_type'] == 'code']
    mod = types.ModuleType('notebook_under_test')
    sys.modules[mod.__name__] = mod  # Triton resolves globals through the module
    ns = mod.__dict__
    t0, tmp = time.time(), tempfile.mkdtemp()
    for k, c in enumerate(cells):
        src = ''.join(c['source'])
        if '#| eval: false' in src:
            continue
        fn = os.path.join(
            tmp, f'{os.path.basename(path)}.cell{k}.py'
        )  # a real file, so inspect.getsource (Triton's JIT) finds kernels
        with open(fn, 'w') as f:
            f.write(src)
        try:
            exec(compile(src, fn, 'exec'), ns)
        except Exception:
            print(f"FAILED: {path}, code cell {k}:\n{src}\n", file=sys.stderr)
            traceback.print_exc()
            return 1
    print(f"{path}: {len(cells)} code cells passed in {time.time() - t0:.1f} s")
    return 0


if __name__ == '__main__':
    sys.exit(max(run(p) for p in sys.argv[1:]))
