#!/usr/bin/env bash
# Builds the libFuzzer targets into build-fuzz/ (clang, ASan + UBSan) and runs each for SECONDS.
#   scripts/fuzz.sh [SECONDS]      (default 60)
#   CONTINUO_FUZZ_JOBS=N           compile jobs (default: nproc)
# Targets (tests/fuzz/CMakeLists.txt): fuzz_midi, fuzz_model_files, fuzz_train_config,
# fuzz_studio_request. Seeds: fuzz_midi tests/data/corrupt/ and tests/data/midi/, the others
# tests/fuzz/seeds/<target>/ (and tests/fuzz/<target>.dict as a dictionary); the growing corpus is
# kept in build-fuzz/corpus/<target>/ and any crashing input in build-fuzz/findings/<target>-*.
# Exits non-zero on any finding (crash, sanitizer report, leak, timeout, out of memory). Safe to
# run again.
set -euo pipefail
secs=${1:-60}
jobs=${CONTINUO_FUZZ_JOBS:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (scripts/setup.sh installs clang)" >&2
  exit 1
fi
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CXX=clang++ cmake -S . -B build-fuzz "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCONTINUO_FUZZ=ON -DCONTINUO_TORCH=OFF -DCONTINUO_TESTS=OFF >/dev/null
fi
targets=(fuzz_midi fuzz_model_files fuzz_train_config fuzz_studio_request)
cmake --build build-fuzz -j"$jobs" --target "${targets[@]}"
mkdir -p build-fuzz/findings
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  if [ "$t" = fuzz_midi ]; then
    seeds=(tests/data/corrupt tests/data/midi)
  else
    seeds=("tests/fuzz/seeds/$t")
  fi
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "fuzz: $t for ${secs}s" >&2
  if ! "build-fuzz/tests/fuzz/$t" -max_total_time="$secs" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/findings/$t-" "${dict[@]}" \
      "build-fuzz/corpus/$t" "${seeds[@]}" 2> "build-fuzz/$t.log"; then
    tail -n 60 "build-fuzz/$t.log" >&2
    echo "fuzz: $t FOUND A PROBLEM: reproducer in build-fuzz/findings/, log in build-fuzz/$t.log" >&2
    status=1
  else
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/$t.log")
    echo "fuzz: $t clean (${runs:-?} inputs in ${secs}s, corpus $(ls "build-fuzz/corpus/$t" | wc -l) files)" >&2
  fi
done
exit $status
