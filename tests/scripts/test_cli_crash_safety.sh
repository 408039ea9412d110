#!/usr/bin/env bash
# Crash safety of the CLI's output files: `continuo convert BIG OUT --transpose K` (a million
# notes from tools/make_hostile_midis.py: about a second, some of it writing 8 MB) killed with
# SIGKILL at least 30 times, at random moments and during the write itself, alternating K so that
# the new file differs from the old. OUT must always be a complete file, equal to one of the two
# complete outputs, never a partial one: outputs are written to a temporary file in the same
# folder, synced, and renamed over OUT (core/io.cpp). A kill during the write leaves that
# temporary file (".OUT.<pid>.<n>.tmp") behind; it is never taken for OUT.
# usage: test_cli_crash_safety.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
rm -rf "$3"
source "$(dirname "$0")/common.bash"
mkdir -p "$scratch/out"

"$python" "$root/tools/make_hostile_midis.py" "$scratch" million
mv "$scratch/million.mid" "$scratch/big.mid"
out="$scratch/out/out.mid"
# the two complete outputs
for k in 1 2; do
  start=$(date +%s.%N)
  "$bin" convert "$scratch/big.mid" "$scratch/ref$k.mid" --transpose "$k" >/dev/null 2>&1 || bad "convert --transpose $k failed"
  took=$("$python" -c "print($(date +%s.%N) - $start)")
done
h1=$(sha256sum "$scratch/ref1.mid" | cut -d' ' -f1)
h2=$(sha256sum "$scratch/ref2.mid" | cut -d' ' -f1)
[ "$h1" != "$h2" ] || bad "the two outputs are the same"
cp "$scratch/ref1.mid" "$out"
# at least 30 runs, and on until 5 were killed during the write (at most 200): half killed at a
# random moment of the whole run, half a random 0-2 ms after the temporary file appears (during
# the write itself)
"$python" - "$bin" "$scratch" "$took" "$h1" "$h2" <<'PY' && ok || failed=$((failed + 1))
import hashlib, os, random, signal, subprocess, sys, time
bin_, d, took, h1, h2 = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
outdir = os.path.join(d, 'out'); out = os.path.join(outdir, 'out.mid')
bad, mid_write, runs = 0, 0, 0
for i in range(200):
    if i >= 30 and mid_write >= 5:
        break
    runs += 1
    p = subprocess.Popen([bin_, 'convert', os.path.join(d, 'big.mid'), out, '--transpose', str(i % 2 + 1)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if i % 2 == 0:
        time.sleep(random.uniform(0.1, 1.1) * took)
    else:
        t0 = time.time()
        while p.poll() is None and not any(n.endswith('.tmp') for n in os.listdir(outdir)) and time.time() - t0 < 10:
            pass
        time.sleep(random.uniform(0, 0.002))
    p.send_signal(signal.SIGKILL); p.wait()
    h = hashlib.sha256(open(out, 'rb').read()).hexdigest()
    if h not in (h1, h2):
        print(f'FAIL: run {i}: {out} is neither complete output ({os.path.getsize(out)} bytes)'); bad += 1
    left = [n for n in os.listdir(outdir) if n.endswith('.tmp')]
    if left:
        mid_write += 1
        for n in left: os.remove(os.path.join(outdir, n))
print(f'{runs} runs killed; {mid_write} of them during the write (a temporary file left behind); out.mid always complete: {bad == 0}')
if mid_write < 5:
    print('FAIL: fewer than 5 of 200 runs were killed during the write: the test did not test'); bad += 1
sys.exit(1 if bad else 0)
PY
finish
