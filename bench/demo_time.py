"""Time `pixeldiff demo` at its defaults on this machine, as the README's number: wall time of the whole command (Python start-up included).

python bench/demo_time.py            # prints the machine, the seconds, and the demo's own time per part
"""

import os, pathlib, platform, subprocess, sys, tempfile, time


def main():
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        r = subprocess.run(
            ['pixeldiff', 'demo', '--out', str(pathlib.Path(d) / 'demo')], capture_output=True, text=True
        )
        secs = time.perf_counter() - t0
    if r.returncode:
        sys.exit(r.stderr[-3000:])
    parts = next((l for l in r.stdout.splitlines() if l.startswith('time per part')), '')
    print(
        f"pixeldiff demo: {secs:.1f} s wall on CPU {platform.machine()} ({os.cpu_count()} cores); README target 120 s\n{parts}"
    )


if __name__ == '__main__':
    main()
