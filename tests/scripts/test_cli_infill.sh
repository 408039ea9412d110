#!/usr/bin/env bash
# `continuo infill` and `continuo accompany` from the outside, with python3-mido as the oracle:
#  - infill --bars 3-4 --tracks 1,2 of the example: valid MIDI; every note of tracks 3 and 4, and
#    every note of tracks 1 and 2 that starts outside bars 3-4, as it was (mido's note list);
#    --variations 2 writes OUT-1.mid and OUT-2.mid;
#  - accompany --tracks-to-keep 2 --instruments ... --drums: the flute as it was, the named
#    instruments added (programs, drums on channel 10);
#  - bad requests (bars outside the piece, backwards, unknown or empty tracks, nothing to keep,
#    too many tracks, a corrupt file, a missing model) give exit 1 or 2, one clear stderr line,
#    never a crash, and never a file at the output path.
# usage: test_cli_infill.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
source "$(dirname "$0")/common.bash"
if [ ! -f "$root/models/default/model.safetensors" ]; then
  echo "models/default missing: nothing to test"
  exit 0
fi
ex="$root/examples/example.mid"
run() {
  "$bin" "$@" >"$scratch/out" 2>"$scratch/err"
  rc=$?
}
expect_error() {   # expect_error WHAT-TO-FIND-IN-STDERR ARGS... (the output must not appear)
  local want=$1
  shift
  rm -f "$scratch/bad.mid"
  run "$@"
  if [ "$rc" -ge 128 ]; then bad "$* crashed (exit $rc)"
  elif [ "$rc" -eq 0 ]; then bad "$* succeeded, expected an error"
  elif [ "$(wc -l <"$scratch/err")" -ne 1 ]; then bad "$*: expected one stderr line, got: $(cat "$scratch/err")"
  elif ! grep -qF -- "$want" "$scratch/err"; then bad "$*: stderr lacks '$want': $(cat "$scratch/err")"
  elif [ -e "$scratch/bad.mid" ]; then bad "$*: wrote its output although it failed"
  else ok; fi
}
# notes per track (channel, start in beats, pitch, duration in beats) of a MIDI file, with mido
notes() {
  "$python" - "$1" <<'PY'
import sys, mido, json
m = mido.MidiFile(sys.argv[1])
out = {}
for tr in m.tracks:
    now, on = 0, {}
    for msg in tr:
        now += msg.time
        if msg.type == 'note_on' and msg.velocity > 0:
            on.setdefault((msg.channel, msg.note), []).append(now)
        elif msg.type in ('note_off', 'note_on'):
            starts = on.get((msg.channel, msg.note))
            if starts:
                s = starts.pop(0)
                out.setdefault(str(msg.channel), []).append([round(s / m.ticks_per_beat, 4), msg.note, round((now - s) / m.ticks_per_beat, 4)])
for k in out: out[k].sort()
print(json.dumps(out))
PY
}

# ---- infill: bars 3-4 (beats 8-16) of tracks 1 and 2 (channels 0 and 1)
run infill "$ex" --bars 3-4 --tracks 1,2 -s 3 -o "$scratch/inf.mid"
if [ "$rc" -ne 0 ]; then bad "infill failed: $(cat "$scratch/err")"; else ok; fi
notes "$ex" >"$scratch/orig.json"
notes "$scratch/inf.mid" >"$scratch/inf.json"
"$python" - "$scratch/orig.json" "$scratch/inf.json" <<'PY' || failed=$((failed + 1))
import sys, json
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
for ch in set(a) | set(b):
    keep = (lambda n: True) if ch not in ('0', '1') else (lambda n: not (8 <= n[0] < 16))
    x, y = [n for n in a.get(ch, []) if keep(n)], [n for n in b.get(ch, []) if keep(n)]
    if x != y: bad.append(f"channel {ch}: {len(x)} kept notes before, {len(y)} after")
new = [n for ch in ('0', '1') for n in b.get(ch, []) if 8 <= n[0] < 16]
if len(new) < 4: bad.append(f"only {len(new)} notes written in bars 3-4")
if bad: print("FAIL: infill:", "; ".join(bad)); sys.exit(1)
PY
[ $? -eq 0 ] && ok
run infill "$ex" --bars 5 -v 2 --candidates 2 -s 1 -o "$scratch/var.mid"
if [ "$rc" -eq 0 ] && [ -s "$scratch/var-1.mid" ] && [ -s "$scratch/var-2.mid" ]; then ok; else bad "infill -v 2: $(cat "$scratch/err")"; fi

# ---- accompany the flute (track 2) with a cello and jazz drums
run accompany "$ex" --tracks-to-keep 2 --instruments cello --drums jazz -s 2 -o "$scratch/acc.mid"
if [ "$rc" -ne 0 ]; then bad "accompany failed: $(cat "$scratch/err")"; else ok; fi
notes "$scratch/acc.mid" >"$scratch/acc.json"
"$python" - "$scratch/orig.json" "$scratch/acc.json" "$scratch/acc.mid" <<'PY' || failed=$((failed + 1))
import sys, json, mido
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
m = mido.MidiFile(sys.argv[3])
programs = {msg.channel: msg.program for tr in m.tracks for msg in tr if msg.type == 'program_change'}
bad = []
if b.get('1') != a.get('1'): bad.append("the flute (channel 2) changed")
if set(b) - {'1', '0', '9'}: bad.append(f"unexpected channels {sorted(set(b))}")
if 42 not in programs.values(): bad.append(f"no cello program: {programs}")
if len(b.get('9', [])) < 4: bad.append("hardly any drums")
if sum(len(v) for k, v in b.items() if k != '1') < 12: bad.append("hardly any new notes")
if bad: print("FAIL: accompany:", "; ".join(bad)); sys.exit(1)
PY
[ $? -eq 0 ] && ok

# ---- bad requests
expect_error "bars 1-8" infill "$ex" --bars 7-9 -o "$scratch/bad.mid"
expect_error "backwards" infill "$ex" --bars 4-3 -o "$scratch/bad.mid"
expect_error "bars must be" infill "$ex" --bars x -o "$scratch/bad.mid"
expect_error "no track 9" infill "$ex" --bars 2 --tracks 9 -o "$scratch/bad.mid"
expect_error "numbered from 1" infill "$ex" --bars 2 --tracks 0 -o "$scratch/bad.mid"
expect_error "no track 7" accompany "$ex" --tracks-to-keep 7 -o "$scratch/bad.mid"
expect_error "at most 16 tracks" accompany "$ex" --instruments "$(printf 'piano,%.0s' $(seq 15))piano" -o "$scratch/bad.mid"
expect_error "not a General MIDI name" accompany "$ex" --instruments kazoo -o "$scratch/bad.mid"
head -c 100 "$ex" >"$scratch/cut.mid"
expect_error "cut.mid" infill "$scratch/cut.mid" --bars 1 -o "$scratch/bad.mid"
expect_error "nope" infill "$ex" --bars 1 -m nope -o "$scratch/bad.mid"
# option values out of range: the option named, a non-zero exit, nothing written
for args in "--range-weight -1" "--range-weight 101" "--max-repeat 2" "--vary -0.5" "--steer 11" "--match-weight 1.5"; do
  rm -f "$scratch/bad.mid"
  "$bin" infill "$ex" --bars 2 $args -o "$scratch/bad.mid" 2>"$scratch/err"
  rc=$?
  if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then bad "infill $args: exit $rc"
  elif ! grep -qF -- "${args%% *}" "$scratch/err"; then bad "infill $args: stderr does not name the option: $(cat "$scratch/err")"
  elif [ -e "$scratch/bad.mid" ]; then bad "infill $args: wrote its output"
  else ok; fi
done
"$python" - "$scratch/empty.mid" <<'PY'
import sys, mido
m = mido.MidiFile(); t = mido.MidiTrack(); m.tracks.append(t)
t.append(mido.MetaMessage('set_tempo', tempo=500000)); m.save(sys.argv[1])
PY
expect_error "no notes" infill "$scratch/empty.mid" --bars 1 -o "$scratch/bad.mid"
expect_error "no notes" accompany "$scratch/empty.mid" -o "$scratch/bad.mid"
finish
