#!/usr/bin/env python3
"""Time of `continuo infill` (4 bars) and `continuo accompany` (32 bars), as a user runs them.

Infill: bars 3-6 of the bundled example (all four tracks), bars 5-8 of the first 12 bars of a
POP909 song, and bars 5-8 and 33-36 of the whole song, at the defaults (24 candidates).
Accompany: the POP909 song's first 32 bars, its MELODY track kept, the default band (piano, bass,
drums) written, at the defaults (4 candidates per 2-bar chunk). Each REPEATS times (different
seeds); prints a markdown table of the medians of the wall time the command reports (reading,
sampling, choosing, without loading the model), and the whole process's wall time (with loading
the model and writing the file).

  python3 tools/bench_infill.py --continuo build/continuo [--repeats 5] [--song FILE]

The song defaults to a POP909 piece of ../shared/eval/holdout (timing only: no tuning is done on it).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SONG = os.path.join(ROOT, "..", "shared", "eval", "holdout", "pop909", "POP909", "219", "219.mid")


def run(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    m = re.search(r"new events in ([0-9.]+) s", p.stderr)
    if not m:
        sys.exit(f"no timing in the output of {' '.join(cmd)}:\n{p.stderr}")
    return float(m.group(1)), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--continuo", default=os.path.join(ROOT, "build", "continuo"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--song", default=SONG)
    a = ap.parse_args()
    if not os.path.exists(a.song):
        sys.exit(f"{a.song}: missing (give --song FILE: a MIDI file with a melody track first, 32 bars or more)")
    with tempfile.TemporaryDirectory() as tmp:
        song12, song32 = os.path.join(tmp, "song12.mid"), os.path.join(tmp, "song32.mid")
        for bars, out in (("1:12", song12), ("1:32", song32)):
            subprocess.run([a.continuo, "convert", a.song, out, "--bars", bars], check=True, capture_output=True)
        jobs = [
            ("infill, example bars 3-6 (4 tracks)", lambda s: [a.continuo, "infill", os.path.join(ROOT, "examples", "example.mid"),
                                                              "--bars", "3-6", "-s", str(s), "-o", os.path.join(tmp, "i1.mid")]),
            ("infill, song bars 5-8 (3 tracks)", lambda s: [a.continuo, "infill", song12, "--bars", "5-8", "-s", str(s),
                                                           "-o", os.path.join(tmp, "i2.mid")]),
            ("infill, whole song, bars 5-8", lambda s: [a.continuo, "infill", a.song, "--bars", "5-8", "-s", str(s),
                                                       "-o", os.path.join(tmp, "i3.mid")]),
            ("infill, whole song, bars 33-36", lambda s: [a.continuo, "infill", a.song, "--bars", "33-36", "-s", str(s),
                                                         "-o", os.path.join(tmp, "i4.mid")]),
            ("accompany, song 32 bars (melody kept, band of 3)", lambda s: [a.continuo, "accompany", song32, "--tracks-to-keep", "1",
                                                                          "-s", str(s), "-o", os.path.join(tmp, "a.mid")]),
        ]
        print("| what | seconds (median) | whole command, with model loading (median) |")
        print("|---|---|---|")
        for label, cmd in jobs:
            times, walls = [], []
            for r in range(a.repeats):
                t, w = run(cmd(r + 1))
                times.append(t)
                walls.append(w)
            print(f"| {label} | {statistics.median(times):.2f} | {statistics.median(walls):.2f} |")


if __name__ == "__main__":
    main()
