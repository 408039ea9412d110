#!/usr/bin/env bash
# `continuo groove` and `continuo drumify` from the outside, with python3-mido as the oracle:
#  - groove keeps every hit's instrument, count, channel, tempo and metre (4/4 and 7/8), moves hits
#    off the grid by less than half a sixteenth, and varies velocities;
#  - drumify adds a channel-10 track in the input's tempo and metre; --variations writes OUT-N.mid;
#  - bad inputs (no drums for groove, an empty file, a file without notes, an unknown style) give
#    exit 1 or 2 and one clear stderr line, never a crash.
# usage: test_cli_drums.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
source "$(dirname "$0")/common.bash"
if [ ! -f "$root/models/groove/model.safetensors" ] || [ ! -f "$root/models/drumify/model.safetensors" ]; then
  echo "models/groove or models/drumify missing: nothing to test"
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

# Inputs: a quantized 4/4 beat at 100 BPM, a 7/8 beat at 140 BPM, a bass line in 3/4, a file
# with only a tempo, and an empty file.
"$python" - "$scratch" <<'EOF'
import sys, mido
d = sys.argv[1]
def drums(path, num, den, bpm, bars):
    m = mido.MidiFile(ticks_per_beat=480)
    meta = mido.MidiTrack(); m.tracks.append(meta)
    meta.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(bpm)))
    meta.append(mido.MetaMessage('time_signature', numerator=num, denominator=den))
    t = mido.MidiTrack(); m.tracks.append(t)
    bar = 480 * 4 * num // den
    ev = []
    for b in range(bars):
        for q in range(0, bar, 240):
            at = b * bar + q
            ev.append((at, 42)); 
            if q % 960 == 0: ev.append((at, 36))
            if q % 960 == 480: ev.append((at, 38))
    msgs = []
    for at, p in ev:
        msgs.append((at, 1, p)); msgs.append((at + 60, 0, p))
    msgs.sort()
    now = 0
    for at, on, p in msgs:
        t.append(mido.Message('note_on' if on else 'note_off', channel=9, note=p, velocity=100 if on else 0, time=at - now))
        now = at
    m.save(path)
drums(d + '/beat44.mid', 4, 4, 100, 8)
drums(d + '/beat78.mid', 7, 8, 140, 6)
m = mido.MidiFile(ticks_per_beat=96)
t = mido.MidiTrack(); m.tracks.append(t)
t.append(mido.MetaMessage('set_tempo', tempo=mido.bpm2tempo(90)))
t.append(mido.MetaMessage('time_signature', numerator=3, denominator=4))
t.append(mido.Message('program_change', channel=1, program=33, time=0))
for i in range(24):
    t.append(mido.Message('note_on', channel=1, note=40 + (i % 5), velocity=90, time=0))
    t.append(mido.Message('note_off', channel=1, note=40 + (i % 5), velocity=0, time=48 if i % 3 else 96))
m.save(d + '/bass34.mid')
m = mido.MidiFile(ticks_per_beat=480)
t = mido.MidiTrack(); m.tracks.append(t)
t.append(mido.MetaMessage('set_tempo', tempo=500000))
m.save(d + '/nonotes.mid')
open(d + '/empty.mid', 'wb').close()
EOF

# The oracle: compares input and output (tempo, metre, drum hits) and prints problems.
check_groove() {
  "$python" - "$1" "$2" <<'EOF'
import sys, mido
a, b = mido.MidiFile(sys.argv[1]), mido.MidiFile(sys.argv[2])
def meta(m, kind):
    return [(x.tempo if kind == 'set_tempo' else (x.numerator, x.denominator)) for tr in m.tracks for x in tr if x.type == kind]
def hits(m):
    out = []
    for tr in m.tracks:
        now = 0
        for x in tr:
            now += x.time
            if x.type == 'note_on' and x.velocity > 0: out.append((now, x.channel, x.note, x.velocity))
    return out
problems = []
for k in ('set_tempo', 'time_signature'):
    if meta(a, k) != meta(b, k): problems.append(k + ' differs')
ha, hb = hits(a), hits(b)
step = b.ticks_per_beat / 4
if sorted((c, n, round(t / step)) for t, c, n, v in ha) != sorted((c, n, round(t / step)) for t, c, n, v in hb):
    problems.append('hits changed instrument, channel or grid line')
offs = [abs(t - round(t / step) * step) for t, c, n, v in hb]
if max(offs) > step / 2: problems.append('a hit moved by more than half a step')
if sum(1 for o in offs if o > 0) < len(offs) / 2: problems.append('most hits did not move')
if len(set(v for t, c, n, v in hb)) < 4: problems.append('velocities hardly vary')
print('\n'.join(problems))
EOF
}

for f in beat44 beat78; do
  run groove "$scratch/$f.mid" -o "$scratch/$f-groove.mid"
  if [ "$rc" -ne 0 ]; then bad "groove $f exited $rc: $(cat "$scratch/err")"; continue; fi
  p=$(check_groove "$scratch/$f.mid" "$scratch/$f-groove.mid")
  [ -z "$p" ] && ok || bad "groove $f: $p"
done
run groove "$scratch/beat44.mid" -o "$scratch/beat44-soft.mid" --strength 0.5
[ "$rc" -eq 0 ] && ok || bad "groove --strength 0.5 exited $rc"

run drumify "$scratch/bass34.mid" -o "$scratch/bass-drums.mid" --style rock --seed 3
if [ "$rc" -ne 0 ]; then
  bad "drumify exited $rc: $(cat "$scratch/err")"
else
  p=$("$python" - "$scratch/bass34.mid" "$scratch/bass-drums.mid" <<'EOF'
import sys, mido
a, b = mido.MidiFile(sys.argv[1]), mido.MidiFile(sys.argv[2])
def meta(m, kind):
    return [(x.tempo if kind == 'set_tempo' else (x.numerator, x.denominator)) for tr in m.tracks for x in tr if x.type == kind]
problems = []
for k in ('set_tempo', 'time_signature'):
    if meta(a, k) != meta(b, k): problems.append(k + ' differs')
drum = [x for tr in b.tracks for x in tr if x.type == 'note_on' and x.velocity > 0 and x.channel == 9]
bass = [x for tr in b.tracks for x in tr if x.type == 'note_on' and x.velocity > 0 and x.channel == 1]
if len(drum) < 8: problems.append('only %d drum hits' % len(drum))
if len(bass) != 24: problems.append('the bass line changed')
print('\n'.join(problems))
EOF
)
  [ -z "$p" ] && ok || bad "drumify: $p"
fi
run drumify "$scratch/bass34.mid" -o "$scratch/vars.mid" --variations 2 --seed 5 --drums-only
if [ "$rc" -eq 0 ] && [ -f "$scratch/vars-1.mid" ] && [ -f "$scratch/vars-2.mid" ]; then ok; else bad "drumify --variations 2: rc $rc"; fi

expect_error "channel 10" groove "$scratch/bass34.mid" -o "$scratch/x.mid"
expect_error "empty.mid" groove "$scratch/empty.mid" -o "$scratch/x.mid"
expect_error "no notes" groove "$scratch/nonotes.mid" -o "$scratch/x.mid"
expect_error "no notes" drumify "$scratch/nonotes.mid" -o "$scratch/x.mid"
expect_error "unknown style 'polka'" drumify "$scratch/bass34.mid" -o "$scratch/x.mid" --style polka
expect_error "missing.mid" drumify "$scratch/missing.mid" -o "$scratch/x.mid"

finish
