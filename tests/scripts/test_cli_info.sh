#!/usr/bin/env bash
# `continuo info` and `continuo convert` from the outside:
#  - info on every file of tests/data/midi and examples/ (text and --json, which must parse);
#  - every file of tests/data/corrupt, a directory, a missing path and an empty file: exit 1 and
#    exactly one stderr line "continuo: error: <path>: ..."; never a crash (exit >= 128);
#  - unknown options: a usage error (non-zero, not a crash);
#  - convert keeps the notes, and its options work.
# usage: test_cli_info.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
source "$(dirname "$0")/common.bash"

# Runs `continuo ARGS...`, leaving the exit status in $rc, stdout in $scratch/out, stderr in $scratch/err.
run() {
  "$bin" "$@" >"$scratch/out" 2>"$scratch/err"
  rc=$?
}

# Expects a clean error for `continuo info PATH`: exit 1, one stderr line naming the path.
expect_error() {
  local path=$1
  run info "$path"
  local lines
  lines=$(wc -l <"$scratch/err")
  if [ "$rc" -ge 128 ]; then
    bad "info '$path' crashed (exit $rc)"
  elif [ "$rc" -ne 1 ]; then
    bad "info '$path' exited $rc, expected 1: $(head -c 300 "$scratch/err")"
  elif [ "$lines" -ne 1 ]; then
    bad "info '$path' printed $lines lines on stderr, expected 1"
  elif ! grep -qF -- "continuo: error: $path: " "$scratch/err"; then
    bad "info '$path': stderr does not start with 'continuo: error: $path: ': $(cat "$scratch/err")"
  elif [ -s "$scratch/out" ]; then
    bad "info '$path' printed on stdout despite the error"
  else
    ok
  fi
}

shopt -s nullglob
good_files=("$root"/tests/data/midi/* "$root"/examples/*.mid)
[ ${#good_files[@]} -gt 0 ] || bad "no example MIDI files under tests/data/midi or examples/"
for f in "${good_files[@]}"; do
  run info "$f"
  if [ "$rc" -ne 0 ] || ! grep -q "tracks:" "$scratch/out" || [ -s "$scratch/err" ]; then
    bad "info '$f' exited $rc: $(head -c 300 "$scratch/err")"
  else
    ok
  fi
  run info "$f" --json
  if [ "$rc" -ne 0 ] || ! "$python" -m json.tool "$scratch/out" >/dev/null 2>&1; then
    bad "info '$f' --json exited $rc or printed invalid JSON"
  elif ! "$python" -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["notes"] == sum(t["notes"] for t in j["tracks"]) and j["ticks_per_beat"] > 0 and j["tempos"] is not None' "$scratch/out"; then
    bad "info '$f' --json lacks expected fields"
  else
    ok
  fi
  # convert without options keeps every note (and info of the result agrees).
  run convert "$f" "$scratch/converted.mid"
  if [ "$rc" -ne 0 ]; then
    bad "convert '$f' exited $rc: $(head -c 300 "$scratch/err")"
    continue
  fi
  "$bin" info "$f" --json --notes >"$scratch/a.json" 2>/dev/null
  "$bin" info "$scratch/converted.mid" --json --notes >"$scratch/b.json" 2>/dev/null
  if "$python" - "$scratch/a.json" "$scratch/b.json" <<'EOF'; then ok; else bad "convert '$f' changed the score"; fi
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
keys = ["ticks_per_beat", "tempos", "time_signatures", "key_signatures", "notes", "bars"]
trk = ["name", "channel", "program", "bank", "is_drum", "note_list"]
same = all(a[k] == b[k] for k in keys) and len(a["tracks"]) == len(b["tracks"]) and all(
    x[k] == y[k] for x, y in zip(a["tracks"], b["tracks"]) for k in trk)
sys.exit(0 if same else 1)
EOF
done

# convert's options.
f="$root/tests/data/midi/format1_multitrack.mid"
if [ -f "$f" ]; then
  for opts in "--bars 1:1" "--bars 2:" "--transpose -3" "--quantize 4" "--first-notes 5" "--resample 96"; do
    # shellcheck disable=SC2086
    run convert "$f" "$scratch/opt.mid" $opts
    if [ "$rc" -ne 0 ]; then bad "convert $opts exited $rc: $(cat "$scratch/err")"; continue; fi
    run info "$scratch/opt.mid" --json
    if [ "$rc" -ne 0 ]; then bad "info of convert $opts output exited $rc"; else ok; fi
  done
  run convert "$f" "$scratch/opt.mid" --first-notes 5
  "$bin" info "$scratch/opt.mid" --json | "$python" -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["notes"] == 5 else 1)' &&
    ok || bad "convert --first-notes 5 did not keep 5 notes"
  run convert "$f" "$scratch/opt.mid" --bars 3:1
  if [ "$rc" -eq 2 ] && grep -q "continuo: error: --bars" "$scratch/err"; then ok; else bad "convert --bars 3:1 exited $rc"; fi
fi

# Corrupted files, a directory, a missing path, an empty file.
corrupt=("$root"/tests/data/corrupt/*)
[ ${#corrupt[@]} -gt 0 ] || echo "note: tests/data/corrupt is empty"
for f in "${corrupt[@]}"; do expect_error "$f"; done
expect_error "$root/tests/data"
expect_error "$scratch/does-not-exist.mid"
: >"$scratch/empty.mid"
expect_error "$scratch/empty.mid"
printf 'hello, world' >"$scratch/text.mid"
expect_error "$scratch/text.mid"
# convert reports the input's problem the same way and writes nothing.
run convert "$scratch/text.mid" "$scratch/never.mid"
if [ "$rc" -eq 1 ] && [ ! -e "$scratch/never.mid" ] && grep -q "^continuo: error: $scratch/text.mid: " "$scratch/err"; then
  ok
else
  bad "convert of a non-MIDI file exited $rc"
fi

# Usage errors: non-zero, not a crash.
for args in "info --bogus $root/examples/example.mid" "info" "convert only-one-arg.mid"; do
  # shellcheck disable=SC2086
  run $args
  if [ "$rc" -ne 0 ] && [ "$rc" -lt 128 ]; then ok; else bad "'continuo $args' exited $rc"; fi
done

finish
