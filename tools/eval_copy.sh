#!/usr/bin/env bash
# The measurements of docs/EVAL.md "Does a model use what the piece already did?": for one model,
# on its validation split and on ../shared/eval/holdout (built once, see below), bits per note
# beside the n-gram baseline, the cost of an exact second pass, the strict loop, generation
# without a prompt, and the continuation statistics at the CLI's defaults and with the model alone.
#   tools/eval_copy.sh MODEL DATA_DIR HOLDOUT_DIR OUT_DIR [PROMPT_EVENTS]
# e.g. tools/eval_copy.sh default runs/data-default runs/holdout-default runs/eval/default
# Holdout shards: build/continuo dataset build ../shared/eval/holdout/<corpora of the model's
#   card> -o runs/holdout-NAME --valid-permille 1000 [--no-controls for piano]
set -euo pipefail
model=$1 data=$2 holdout=$3 out=$4 pe=${5:-256}
bin=$(cd "$(dirname "$0")/.." && pwd)/build/continuo
mkdir -p "$out"
"$bin" eval -m "$model" --data "$data" --json > "$out/nll-valid.json"
"$bin" eval -m "$model" --data "$data" --held-out "$holdout" --max-docs 200 --json > "$out/nll-holdout.json"
for split in valid holdout; do
  extra=(); [ $split = holdout ] && extra=(--held-out "$holdout")
  "$bin" eval -m "$model" --data "$data" "${extra[@]}" --skip-nll --copy --pieces 24 --seeds 16 > "$out/copy-$split.txt" 2>/dev/null
  for ks in 0.5 0; do
    "$bin" eval -m "$model" --data "$data" "${extra[@]}" --skip-nll --continuations --pieces 30 \
      --prompt-events "$pe" --events "$pe" --seed 1 --key-strength $ks > "$out/cont-$split-key$ks.txt" 2>/dev/null
  done
done
echo "results in $out"
