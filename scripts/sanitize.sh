#!/usr/bin/env bash
# Sanitizer runs (docs/RELIABILITY.md, "Sanitizers"):
#   scripts/sanitize.sh address   the unit tests, the 72 edge-case MIDI files through the CLI and
#                                 the studio's API test under ASan + UBSan (clang), in build-fuzz/:
#                                 the fuzzers' build, whose library is already instrumented so,
#                                 which saves CI a second build of it
#   scripts/sanitize.sh thread    the threaded parts under TSan (clang), in build-tsan/: the engine's
#                                 tests (its thread pool, sessions, batched generation), the
#                                 studio's API test and its load test (server threads, the job
#                                 queue, streams hung up on and stopped, SIGTERM)
#   scripts/sanitize.sh           both
#   CONTINUO_SANITIZE_JOBS=N      compile jobs (default: nproc)
# Any sanitizer report fails the test it comes from (errors abort: -fno-sanitize-recover, and
# halt_on_error for TSan); the script exits non-zero if any test fails. Safe to run again.
set -euo pipefail
modes=("${@:-address thread}")
read -r -a modes <<<"${modes[*]}"
jobs=${CONTINUO_SANITIZE_JOBS:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v clang++ >/dev/null; then
  echo "sanitize: clang++ not found (scripts/setup.sh installs clang)" >&2
  exit 1
fi
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
status=0
for mode in "${modes[@]}"; do
  case $mode in
    address)
      dir=build-fuzz
      # the same configuration as scripts/fuzz.sh, with the tests
      if [ ! -f "$dir/CMakeCache.txt" ] || ! grep -q '^CONTINUO_TESTS:BOOL=ON' "$dir/CMakeCache.txt"; then
        CXX=clang++ cmake -S . -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCONTINUO_FUZZ=ON -DCONTINUO_TORCH=OFF -DCONTINUO_TESTS=ON >/dev/null
      fi
      targets=(continuo test_core test_midi test_score test_tokenizer test_engine test_tasks test_audio test_drums test_vae)
      select='^(core|midi|score|tokenizer|engine|tasks|audio|drums|vae)\.|^script\.test_(cli_edge_files|studio_api)$'
      ;;
    thread)
      dir=build-tsan
      if [ ! -f "$dir/CMakeCache.txt" ]; then
        CXX=clang++ cmake -S . -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCONTINUO_SANITIZE=thread -DCONTINUO_TORCH=OFF -DCONTINUO_TESTS=ON >/dev/null
      fi
      targets=(continuo test_engine)
      select='^engine\.|^script\.test_studio_(api|load)$'
      ;;
    *) echo "sanitize: unknown mode '$mode' (address or thread)" >&2; exit 2 ;;
  esac
  echo "sanitize: building ${targets[*]} in $dir ($mode)" >&2
  cmake --build "$dir" -j"$jobs" --target "${targets[@]}"
  echo "sanitize: running the tests ($mode)" >&2
  if (cd "$dir" && ctest -L unit -R "$select" --output-on-failure -j"$(nproc)" --timeout 900 --no-tests=error); then
    echo "sanitize: $mode clean" >&2
  else
    echo "sanitize: $mode FOUND A PROBLEM (see the failing tests' output above)" >&2
    status=1
  fi
done
exit $status
