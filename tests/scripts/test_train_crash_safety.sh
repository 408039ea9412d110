#!/usr/bin/env bash
# Crash safety of training: `continuo train` of a tiny model (a checkpoint after every step),
# killed with SIGKILL at least 30 times, at random moments and (at least 5 times) while a
# checkpoint is being written (0-2 ms after its temporary folder "checkpoint.new" appears), and
# started again each time. After every kill there must be a complete checkpoint (checkpoint/ or,
# when the kill fell between the two renames of the swap, checkpoint.old/) whose step is not
# below the last one seen: no progress is ever lost beyond the step being trained. Run to the
# end, the interrupted training must give exactly the weights of an uninterrupted one (the
# checkpoint holds the weights, the optimiser state, the step and the random generator).
# usage: test_train_crash_safety.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
rm -rf "$3"
source "$(dirname "$0")/common.bash"

# a tiny dataset: 40 synthetic pieces (tools/make_repeat_corpus.py)
"$python" "$root/tools/make_repeat_corpus.py" "$scratch/midi" --files 40 --seed 2 >/dev/null || bad "corpus failed"
"$bin" dataset build "$scratch/midi" -o "$scratch/data" --valid-permille 200 >/dev/null 2>&1 || bad "dataset build failed"
config() {
  cat > "$scratch/$1.json" <<EOF
{"data_dir": "$scratch/data", "out_dir": "$scratch/$1",
 "model": {"name": "tiny", "d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64, "d_head": 32, "max_len": 128,
           "pitch_context": true},
 "steps": 600, "batch": 4, "seq_len": 64, "lr": 0.003, "warmup": 2, "eval_every": 50, "eval_batches": 2,
 "checkpoint_seconds": 0, "threads": 1, "bf16": false, "weights_dtype": "f32", "seed": 3}
EOF
}
config whole
config cut
export OMP_WAIT_POLICY=passive OMP_NUM_THREADS=1
start=$(date +%s.%N)
"$bin" train "$scratch/whole.json" >/dev/null 2>&1 || bad "uninterrupted training failed"
took=$("$python" -c "print($(date +%s.%N) - $start)")
[ -f "$scratch/whole/model.safetensors" ] && ok || bad "no weights from the uninterrupted run"

"$python" - "$bin" "$scratch" "$took" <<'PY' && ok || failed=$((failed + 1))
import json, os, random, signal, subprocess, sys, time
bin_, d, took = sys.argv[1], sys.argv[2], float(sys.argv[3])
run = os.path.join(d, 'cut'); cfg = os.path.join(d, 'cut.json')
random.seed(11)
def checkpoint_step():
    for name in ('checkpoint', 'checkpoint.old'):   # as the trainer looks for them
        f = os.path.join(run, name, 'state.json')
        if os.path.exists(f):
            st = json.load(open(f))
            for part in ('model.pt', 'optim.pt'):
                if not os.path.getsize(os.path.join(run, name, part)):
                    return None
            return st['step']
    return -1   # none yet
bad, during, runs, last = 0, 0, 0, -1
for i in range(200):
    if i >= 30 and during >= 5:
        break
    if os.path.exists(os.path.join(run, 'model.safetensors')):
        break   # finished before it could be killed
    runs += 1
    p = subprocess.Popen([bin_, 'train', cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # once training runs (its first checkpoint write begins; start-up takes from half a second
    # to several on a loaded machine): half of the kills 0-2 ms later, inside that write, half at
    # a random moment of the next half second
    t0 = time.time()
    while p.poll() is None and not os.path.exists(os.path.join(run, 'checkpoint.new')) and time.time() - t0 < 60:
        time.sleep(0.0005)
    time.sleep(random.uniform(0, 0.002) if i % 2 else random.uniform(0.002, 0.5))
    p.send_signal(signal.SIGKILL); p.wait()
    if os.path.exists(os.path.join(run, 'checkpoint.new')):
        during += 1
    step = checkpoint_step()
    if step is None:
        print(f'FAIL: kill {runs}: the checkpoint found is not complete'); bad += 1
    elif step < last:
        print(f'FAIL: kill {runs}: the checkpoint went back from step {last} to {step}'); bad += 1
    else:
        last = step
print(f'{runs} runs killed, {during} of them while a checkpoint was being written; last checkpoint at step {last}')
if runs < 30:
    print('FAIL: the training ended after fewer than 30 kills: the test did not test'); bad += 1
if during < 5:
    print('FAIL: fewer than 5 kills fell inside a checkpoint write: the test did not test'); bad += 1
if last < 1:
    print('FAIL: no progress was kept across the kills'); bad += 1
# to the end: the same weights as without interruption
if subprocess.run([bin_, 'train', cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
    print('FAIL: the resumed training failed'); bad += 1
a = open(os.path.join(d, 'whole', 'model.safetensors'), 'rb').read()
b = open(os.path.join(run, 'model.safetensors'), 'rb').read() if os.path.exists(os.path.join(run, 'model.safetensors')) else b''
if a != b:
    print('FAIL: the interrupted training did not end with the weights of the uninterrupted one'); bad += 1
else:
    print('the interrupted training ends with exactly the weights of the uninterrupted one')
sys.exit(1 if bad else 0)
PY
finish
