#!/usr/bin/env python3
"""Debian's python3-mido as an independent oracle for Continuo's MIDI reading and writing.

usage: golden_mido_oracle.py CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR

For a sample of corpus files (300 spread over every corpus; CONTINUO_ORACLE_FILES changes the
number) plus tests/data/midi and examples/*.mid:
  1. `continuo info FILE --json --notes` says what Continuo read;
  2. `continuo convert FILE OUT` writes it back through the score model;
  3. mido reads OUT and must find exactly those notes (per channel, the multiset of
     (start tick, pitch, velocity, duration), note-ons paired with note-offs first in first out),
     tempi, time and key signatures, and track programs;
  4. mido reads the ORIGINAL file and must find the same notes, tempi and time signatures as
     Continuo (skipped for the few files mido itself cannot read).
Exits non-zero on any mismatch; the last line is "N passed, N failed".
"""
import collections
import json
import os
import subprocess
import sys

try:
    import mido
except ImportError:  # a pyenv/venv python3 first on PATH: retry with Debian's
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("golden_mido_oracle: python3-mido is not installed (apt-get install python3-mido)")
    sys.exit(1)

MIDI_EXTS = (".mid", ".midi", ".kar", ".rmi")


def corpora_dir(root):
    env = os.environ.get("CONTINUO_DATA")
    unpack = os.path.join(root, "..", "shared", "data", "unpack")
    if os.path.exists(unpack):
        r = subprocess.run([unpack], capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout.strip().splitlines()[-1]
    return env


def midi_files(folder):
    out = []
    for dirpath, _, names in os.walk(folder):
        out.extend(os.path.join(dirpath, n) for n in names if n.lower().endswith(MIDI_EXTS))
    return sorted(out)


def sample_files(root, count):
    files = []
    for extra in (os.path.join(root, "tests", "data", "midi"), os.path.join(root, "examples")):
        if os.path.isdir(extra):
            files.extend(midi_files(extra))
    data = corpora_dir(root)
    if not data or not os.path.isdir(data):
        print("note: corpora not available; only the repository's example files are checked")
        return files
    corpora = [d for d in sorted(os.listdir(data)) if os.path.isdir(os.path.join(data, d))]
    per_corpus = {d: midi_files(os.path.join(data, d)) for d in corpora}
    per_corpus = {d: f for d, f in per_corpus.items() if f}
    share = max(1, count // max(1, len(per_corpus)))
    for d, fs in per_corpus.items():
        step = max(1, len(fs) // share)
        files.extend(fs[::step][:share])
    return files


def mido_read(path):
    return mido.MidiFile(path)


def mido_facts(mf):
    """Notes per channel, tempi, time and key signatures, programs, as continuo defines them."""
    notes = collections.defaultdict(collections.Counter)  # channel -> Counter of notes
    tempos, time_sigs, key_sigs = [], [], []
    programs = []  # (channel, program) per (track, channel) with notes or a program change
    for track in mf.tracks:
        tick = 0
        pending = collections.defaultdict(collections.deque)  # (ch, pitch) -> deque of (start, vel)
        first_program = {}
        channels = []
        for msg in track:
            tick += msg.time
            t = msg.type
            if t == "note_on" and msg.velocity > 0:
                pending[(msg.channel, msg.note)].append((tick, msg.velocity))
                if msg.channel not in channels:
                    channels.append(msg.channel)
            elif t == "note_off" or (t == "note_on" and msg.velocity == 0):
                q = pending.get((msg.channel, msg.note))
                if q:
                    start, vel = q.popleft()
                    notes[msg.channel][(start, msg.note, vel, tick - start)] += 1
            elif t == "program_change":
                first_program.setdefault(msg.channel, msg.program)
                if msg.channel not in channels:
                    channels.append(msg.channel)
            elif t == "set_tempo":
                if msg.tempo > 0:
                    tempos.append((tick, msg.tempo))
            elif t == "time_signature":
                if msg.numerator > 0 and msg.denominator <= 128:
                    time_sigs.append((tick, msg.numerator, msg.denominator))
            elif t == "key_signature":
                key_sigs.append((tick, msg.key))
        for (ch, pitch), q in pending.items():  # still sounding: ends at the track's last tick
            for start, vel in q:
                notes[ch][(start, pitch, vel, tick - start)] += 1
        for ch in sorted(channels):
            programs.append((ch, first_program.get(ch, 0)))

    def last_wins(events):  # stable by tick, the last event at a tick wins
        events = sorted(events, key=lambda e: e[0])
        return [e for i, e in enumerate(events) if i + 1 == len(events) or events[i + 1][0] != e[0]]

    return {
        "notes": {ch: c for ch, c in notes.items() if c},
        "tempos": last_wins(tempos),
        "time_signatures": last_wins(time_sigs),
        "key_signatures": last_wins(key_sigs),
        "programs": collections.Counter(programs),
        "smpte": mf.ticks_per_beat < 0 or mf.ticks_per_beat >= 0x8000,
    }


def continuo_facts(info):
    notes = collections.defaultdict(collections.Counter)
    for t in info["tracks"]:
        for start, dur, pitch, vel in t["note_list"]:
            notes[t["channel"]][(start, pitch, vel, dur)] += 1
    return {
        "notes": {ch: c for ch, c in notes.items() if c},
        "tempos": [(t["tick"], t["us_per_beat"]) for t in info["tempos"]],
        "time_signatures": [(t["tick"], t["numerator"], t["denominator"]) for t in info["time_signatures"]],
        "key_signatures": [(k["tick"], k["name"].split()[0] + ("m" if k["minor"] else ""))
                           for k in info["key_signatures"]],
        "programs": collections.Counter((t["channel"], t["program"]) for t in info["tracks"]),
    }


def differences(ours, theirs, fields):
    out = []
    for f in fields:
        if ours[f] != theirs[f]:
            if f == "notes":
                chans = sorted(set(ours[f]) | set(theirs[f]))
                bad = [c for c in chans if ours[f].get(c) != theirs[f].get(c)]
                detail = "channel %d: continuo %d notes, mido %d" % (
                    bad[0], sum(ours[f].get(bad[0], {}).values()), sum(theirs[f].get(bad[0], {}).values()))
                out.append("notes differ (%s)" % detail)
            else:
                out.append("%s differ: continuo %s, mido %s" % (f, str(ours[f])[:200], str(theirs[f])[:200]))
    return out


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    binary, root, scratch = sys.argv[1:4]
    os.makedirs(scratch, exist_ok=True)
    files = sample_files(root, int(os.environ.get("CONTINUO_ORACLE_FILES", "300")))
    passed, failed, mido_unreadable = 0, 0, 0
    failures = []
    for i, path in enumerate(files):
        problems = []
        r = subprocess.run([binary, "info", path, "--json", "--notes"], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append("%s: continuo info failed: %s" % (path, r.stderr.strip()))
            failed += 1
            continue
        info = json.loads(r.stdout)
        ours = continuo_facts(info)
        out = os.path.join(scratch, "out%d.mid" % i)
        r = subprocess.run([binary, "convert", path, out], capture_output=True, text=True)
        if r.returncode != 0:
            failures.append("%s: continuo convert failed: %s" % (path, r.stderr.strip()))
            failed += 1
            continue
        try:
            written = mido_facts(mido_read(out))
            problems += ["written file: " + d for d in differences(
                ours, written, ["notes", "tempos", "time_signatures", "key_signatures", "programs"])]
        except Exception as e:  # mido must read everything we write
            problems.append("mido cannot read the written file: %r" % e)
        try:
            original = mido_facts(mido_read(path))
        except Exception:
            original = None
            mido_unreadable += 1
        if original is not None:
            fields = ["notes", "time_signatures", "programs"] + ([] if original["smpte"] else ["tempos"])
            problems += ["original file: " + d for d in differences(ours, original, fields)]
        os.remove(out)
        if problems:
            failed += 1
            failures.append("%s: %s" % (path, "; ".join(problems)))
        else:
            passed += 1
    for f in failures[:30]:
        print("FAIL " + f)
    print("%d files checked against mido (%d originals mido cannot read: written files still checked)"
          % (len(files), mido_unreadable))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not files else 0


if __name__ == "__main__":
    sys.exit(main())
