#!/usr/bin/env python3
"""Accompany's drums, the continuation model's against Drumify's (docs/EVAL.md, "Accompany").

For each song (the first 32 bars; songs whose kept track has no notes there are skipped), the
kept track (1: POP909's MELODY) is accompanied by the default band twice, `--drummer model` and
`--drummer drumify`, with the same seed; the drum parts are compared: hits per bar, the share of
bars with drums, and the bar-to-bar overlap of the pattern (Jaccard of the (place on the sixteenth
grid, drum) sets of consecutive bars).

    /usr/bin/python3 tools/accompany_drums.py --continuo build/continuo SONG.mid [SONG.mid ...]
    # docs: the first 12 POP909 songs of runs/data-default/valid.files.txt outside versions/
"""
import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile

import mido


def drum_stats(path):
    m = mido.MidiFile(path)
    tpb = m.ticks_per_beat
    num, den = 4, 4
    for t in m.tracks:
        sig = [x for x in t if x.type == "time_signature"]
        if sig:
            num, den = sig[0].numerator, sig[0].denominator
            break
    bar = tpb * num * 4 // den
    per_bar = num * 16 // den
    drums, end = collections.defaultdict(set), 0
    for t in m.tracks:
        now = 0
        for msg in t:
            now += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                end = max(end, now)
                if msg.channel == 9:
                    drums[now // bar].add((round(now * 4 / tpb) % per_bar, msg.note))
    bars = end // bar + 1
    overlap = [len(drums.get(b, set()) & drums.get(b - 1, set())) / len(drums.get(b, set()) | drums.get(b - 1, set()))
               for b in range(1, bars) if drums.get(b) or drums.get(b - 1)]
    return (sum(len(v) for v in drums.values()) / bars, sum(1 for b in range(bars) if drums.get(b)) / bars,
            statistics.mean(overlap) if overlap else 0.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--continuo", default="build/continuo")
    ap.add_argument("--keep", default="1")
    ap.add_argument("--seed", default="1")
    ap.add_argument("songs", nargs="+")
    a = ap.parse_args()
    rows = {"model": [], "drumify": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i, song in enumerate(a.songs):
            cut = os.path.join(tmp, f"src-{i}.mid")
            subprocess.run([a.continuo, "convert", song, cut, "--bars", "1:32"], check=True, capture_output=True)
            outs = {}
            for d in rows:
                out = os.path.join(tmp, f"{d}-{i}.mid")
                r = subprocess.run([a.continuo, "accompany", cut, "--tracks-to-keep", a.keep, "--drummer", d, "-s", a.seed,
                                    "-o", out], capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"skipped {song}: {r.stderr.strip().splitlines()[-1]}", file=sys.stderr)
                    break
                outs[d] = out
            if len(outs) == len(rows):
                for d, out in outs.items():
                    rows[d].append(drum_stats(out))
    for d, r in rows.items():
        if r:
            print(f"{d:8s} {len(r)} songs: drum hits per bar {statistics.mean(x[0] for x in r):.1f}, bars with drums "
                  f"{statistics.mean(x[1] for x in r):.2f}, bar-to-bar overlap {statistics.mean(x[2] for x in r):.2f}")


if __name__ == "__main__":
    main()
