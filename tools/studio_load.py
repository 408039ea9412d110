#!/usr/bin/env python3
"""Load test of the web studio on loopback, bounded in clients and time.

Starts `continuo serve`, then for --duration seconds runs --clients generating clients (upload
the example once, then generate again and again, reading the event stream to its end; every
--abandon-every'th one hangs up after the first notes) beside --junk clients that send broken
uploads and bad requests. Every request must end in a result or a JSON error (a full queue is
503 "busy", answered at once); a request that ends any other way is "lost". The server's memory
(VmRSS) is sampled every 0.5 s, with the latency of GET /api/status.

    python3 tools/studio_load.py --continuo build/continuo [--model folk --models models]
        [--clients 16] [--junk 8] [--duration 60] [--events 200] [--variations 2] [--json out.json]

Exit status 1 when a request was lost, the server died, or its memory passed --max-rss-mib."""
import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "studio"))
import harness  # noqa: E402


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.gen_seconds = []
        self.events = 0
        self.lost_examples = []

    def add(self, key, n=1):
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + n

    def lost(self, what):
        with self.lock:
            self.counts["lost"] = self.counts.get("lost", 0) + 1
            if len(self.lost_examples) < 10:
                self.lost_examples.append(what)


def generating_client(i, port, score_id, a, deadline, t):
    rng = random.Random(i)
    n = 0
    while time.time() < deadline:
        n += 1
        abandon = a.abandon_every > 0 and n % a.abandon_every == 0
        req = {"model": a.model, "score": score_id, "events": a.events, "variations": a.variations,
               "seed": rng.randrange(1 << 30), "prompt_events": rng.choice([0, 40, 120])}
        t0 = time.time()
        try:
            s = harness.Stream(port, req, timeout=300)
        except Exception as e:  # noqa: BLE001
            t.lost(f"generate: connection failed: {e!r}")
            continue
        if s.status == 503 and s.error and s.error["error"]["code"] == "busy":
            t.add("generate 503 busy")
            s.close()
            time.sleep(0.5 + rng.random())
            continue
        if s.status != 200:
            t.lost(f"generate: HTTP {s.status} {s.error}")
            s.close()
            continue
        got = set()
        try:
            for name, d in s.events():
                got.add(name)
                if name == "notes":
                    if abandon:
                        break
                elif name == "done":
                    with t.lock:
                        t.gen_seconds.append(time.time() - t0)
                        t.events += d["events"]
                elif name == "result" and rng.random() < a.audio_share:
                    status, _, wav = harness.request(port, "GET", f"/api/scores/{d['score']['id']}/audio", timeout=300)
                    t.add(f"audio {status}")
                    if status != 200:
                        t.lost(f"audio: HTTP {status}")
        except Exception as e:  # noqa: BLE001
            t.lost(f"generate: stream broke: {e!r}")
            s.close()
            continue
        s.close()
        if abandon:
            t.add("generate abandoned mid-stream")
        elif "done" in got:
            t.add("generate completed")
        elif "error" in got:
            t.add("generate error event")
        else:
            t.lost(f"generate: stream ended without done or error ({sorted(got)})")


def junk_client(i, port, a, example, corrupt, deadline, t):
    rng = random.Random(1000 + i)
    limit = a.max_upload_kib * 1024
    while time.time() < deadline:
        kind = rng.choice(["random", "truncated", "corrupt", "huge", "bad-json", "bad-generate", "huge-number"])
        try:
            if kind == "random":
                status, _, body = harness.request(port, "POST", "/api/scores", body=os.urandom(rng.randrange(1, 4096)),
                                                  headers={"Content-Type": "audio/midi"})
            elif kind == "truncated":
                status, _, body = harness.request(port, "POST", "/api/scores", body=example[:rng.randrange(1, len(example))],
                                                  headers={"Content-Type": "audio/midi"})
            elif kind == "corrupt":
                status, _, body = harness.request(port, "POST", "/api/scores", body=rng.choice(corrupt),
                                                  headers={"Content-Type": "audio/midi"})
            elif kind == "huge":
                status, _, body = harness.request(port, "POST", "/api/scores", body=b"\x00" * (limit + rng.randrange(1, limit)),
                                                  headers={"Content-Type": "audio/midi"})
            elif kind == "bad-json":
                status, _, body = harness.request(port, "POST", "/api/scores", body=b"{\"midi_base64\": [",
                                                  headers={"Content-Type": "application/json"})
            elif kind == "bad-generate":
                status, _, body = harness.request(port, "POST", "/api/generate",
                                                  body={"events": "many", "variations": {"a": 1}})
            else:
                status, _, body = harness.request(port, "POST", "/api/generate", body={"events": 10 ** rng.randrange(5, 300)})
        except Exception as e:  # noqa: BLE001
            t.lost(f"junk {kind}: {e!r}")
            continue
        try:
            j = json.loads(body)
        except ValueError:
            j = None
        if status == 201:
            t.add("junk accepted (lenient MIDI reading)")
        elif 400 <= status < 500 and j and j["error"]["message"]:
            t.add(f"junk {status}")
        else:
            t.lost(f"junk {kind}: HTTP {status} {body[:100]!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--continuo", required=True)
    ap.add_argument("--models", help="folder of models (default: a random-weight model made here)")
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--junk", type=int, default=8)
    ap.add_argument("--duration", type=float, default=60)
    ap.add_argument("--events", type=int, default=200)
    ap.add_argument("--variations", type=int, default=2)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--queue", type=int, default=8)
    ap.add_argument("--abandon-every", type=int, default=5)
    ap.add_argument("--audio-share", type=float, default=0.05, help="share of results whose audio is fetched")
    ap.add_argument("--max-upload-kib", type=int, default=256)
    ap.add_argument("--max-rss-mib", type=float, default=1024)
    ap.add_argument("--json")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="continuo-load-")
    models = a.models or os.path.join(tmp, "models")
    if not a.models:
        harness.make_model(models, a.model)
    example = open(os.path.join(root, "examples", "example.mid"), "rb").read()
    cdir = os.path.join(root, "tests", "data", "corrupt")
    corrupt = [open(os.path.join(cdir, f), "rb").read() for f in sorted(os.listdir(cdir))]

    server = harness.Server(a.continuo, "--models", models, "--jobs", str(a.jobs), "--queue", str(a.queue),
                            "--max-upload-kib", str(a.max_upload_kib), "--audio-cache-mib", "64",
                            "--http-threads", str(max(48, 2 * (a.clients + a.junk))))
    port = server.port
    t = Tally()
    samples, latencies = [], []
    try:
        status, _, body = harness.request(port, "POST", "/api/scores?name=example.mid", body=example,
                                          headers={"Content-Type": "audio/midi"})
        score_id = json.loads(body)["id"]
        # warm up: one generation and one rendering (loads the model and the soundfont)
        warm = harness.run_to_end(port, {"model": a.model, "score": score_id, "events": 20, "seed": 1})
        harness.request(port, "GET", f"/api/scores/{warm['result'][0]['score']['id']}/audio", timeout=300)
        rss_warm = server.rss()
        deadline = time.time() + a.duration
        threads = [threading.Thread(target=generating_client, args=(i, port, score_id, a, deadline, t)) for i in range(a.clients)]
        threads += [threading.Thread(target=junk_client, args=(i, port, a, example, corrupt, deadline, t)) for i in range(a.junk)]
        start = time.time()
        for th in threads:
            th.start()
        while any(th.is_alive() for th in threads):
            if not server.alive():
                t.lost("the server died")
                break
            t0 = time.time()
            try:
                s, st = harness.get_json(port, "/api/status")
                latencies.append(time.time() - t0)
                samples.append((time.time() - start, server.rss(), st["jobs"]["running"], st["jobs"]["queued"]))
            except Exception as e:  # noqa: BLE001
                t.lost(f"status: {e!r}")
            time.sleep(0.5)
        for th in threads:
            th.join()
        elapsed = time.time() - start
        time.sleep(2)   # cancelled jobs wind down
        _, final = harness.get_json(port, "/api/status")
        rss_end = server.rss()
    finally:
        rc = server.stop()
    rss = [s[1] for s in samples]
    lat = sorted(latencies)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "commit": subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "model": a.model, "clients": a.clients, "junk_clients": a.junk, "duration_s": round(elapsed, 1),
        "events_per_request": a.events, "variations": a.variations, "jobs": a.jobs, "queue": a.queue,
        "counts": dict(sorted(t.counts.items())),
        "lost": t.counts.get("lost", 0), "lost_examples": t.lost_examples,
        "generated_events": t.events, "events_per_second": round(t.events / elapsed, 1),
        "generation_seconds_median": round(statistics.median(t.gen_seconds), 2) if t.gen_seconds else None,
        "generation_seconds_p95": round(sorted(t.gen_seconds)[int(0.95 * (len(t.gen_seconds) - 1))], 2) if t.gen_seconds else None,
        "status_latency_ms_median": round(1000 * statistics.median(lat), 1) if lat else None,
        "status_latency_ms_max": round(1000 * lat[-1], 1) if lat else None,
        "rss_mib_after_warmup": round(rss_warm / 2**20, 1), "rss_mib_peak": round(max(rss or [0]) / 2**20, 1),
        "rss_mib_end": round(rss_end / 2**20, 1),
        "rss_mib_by_quarter": [round(max([x[1] for x in samples if q * elapsed / 4 <= x[0] < (q + 1) * elapsed / 4] or [0]) / 2**20, 1)
                               for q in range(4)],
        "server_jobs": final["jobs"], "server_exit_status": rc,
    }
    print(json.dumps(result, indent=2))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=2)
    ok = result["lost"] == 0 and rc == 0 and result["rss_mib_peak"] <= a.max_rss_mib and t.counts.get("generate completed", 0) > 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
