#!/usr/bin/python3
"""Data-parallel training (docs/TRAINING.md) on this machine's loopback, with Gloo.

The ranks are started the way torchrun starts them: the same program, with RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR and MASTER_PORT in the environment (torchrun itself is Python's and not
needed here). A tiny model (d_model 32, one layer) trains on a tiny corpus:

1. one process, and two ranks on the same global batch: the final weights agree within float
   tolerance (the ranks sum their gradients in another order than one process adds them), and so
   do the logged losses, step by step;
2. two ranks writing a checkpoint after every step, one rank killed (SIGKILL) mid-run: the other
   stops with an error that says what happened (within seconds: no hang), the job started again
   resumes from the last checkpoint and ends with the weights of the uninterrupted run;
3. the same kill, then the job finished by ONE process (another world size, the same global
   batch): again the weights of the uninterrupted run.

usage: test_train_distributed.py CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
"""
import json
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

binary, root, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(scratch, ignore_errors=True)
os.makedirs(scratch)
failures = []
STEPS = 40
TOLERANCE = 2e-4   # largest weight difference allowed after STEPS steps (the weights are ~0.02-1)


def fail(what):
    failures.append(what)
    print("FAIL:", what)


def config(name, checkpoint_seconds):
    path = os.path.join(scratch, name + ".json")
    with open(path, "w") as f:
        json.dump({"data_dir": os.path.join(scratch, "data"), "out_dir": os.path.join(scratch, name),
                   "model": {"name": "tiny", "d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64, "d_head": 32,
                             "max_len": 128, "pitch_context": True},
                   "steps": STEPS, "batch": 4, "seq_len": 64, "lr": 0.003, "warmup": 2, "eval_every": 20,
                   "eval_batches": 2, "checkpoint_seconds": checkpoint_seconds, "threads": 1, "bf16": False,
                   "weights_dtype": "f32", "seed": 3}, f)
    return path


def free_port():
    """A free port below the ephemeral range (32768 and up): a port from that range can be taken
    by rank 1's own outgoing connection before rank 0 listens on it (TCP then connects the socket
    to itself, and rank 1 waits for its own echo)."""
    rng = random.Random(os.getpid())
    while True:
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def start(cfg, world):
    """The ranks of a job, as torchrun would start them; their stderr goes to files."""
    port = free_port()
    ranks = []
    for rank in range(world):
        env = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="passive")
        if world > 1:
            env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                       MASTER_PORT=str(port), CONTINUO_DIST_TIMEOUT="60")
        log = open(f"{cfg}.rank{rank}.{time.monotonic_ns()}.log", "w+")
        ranks.append((subprocess.Popen([binary, "train", cfg], env=env, stdout=subprocess.DEVNULL, stderr=log), log))
    return ranks


def finish(ranks, what):
    ok = True
    for rank, (p, log) in enumerate(ranks):
        if p.wait(timeout=120) != 0:
            log.seek(0)
            fail(f"{what}: rank {rank} exited with {p.returncode}: {log.read()[-600:]}")
            ok = False
    return ok


def weights(run):
    """The tensors of <run>/model.safetensors (f32) as {name: [floats]}, read with the standard
    library; {} when the run left none."""
    try:
        with open(os.path.join(scratch, run, "model.safetensors"), "rb") as f:
            data = f.read()
    except OSError:
        fail(f"{run}: no model.safetensors")
        return {}
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        out[name] = struct.unpack(f"<{(b - a) // 4}f", data[8 + n + a:8 + n + b])
    return out


def largest_difference(a, b):
    if not a or a.keys() != b.keys():
        return float("inf")
    return max(max(abs(x - y) for x, y in zip(a[k], b[k])) for k in a)


def losses(run):
    try:
        with open(os.path.join(scratch, run, "train.jsonl")) as f:
            return {j["step"]: j["loss"] for j in map(json.loads, f)}
    except OSError:
        return {}


def checkpoint_step(run):
    try:
        with open(os.path.join(scratch, run, "checkpoint", "state.json")) as f:
            return json.load(f)["step"]
    except (OSError, ValueError):
        return 0


def killed_run(name):
    """Two ranks with a checkpoint every step; rank 1 killed once a checkpoint of step >= 10
    exists. Returns the step of the checkpoint left (0 when the test could not test)."""
    cfg = config(name, 0)
    ranks = start(cfg, 2)
    t0 = time.time()
    while checkpoint_step(name) < 10 and ranks[1][0].poll() is None and time.time() - t0 < 60:
        time.sleep(0.005)
    ranks[1][0].send_signal(signal.SIGKILL)
    ranks[1][0].wait()
    t_kill = time.time()
    try:
        code = ranks[0][0].wait(timeout=60)
    except subprocess.TimeoutExpired:
        ranks[0][0].kill()
        fail(f"{name}: rank 0 still runs 60 s after rank 1 was killed (a hang)")
        return 0
    ranks[0][1].seek(0)
    err = ranks[0][1].read()
    if os.path.exists(os.path.join(scratch, name, "model.safetensors")):
        fail(f"{name}: the job ended before rank 1 could be killed: the test did not test")
        return 0
    if code == 0 or "rank 0 of 2" not in err or "resumes from the last checkpoint" not in err:
        fail(f"{name}: rank 0 did not stop with a clear error after rank 1 was killed (exit {code}): {err[-600:]}")
    print(f"{name}: rank 1 killed at checkpoint step {checkpoint_step(name)}; rank 0 stopped "
          f"{time.time() - t_kill:.1f} s later: {err.strip().splitlines()[-1][:200]}")
    return checkpoint_step(name)


def resumed(name, world):
    ranks = start(os.path.join(scratch, name + ".json"), world)
    if not finish(ranks, f"{name}: resumed with {world} process(es)"):
        return
    ranks[0][1].seek(0)
    if "resumed from checkpoint at step" not in ranks[0][1].read():
        fail(f"{name}: the restarted job did not resume from the checkpoint")


t_start = time.time()
# a tiny dataset: 40 synthetic pieces (tools/make_repeat_corpus.py)
if subprocess.run(["/usr/bin/python3", os.path.join(root, "tools", "make_repeat_corpus.py"),
                   os.path.join(scratch, "midi"), "--files", "40", "--seed", "2"], stdout=subprocess.DEVNULL).returncode:
    fail("corpus failed")
if subprocess.run([binary, "dataset", "build", os.path.join(scratch, "midi"), "-o", os.path.join(scratch, "data"),
                   "--valid-permille", "200"], capture_output=True).returncode:
    fail("dataset build failed")

print(f"corpus and shards: {time.time() - t_start:.1f} s")
# 1. one process vs two ranks on the same global batch
finish(start(config("one", 1e9), 1), "one process")
finish(start(config("two", 1e9), 2), "two ranks")
one, two = weights("one"), weights("two")
d = largest_difference(one, two)
print(f"one process vs two ranks after {STEPS} steps: largest weight difference {d:.2e}")
if d > TOLERANCE:
    fail(f"two ranks end {d:.2e} away from one process (tolerance {TOLERANCE})")
l1, l2 = losses("one"), losses("two")
worst = max(abs(l1[s] - l2[s]) for s in l1) if l1 and l1.keys() == l2.keys() else float("inf")
print(f"logged losses: step 1 {l1.get(1, 0):.4f} vs {l2.get(1, 0):.4f}, step {STEPS} {l1.get(STEPS, 0):.4f} vs "
      f"{l2.get(STEPS, 0):.4f}; largest difference {worst:.2e}")
if worst > 1e-3:
    fail(f"the two ranks' logged losses differ from one process's by {worst:.2e}")

def kill_and_resume(name, ranks, reference, what):
    """A rank killed mid-run, the job started again with `ranks` ranks: it must end where `reference` did."""
    if not killed_run(name):
        return
    resumed(name, ranks)
    if os.path.exists(os.path.join(scratch, name, "model.safetensors")):
        d = largest_difference(weights(name), reference)
        print(f"killed, {what} vs uninterrupted: largest weight difference {d:.2e}")
        if d > TOLERANCE:
            fail(f"the killed job, {what}, ends {d:.2e} away from the uninterrupted one")


# 2. a rank killed, the job restarted with two ranks; 3. finished by one process
kill_and_resume("cut", 2, two, "resumed with two ranks")
kill_and_resume("cut1", 1, one, "resumed as one process")

print(f"{time.time() - t_start:.1f} s; {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
