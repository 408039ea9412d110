#!/usr/bin/env bash
# Piano-roll pictures of fixed prompts continued by two models (docs/EVAL.md): the bundled
# example, the strict loop of `continuo eval --copy`, and the first 8 bars of a held-out band
# arrangement (../shared/eval/holdout: evaluation only, never trained on). Each prompt is shaded.
#   tools/continuation_rolls.sh OUT_DIR OLD_MODEL NEW_MODEL [SEED] [OLD_OPTIONS] [NEW_OPTIONS]
# e.g. tools/continuation_rolls.sh docs/rolls runs/old-default default 1
#      tools/continuation_rolls.sh docs/rolls/anchor default default 1 "--copy-anchor 0" ""
# (OPTIONS: more `continuo continue` options for that model, one string)
set -euo pipefail
out=$1 old=$2 new=$3 seed=${4:-1} old_opts=${5:-} new_opts=${6:-}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/continuo
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$bin" eval --write-loop "$tmp/loop.mid" >/dev/null
"$bin" convert "$root/../shared/eval/holdout/tegridy-selected/tiny-karaoke/American_woman.mid" "$tmp/heldout.mid" --bars 1:8 >/dev/null
cp "$root/examples/example.mid" "$tmp/example.mid"
for p in example loop heldout; do
  beats=$("$bin" info "$tmp/$p.mid" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["bars"] * 4)')
  for tag in old new; do
    model=$old opts=$old_opts
    [ $tag = new ] && model=$new opts=$new_opts
    # shellcheck disable=SC2086  # the options are words
    "$bin" continue "$tmp/$p.mid" -m "$model" -n 384 --seed "$seed" $opts -o "$tmp/$p-$tag.mid" >/dev/null 2>&1
    "$bin" roll "$tmp/$p-$tag.mid" -o "$out/$p-$tag.png" --prompt-beats "$beats" --max-beats $((beats + 16)) >/dev/null
  done
done
ls "$out"
