#!/usr/bin/env python3
"""What predicts how many notes a rewritten passage has, beyond the plain density around it.

Infill chooses among its candidates partly by how near each one's note count is to a guess made
from the bars around the passage (docs/EVAL.md, "what bounds infill's density"). This script fits
richer guesses on the training split and measures them on the validation split, in the infill
eval's own windows (bars 5-8 of the first 12, the same filters), as mean |log(guess / true)|.

    continuo eval --data runs/data-default --bar-table runs/eval/s15/bars-train.jsonl --split train
    continuo eval --data runs/data-default --bar-table runs/eval/s15/bars-valid.jsonl
    /usr/bin/python3 tools/infill_density_fit.py runs/eval/s15/bars-train.jsonl runs/eval/s15/bars-valid.jsonl
"""
import argparse
import json
import math
import sys

import numpy as np

CTX, BARS, AFTER = 4, 4, 4          # the infill eval's window: 4 bars, the passage, 4 bars


def windows(path, everywhere):
    """(per-track counts [tracks x 12], drums flags, first bar) of each eligible window."""
    out = []
    with open(path) as f:
        for line in f:
            j = json.loads(line)
            starts = j["starts"]
            nb = len(starts) - 1
            tr = [t for t in j["tracks"]]
            if not tr:
                continue
            counts = np.array([t["bars"] for t in tr], dtype=float)
            drums = np.array([t["drums"] for t in tr], dtype=bool)
            offsets = range(0, nb - 11, 4) if everywhere else [0]
            for o in offsets:
                if o + 12 > nb:
                    continue
                lens = {starts[o + b + 1] - starts[o + b] for b in range(12)}
                if len(lens) != 1:
                    continue
                c = counts[:, o:o + 12]
                tot = c.sum(axis=0)
                if tot[4:8].sum() < 8 or tot[8:10].sum() < 4 or tot[0:4].sum() < 4:
                    continue
                out.append((c, drums, o))
    return out


def features(c, drums, o):
    tot = c.sum(axis=0)
    l = lambda x: math.log(x + 1)
    f = [1.0]
    # the bars around, each on its own
    f += [l(tot[b]) for b in (0, 1, 2, 3, 8, 9, 10, 11)]
    # infill's guess today: 2 bars each side, half and half
    base = (tot[2:4].sum() + tot[8:10].sum())
    f.append(l(base))
    # tracks playing on both sides, only before, only after (2 bars each side)
    before = c[:, 2:4].sum(axis=1)
    after = c[:, 8:10].sum(axis=1)
    both = (before > 0) & (after > 0)
    f.append(l(before[both].sum() + after[both].sum()))
    f.append(l(2 * before[(before > 0) & (after == 0)].sum()))
    f.append(l(2 * after[(after > 0) & (before == 0)].sum()))
    # drums' share of the surroundings
    f.append(l(c[drums][:, [2, 3, 8, 9]].sum()) if drums.any() else 0.0)
    # how steady the bars around are: the spread of their log counts
    around = np.log(tot[[0, 1, 2, 3, 8, 9, 10, 11]] + 1)
    f.append(float(around.std()))
    # the trend: after minus before
    f.append(l(tot[8:12].sum()) - l(tot[0:4].sum()))
    # where the passage lies: bars 5-8 of the piece (after an opening) or later
    f.append(1.0 if o == 0 else 0.0)
    f.append(l(base) if o == 0 else 0.0)
    return f, base


def design(ws):
    X, base, y = [], [], []
    for c, d, o in ws:
        f, b = features(c, d, o)
        X.append(f)
        base.append(b)
        y.append(c.sum(axis=0)[4:8].sum())
    return np.array(X), np.array(base), np.array(y)


def err(guess, y):
    return float(np.mean(np.abs(np.log(np.maximum(guess, 1.0) / y))))


def fit_l1(X, t, iters=60, ridge=1e-3):
    """Median regression of t on X by iteratively reweighted least squares."""
    w = np.linalg.lstsq(X, t, rcond=None)[0]
    for _ in range(iters):
        r = np.abs(X @ w - t)
        s = 1.0 / np.maximum(r, 1e-3)
        A = X.T @ (X * s[:, None]) + ridge * np.eye(X.shape[1])
        w = np.linalg.solve(A, X.T @ (t * s))
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train")
    ap.add_argument("valid")
    ap.add_argument("--everywhere", action="store_true", help="train on windows at every 4th bar, not only bars 1-12")
    a = ap.parse_args()
    tr = windows(a.train, a.everywhere)
    va = windows(a.valid, False)
    Xt, bt, yt = design(tr)
    Xv, bv, yv = design(va)
    print(f"train windows {len(yt)}, validation windows {len(yv)}")
    print(f"infill's guess (2 bars each side): train {err(bt, yt):.3f}  valid {err(bv, yv):.3f}")
    tt = np.log(yt + 1)
    for name, cols in (("the 8 bars and the guess", list(range(10))), ("all but the position", list(range(Xt.shape[1] - 2))), ("all features", list(range(Xt.shape[1])))):
        w = fit_l1(Xt[:, cols], tt)
        gt = np.exp(Xt[:, cols] @ w) - 1
        gv = np.exp(Xv[:, cols] @ w) - 1
        print(f"median regression on {name}: train {err(gt, yt):.3f}  valid {err(gv, yv):.3f}")
        # bootstrap interval of the validation improvement over the guess
        rng = np.random.default_rng(1)
        d = np.abs(np.log(np.maximum(gv, 1) / yv)) - np.abs(np.log(np.maximum(bv, 1) / yv))
        bs = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(2000)]
        print(f"  change on validation {d.mean():+.4f} (95% {np.percentile(bs, 2.5):+.4f} .. {np.percentile(bs, 97.5):+.4f})")
        print("  weights", " ".join(f"{x:+.3f}" for x in w))


if __name__ == "__main__":
    sys.exit(main())
