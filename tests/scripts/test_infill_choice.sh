#!/usr/bin/env bash
# `continuo eval --infill --candidates-log` and tools/infill_choice.py: every candidate of the infill
# row is logged with the terms of the choice; replaying the library's own rule chooses what the
# eval chose, on every piece; bad requests write nothing.
# usage: test_infill_choice.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
rm -rf "$3"
source "$(dirname "$0")/common.bash"

"$python" "$root/tools/make_repeat_corpus.py" "$scratch/midi" --files 40 --notes 400 --seed 5 >/dev/null || bad "corpus failed"
"$bin" dataset build "$scratch/midi" -o "$scratch/data" --valid-permille 300 >/dev/null 2>&1 || bad "dataset build failed"
"$bin" eval --data "$scratch/data" --skip-nll --infill --pieces 3 --candidates 4 --candidates-log "$scratch/c.jsonl" \
  >"$scratch/table" 2>"$scratch/log" && ok || bad "eval failed: $(tail -3 "$scratch/log")"
pieces=$(grep -c "^piece " "$scratch/log")
[ "$pieces" -ge 1 ] && ok || bad "no piece evaluated"
"$python" - "$scratch/c.jsonl" "$pieces" <<'PY' && ok || bad "the log does not hold every candidate and the choice"
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
pieces = int(sys.argv[2])
assert len(rows) == 4 * pieces, (len(rows), pieces)
for p in {r["piece"] for r in rows}:
    c = [r for r in rows if r["piece"] == p]
    assert sorted(r["candidate"] for r in c) == [0, 1, 2, 3]
    assert sum(r["chosen"] for r in c) == 1
    assert sum(r["varied"] for r in c) == 2
    assert all(r["steered"] for r in c), "every candidate is steered by default"
    for r in c:
        la = r["lookahead_nats"] / r["lookahead_events"] if r["lookahead_events"] else 0
        s = la + 2 * abs(math.log((r["notes"] + 1) / (r["expected_notes"] + 1))) + r["outside"]
        assert abs(s - r["score"]) < 1e-3, (s, r)
PY
"$python" "$root/tools/infill_choice.py" "$scratch/c.jsonl" >"$scratch/replay" && ok || bad "replay failed"
grep -E "^  \|log\| x 2 " "$scratch/replay" | awk '{ exit !($NF == "1.00") }' && ok || bad "replaying the default rule chose otherwise: $(cat "$scratch/replay")"
# a log that cannot be written: a clear message, a non-zero exit
"$bin" eval --data "$scratch/data" --skip-nll --infill --pieces 1 --candidates 2 --candidates-log "$scratch/no/such/dir/c.jsonl" \
  >/dev/null 2>"$scratch/err" && bad "an unwritable log was accepted" || ok
grep -q "no folder" "$scratch/err" && ok || bad "no clear message for an unwritable log: $(cat "$scratch/err")"
finish
