#!/usr/bin/env bash
# Configures and builds Continuo into build/ (Release). Extra arguments go to cmake's configure step.
# CONTINUO_TARGETS (space-separated) builds only those targets, e.g. CONTINUO_TARGETS=continuo.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@" >/dev/null
fi
targets=()
for t in ${CONTINUO_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build build -j"$(nproc)" "${targets[@]}"
