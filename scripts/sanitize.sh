#!/usr/bin/env bash
# Sanitizer runs (docs/RELIABILITY.md, "Sanitizers"):
#   scripts/sanitize.sh address   the unit tests (those without libtorch), the 72 edge-case MIDI
#                                 files through the CLI and the studio's API test under ASan + UBSan,
#                                 in build-asan/
#   scripts/sanitize.sh thread    the threaded parts under TSan, in build-tsan/: the engine's thread
#                                 pool and kernels, streaming generation (tasks), the studio's API
#                                 test and its load test (server threads, the job queue, batched
#                                 generation, streams hung up on and stopped, SIGTERM)
#   scripts/sanitize.sh           both
#   CONTINUO_SANITIZE_JOBS=N      compile jobs (default: nproc)
# Any sanitizer report fails the test it comes from (errors abort: -fno-sanitize-recover, and
# halt_on_error for TSan); the script exits non-zero if any test fails. Safe to run again.
# GCC (clang 14 cannot compile libstdc++ 12's <ranges>), at -O0 with line tables: the builds are
# part of CI's time. Without libtorch, so the tests that compare with its reference are left out
# (tests/CMakeLists.txt); the release build runs them.
set -euo pipefail
modes=("${@:-address thread}")
read -r -a modes <<<"${modes[*]}"
jobs=${CONTINUO_SANITIZE_JOBS:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# (tests/tsan.supp: only libraries built without TSan, each with the reason)
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$root/tests/tsan.supp}
export CONTINUO_API_SANITIZED=1   # the API test hears a shorter recording, and fewer of them
status=0
for mode in "${modes[@]}"; do
  exclude=""
  case $mode in
    address)
      dir=build-asan
      export CONTINUO_EDGE_CONTINUE_EVERY=24 CONTINUO_EDGE_TIMEOUT=30   # every file read, every 24th continued
      targets=(continuo test_core test_midi test_score test_tokenizer test_engine test_tasks test_audio test_drums test_vae)
      select='^(core|midi|score|tokenizer|engine|tasks|audio|drums|vae)\.|^script\.test_(cli_edge_files|studio_api)$'
      # (basic-pitch at -O0 under ASan: about 20 s of CPU per 9 s of audio. One fixture run stays
      # (BasicPitch.ModelOutputMatchesTheReference); the second clip repeats the same code on other
      # numbers and the audio continuation runs the model and the engine once more). The
      # real-model infill/accompany tests (45 s here) run the code the random-model ones run.
      exclude='|BasicPitch\.SecondClipMatchesTfjs|ContinueRecording\.|TheRealModel'
      ;;
    thread)
      dir=build-tsan
      export CONTINUO_LOAD_MAX_RSS_MIB=4096   # TSan's shadow memory: races are the point here
      export CONTINUO_API_SKIP_LONG=1         # the API test's 100-bar accompaniment: one thread's work
      # the studio's API and load tests under TSan need the instrumented `continuo` as well: about
      # 6 minutes more, past CI's 30 (session 11), so CI runs the engine's and the tasks' threads
      # here and the studio's with CONTINUO_TSAN_STUDIO=1 (docs/RELIABILITY.md)
      if [ "${CONTINUO_TSAN_STUDIO:-0}" = 1 ]; then
        targets=(continuo test_engine test_tasks)
        select='^(engine|tasks)\.|^script\.test_studio_(api|load)$'
      else
        targets=(test_engine test_tasks)
        select='^(engine|tasks)\.'
      fi
      # (the real-model infill/accompany tests, all named TheRealModel*: one thread's work, 75-280 s
      # each under TSan, which put CI past 28 of its 30 minutes in session 13)
      exclude='|TheRealModel'
      ;;
    *) echo "sanitize: unknown mode '$mode' (address or thread)" >&2; exit 2 ;;
  esac
  if [ ! -f "$dir/CMakeCache.txt" ]; then
    CXX=g++ cmake -S . -B "$dir" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -g1" \
      -DCONTINUO_SANITIZE="$mode" -DCONTINUO_TORCH=OFF -DCONTINUO_TESTS=ON >/dev/null
  fi
  echo "sanitize: building ${targets[*]} in $dir ($mode)" >&2
  cmake --build "$dir" -j"$jobs" --target "${targets[@]}"
  echo "sanitize: running the tests ($mode)" >&2
  # (KernelDispatch times the kernels against each other: not meaningful unoptimised and instrumented)
  if (cd "$dir" && ctest -L unit -R "$select" -E "KernelDispatch$exclude" --output-on-failure -j"$(nproc)" --timeout 900 --no-tests=error); then
    echo "sanitize: $mode clean" >&2
  else
    echo "sanitize: $mode FOUND A PROBLEM (see the failing tests' output above)" >&2
    status=1
  fi
done
exit $status
