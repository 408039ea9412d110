#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: installs what Continuo needs, builds it, and
# continues the bundled example (examples/example.mid) with the bundled default model.
# Writes out/example-continued.mid (prompt + 512 new events). Extra arguments go to
# `continuo continue`, e.g. `--variations 4` or `--temperature 0.8`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
CONTINUO_TARGETS=continuo bash scripts/build.sh   # the CLI only: no tests, no training build
mkdir -p out
./build/continuo info examples/example.mid
./build/continuo continue examples/example.mid --model default --events 512 --seed 1 \
  -o out/example-continued.mid "$@"
echo "The continuation is in $root/out/example-continued.mid (the example followed by the new events)."
