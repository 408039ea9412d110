#!/usr/bin/env python3
"""A short run of the studio load test (tools/studio_load.py): generating clients, clients that
hang up mid-stream and clients sending junk, all at once for a few seconds. Fails if any request
is lost (no result and no JSON error), the server dies or its memory passes 900 MiB
(CONTINUO_LOAD_MAX_RSS_MIB: scripts/sanitize.sh raises it for TSan, whose shadow memory
multiplies the server's).

    test_studio_load.py CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR"""
import os
import subprocess
import sys

binary, root, scratch = sys.argv[1:4]
os.makedirs(scratch, exist_ok=True)
rc = subprocess.run([sys.executable, os.path.join(root, "tools", "studio_load.py"), "--continuo", binary,
                     "--clients", "8", "--junk", "4", "--duration", "8", "--events", "60", "--queue", "4",
                     "--abandon-every", "3", "--max-rss-mib", os.environ.get("CONTINUO_LOAD_MAX_RSS_MIB", "900"),
                     "--json", os.path.join(scratch, "load.json")]).returncode
sys.exit(rc)
