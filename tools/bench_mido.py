#!/usr/bin/python3
"""MB/s and events/s of python3-mido parsing the files bench/bench_midi.cpp measures, for comparison.

    /usr/bin/python3 tools/bench_mido.py [--sample N] [--seed S]

Same folders as bench_midi's `multitrack` set (tegridy-selected + pop909 under $CONTINUO_DATA or
~/.cache/continuo/data). mido is slow, so a fixed random sample is timed (default 200 files),
each parsed from memory (io.BytesIO), best of 3 passes.
"""
import argparse
import io
import os
import random
import sys
import time

import mido

FOLDERS = ["tegridy-selected", "pop909"]


def corpus_files():
    root = os.environ.get("CONTINUO_DATA") or os.path.expanduser("~/.cache/continuo/data")
    paths = []
    for folder in FOLDERS:
        for dirpath, _, names in os.walk(os.path.join(root, folder)):
            paths += [os.path.join(dirpath, n) for n in names
                      if n.lower().endswith((".mid", ".midi", ".kar"))]
    return sorted(paths)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    paths = corpus_files()
    if not paths:
        sys.exit("bench_mido: corpora not unpacked (run ../shared/data/unpack)")
    sample = random.Random(args.seed).sample(paths, min(args.sample, len(paths)))
    blobs, rejected = [], 0
    for p in sample:
        with open(p, "rb") as f:
            data = f.read()
        try:  # mido rejects a few files (e.g. an invalid key signature): leave them out
            mido.MidiFile(file=io.BytesIO(data), clip=True)
            blobs.append(data)
        except Exception:
            rejected += 1
    total = sum(len(b) for b in blobs)
    best, events = float("inf"), 0
    for _ in range(3):
        t0 = time.perf_counter()
        events = 0
        for b in blobs:
            m = mido.MidiFile(file=io.BytesIO(b), clip=True)
            events += sum(len(t) for t in m.tracks)
        best = min(best, time.perf_counter() - t0)
    print(f"mido {mido.__version__}: {len(blobs)} of {len(paths)} files, {total / 1e6:.2f} MB, "
          f"{events} events: {total / 1e6 / best:.2f} MB/s, {events / best / 1e6:.3f} M events/s "
          f"({best:.2f} s per pass, best of 3; {rejected} files mido rejects left out)")


if __name__ == "__main__":
    main()
