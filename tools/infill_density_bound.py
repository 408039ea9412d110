#!/usr/bin/env python3
"""How well the bars around a passage predict how many notes it has.

`continuo eval --infill` logs, for each piece, the true notes of each of its bars ("notes per
bar: ..."). The infill eval writes bars 5-8 anew and compares the passage's note count with the
true one (|log ratio|, docs/EVAL.md "Infill"). Infill chooses among its candidates partly by how
close each is to the density of the bars around the passage. So this is worth knowing: how far
from the truth is the best guess that the bars around can give at all?

This prints the mean |log(guess / true count)| for guesses made from the true bars around the
passage: the bars before, after, or both, k bars on each side, mixed linearly with weight w on
the side after. It prints it for the whole log and for its two halves (how much a choice made
on one half holds on the other).

    continuo eval --data runs/data-default --skip-nll --infill --pieces 400 --candidates 1 2> LOG
    /usr/bin/python3 tools/infill_density_bound.py LOG [--context 4 --bars 4]
"""
import argparse
import math
import sys


def read(path, total):
    pieces = []
    with open(path) as f:
        for line in f:
            if "notes per bar:" not in line:
                continue
            bars = [int(x) for x in line.split("notes per bar:")[1].split()]
            if len(bars) == total:
                pieces.append(bars)
    return pieces


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", help="stderr of continuo eval --infill")
    ap.add_argument("--context", type=int, default=4, help="bars before the passage (eval's default 4)")
    ap.add_argument("--bars", type=int, default=4, help="bars of the passage (eval's default 4)")
    ap.add_argument("--after", type=int, default=4, help="bars after the passage in the log (2 x seam bars, default 4)")
    a = ap.parse_args()
    A, B = a.context, a.context + a.bars
    pieces = read(a.log, B + a.after)
    if not pieces:
        sys.exit(f"{a.log}: no 'notes per bar' lines of {B + a.after} bars (run continuo eval --infill and keep its stderr)")

    def err(guess, ps):
        e = [abs(math.log(max(guess(b), 1.0) / max(sum(b[A:B]), 1))) for b in ps]
        return sum(e) / len(e)

    half = len(pieces) // 2
    print(f"{len(pieces)} pieces: mean |log(guess / true notes)| of bars {A + 1}-{B}, all / first half / second half")
    rows = []
    for k in range(1, min(A, a.after) + 1):
        for w in (0.0, 0.5, 0.6, 0.7, 0.8, 1.0):
            def guess(b, k=k, w=w):
                return a.bars / k * (w * sum(b[B:B + k]) + (1 - w) * sum(b[A - k:A]))
            rows.append((f"{k} bar(s) each side, weight {w:.1f} after", guess))
    for name, g in rows:
        print(f"  {name:<36} {err(g, pieces):.3f}   {err(g, pieces[:half]):.3f}  {err(g, pieces[half:]):.3f}")
    best = min(rows, key=lambda r: err(r[1], pieces))
    print(f"best: {best[0]}, {err(best[1], pieces):.3f}")


if __name__ == "__main__":
    main()
