#!/usr/bin/env bash
# `continuo eval --bar-table`: each piece of a split with its notes per bar and track (the data of
# tools/infill_density_fit.py). On a small synthetic corpus, every note of every file is counted
# once, in a bar whose span holds it, and bad options are refused.
# usage: test_eval_bar_table.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
rm -rf "$3"
source "$(dirname "$0")/common.bash"

"$python" "$root/tools/make_repeat_corpus.py" "$scratch/midi" --files 40 --seed 4 >/dev/null || bad "corpus failed"
"$bin" dataset build "$scratch/midi" -o "$scratch/data" --valid-permille 200 >/dev/null 2>&1 || bad "dataset build failed"
"$bin" eval --data "$scratch/data" --bar-table "$scratch/train.jsonl" --split train >/dev/null && ok || bad "train table"
"$bin" eval --data "$scratch/data" --bar-table "$scratch/valid.jsonl" >/dev/null && ok || bad "valid table"
total=0
for f in "$scratch"/midi/*.mid; do
  n=$("$bin" info "$f" | awk '/^  notes:/ {print $2}')
  total=$((total + n))
done
"$python" - "$scratch" "$total" <<'PY' && ok || bad "the tables do not count every note once"
import json, sys
d, total = sys.argv[1], int(sys.argv[2])
pieces = counted = 0
splits = {}
for split in ("train", "valid"):
    lines = open(f"{d}/{split}.jsonl").read().splitlines()
    splits[split] = len(lines)
    for line in lines:
        j = json.loads(line)
        s = j["starts"]
        assert s[0] == 0 and all(b > a for a, b in zip(s, s[1:])), "bar starts must rise from 0"
        assert j["tracks"], "a piece without tracks"
        for t in j["tracks"]:
            assert len(t["bars"]) == len(s) - 1, "one count per bar"
            assert all(c >= 0 for c in t["bars"])
            assert 0 <= t["program"] <= 127 and isinstance(t["drums"], bool)
            counted += sum(t["bars"])
        pieces += 1
assert splits["train"] > 0 and splits["valid"] > 0, splits
assert pieces == 40, pieces
assert counted == total, (counted, total)
PY
# bad options: a clear message and a non-zero exit, no table written
"$bin" eval --data "$scratch/data" --bar-table "$scratch/x.jsonl" --split test >/dev/null 2>&1 && bad "--split test accepted" || ok
"$bin" eval --data "$scratch/nowhere" --bar-table "$scratch/y.jsonl" 2>"$scratch/err" && bad "missing data accepted" || ok
grep -q "cannot open" "$scratch/err" && ok || bad "no clear message for missing data: $(cat "$scratch/err")"
[ ! -e "$scratch/x.jsonl" ] && [ ! -e "$scratch/y.jsonl" ] && ok || bad "a table was written for a bad request"
finish
