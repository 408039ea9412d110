#!/usr/bin/env bash
# `continuo interpolate` and `continuo generate --clip` from the outside, with python3-mido as the
# oracle:
#  - interpolate writes OUT-1.mid ... OUT-N.mid, valid MIDI in A's resolution, tempo and metre,
#    for two melodies (4/4 and 3/4, one of them 4 bars: chunks) and two drum beats;
#  - generate --clip melody|drums --bars N writes N bars (per variation);
#  - bad inputs (an empty file, a file without notes, different metres, a melody and a beat) give
#    exit 1 or 2 and one clear stderr line, never a crash.
# usage: test_cli_interpolate.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
source "$(dirname "$0")/common.bash"
if [ ! -f "$root/models/melody-vae/model.safetensors" ] || [ ! -f "$root/models/drums-vae/model.safetensors" ]; then
  echo "models/melody-vae or models/drums-vae missing: nothing to test"
  exit 0
fi
run() {
  "$bin" "$@" >"$scratch/out" 2>"$scratch/err"
  rc=$?
}
expect_error() {   # expect_error WHAT-TO-FIND-IN-STDERR ARGS...
  local want=$1
  shift
  run "$@"
  if [ "$rc" -ge 128 ]; then bad "$* crashed (exit $rc)"
  elif [ "$rc" -eq 0 ]; then bad "$* succeeded, expected an error"
  elif [ "$(wc -l <"$scratch/err")" -ne 1 ]; then bad "$*: expected one stderr line, got: $(cat "$scratch/err")"
  elif ! grep -qF -- "$want" "$scratch/err"; then bad "$*: stderr lacks '$want': $(cat "$scratch/err")"
  else ok; fi
}

"$python" - "$scratch" <<'PY'
import sys, mido
d = sys.argv[1]
def write(path, tpb, bpm, num, den, notes, channel=0, program=None):
    m = mido.MidiFile(ticks_per_beat=tpb)
    t = mido.MidiTrack(); m.tracks.append(t)
    t.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(bpm)))
    t.append(mido.MetaMessage('time_signature', numerator=num, denominator=den))
    if program is not None: t.append(mido.Message('program_change', channel=channel, program=program))
    ev = []
    for start, dur, p in notes:
        ev.append((start, 1, p)); ev.append((start + dur, 0, p))
    ev.sort(key=lambda e: (e[0], e[1]))
    now = 0
    for at, on, p in ev:
        t.append(mido.Message('note_on', channel=channel, note=p, velocity=90 if on else 0, time=at - now)); now = at
    m.save(path)
s = 96 // 4   # a sixteenth at 96 ticks per beat
write(f'{d}/a44.mid', 96, 100, 4, 4, [(i * 4 * s, 4 * s, 60 + [0, 2, 4, 5, 7, 5, 4, 2][i]) for i in range(8)], program=73)
write(f'{d}/b44.mid', 96, 140, 4, 4, [(i * 2 * s, 2 * s, 72 - [0, 3, 5, 7][i % 4]) for i in range(16) if i % 3 != 2]
      + [(i * 2 * s + 32 * s, 2 * s, 64 + i % 5) for i in range(16)])   # 4 bars: two chunks
write(f'{d}/a34.mid', 96, 90, 3, 4, [(i * 4 * s, 4 * s, 67 - i) for i in range(6)])
write(f'{d}/b34.mid', 96, 90, 3, 4, [(i * 2 * s, 2 * s, 60 + (i * 5) % 12) for i in range(12)])
beat = lambda hh, kick, snare: [(i * s, s // 2, 42) for i in range(0, 32, hh)] + \
    [(i * s, s // 2, 36) for i in kick] + [(i * s, s // 2, 38) for i in snare]
write(f'{d}/rock.mid', 96, 110, 4, 4, beat(2, [0, 8, 16, 24], [4, 12, 20, 28]), channel=9)
write(f'{d}/funk.mid', 96, 95, 4, 4, beat(1, [0, 3, 10, 16, 19, 26], [4, 12, 14, 20, 28, 30]), channel=9)
m = mido.MidiFile(ticks_per_beat=96); t = mido.MidiTrack(); m.tracks.append(t)
t.append(mido.MetaMessage('set_tempo', tempo=500000)); m.save(f'{d}/nonotes.mid')
open(f'{d}/empty.mid', 'wb').close()
PY

check() {   # check A N OUT: OUT-1..N exist, parse, have A's resolution, tempo, metre, and notes
  "$python" - "$@" <<'PY'
import sys, mido
a, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def meta(m):
    return [(x.type, getattr(x, 'tempo', None), getattr(x, 'numerator', None), getattr(x, 'denominator', None))
            for tr in m.tracks for x in tr if x.type in ('set_tempo', 'time_signature')]
A = mido.MidiFile(a)
bad = 0
for i in range(1, n + 1):
    m = mido.MidiFile(f'{out}-{i}.mid')
    notes = sum(1 for tr in m.tracks for x in tr if x.type == 'note_on' and x.velocity > 0)
    if m.ticks_per_beat != A.ticks_per_beat or sorted(meta(m)) != sorted(meta(A)) or notes == 0:
        print(f'{out}-{i}.mid: tpb {m.ticks_per_beat} meta {meta(m)} notes {notes}; A: {A.ticks_per_beat} {meta(A)}'); bad += 1
sys.exit(1 if bad else 0)
PY
}

for pair in "a44 b44 4" "a34 b34 5" "rock funk 6" "b44 a44 3"; do
  set -- $pair
  run interpolate "$scratch/$1.mid" "$scratch/$2.mid" --steps "$3" -o "$scratch/i-$1-$2" --seed 3
  if [ "$rc" -ne 0 ]; then bad "interpolate $1 $2 exited $rc: $(cat "$scratch/err")"; continue; fi
  [ "$(grep -c '^wrote' "$scratch/out")" -eq "$3" ] && ok || bad "interpolate $1 $2: expected $3 files: $(cat "$scratch/out")"
  check "$scratch/$1.mid" "$3" "$scratch/i-$1-$2" && ok || bad "interpolate $1 $2: outputs differ from A's layout"
done
run interpolate "$scratch/a44.mid" "$scratch/b44.mid" --steps 3 -t 0.8 --seed 9 -o "$scratch/t.mid"
[ "$rc" -eq 0 ] && [ -f "$scratch/t-3.mid" ] && ok || bad "interpolate -t 0.8 exited $rc: $(cat "$scratch/err")"

for kind in melody drums; do
  run generate --clip $kind --bars 3 -v 2 -s 4 -o "$scratch/g-$kind.mid"
  if [ "$rc" -ne 0 ]; then bad "generate --clip $kind exited $rc: $(cat "$scratch/err")"; continue; fi
  "$python" - "$scratch/g-$kind" <<'PY' && ok || bad "generate --clip $kind: wrong output"
import sys, mido
for i in (1, 2):
    m = mido.MidiFile(f'{sys.argv[1]}-{i}.mid')
    end = max(sum(x.time for x in tr) for tr in m.tracks)
    notes = sum(1 for tr in m.tracks for x in tr if x.type == 'note_on' and x.velocity > 0)
    assert notes > 0 and end <= 3 * 4 * m.ticks_per_beat, (i, notes, end)
PY
done

expect_error "empty.mid" interpolate "$scratch/empty.mid" "$scratch/a44.mid" -o "$scratch/x"
expect_error "no notes" interpolate "$scratch/a44.mid" "$scratch/nonotes.mid" -o "$scratch/x"
expect_error "different metres" interpolate "$scratch/a44.mid" "$scratch/a34.mid" -o "$scratch/x"
expect_error "different parts" interpolate "$scratch/a44.mid" "$scratch/rock.mid" -o "$scratch/x"
expect_error "missing.mid" interpolate "$scratch/missing.mid" "$scratch/a44.mid" -o "$scratch/x"
expect_usage() {   # option errors: non-zero exit (CLI11 codes), the message first (CLI11 adds a "Run with --help" line)
  local want=$1
  shift
  run "$@"
  if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then bad "$*: expected a usage error, got exit $rc"
  elif ! head -1 "$scratch/err" | grep -qF -- "$want"; then bad "$*: stderr lacks '$want': $(cat "$scratch/err")"
  else ok; fi
}
expect_usage "--steps" interpolate "$scratch/a44.mid" "$scratch/b44.mid" --steps 1 -o "$scratch/x"
expect_usage "--clip" generate --clip bass -o "$scratch/x.mid"

finish
