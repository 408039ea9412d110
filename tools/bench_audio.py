#!/usr/bin/python3
"""Speed of audio transcription and continuation (docs/AUDIO.md, "Speed").

A 30 s clip (the example rendered with FluidSynth and repeated to 30 s) is
  1. transcribed:            continuo transcribe CLIP.wav -o OUT.mid
  2. continued by 15 s:      continuo continue CLIP.wav -o OUT.wav --seconds 15 (transcribe, continue
                             with the default model, render with FluidSynth, join)
each `--runs` times; the median wall time and CPU time (user + sys) of each are printed.

  /usr/bin/python3 tools/bench_audio.py [--runs 3] [--continuo build/continuo]
"""
import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
import wave

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.time() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def make_clip(continuo, folder, seconds=30.0):
    once = os.path.join(folder, "once.wav")
    subprocess.run([continuo, "render", os.path.join(ROOT, "examples", "example.mid"), "-o", once, "--tail", "0"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with wave.open(once) as r:
        params, frames = r.getparams(), r.readframes(r.getnframes())
    want = int(seconds * params.framerate) * params.sampwidth * params.nchannels
    data = (frames * (want // len(frames) + 1))[:want]
    clip = os.path.join(folder, "clip30.wav")
    with wave.open(clip, "wb") as w:
        w.setparams(params)
        w.writeframes(data)
    return clip


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--continuo", default=os.path.join(ROOT, "build", "continuo"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        clip = make_clip(args.continuo, d)
        cases = {
            "transcribe 30 s": [args.continuo, "transcribe", clip, "-o", os.path.join(d, "t.mid")],
            "continue 30 s by 15 s (transcribe, continue, render, join)":
                [args.continuo, "continue", clip, "-o", os.path.join(d, "c.wav"), "--seconds", "15", "--seed", "1"],
        }
        print("| step | median wall (s) | median CPU user+sys (s) | runs |")
        print("|---|---|---|---|")
        for name, cmd in cases.items():
            runs = [timed(cmd) for _ in range(args.runs)]
            print("| %s | %.2f | %.2f | %d |" % (name, statistics.median(r[0] for r in runs),
                                                statistics.median(r[1] for r in runs), args.runs))
    print("\nload average while measuring: %.2f %.2f %.2f (%d cores)" % (os.getloadavg() + (os.cpu_count(),)))


if __name__ == "__main__":
    main()
