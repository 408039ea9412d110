#!/usr/bin/python3
"""Held-out transcription and beat-tracking numbers for docs/AUDIO.md.

For each family, a few MIDI files of ../shared/eval/holdout (the first 30 s of each) are rendered
with FluidSynth (`continuo render`), degraded, transcribed (`continuo transcribe`) and scored:

  conditions  A: FluidR3_GM with reverb and chorus (FluidSynth's defaults)
              B: TimGM6mb (another soundfont), dry, white noise at 20 dB SNR
              C: FluidR3_GM with reverb, then an MP3 round trip (lame, 128 kbit/s)
  notes       onset F1 (50 ms, same MIDI pitch, one-to-one matching as mir_eval's
              precision_recall_f1_overlap does it), F1 with offsets (also the offset within
              max(50 ms, 20% of the reference note's length)), frame F1 (10 ms frames, semitones)
  beats       F-measure at +-70 ms (beats before 5 s ignored, as mir_eval does), tempo within 4%
              (strict; and "octave errors forgiven": 2x or 1/2x also counts). The reference beats are
              the MIDI file's quarter notes, or POP909's own beat_midi.txt where it has one (its MIDI
              grid is offset from the music).

Drum notes (channel 10) are not in the references (basic-pitch transcribes pitched notes); in the
band family the drums stay in the audio as interference. Synthetic audio flatters every number.

  /usr/bin/python3 tools/eval_audio.py --per-family 3 --out /tmp/audio-eval   # python3-mido, lame, timgm6mb-soundfont
"""
import argparse
import json
import math
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import time
import wave

try:
    import mido
except ImportError:
    sys.exit("eval_audio: needs python3-mido (Debian's /usr/bin/python3)")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOLDOUT = os.path.join(ROOT, "..", "shared", "eval", "holdout")
FAMILIES = {   # family -> folder under holdout/ (and a file filter)
    "piano": ("piano-midi-de", lambda p: True),
    "pop piano": ("pop909", lambda p: os.path.basename(os.path.dirname(p)) == os.path.basename(p)[:-4]),
    "folk melody": ("nottingham", lambda p: True),
    "string quartet": ("openscore-quartets-midi", lambda p: True),
    # no chorales in the hold-out: the nearest are the sacred choral pieces (masses, hymns) of polish-scores
    "sacred choral": ("polish-scores-midi", lambda p: "pl-kk" in p and any(
        w in p for w in ("msza", "missa", "sanct", "ave", "salve", "magnificat", "kyrie", "benedictus", "credo"))),
    "band with drums": ("tegridy-selected/tiny-karaoke", lambda p: True),
}
CLIP_S = 30.0
SOUNDFONTS = {"FluidR3": "/usr/share/sounds/sf2/FluidR3_GM.sf2", "TimGM6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2"}


# ---- MIDI -------------------------------------------------------------------------------------
def midi_notes_and_beats(path, limit_s=None):
    """Pitched notes (start, end, pitch) and quarter-note beat times, in seconds."""
    mid = mido.MidiFile(path)
    tpb = mid.ticks_per_beat
    tempo, t_sec, last_tick = 500000, 0.0, 0
    tempo_map = [(0, 0.0, tempo)]   # (tick, seconds, tempo from there)
    notes, open_ = [], {}
    for msg in mido.merge_tracks(mid.tracks):
        tick = last_tick + msg.time
        t_sec += mido.tick2second(msg.time, tpb, tempo)
        last_tick = tick
        if msg.type == "set_tempo":
            tempo = msg.tempo
            tempo_map.append((tick, t_sec, tempo))
        elif msg.type in ("note_on", "note_off") and msg.channel != 9:
            key = (msg.channel, msg.note)
            if msg.type == "note_on" and msg.velocity > 0:
                open_.setdefault(key, []).append(t_sec)
            elif open_.get(key):
                start = open_[key].pop(0)
                notes.append((start, t_sec, msg.note))
    end = t_sec if limit_s is None else min(t_sec, limit_s)
    beats, k = [], 0
    while True:
        tick = k * tpb
        seg = max(i for i in range(len(tempo_map)) if tempo_map[i][0] <= tick)
        t0, s0, tp = tempo_map[seg]
        t = s0 + mido.tick2second(tick - t0, tpb, tp)
        if t > end:
            break
        beats.append(t)
        k += 1
    if limit_s is not None:
        notes = [(s, min(e, limit_s), p) for s, e, p in notes if s < limit_s]
    return notes, beats


def clip_midi(src, dst, limit_s):
    """The first limit_s seconds of a MIDI file as a one-track file (hanging notes end there)."""
    mid = mido.MidiFile(src)
    tpb = mid.ticks_per_beat
    out = mido.MidiFile(ticks_per_beat=tpb)
    tr = mido.MidiTrack()
    out.tracks.append(tr)
    tempo, t_sec, t_last, pending, sounding = 500000, 0.0, 0.0, 0, set()
    for msg in mido.merge_tracks(mid.tracks):
        t_sec += mido.tick2second(msg.time, tpb, tempo)
        pending += msg.time
        if t_sec >= limit_s:
            break
        if msg.is_meta and msg.type == "end_of_track":
            continue
        if msg.type == "set_tempo":
            tempo = msg.tempo
        if msg.type == "note_on" and msg.velocity > 0:
            sounding.add((msg.channel, msg.note))
        elif msg.type in ("note_on", "note_off"):
            sounding.discard((msg.channel, msg.note))
        tr.append(msg.copy(time=pending))
        pending, t_last = 0, t_sec
    left = int(mido.second2tick(limit_s - t_last, tpb, tempo))
    for i, (ch, note) in enumerate(sorted(sounding)):
        tr.append(mido.Message("note_off", channel=ch, note=note, velocity=0, time=left if i == 0 else 0))
    out.save(dst)


# ---- audio ------------------------------------------------------------------------------------
def add_noise(src, dst, snr_db, seed):
    with wave.open(src) as r:
        params = r.getparams()
        raw = r.readframes(params.nframes)
    x = struct.unpack("<%dh" % (len(raw) // 2), raw)
    power = sum(v * v for v in x) / max(1, len(x))
    sd = math.sqrt(power / (10 ** (snr_db / 10))) if power > 0 else 0.0
    rng = random.Random(seed)
    y = [max(-32768, min(32767, int(round(v + rng.gauss(0, sd))))) for v in x]
    with wave.open(dst, "wb") as w:
        w.setparams(params)
        w.writeframes(struct.pack("<%dh" % len(y), *y))


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError(" ".join(cmd) + ": " + p.stdout.strip())
    return p.stdout


# ---- scores -------------------------------------------------------------------------------------
def max_matching(n_ref, candidates):
    """Maximum bipartite matching (Kuhn); candidates[i] = est indices that ref i may match."""
    match_est = {}

    def augment(i, seen):
        for j in candidates[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in match_est or augment(match_est[j], seen):
                match_est[j] = i
                return True
        return False

    sys.setrecursionlimit(10000)
    return sum(1 for i in range(n_ref) if augment(i, set()))


def prf(matched, n_ref, n_est):
    p = matched / n_est if n_est else 0.0
    r = matched / n_ref if n_ref else 0.0
    return (2 * p * r / (p + r)) if p + r else 0.0


def note_f1(ref, est, offsets):
    cands = []
    for rs, re_, rp in ref:
        tol_off = max(0.05, 0.2 * (re_ - rs))
        cands.append([j for j, (es, ee, ep) in enumerate(est)
                      if ep == rp and abs(es - rs) <= 0.05 and (not offsets or abs(ee - re_) <= tol_off)])
    return prf(max_matching(len(ref), cands), len(ref), len(est))


def frame_f1(ref, est, end_s, hop=0.01):
    def roll(notes):
        s = set()
        for a, b, p in notes:
            for f in range(int(math.ceil(a / hop)), int(math.ceil(min(b, end_s) / hop))):
                s.add((f, p))
        return s
    r, e = roll(ref), roll(est)
    return prf(len(r & e), len(r), len(e))


def beat_f(ref, est, tol=0.07, skip=5.0):
    ref = [b for b in ref if b >= skip]
    est = [b for b in est if b >= skip]
    cands = [[j for j, e in enumerate(est) if abs(e - r) <= tol] for r in ref]
    return prf(max_matching(len(ref), cands), len(ref), len(est))


def tempo_of(beats):
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    return 60.0 / statistics.median(gaps) if gaps else 0.0


# ---- main ---------------------------------------------------------------------------------------
def pick(holdout, folder, keep, n):
    files = []
    for dp, _, fs in os.walk(os.path.join(holdout, folder)):
        files += [os.path.join(dp, f) for f in fs if f.lower().endswith((".mid", ".midi")) and keep(os.path.join(dp, f))]
    files.sort()
    step = max(1, len(files) // n)
    return files[::step][:n]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-family", type=int, default=3)
    ap.add_argument("--out", default="/tmp/continuo-audio-eval")
    ap.add_argument("--continuo", default=os.path.join(ROOT, "build", "continuo"))
    ap.add_argument("--holdout", default=HOLDOUT, help="the held-out MIDI folder (default: ../shared/eval/holdout)")
    ap.add_argument("--join", action="store_true",
                    help="instead: continue the condition-A clips already rendered in --out by 15 s and report the joins")
    args = ap.parse_args()
    if not os.path.isdir(args.holdout):
        sys.exit("eval_audio: no held-out MIDI at %s (give --holdout)" % args.holdout)
    os.makedirs(args.out, exist_ok=True)
    # a private copy of the binary: a rebuild during the run must not swap it underneath
    private = os.path.join(args.out, "continuo")
    shutil.copy2(args.continuo, private)
    args.continuo = private
    if args.join:
        return report_joins(args)
    # rows already scored (results.jsonl) are kept: an interrupted run picks up where it stopped
    done_path = os.path.join(args.out, "results.jsonl")
    rows = []
    if os.path.isfile(done_path):
        with open(done_path) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    done = {(r["file"], r["condition"]) for r in rows}
    seconds = []
    for family, (folder, keep) in FAMILIES.items():
        for k, src in enumerate(pick(args.holdout, folder, keep, args.per_family)):
            tag = "%s-%d" % (folder.split("/")[-1], k)
            mid = os.path.join(args.out, tag + ".mid")
            try:
                clip_midi(src, mid, CLIP_S)
            except Exception as e:   # mido cannot read a few files (unknown meta events)
                print("skip %s: %s" % (src, e), file=sys.stderr)
                continue
            ref_notes, ref_beats = midi_notes_and_beats(mid, CLIP_S)
            annotated = os.path.join(os.path.dirname(src), "beat_midi.txt")   # POP909's own beat times
            if os.path.isfile(annotated):
                with open(annotated) as f:
                    ref_beats = [float(line.split()[0]) for line in f if line.strip() and float(line.split()[0]) < CLIP_S]
            if not ref_notes:
                continue
            wav_a = os.path.join(args.out, tag + "-A.wav")
            run([args.continuo, "render", mid, "-o", wav_a, "--soundfont", SOUNDFONTS["FluidR3"], "--tail", "0"])
            dry_b = os.path.join(args.out, tag + "-B-dry.wav")
            run([args.continuo, "render", mid, "-o", dry_b, "--soundfont", SOUNDFONTS["TimGM6mb"], "--tail", "0",
                 "--no-reverb"])
            wav_b = os.path.join(args.out, tag + "-B.wav")
            add_noise(dry_b, wav_b, 20.0, k)
            mp3_c = os.path.join(args.out, tag + "-C.mp3")
            run(["lame", "--quiet", "-b", "128", wav_a, mp3_c])
            conds = [c for c in ("A", "B", "C") if (os.path.relpath(src, args.holdout), c) not in done]
            for cond, audio in (("A", wav_a), ("B", wav_b), ("C", mp3_c)):
                if cond not in conds:
                    continue
                out_mid = os.path.join(args.out, tag + "-" + cond + ".transcribed.mid")
                t0 = time.time()
                try:
                    run([args.continuo, "transcribe", audio, "-o", out_mid])
                except RuntimeError as e:
                    print("skip:", e, file=sys.stderr)
                    continue
                seconds.append(time.time() - t0)
                est_notes, est_beats = midi_notes_and_beats(out_mid, CLIP_S)
                ref_bpm, est_bpm = tempo_of(ref_beats), tempo_of(est_beats)
                ratio = est_bpm / ref_bpm if ref_bpm else 0
                row = {
                    "family": family, "file": os.path.relpath(src, args.holdout), "condition": cond,
                    "onset_f1": note_f1(ref_notes, est_notes, False), "offset_f1": note_f1(ref_notes, est_notes, True),
                    "frame_f1": frame_f1(ref_notes, est_notes, CLIP_S), "beat_f": beat_f(ref_beats, est_beats),
                    "ref_bpm": ref_bpm, "est_bpm": est_bpm, "tempo_ok": abs(ratio - 1) <= 0.04,
                    "tempo_ok_octave": any(abs(ratio / m - 1) <= 0.04 for m in (0.5, 1, 2)),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
                with open(done_path, "a") as f:
                    f.write(json.dumps(row) + "\n")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(rows, f, indent=1)
    print_table(rows, seconds)


def report_joins(args):
    """`continuo continue` on every condition-A clip: the seam, levels, steps and timing it reports."""
    import re
    pat = re.compile(r"gain ([-+][\d.]+) dB \(clip's last 2 s ([-\d.]+) dBFS, continuation ([-\d.]+) dBFS\), "
                     r"largest step at the seam ([\d.]+) \(clip's own ([\d.]+)\), continuation's onsets ([\d.]+) ms")
    print("| clip | gain (dB) | clip's last 2 s (dBFS) | continuation (dBFS) | step at seam / clip's max step | onsets from the grid's sixteenths (ms, median) | wall (s) |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(os.listdir(args.out)):
        if not name.endswith("-A.wav"):
            continue
        t0 = time.time()
        try:
            out = run([args.continuo, "continue", os.path.join(args.out, name), "-o",
                       os.path.join(args.out, name[:-4] + ".continued.wav"), "--seconds", "15", "--seed", "1"])
        except RuntimeError as e:
            print("| %s | failed: %s |" % (name, str(e).splitlines()[-1]))
            continue
        m = pat.search(out)
        if m:
            g, c, k, step, own, off = (float(x) for x in m.groups())
            print("| %s | %+.1f | %.1f | %.1f | %.4f / %.4f | %.0f | %.1f |" % (name[:-6], g, c, k, step, own, off, time.time() - t0))


def print_table(rows, seconds):
    def line(label, cond, sel):
        mean = lambda xs: sum(xs) / len(xs)
        print("| %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %d/%d | %d/%d |" % (
            label, cond, len(sel), mean([r["onset_f1"] for r in sel]), mean([r["offset_f1"] for r in sel]),
            mean([r["frame_f1"] for r in sel]), mean([r["beat_f"] for r in sel]), sum(r["tempo_ok"] for r in sel),
            len(sel), sum(r["tempo_ok_octave"] for r in sel), len(sel)))
    print("\n| family | condition | clips | onset F1 | F1 with offsets | frame F1 | beat F (70 ms) | tempo within 4% | octave errors forgiven |")
    print("|---|---|---|---|---|---|---|---|---|")
    for family in FAMILIES:
        for cond in ("A", "B", "C"):
            sel = [r for r in rows if r["family"] == family and r["condition"] == cond]
            if sel:
                line(family, cond, sel)
    for cond in ("A", "B", "C"):
        sel = [r for r in rows if r["condition"] == cond]
        if sel:
            line("**all families**", cond, sel)
    if seconds:
        print("\ntranscription wall time per 30 s clip (this machine, while it does other work): median %.2f s"
              % statistics.median(seconds))


if __name__ == "__main__":
    main()
