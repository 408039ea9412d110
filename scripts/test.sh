#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds Continuo and runs every test (unit, golden, slow,
# browser), then the sanitizer runs (scripts/sanitize.sh) and the fuzzers for a bounded time
# (CONTINUO_FUZZ_SECONDS each, 8 by default). Exit status is non-zero if anything fails; all
# three run either way, so that one CI run shows every failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh
../shared/data/unpack >/dev/null 2>&1 || echo "note: corpora not available; corpus tests will skip" >&2
status=0
# CI's time limit (30 minutes on two cores) trims two samples: the studio soak runs 60 s (180 s
# when run alone; docs/RELIABILITY.md) and the mido oracle reads 150 corpus files (300). Set
# either variable to run them in full.
export CONTINUO_SOAK_SECONDS=${CONTINUO_SOAK_SECONDS:-60} CONTINUO_ORACLE_FILES=${CONTINUO_ORACLE_FILES:-150}
(cd build && ctest --output-on-failure -j"$(nproc)" --timeout 1200) || status=1
# the unit tests under ASan + UBSan and the threaded parts under TSan (docs/RELIABILITY.md)
bash scripts/sanitize.sh || status=1
bash scripts/fuzz.sh "${CONTINUO_FUZZ_SECONDS:-8}" || status=1
exit $status
