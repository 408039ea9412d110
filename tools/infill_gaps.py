#!/usr/bin/env python3
"""Gaps and crowding in infilled passages, as a listener hears them.

Reads the folder that `continuo eval --infill --save DIR` fills (pieceN-truth.mid and
pieceN-infill.mid, the eval's 12 bars with the passage at bars 5-8) and prints, for the true
passages and the infilled ones:

  empty beats   the mean share of the passage's beats on which no note starts
  gap           the share of pieces whose passage has 2 or more empty beats in a row
  busiest       the notes starting on the passage's busiest beat over its mean per beat

A passage that leaves a bar empty and then crams the notes it missed shows in all three.

    continuo eval --data runs/data-default --skip-nll --infill --pieces 80 --whole-pieces --steer S --save DIR
    /usr/bin/python3 tools/infill_gaps.py DIR [DIR2 ...]
"""
import argparse
import glob
import statistics

import mido


def onsets(path):
    """(ticks per beat, first time signature (num, den), note-on ticks) of a MIDI file."""
    f = mido.MidiFile(path)
    metre, out = None, []
    for track in f.tracks:
        now = 0
        for msg in track:
            now += msg.time
            if msg.type == "time_signature" and metre is None:
                metre = (msg.numerator, msg.denominator)
            elif msg.type == "note_on" and msg.velocity > 0:
                out.append(now)
    return f.ticks_per_beat, metre or (4, 4), out


def measure(path):
    tpb, (num, den), times = onsets(path)
    bar = tpb * 4 * num // den
    a, e = 4 * bar, 8 * bar
    beats = max((e - a) // tpb, 1)
    per_beat = [0] * beats
    for t in times:
        if a <= t < e:
            per_beat[min((t - a) // tpb, beats - 1)] += 1
    run = longest = 0
    for c in per_beat:
        run = run + 1 if c == 0 else 0
        longest = max(longest, run)
    notes = sum(per_beat)
    return (sum(c == 0 for c in per_beat) / beats, longest >= 2, max(per_beat) / (notes / beats) if notes else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+")
    for d in ap.parse_args().dirs:
        truths = sorted(glob.glob(d + "/piece*-truth.mid"))
        if not truths:
            raise SystemExit(f"{d}: no pieceN-truth.mid (continuo eval --infill --save {d})")
        for row in ("truth", "infill"):
            m = [measure(f.replace("-truth.mid", f"-{row}.mid")) for f in truths]
            print(f"{d}  {row:<7} {len(m)} pieces: empty beats {statistics.mean(x[0] for x in m):.3f}  "
                  f"gap {statistics.mean(x[1] for x in m):.3f}  busiest {statistics.mean(x[2] for x in m):.2f}")


if __name__ == "__main__":
    main()
