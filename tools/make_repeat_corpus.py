#!/usr/bin/python3
"""A synthetic corpus for the induction check of docs/EVAL.md: each file is a random phrase
(24 notes, pitches uniform in 48..83, random eighth/quarter rhythm and lengths) played twice in a
row on a piano. The second pass is predictable only by copying the first, so a model that can
attend back and copy learns to pay almost nothing for it; one with a broken causal mask or
positions cannot learn it this way.

    /usr/bin/python3 tools/make_repeat_corpus.py OUT_DIR [--files 800] [--seed 1]
"""
import argparse
import os
import random

import mido


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--files", type=int, default=800)
    ap.add_argument("--notes", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    tpb = 480
    for i in range(a.files):
        phrase, t = [], 0
        for _ in range(a.notes):
            step = rng.choice([240, 480])
            phrase.append((t, rng.randrange(48, 84), rng.choice([200, 220, 440]), rng.randrange(60, 100)))
            t += step
        span = ((t + 1919) // 1920) * 1920   # whole 4/4 bars
        notes = phrase + [(s + span, p, d, v) for (s, p, d, v) in phrase]
        mid = mido.MidiFile(ticks_per_beat=tpb)
        tr = mido.MidiTrack()
        tr.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
        tr.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
        tr.append(mido.Message("program_change", program=0, time=0))
        ev = []
        for (s, p, d, v) in notes:
            ev.append((s, 1, p, v))
            ev.append((s + d, 0, p, 0))
        ev.sort(key=lambda x: (x[0], x[1]))
        now = 0
        for (s, on, p, v) in ev:
            tr.append(mido.Message("note_on", note=p, velocity=v, time=s - now))
            now = s
        mid.tracks.append(tr)
        mid.save(os.path.join(a.out, f"phrase{i:04d}.mid"))


if __name__ == "__main__":
    main()
