#!/usr/bin/env python3
"""Per-piece view of an infill eval: how sure are its averages?

`continuo eval --infill` logs one line per piece with, for each row (the truth, the bars before
copied, the plain continuation, infill, and for future_context models infill with one candidate),
the seam's bits per note and the passage's note count. The table the eval prints weights the
seam by notes and averages the density error over pieces; this prints, for each row against
infill (or against the row given by --versus):

- the seam margin per piece (the other row's bits per note minus infill's): mean, its standard
  error, and on how many pieces infill is better;
- each row's density error, mean |log(notes / true notes)|, with a bootstrap 95% interval;
- where the log has them (session 14 on), the share of the passage's notes that repeat the bars
  before, and on how many pieces it is over 0.9 (next to a copy).

    continuo eval --data runs/data-default --skip-nll --infill --pieces 200 2> LOG
    /usr/bin/python3 tools/infill_pieces.py LOG [LOG2 ...]

With several logs (the same pieces, other settings), each log's infill row is compared with the
first log's, piece by piece.
"""
import argparse
import math
import random
import sys

ROWS = ["truth", "copy", "continuation", "infill", "infill, 1 candidate"]


def read(path):
    pieces = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("piece ") or "(truth, copy, continuation, infill):" not in line:
                continue
            name = line.split(":", 1)[1].split()[0]
            body = line.split("(truth, copy, continuation, infill):")[1].split("notes per bar:")[0].split()
            rows = []
            for cell in body:   # seam/notes, and from session 14 on /repeats
                fields = cell.split("/")
                rows.append((float(fields[0]), float(fields[1]), float(fields[2]) if len(fields) > 2 else None))
            pieces[name] = rows
    return pieces


def mean_se(xs):
    n = len(xs)
    m = sum(xs) / n
    var = sum((x - m) ** 2 for x in xs) / (n - 1) if n > 1 else 0.0
    return m, math.sqrt(var / n)


def bootstrap(xs, reps=2000, seed=1):
    rng = random.Random(seed)
    n = len(xs)
    ms = sorted(sum(xs[rng.randrange(n)] for _ in range(n)) / n for _ in range(reps))
    return ms[int(0.025 * reps)], ms[int(0.975 * reps) - 1]


def density_errors(pieces, row):
    return [abs(math.log(max(r[row][1], 1.0) / max(r[0][1], 1.0))) for r in pieces.values() if len(r) > row]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("logs", nargs="+", help="stderr of continuo eval --infill")
    a = ap.parse_args()
    logs = [(p, read(p)) for p in a.logs]
    for path, pieces in logs:
        if not pieces:
            sys.exit(f"{path}: no per-piece lines (run continuo eval --infill and keep its stderr)")
    path, pieces = logs[0]
    n_rows = min(len(r) for r in pieces.values())
    print(f"{path}: {len(pieces)} pieces")
    print(f"  {'row':<22} {'seam':>7} {'margin (row - infill)':>24} {'infill better':>14} {'|log dens|':>11} {'95% interval':>14}")
    for row in range(n_rows):
        seams = [r[row][0] for r in pieces.values()]
        reps = [r[row][2] for r in pieces.values() if r[row][2] is not None]
        d = density_errors(pieces, row)
        dm = sum(d) / len(d)
        lo, hi = bootstrap(d)
        margin = ""
        wins = ""
        if row != 3:
            diffs = [r[row][0] - r[3][0] for r in pieces.values()]
            m, se = mean_se(diffs)
            margin = f"{m:+.3f} ± {se:.3f}"
            wins = f"{sum(x > 0 for x in diffs)}/{len(diffs)}"
        rep = ""
        if reps:
            rep = f"   repeats: mean {sum(reps) / len(reps):.2f}, over 0.9 on {sum(x > 0.9 for x in reps)}"
        print(f"  {ROWS[row]:<22} {sum(seams) / len(seams):7.3f} {margin:>24} {wins:>14} {dm:11.3f} {lo:6.3f}-{hi:.3f}{rep}")
    for other_path, other in logs[1:]:
        common = [k for k in pieces if k in other and len(other[k]) > 3]
        if not common:
            print(f"{other_path}: no pieces in common with {path}")
            continue
        diffs = [pieces[k][3][0] - other[k][3][0] for k in common]
        m, se = mean_se(diffs)
        d0 = [abs(math.log(max(pieces[k][3][1], 1.0) / max(pieces[k][0][1], 1.0))) for k in common]
        d1 = [abs(math.log(max(other[k][3][1], 1.0) / max(other[k][0][1], 1.0))) for k in common]
        dd = [x - y for x, y in zip(d0, d1)]
        md, sed = mean_se(dd)
        cm = [other[k][1][0] - other[k][3][0] for k in common]
        mc, sec = mean_se(cm)
        print(f"{other_path}: {len(common)} pieces in common; its infill's seam is better by {m:+.3f} ± {se:.3f} "
              f"(better on {sum(x > 0 for x in diffs)}), density error {sum(d1) / len(d1):.3f} "
              f"(better by {md:+.3f} ± {sed:.3f}); its margin over its copy {mc:+.3f} ± {sec:.3f} "
              f"(better on {sum(x > 0 for x in cm)})")


if __name__ == "__main__":
    main()
