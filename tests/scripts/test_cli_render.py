#!/usr/bin/env python3
"""`continuo render`: the example becomes a WAV that is not silent and lasts the score's seconds
(from `continuo info`) plus the tail; bad input gives a one-line error and a non-zero exit.

    test_cli_render.py CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR"""
import json
import math
import os
import struct
import subprocess
import sys

binary, root, scratch = sys.argv[1:4]
os.makedirs(scratch, exist_ok=True)
example = os.path.join(root, "examples", "example.mid")
out = os.path.join(scratch, "example.wav")
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


r = subprocess.run([binary, "render", example, "-o", out, "--tail", "0.5"], capture_output=True, text=True)
check(r.returncode == 0 and "wrote" in r.stdout, f"render exits 0: {r.stderr.strip()}")
data = open(out, "rb").read()
check(data[:4] == b"RIFF" and data[8:12] == b"WAVE", "a RIFF/WAVE file")
channels, rate, bits = struct.unpack("<H I", data[22:28])[0], struct.unpack("<I", data[24:28])[0], struct.unpack("<H", data[34:36])[0]
check(channels == 2 and rate == 44100 and bits == 16, f"16-bit stereo 44.1 kHz ({channels}, {rate}, {bits})")
samples = struct.unpack(f"<{(len(data) - 44) // 2}h", data[44:])
frames = len(samples) // 2
seconds = json.loads(subprocess.run([binary, "info", "--json", example], capture_output=True, text=True, check=True).stdout)["seconds"]
check(frames == round((seconds + 0.5) * 44100), f"length {frames / 44100:.3f} s = score {seconds:.3f} s + 0.5 s tail")
rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
check(rms > 0.01, f"not silent (RMS {rms:.4f} of full scale)")
left = os.listdir(scratch)
check(left == ["example.wav"], f"no temporary files left: {left}")
r = subprocess.run([binary, "render", os.path.join(root, "tests", "data", "corrupt", "empty_file.mid"), "-o", out + "2"],
                   capture_output=True, text=True)
check(r.returncode != 0 and r.stderr.startswith("continuo: error:") and r.stderr.count("\n") == 1, f"bad MIDI: {r.stderr.strip()}")
r = subprocess.run([binary, "render", example, "-o", out, "--soundfont", "/nonexistent.sf2"], capture_output=True, text=True)
check(r.returncode != 0 and "fluid-soundfont-gm" in r.stderr, f"missing soundfont: {r.stderr.strip()}")
sys.exit(1 if failures else 0)
