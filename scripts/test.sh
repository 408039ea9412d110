#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Continuo and runs every test (unit, golden, slow,
# browser), then the fuzzers for a bounded time. Exit status is non-zero if anything fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh
../shared/data/unpack >/dev/null 2>&1 || echo "note: corpora not available; corpus tests will skip" >&2
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 1200)
bash scripts/fuzz.sh "${CONTINUO_FUZZ_SECONDS:-60}"
