#!/usr/bin/python3
"""Sampled sequences always decode to valid MIDI files that python3-mido reads, with the notes,
tempo, metre and instruments continuo says they have.

Samples with every shipped transformer model and with a random-weight model (whose samples are
far from music, so they exercise the grammar and the decoder on odd sequences): `continuo
generate` (with and without conditioning) and `continuo continue` (whole prompt and its first
events), at temperatures 0, 1 and 1.6, several variations and seeds. Each output must be read
by mido without error, and mido's note-on count, tempo, time signature and programs must match
`continuo info --json`. Also: the same seed gives byte-identical files, and a continuation's
file starts with the prompt's notes.

usage: test_generate_mido.py CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
"""
import collections
import json
import os
import shutil
import subprocess
import sys

import mido

binary, root, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
failures = []
checked = 0


def run(*args):
    p = subprocess.run([binary, *map(str, args)], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        failures.append(f"continuo {' '.join(map(str, args))}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def mido_view(path):
    m = mido.MidiFile(path)
    notes, tempos, sigs, programs = 0, [], [], set()
    for track in m.tracks:
        for msg in track:
            if msg.type == "note_on" and msg.velocity > 0:
                notes += 1
            elif msg.type == "set_tempo":
                tempos.append(msg.tempo)
            elif msg.type == "time_signature":
                sigs.append((msg.numerator, msg.denominator))
            elif msg.type == "program_change":
                programs.add((msg.channel, msg.program))
    return notes, tempos, sigs, programs


def check(path):
    global checked
    try:
        notes, tempos, sigs, programs = mido_view(path)
    except Exception as e:  # mido raises many kinds of errors on bad files
        failures.append(f"{path}: mido cannot read it: {e}")
        return
    p = run("info", "--json", path)
    if p.returncode != 0:
        return
    info = json.loads(p.stdout)
    if info["notes"] != notes:
        failures.append(f"{path}: continuo says {info['notes']} notes, mido finds {notes}")
    if tempos and [t["us_per_beat"] for t in info["tempos"]] != tempos:
        failures.append(f"{path}: tempi differ: {info['tempos']} vs {tempos}")
    if [(s["numerator"], s["denominator"]) for s in info["time_signatures"]] != sigs:
        failures.append(f"{path}: time signatures differ: {info['time_signatures']} vs {sigs}")
    for t in info["tracks"]:
        if not t["is_drum"] and t["notes"] > 0 and (t["channel"], t["program"]) not in programs and t["program"] != 0:
            failures.append(f"{path}: track program {t['program']} on channel {t['channel']} not in the file")
    checked += 1


def outputs(out, n):
    if n == 1:
        return [out]
    stem, ext = os.path.splitext(out)
    return [f"{stem}-{i}{ext}" for i in range(1, n + 1)]


# a random-weight model next to the shipped ones
models_dir = os.path.join(scratch, "models")
subprocess.run([sys.executable, os.path.join(root, "tools", "make_random_model.py"), os.path.join(models_dir, "random"),
                "--name", "random", "--seed", "5"], check=True, capture_output=True)
models = [os.path.join(models_dir, "random")]
for name in ("default", "piano", "folk"):
    if os.path.isfile(os.path.join(root, "models", name, "model.safetensors")):
        models.append(name)

example = os.path.join(root, "examples", "example.mid")
k = 0
for model in models:
    for temp in ("0", "1", "1.6"):
        k += 1
        out = os.path.join(scratch, f"gen{k}.mid")
        run("generate", "-m", model, "-n", 160, "-v", 2, "-t", temp, "--seed", k, "-o", out)
        for f in outputs(out, 2):
            check(f)
        k += 1
        out = os.path.join(scratch, f"cont{k}.mid")
        run("continue", example, "-m", model, "-n", 160, "-v", 2, "-t", temp, "--seed", k,
            "--prompt-events", 60 if temp == "1" else 0, "-o", out)
        for f in outputs(out, 2):
            check(f)
    k += 1
    out = os.path.join(scratch, f"cond{k}.mid")
    run("generate", "-m", model, "-n", 120, "--seed", k, "--instruments", "violin,acoustic bass", "--drums",
        "jazz", "--bpm", 140, "--time-signature", "6/8", "--key", "E minor", "-o", out)
    check(out)
    if os.path.exists(out):
        info = json.loads(run("info", "--json", out).stdout or "{}")
        if info.get("time_signatures", [{}])[0].get("numerator") != 6:
            failures.append(f"{out}: asked for 6/8, got {info.get('time_signatures')}")
        if abs(info.get("tempos", [{"bpm": 0}])[0]["bpm"] - 140) > 4:
            failures.append(f"{out}: asked for 140 BPM, got {info.get('tempos')}")

# the same seed gives the same bytes; a continuation starts with its prompt
a, b = os.path.join(scratch, "same-a.mid"), os.path.join(scratch, "same-b.mid")
run("continue", example, "-m", models[-1], "-n", 64, "--seed", 42, "-o", a)
run("continue", example, "-m", models[-1], "-n", 64, "--seed", 42, "-o", b)
if open(a, "rb").read() != open(b, "rb").read():
    failures.append("the same seed gave different files")
ex = mido.MidiFile(example)
out_file = mido.MidiFile(a)


def abs_note_ons(m):
    res = []
    for track in m.tracks:
        t = 0
        for msg in track:
            t += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                res.append((t * 480 // m.ticks_per_beat, msg.channel, msg.note))
    return sorted(res)


src, got = abs_note_ons(ex), abs_note_ons(out_file)
last = src[-1][0]
# everything before the prompt's last onset is the prompt's, and every prompt note is still there
# (new notes may start together with the prompt's last ones)
if [n for n in got if n[0] < last] != [n for n in src if n[0] < last]:
    failures.append("the continuation does not start with the example's notes")
if any(collections.Counter(got)[n] < c for n, c in collections.Counter(src).items()):
    failures.append("the continuation lost some of the example's notes")
if len(got) <= len(src):
    failures.append("the continuation added no notes")
if len(set(got)) != len(got):
    failures.append("the continuation has the same note twice (same time, channel, pitch)")

for f in failures:
    print("FAIL:", f)
print(f"{checked} generated files read by mido and checked; {len(failures)} failures")
if checked < 20:
    print("FAIL: too few files checked")
    sys.exit(1)
sys.exit(1 if failures else 0)
