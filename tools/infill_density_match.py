#!/usr/bin/env python3
"""How well a window elsewhere in the piece, found by its surroundings, tells a passage's density.

Music repeats: a passage's second verse sits between the same kind of bars as its first. For each
of the infill eval's windows (bars 5-8 of the first 12 bars of a piece, the same filters as
`tools/infill_density_fit.py`), this looks through the whole piece for the 4-bar window whose
surroundings (K bars on each side) have notes per bar most like the passage's (mean |difference|
of log(1 + notes), per track or of all tracks together), and guesses the passage's note count
from the best (or the best 3) of those within a distance threshold, mixed in log count with
weight w with infill's plain guess (2 bars each side). It prints the mean |log(guess / true)|
on the training split's windows and on the validation split's, for each setting, and how often a
window was near enough. `tasks::InfillOptions::match_*` implements the setting chosen on the
training split (K 2, per track, best 1, distance 0.1, weight 1).

    continuo eval --data runs/data-default --bar-table runs/eval/s15/bars-train.jsonl --split train
    continuo eval --data runs/data-default --bar-table runs/eval/s15/bars-valid.jsonl
    /usr/bin/python3 tools/infill_density_match.py runs/eval/s15/bars-train.jsonl runs/eval/s15/bars-valid.jsonl
"""
import argparse
import itertools
import json
import math

import numpy as np

FIRST, BARS = 4, 4   # the eval's passage: bars 5-8 (0-based 4..7) of the first 12


def windows(path):
    """(per-track counts [tracks x bars], all tracks' counts per bar, bars) of each eligible piece."""
    out = []
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            starts = j["starts"]
            nb = len(starts) - 1
            if not j["tracks"] or nb < 12:
                continue
            if len({starts[b + 1] - starts[b] for b in range(12)}) != 1:
                continue
            c = np.array([t["bars"] for t in j["tracks"]], dtype=float)
            tot = c.sum(axis=0)
            if tot[4:8].sum() < 8 or tot[8:10].sum() < 4 or tot[0:4].sum() < 4:
                continue
            out.append((c, tot, nb))
    return out


def plain(tot):
    return tot[FIRST - 2:FIRST].sum() + tot[FIRST + BARS:FIRST + BARS + 2].sum()


def guess(c, tot, nb, k, thr, w, per_track, top):
    g0 = plain(tot)
    x = np.log1p(c) if per_track else np.log1p(tot)[None, :]
    ctx = list(range(FIRST - k, FIRST)) + list(range(FIRST + BARS, FIRST + BARS + k))
    found = []
    for j in range(0, nb - BARS + 1):
        if j + BARS > FIRST - k and j < FIRST + BARS + k:
            continue   # the window or its surroundings overlap the passage's
        pairs = [(a, j + a - FIRST) for a in ctx]
        pairs = [(a, b) for a, b in pairs if 0 <= a < nb and 0 <= b < nb and not FIRST <= b < FIRST + BARS]
        if len(pairs) < k:
            continue
        d = np.abs(x[:, [a for a, _ in pairs]] - x[:, [b for _, b in pairs]]).mean()
        found.append((d, tot[j:j + BARS].sum()))
    found.sort()
    near = [f for f in found[:top] if f[0] <= thr]
    if not near:
        return g0, False
    g = np.mean([math.log1p(n) for _, n in near])
    return math.expm1((1 - w) * math.log1p(g0) + w * g), True


def err(g, t):
    return abs(math.log(max(g, 1) / t))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train")
    ap.add_argument("valid")
    a = ap.parse_args()
    tr, va = windows(a.train), windows(a.valid)
    print(f"{len(tr)} training windows, {len(va)} validation windows")
    print("plain guess (2 bars each side): train %.4f  valid %.4f" % (
        np.mean([err(plain(t), t[4:8].sum()) for _, t, _ in tr]), np.mean([err(plain(t), t[4:8].sum()) for _, t, _ in va])))
    for k, per_track, top in itertools.product([2, 4], [False, True], [1, 3]):
        for thr, w in itertools.product([0.1, 0.15, 0.2, 0.3], [0.5, 0.75, 1.0]):
            row = []
            for ws in (tr, va):
                e, used = [], 0
                for c, tot, nb in ws:
                    g, u = guess(c, tot, nb, k, thr, w, per_track, top)
                    e.append(err(g, tot[4:8].sum()))
                    used += u
                row.append((np.mean(e), used / len(ws)))
            print("K %d  %-9s best %d  distance %.2f  weight %.2f:  train %.4f (matched %.2f)  valid %.4f (matched %.2f)" % (
                k, "per track" if per_track else "all", top, thr, w, row[0][0], row[0][1], row[1][0], row[1][1]), flush=True)


if __name__ == "__main__":
    main()
