#!/usr/bin/env python3
"""Events generated per second by each shipped model, at 1 and 4 variations.

Runs `continuo continue examples/example.mid` (the whole example as the prompt) for every model
and variation count, REPEATS times each, and prints a markdown table of the medians: wall time
of the generation (as `continuo` reports it: prompt read-in plus sampling, without loading the
model), new events per second summed over the variations, and per variation.

  python3 tools/bench_generate.py --continuo build/continuo [--events 512] [--repeats 3] [--busy 1]

--busy N keeps N other processes spinning on the CPU for the whole run (a busy machine: e.g. a
training job on the second core). CONTINUO_THREADS in the environment sets the engine's threads.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_once(continuo, model, events, variations, seed, out_dir):
    out = os.path.join(out_dir, f"{model}-{variations}.mid")
    cmd = [continuo, "continue", os.path.join(ROOT, "examples", "example.mid"), "-m", model,
           "-n", str(events), "-v", str(variations), "--seed", str(seed), "-o", out]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    m = re.search(r"(\d+) new events in ([0-9.]+) s", p.stderr)
    if not m:
        sys.exit(f"no timing in the output of {' '.join(cmd)}:\n{p.stderr}")
    return int(m.group(1)), float(m.group(2))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--continuo", default=os.path.join(ROOT, "build", "continuo"))
    ap.add_argument("--models", default="default,piano,folk")
    ap.add_argument("--events", type=int, default=512)
    ap.add_argument("--variations", default="1,4")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--busy", type=int, default=0, help="processes spinning beside the benchmark")
    a = ap.parse_args()
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(a.busy)]
    try:
        bench(a)
    finally:
        for p in spinners:
            p.kill()
            p.wait()


def bench(a):
    print(f"| model | variations | events per variation | seconds (median of {a.repeats}) | events/s (all variations) | events/s per variation |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for model in a.models.split(","):
            for v in [int(x) for x in a.variations.split(",")]:
                runs = [run_once(a.continuo, model, a.events, v, 1 + r, tmp) for r in range(a.repeats)]
                secs = statistics.median(t for _, t in runs)
                rate = statistics.median(n / t for n, t in runs)
                print(f"| {model} | {v} | {a.events} | {secs:.2f} | {rate:.0f} | {rate / v:.0f} |", flush=True)


if __name__ == "__main__":
    main()
