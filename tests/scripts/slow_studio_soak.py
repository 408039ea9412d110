#!/usr/bin/env python3
"""Soak test of the studio (tools/studio_load.py --soak), label "slow": three minutes of mixed
traffic on every endpoint of docs/API.md (uploads of MIDI and JSON, generation read to the end,
hung up on and stopped, scores, MIDI and audio, jobs, models, the tools (Groove, Drumify,
Interpolate, Clips, Infill, Accompany), recordings (uploads good and bad, continued), the page and its assets, and malformed requests to each) from 8 clients. Fails if a request is lost (no answer, or an answer
that is neither the documented result nor a JSON error), a job is left over, the server dies, or
its memory is not flat: the highest RSS of the last 10% of the run more than 32 MiB above the
highest of the first 25%, or above 600 MiB at any time. The server runs with --steady-malloc
(glibc gives large blocks back at once), so that its RSS follows the memory in use: measured
without a leak, the end stayed within -6..+13 MiB of the warm-up; a leak of 4 KB per request fails
it. docs/RELIABILITY.md ("Soak test of the studio") has the numbers.

    slow_studio_soak.py CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR

CONTINUO_SOAK_SECONDS changes the length (180 s); the summary is in SCRATCH_DIR/soak.json."""
import os
import subprocess
import sys

binary, root, scratch = sys.argv[1:4]
os.makedirs(scratch, exist_ok=True)
seconds = os.environ.get("CONTINUO_SOAK_SECONDS", "180")
# The warm-up must hold the filling of the bounded stores (scores, audio, recordings), about 25 s
# of this traffic on two cores: a quarter of a 180 s run, but not of CI's 60 s run, whose RSS
# was still rising to its plateau after 15 s (session 13: 243, 267, 296, then 304-320 MiB by
# tenths). Shorter runs take the first 40% as their warm-up.
warmup = "0.25" if float(seconds) >= 120 else "0.4"
rc = subprocess.run([sys.executable, os.path.join(root, "tools", "studio_load.py"), "--continuo", binary, "--soak",
                     "--steady-malloc", "--duration", seconds, "--clients", "8", "--flat-mib", "32",
                     "--warmup-share", warmup, "--max-rss-mib", "600", "--json", os.path.join(scratch, "soak.json")]).returncode
sys.exit(rc)
