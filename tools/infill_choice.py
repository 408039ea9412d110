#!/usr/bin/python3
"""Replays infill's choice among the same candidates under other rules.

`continuo eval --infill --candidates-log FILE` writes every candidate of the infill row with the
terms its choice weighed (the lookahead's nats, the note count against the count aimed at, the
share of stray notes, the share repeating the bars before). This script chooses again among the
same candidates under other weights and penalty shapes, and reports for each rule:

  seam    bits per event of the scored bars after the passage, summed over the pieces (what the
          eval's seam column measures, up to the re-encoding of the whole piece)
  dens    mean per-piece |log(chosen notes / true notes)| (the eval's |log dens| column, up to
          notes that the writing-out drops or cuts)
  out     mean share of stray notes;  rep: mean share repeating the bars before
  same    pieces where the rule chose the same candidate as the logged choice

Usage: tools/infill_choice.py FILE [--range-weight W] [--density-weights 0,1,2,...] [--against FILE2]
"""
import argparse
import json
import math
import sys
from collections import defaultdict


def load(path):
    pieces = defaultdict(list)
    with open(path) as f:
        for line in f:
            c = json.loads(line)
            pieces[c["piece"]].append(c)
    return [pieces[k] for k in sorted(pieces)]


def dev(c):
    """log of the candidate's count against the count aimed at, as infill weighs it"""
    return math.log((c["notes"] + 1) / (c["expected_notes"] + 1)) if c["expected_notes"] >= 0 else 0.0


def choose(cands, score):
    allowed = [c for c in cands if not c["kept_out"]] or cands
    return min(allowed, key=lambda c: (score(c), c["candidate"]))


def summarise(pieces, rule):
    nats = events = 0.0
    dens = out = rep = same = 0.0
    for cands in pieces:
        c = choose(cands, rule)
        nats += c["lookahead_nats"]
        events += c["lookahead_events"]
        dens += abs(math.log(max(c["notes"], 1) / c["truth_notes"]))
        out += c["outside"]
        rep += c["repeated"]
        same += c["chosen"]
    n = len(pieces)
    return nats / max(events, 1) / math.log(2), dens / n, out / n, rep / n, same / n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("--range-weight", type=float, default=1.0, help="the range weight the log was written with (default 1)")
    ap.add_argument("--density-weights", default="0,1,2,3,4,6,8")
    ap.add_argument("--against", help="another candidates log of the same pieces: compare where the counts aimed at differ")
    a = ap.parse_args()
    pieces = load(a.log)
    if not pieces:
        sys.exit("no candidates in " + a.log)
    la = lambda c: c["lookahead_nats"] / c["lookahead_events"] if c["lookahead_events"] else 0.0
    rw = a.range_weight
    rules = []
    for w in [float(x) for x in a.density_weights.split(",")]:
        rules.append((f"|log| x {w:g}", lambda c, w=w: la(c) + w * abs(dev(c)) + rw * c["outside"]))
    for w in (4, 8, 16):
        rules.append((f"log^2 x {w:g}", lambda c, w=w: la(c) + w * dev(c) ** 2 + rw * c["outside"]))
    for x in (0.1, 0.2, 0.3):
        # only candidates within exp(x) of the count aimed at (else the nearest), then the default
        def windowed(c, x=x):
            return (abs(dev(c)) > x, la(c) + 2 * abs(dev(c)) + rw * c["outside"])
        rules.append((f"within {x:g}, then x 2", windowed))
    rules.append(("nearest count only", lambda c: (abs(dev(c)), la(c))))
    rules.append(("lookahead only", lambda c: la(c)))
    # the count the choice aims at, as a passage: how far it is from the truth
    g = sum(abs(math.log(max(p[0]["expected_notes"], 1) / p[0]["truth_notes"])) for p in pieces) / len(pieces)
    print(f"{len(pieces)} pieces, {sum(len(p) for p in pieces)} candidates; the count aimed at is off the truth by {g:.3f}")
    # how far the candidates, and the logged choice, land from that count (|log| as infill weighs it)
    cands = [c for p in pieces for c in p]
    chosen = [c for c in cands if c["chosen"]]
    print(f"the candidates are off the count aimed at by {sum(abs(dev(c)) for c in cands) / len(cands):.3f} on average, "
          f"the logged choice by {sum(abs(dev(c)) for c in chosen) / max(len(chosen), 1):.3f}")
    if a.against:
        # pieces whose count aimed at differs between the two logs (the same pieces, another setting)
        other = {p[0]["piece"]: p for p in load(a.against)}
        diff = [p for p in pieces if p[0]["piece"] in other and abs(p[0]["expected_notes"] - other[p[0]["piece"]][0]["expected_notes"]) > 1e-6]
        if diff:
            def off(ps, key):
                return sum(key(p) for p in ps) / len(ps)
            aim = lambda p: abs(math.log(max(p[0]["expected_notes"], 1) / p[0]["truth_notes"]))
            pick = lambda p: next((c for c in p if c["chosen"]), p[0])
            got = lambda p: abs(math.log(max(pick(p)["notes"], 1) / p[0]["truth_notes"]))
            print(f"{len(diff)} pieces aim at another count than in {a.against}: there the aim is off the truth by "
                  f"{off(diff, aim):.3f} (other log {off([other[p[0]['piece']] for p in diff], aim):.3f}), the choice by "
                  f"{off(diff, got):.3f} ({off([other[p[0]['piece']] for p in diff], got):.3f}) and off its aim by "
                  f"{off(diff, lambda p: abs(dev(pick(p)))):.3f} ({off([other[p[0]['piece']] for p in diff], lambda p: abs(dev(pick(p)))):.3f})")
    print(f"  {'rule':<24} {'seam':>7} {'dens':>7} {'out':>7} {'rep':>7} {'same':>6}")
    for name, rule in rules:
        s = summarise(pieces, rule)
        print(f"  {name:<24} {s[0]:7.3f} {s[1]:7.3f} {s[2]:7.3f} {s[3]:7.3f} {s[4]:6.2f}")


if __name__ == "__main__":
    main()
