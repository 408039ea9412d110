#!/usr/bin/env bash
# The 73 edge-case files (72 MIDI, one .syx) of ../shared/eval/edge/jazz-soft (github.com/jazz-soft/test-midi-files,
# MIT; read in place, not copied), each with the answer it should get from `continuo info --json`:
# "ok N" (read, N notes) or "error PHRASE" (exit 1, one stderr line naming the file and the
# phrase). Then `continuo continue -n 16` on each: files with notes are continued (exit 0, a MIDI
# file written), files without notes get "the prompt has no notes to continue", unreadable ones
# their reading error (a non-zero exit, no output file). Every run under 5 s; never a crash (exit >= 128).
# Choices made here: system common and real-time status bytes (0xF1-0xF6, 0xF8-0xFE) inside a
# track are not allowed in a standard MIDI file, and a file holding them is refused with the byte
# and its offset named (the reader cannot know whether the bytes after one are its data); a track
# chunk whose declared length runs past the end of the file is refused; an extra byte after a
# track's end and unknown chunk types are tolerated.
# usage: test_cli_edge_files.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
# scripts/sanitize.sh runs it on an instrumented, unoptimised binary with CONTINUO_EDGE_CONTINUE_EVERY=6
# (`continue` on every 6th file only: each loads and runs the model) and CONTINUO_EDGE_TIMEOUT=30.
source "$(dirname "$0")/common.bash"
dir="$root/../shared/eval/edge/jazz-soft/midi"
if [ ! -d "$dir" ]; then
  echo "FAIL: $dir is missing (CI has ../shared/eval beside the checkout)"
  exit 1
fi
expect() {   # FILE|ok N  or  FILE|error PHRASE
  cat <<'TABLE'
test-2-tracks-type-0.mid|ok 16
test-2-tracks-type-1.mid|ok 16
test-2-tracks-type-2.mid|ok 16
test-all-gm-percussion.mid|ok 183
test-all-gm-sounds.mid|ok 512
test-all-gm2-sounds.mid|ok 1060
test-all-gs-sounds.mid|ok 5044
test-all-microsoft-gs-wavetable-synth-sounds.mid|ok 904
test-all-xg-sounds.mid|ok 4560
test-c-major-scale.mid|ok 8
test-control-00-20-bank-select.mid|ok 8
test-control-40-damper.mid|ok 8
test-control-41-portamento.mid|ok 8
test-control-54-portamento-control.mid|ok 1
test-control-7c-omni-mode-off.mid|ok 0
test-control-7d-omni-mode-on.mid|ok 0
test-control-7e-mono-mode-on.mid|ok 0
test-control-7f-poly-mode-on.mid|ok 0
test-corrupt-file-extra-byte.mid|ok 8
test-corrupt-file-missing-byte.mid|error chunk length past the end (MTrk declares 246 bytes, 245 remain)
test-empty-file.mid|error empty file
test-empty.mid|ok 0
test-gm2-doggy-78-00-38-4c.mid|ok 3
test-gm2-doggy-79-01-7b.mid|ok 3
test-gs-doggy-01-00-7b.mid|ok 3
test-illegal-message-all.mid|error unexpected status byte in a track
test-illegal-message-f1-xx.mid|error unexpected status byte in a track
test-illegal-message-f2-xx-xx.mid|error unexpected status byte in a track
test-illegal-message-f3-xx.mid|error unexpected status byte in a track
test-illegal-message-f4.mid|error unexpected status byte in a track
test-illegal-message-f5.mid|error unexpected status byte in a track
test-illegal-message-f6.mid|error unexpected status byte in a track
test-illegal-message-f8.mid|error unexpected status byte in a track
test-illegal-message-f9.mid|error unexpected status byte in a track
test-illegal-message-fa.mid|error unexpected status byte in a track
test-illegal-message-fb.mid|error unexpected status byte in a track
test-illegal-message-fc.mid|error unexpected status byte in a track
test-illegal-message-fd.mid|error unexpected status byte in a track
test-illegal-message-fe.mid|error unexpected status byte in a track
test-karaoke-kar.mid|ok 29
test-multichannel-chords-0.mid|ok 24
test-multichannel-chords-1.mid|ok 24
test-multichannel-chords-2.mid|ok 24
test-multichannel-chords-3.mid|ok 24
test-non-midi-track.mid|ok 8
test-not-a-midi-file.mid|error not a MIDI file (no MThd header)
test-note-on-velocity.mid|ok 9
test-rpn-00-00-pitch-bend-range.mid|ok 5
test-rpn-00-01-fine-tuning.mid|ok 25
test-rpn-00-02-coarse-tuning.mid|ok 8
test-rpn-00-05-modulation-depth-range.mid|ok 5
test-running-status-metaevent.mid|ok 8
test-running-status-sysex.mid|ok 8
test-silence-all-notes-off.mid|ok 0
test-silence-end-of-track.mid|ok 0
test-silence-text-metaevent.mid|ok 0
test-smpte-offset.mid|ok 8
test-sysex-7e-06-01-id-request.mid|ok 0
test-sysex-7e-09-01-gm1-enable.mid|ok 0
test-sysex-7e-09-02-gm-disable.mid|ok 0
test-sysex-7e-09-03-gm2-enable.mid|ok 0
test-sysex-7f-04-03-master-fine-tuning.mid|ok 5
test-sysex-7f-04-04-master-coarse-tuning.mid|ok 8
test-sysex-7x-08-0x-scale-tuning.mid|ok 65
test-sysex-gs-40-1x-15-drum-part-change.mid|ok 8
test-sysex-gs-40-1x-4x-scale-tuning.mid|ok 3
test-syx-7e-06-01-id-request.syx|error not a MIDI file (no MThd header)
test-track-length.mid|ok 1
test-vlq-2-byte.mid|ok 8
test-vlq-3-byte.mid|ok 8
test-vlq-4-byte.mid|ok 8
test-xg-doggy-40-00-30.mid|ok 3
test-xg-doggy-7e-00-00-54.mid|ok 3
TABLE
}

count=0
every=${CONTINUO_EDGE_CONTINUE_EVERY:-1}
limit=${CONTINUO_EDGE_TIMEOUT:-5}
while IFS='|' read -r name want; do
  [ -z "$name" ] && continue
  count=$((count + 1))
  f="$dir/$name"
  [ -f "$f" ] || { bad "$name: not in $dir"; continue; }
  timeout "$limit" "$bin" info --json "$f" >"$scratch/out" 2>"$scratch/err"
  rc=$?
  if [ "$rc" -ge 124 ]; then bad "info $name: crashed or hung (exit $rc)"; continue; fi
  case "$want" in
    ok\ *)
      n=${want#ok }
      got=$("$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(t.get("notes", 0) for t in d.get("tracks", [])))' "$scratch/out" 2>/dev/null)
      if [ "$rc" -ne 0 ]; then bad "info $name: exit $rc, expected to read it: $(head -c 200 "$scratch/err")"
      elif [ "$got" != "$n" ]; then bad "info $name: $got notes, expected $n"
      else ok; fi ;;
    error\ *)
      phrase=${want#error }
      if [ "$rc" -ne 1 ]; then bad "info $name: exit $rc, expected 1"
      elif [ "$(wc -l <"$scratch/err")" -ne 1 ]; then bad "info $name: more than one line on stderr"
      elif ! grep -qF "$name: " "$scratch/err" || ! grep -qF "${phrase%% (*}" <(sed 's/ 0x[0-9A-F]*//' "$scratch/err"); then
        bad "info $name: '$(cat "$scratch/err")', expected '$phrase'"
      else ok; fi ;;
  esac
  # continue: a continuation, or the right refusal
  [ $((count % every)) -eq 0 ] || continue
  rm -f "$scratch/cont.mid"
  timeout "$limit" "$bin" continue "$f" -n 16 --seed 1 -o "$scratch/cont.mid" >"$scratch/out" 2>"$scratch/err"
  rc=$?
  if [ "$rc" -ge 124 ]; then bad "continue $name: crashed or hung (exit $rc)"; continue; fi
  case "$want" in
    "ok 0") if [ "$rc" -ne 0 ] && grep -qF "no notes to continue" "$scratch/err" && [ ! -e "$scratch/cont.mid" ]; then ok
            else bad "continue $name (no notes): exit $rc, $(head -c 200 "$scratch/err")"; fi ;;
    ok\ *) if [ "$rc" -eq 0 ] && "$bin" info "$scratch/cont.mid" >/dev/null 2>&1; then ok
           else bad "continue $name: exit $rc, $(head -c 200 "$scratch/err")"; fi ;;
    error\ *) if [ "$rc" -ne 0 ] && [ ! -e "$scratch/cont.mid" ]; then ok
              else bad "continue $name (unreadable): exit $rc"; fi ;;
  esac
done < <(expect)
[ "$count" -eq "$(ls "$dir" | wc -l)" ] || bad "the table has $count files, the folder $(ls "$dir" | wc -l)"
echo "$count files"
finish
