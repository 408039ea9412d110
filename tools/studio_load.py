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

Exit status 1 when a request was lost, the server died, or its memory passed --max-rss-mib.

Soak mode (--soak, see "soak mode" below): --clients workers send a weighted mix of requests to
every endpoint of docs/API.md, good ones and malformed ones, for --duration seconds; every request
must end in its documented answer or a JSON error, and the server's memory must be flat after the
warm-up (the first --warmup-share of the run): at the end at most --flat-mib above the warm-up
level, and under --max-rss-mib throughout. docs/RELIABILITY.md has measured runs.

    python3 tools/studio_load.py --continuo build/continuo --soak --steady-malloc --duration 600
        [--clients 8] [--flat-mib 32] [--max-rss-mib 600] [--json soak.json]

Exit status 1 when a request was lost or answered wrongly, a job was left over, the server died,
or its memory was not flat; the summary lists requests and statuses per endpoint, latencies, and
the RSS after the warm-up, at the end and at its peak."""
import argparse
import base64
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

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

# ---- soak mode (--soak) ----------------------------------------------------------------------------
#
# Workers pick actions from a weighted table (SOAK_ACTIONS) until --duration has passed: every
# endpoint of docs/API.md with good requests and with malformed ones, the page with its assets on
# one kept-alive connection as a browser loads it, generation read to the end, hung up on, or
# stopped with POST /api/jobs/<id>/stop, audio renders and downloads cut short, raw broken HTTP.
# Every request is judged: the status must be one the API documents for it, a 2xx answer must be
# what the endpoint promises (a score, MIDI bytes, a WAV, an event stream ending in `done` with one
# result per variation, or `error`...) and any other answer a JSON error ({"error": {"status",
# "code", "message"}}) of the same status. No answer at all (a reset, a timeout, a stream cut off
# by the server) is "lost". At the end no job may be left running or waiting, and every job
# submitted must be counted done, cancelled or failed (none failed).
#
# Memory: VmRSS of the server every 0.5 s. The warm-up level is the highest RSS of the first
# --warmup-share of the run (every action is taken once by each worker first, the longest audio
# render is the first request, and the server runs with a small --max-scores and
# --audio-cache-mib so that its bounded stores fill within the warm-up); the end level is the
# highest RSS of the last 10% of the run. Memory is flat when the end level is at most --flat-mib
# above the warm-up level; the peak must stay under --max-rss-mib throughout.
#
# glibc's malloc keeps what it frees in up to 8 arenas per core and raises its mmap threshold
# after each large free, so with its defaults the RSS of the busy server wanders in a band of
# 60-80 MiB over minutes while the memory in use (mallinfo2) stays flat; a leak of a few KB per
# request would hide in it. --steady-malloc runs the server with MALLOC_ARENA_MAX=2 and
# MALLOC_MMAP_THRESHOLD_=65536 (large blocks are given back at once): the band shrinks to
# 20-30 MiB and the RSS follows the memory in use, which is what a leak check needs.
# docs/RELIABILITY.md ("Soak test of the studio") has the measurements.

SOAK_ENDPOINTS = [  # (label, must have successes, must have errors): docs/API.md, "Endpoints"; the GETs
    # that take no input have no error of their own (a wrong method on their path is a 404 of "no such
    # endpoint or method", a query string they do not take is ignored)
    ("GET /", True, False), ("GET /static/<file>", True, True), ("GET /api/health", True, False),
    ("GET /api/status", True, False), ("GET /api/models", True, False), ("GET /api/examples", True, False),
    ("POST /api/scores", True, True), ("GET /api/scores/<id>", True, True), ("GET /api/scores/<id>/midi", True, True),
    ("GET /api/scores/<id>/audio", True, True), ("POST /api/generate", True, True), ("GET /api/jobs/<id>", True, True),
    ("POST /api/jobs/<id>/stop", True, True), ("(no such endpoint or method)", False, True), ("(malformed HTTP)", False, True),
]


def junk_query(rng):
    """Mostly nothing; sometimes a query string the endpoint does not take (ignored, as by any web server)."""
    return rng.choice(["", "", "", "", "?x=%ZZ&&=&y", "?" + "q" * 3000, "?v=%00%ff", "#frag"])


def soundfont_path():
    return os.environ.get("CONTINUO_SOUNDFONT") or "/usr/share/sounds/sf2/FluidR3_GM.sf2"


def is_json_error(status, body):
    try:
        j = json.loads(body)
        e = j["error"]
        return e["status"] == status and isinstance(e["code"], str) and e["code"] != "" \
            and isinstance(e["message"], str) and e["message"] != ""
    except (ValueError, KeyError, TypeError):
        return False


class Lost(Exception):
    """Raised after a request that got no answer was counted; the action ends there."""


class Soak:
    def __init__(self, a, server, example, corrupt):
        self.a, self.server, self.port = a, server, server.port
        self.example, self.corrupt = example, corrupt
        self.lock = threading.Lock()
        self.by_endpoint = {}   # label -> {status: n}
        self.latency = {}       # label -> [seconds]
        self.actions = {}       # action -> n
        self.notes = {}         # other things counted (streams completed, hang-ups, retries...)
        self.lost, self.wrong, self.examples = 0, 0, []
        self.stream_seconds = []
        self.scores = []        # (id, events, seconds) of recent scores, newest last
        self.jobs = []          # recent job ids
        self.midis = [example]  # MIDI files to upload: the example and downloaded results
        self.big_midi = long_midi(200, per_beat=4)   # a file of a common size (38 KB), a fifth of the uploads
        self.tones = tone_wav()                      # a 4 s recording of eight sine tones (POST /api/recordings)
        self.recordings = []                         # ids of recent recordings

    # -- bookkeeping
    def note(self, what, n=1):
        with self.lock:
            self.notes[what] = self.notes.get(what, 0) + n

    def record(self, label, status, seconds, problem=None):
        with self.lock:
            st = self.by_endpoint.setdefault(label, {})
            st[status] = st.get(status, 0) + 1
            if seconds is not None:
                self.latency.setdefault(label, []).append(seconds)
            if problem:
                if status == "lost":
                    self.lost += 1
                else:
                    self.wrong += 1
                if len(self.examples) < 20:
                    self.examples.append(f"{label}: {problem}")

    def fail(self, kind, what):
        """A failure that is not one request's answer: a stream cut short, the server gone."""
        with self.lock:
            if kind == "lost":
                self.lost += 1
            else:
                self.wrong += 1
            if len(self.examples) < 20:
                self.examples.append(what)

    def add_score(self, j):
        with self.lock:
            self.scores.append((j["id"], j["events"], j["seconds"]))
            del self.scores[:-256]

    def pick_score(self, rng, max_events=None, max_seconds=None):
        with self.lock:
            pool = [s for s in self.scores[-48:] if (max_events is None or s[1] <= max_events)
                    and (max_seconds is None or s[2] <= max_seconds)]
        return rng.choice(pool) if pool else None

    def add_job(self, jid):
        with self.lock:
            self.jobs.append(jid)
            del self.jobs[:-64]

    # -- one request on a fresh connection (or `conn`), judged
    def call(self, label, method, path, expect, body=None, headers=None, check=None, timeout=120, conn=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        t0 = time.time()
        for attempt in (0, 1):
            own = conn is None
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout) if own else conn
            try:
                c.request(method, path, body=body, headers=headers or {})
                r = c.getresponse()
                status, hdrs, data = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                # a kept-alive connection the server closed (after 5 requests or 2 s idle) just
                # before this request: a browser sends an idempotent request again on a new one
                if not own and attempt == 0 and method == "GET":
                    self.note("kept-alive connection closed by the server, GET sent again")
                    conn.close()
                    continue
                self.record(label, "lost", None, f"{method} {path[:80]}: {e!r}")
                raise Lost() from e
            except Exception as e:  # noqa: BLE001
                self.record(label, "lost", None, f"{method} {path[:80]}: {e!r}")
                raise Lost() from e
            finally:
                if own:
                    c.close()
        problem = None
        if status not in expect:
            problem = f"{method} {path[:80]}: HTTP {status}, expected {sorted(expect)}: {data[:160]!r}"
        elif status >= 300:
            if not is_json_error(status, data) or not hdrs.get("content-type", "").startswith("application/json"):
                problem = f"{method} {path[:80]}: HTTP {status} without a JSON error: {data[:160]!r}"
        elif check:
            try:
                why = check(hdrs, data)
            except Exception as e:  # noqa: BLE001
                why = f"an answer that does not read: {e!r} {data[:120]!r}"
            if why:
                problem = f"{method} {path[:80]}: {why}"
        self.record(label, status, time.time() - t0, problem)
        return status, hdrs, data

    # -- raw HTTP: bytes in, one answer out (the client keeps its side open: a client that
    # half-closes its socket is taken by cpp-httplib for one that went away, and gets no answer)
    def raw(self, label, data, expect, hang_up=False, timeout=30):
        t0 = time.time()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(("127.0.0.1", self.port))
            s.sendall(data)
            if hang_up:
                self.note("client hung up mid-request (no answer expected)")
                return
            buf = b""
            while b"\r\n\r\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            head, _, rest = buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            try:
                status = int(lines[0].split()[1])
            except (IndexError, ValueError):
                self.record(label, "lost", None, f"raw {data[:40]!r}: no HTTP answer ({buf[:80]!r})")
                raise Lost() from None
            length = 0
            for ln in lines[1:]:
                k, _, v = ln.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v.strip())
            while len(rest) < length:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
        except (OSError, socket.timeout) as e:
            self.record(label, "lost", None, f"raw {data[:40]!r}: {e!r}")
            raise Lost() from e
        finally:
            s.close()
        problem = None
        if status not in expect or not is_json_error(status, rest[:length]):
            problem = f"raw {data[:40]!r}: HTTP {status} {rest[:120]!r}, expected a JSON error {sorted(expect)}"
        self.record(label, status, time.time() - t0, problem)

    # -- generation: a stream read to its end, hung up on, or stopped
    def generate(self, req, rng, mode="complete"):
        label = "POST /api/generate"
        t0 = time.time()
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            try:
                c.request("POST", "/api/generate", body=json.dumps(req), headers={"Content-Type": "application/json"})
                r = c.getresponse()
            except Exception as e:  # noqa: BLE001
                self.record(label, "lost", None, f"connection failed: {e!r}")
                raise Lost() from e
            if r.status != 200:
                data = r.read()
                # 503: the queue is full (with Retry-After); 404: the score was dropped (the server keeps
                # the --max-scores most recently used ones; the page uploads the file again)
                ok = (r.status == 503 and is_json_error(503, data) and json.loads(data)["error"]["code"] == "busy"
                      and r.getheader("Retry-After")) or \
                     (r.status == 404 and "score" in req and is_json_error(404, data) and req["score"] in json.loads(data)["error"]["message"])
                self.record(label, r.status, time.time() - t0, None if ok else f"HTTP {r.status} {data[:160]!r} for {req}")
                if r.status == 503:
                    time.sleep(0.5 + rng.random())
                return
            if not (r.getheader("Content-Type") or "").startswith("text/event-stream"):
                self.record(label, 200, time.time() - t0, f"Content-Type {r.getheader('Content-Type')}")
                return
            got, job, results, first = [], None, [], True
            stop_at = rng.choice(["job", "notes", "notes", "start"]) if mode in ("abandon", "stop") else None
            name, buf = "message", ""
            try:
                while True:
                    line = r.readline()
                    if not line:
                        break
                    line = line.decode().rstrip("\n")
                    if line.startswith("event: "):
                        name = line[7:]
                        continue
                    if line.startswith("data: "):
                        buf += line[6:]
                        continue
                    if line != "" or not buf:
                        continue
                    d = json.loads(buf)
                    buf = ""
                    got.append(name)
                    if first:
                        first = False
                        self.record(label, 200, time.time() - t0,
                                    None if name == "job" and "id" in d else f"first event {name} {d}")
                        if name == "job":
                            job = d["id"]
                            self.add_job(job)
                    elif name == "result":
                        results.append(d)
                        self.add_score(d["score"])
                    if name == stop_at and job:
                        stop_at = None
                        if mode == "abandon":
                            self.note("generate: client hung up mid-stream")
                            return
                        self.stop_job(job, req.get("variations", 1), rng)
                    if name in ("done", "error"):
                        break
            except (OSError, ValueError, http.client.HTTPException) as e:
                self.fail("lost", f"event stream broke after {got[-3:]}: {e!r}")
                raise Lost() from e
            if first:
                self.record(label, 200, time.time() - t0, "an empty event stream")
            elif "done" in got:
                self.stream_seconds.append(time.time() - t0)
                n = req.get("variations", 1)
                if len(results) != n or sorted(x["variation"] for x in results) != list(range(n)):
                    self.fail("bad", f"event stream: {len(results)} results for {n} variations")
                else:
                    self.note(f"generate: stream read to `done` ({mode})")
            elif "error" in got:
                self.note("generate: stream ended with an `error` event")
            elif mode != "abandon":
                self.fail("lost", f"event stream ended without `done` or `error` ({got[-3:]})")
        finally:
            c.close()

    def stop_job(self, job, variations, rng):
        label = "POST /api/jobs/<id>/stop"
        self.call("GET /api/jobs/<id>", "GET", f"/api/jobs/{job}", {200, 404}, check=lambda h, b: None
                  if json.loads(b)["id"] == job and "state" in json.loads(b) else "not this job")
        if rng.random() < 0.3:
            bad = rng.choice([{"variation": variations + rng.randrange(5)}, {"variation": "first"}, {"variations": 1},
                              b"{\"variation\": ", [1, 2]])
            self.call(label, "POST", f"/api/jobs/{job}/stop", {400, 404}, body=bad,
                      headers={"Content-Type": "application/json"} if isinstance(bad, bytes) else None)
        good = rng.choice([{}, {"variation": rng.randrange(variations)}, b"", {"variation": -1}])
        self.call(label, "POST", f"/api/jobs/{job}/stop", {200, 404}, body=good,
                  headers={"Content-Type": "application/json"} if isinstance(good, bytes) else None,
                  check=lambda h, b: None if json.loads(b)["id"] == job else "not this job")

    def gen_request(self, rng, events, variations):
        req = {"model": rng.choice(self.a.soak_models), "events": events, "variations": variations,
               "seed": rng.randrange(1 << 30), "temperature": rng.choice([0, 0.8, 1.0, 1.2]),
               "top_p": rng.choice([0.9, 0.98, 1]), "top_k": rng.choice([0, 0, 20]),
               "key_strength": rng.choice([0, 0.5, 1]), "allow_controls": rng.random() < 0.8}
        sc = self.pick_score(rng, max_events=600)   # keeps chains of continuations bounded
        if sc:
            req["score"] = sc[0]
            req["prompt_events"] = rng.choice([p for p in (0, 0, 16, 64) if p <= sc[1]])
        return req

    # -- the actions
    def act_page(self, rng):
        # a browser loading the page: five requests on one kept-alive connection
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.call("GET /", "GET", "/" + junk_query(rng), {200}, conn=c, check=lambda h, b: None
                      if h["content-type"].startswith("text/html") and b"Continuo" in b else "not the page")
            for f, kind in (("studio.js", "javascript"), ("studio.css", "css")):
                self.call("GET /static/<file>", "GET", "/static/" + f, {200}, conn=c,
                          check=lambda h, b, kind=kind: None if kind in h["content-type"] and b else "not the asset")
            self.act_models(rng, conn=c)
            self.act_examples(rng, conn=c)
        finally:
            c.close()

    def act_health(self, rng):
        self.call("GET /api/health", "GET", "/api/health" + junk_query(rng), {200}, check=lambda h, b: None if json.loads(b)["ok"] is True else "not ok")

    def act_status(self, rng):
        self.call("GET /api/status", "GET", "/api/status" + junk_query(rng), {200}, check=lambda h, b: None if "jobs" in json.loads(b) else "no jobs")

    def act_models(self, rng, conn=None):
        self.call("GET /api/models", "GET", "/api/models" + junk_query(rng), {200}, conn=conn, check=lambda h, b: None
                  if sorted(m["name"] for m in json.loads(b)["models"]) == sorted(self.a.soak_models) else "not our models")

    def act_examples(self, rng, conn=None):
        self.call("GET /api/examples", "GET", "/api/examples" + junk_query(rng), {200}, conn=conn, check=lambda h, b: None
                  if any(e["name"] == "example" for e in json.loads(b)["examples"]) else "no example")

    def uploaded(self, h, b):
        j = json.loads(b)
        if not (isinstance(j.get("id"), str) and len(j["id"]) == 16 and j.get("events", 0) > 0):
            return "not a score"
        self.add_score(j)
        return None

    def act_upload(self, rng):
        with self.lock:
            midi = rng.choice(self.midis) if rng.random() < 0.8 else self.big_midi
        how = rng.choices(["raw", "multipart", "base64", "example"], [6, 3, 3, 2])[0]
        self.note("upload: " + how)
        name = rng.choice(["song.mid", "my song.mid", "ünïcödé.mid", "../../x.mid", "a" * 196 + ".mid"])
        if how == "raw" and rng.random() < 0.2:
            name = "b" * 5000 + ".mid"   # ?name= is cut to 80 characters
        if how == "raw":
            self.call("POST /api/scores", "POST", "/api/scores?name=" + urllib.parse.quote(name), {201}, body=midi,
                      headers={"Content-Type": "audio/midi"}, check=self.uploaded)
        elif how == "multipart":
            b = "soak%08x" % rng.randrange(1 << 32)
            form = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"form.mid\"\r\n"
                    f"Content-Type: audio/midi\r\n\r\n").encode() + midi + f"\r\n--{b}--\r\n".encode()
            self.call("POST /api/scores", "POST", "/api/scores", {201}, body=form,
                      headers={"Content-Type": f"multipart/form-data; boundary={b}"}, check=self.uploaded)
        elif how == "base64":
            self.call("POST /api/scores", "POST", "/api/scores", {201}, check=self.uploaded,
                      body={"midi_base64": base64.b64encode(midi).decode(), "name": name})
        else:
            self.call("POST /api/scores", "POST", "/api/scores", {201}, body={"example": "example"}, check=self.uploaded)

    def act_get_score(self, rng):
        sc = self.pick_score(rng)
        if sc:
            self.call("GET /api/scores/<id>", "GET", f"/api/scores/{sc[0]}", {200, 404},
                      check=lambda h, b: None if json.loads(b)["id"] == sc[0] and "notes" in json.loads(b) else "not the score")

    def act_get_midi(self, rng):
        sc = self.pick_score(rng)
        if not sc:
            return
        status, h, b = self.call("GET /api/scores/<id>/midi", "GET", f"/api/scores/{sc[0]}/midi", {200, 404},
                                 check=lambda h, b: None if h["content-type"] == "audio/midi" and b[:4] == b"MThd" else "not MIDI")
        if status == 200 and b[:4] == b"MThd":
            with self.lock:
                if len(self.midis) < 16:
                    self.midis.append(b)
                else:
                    self.midis[1 + rng.randrange(15)] = b

    def act_audio(self, rng):
        # scores of at most --audio-max-seconds: a WAV is 10.6 MB a minute, and the longest render a
        # soak makes should be made in its warm-up (the first one is: see soak_worker)
        sc = self.pick_score(rng, max_seconds=self.a.audio_max_seconds)
        if not sc:
            return
        path = f"/api/scores/{sc[0]}/audio"
        if rng.random() < 0.25:   # a player that goes away after the first bytes
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
            t0 = time.time()
            try:
                c.request("GET", path)
                r = c.getresponse()
                head = r.read(4096)
                ok = (r.status == 200 and head[:4] == b"RIFF") or (r.status == 404 and not r.getheader("Content-Type", "").startswith("audio"))
                self.record("GET /api/scores/<id>/audio", r.status, time.time() - t0, None if ok else f"HTTP {r.status} {head[:80]!r}")
                self.note("audio: client hung up after the first 4 KB")
            except Exception as e:  # noqa: BLE001
                self.record("GET /api/scores/<id>/audio", "lost", None, repr(e))
                raise Lost() from e
            finally:
                c.close()
            return
        self.call("GET /api/scores/<id>/audio", "GET", path, {200, 404}, timeout=300, check=lambda h, b: None
                  if h["content-type"] == "audio/wav" and b[:4] == b"RIFF" and b[8:12] == b"WAVE" else "not a WAV")

    def act_generate(self, rng):
        self.generate(self.gen_request(rng, rng.choice([32, 64, 128]), rng.choice([1, 1, 2, 3])), rng)

    def act_new_piece(self, rng):
        start = rng.choice([{"instruments": "piano, violin"}, {"instruments": ["piano", 40], "drums": "jazz"},
                            {"drums": "tr-808", "bpm": 128}, {"instruments": "strings", "time_signature": "6/8", "key": "F# minor"},
                            {"instruments": "guitar, bass", "drums": "standard", "bpm": 90, "key": "Bb"}])
        req = {"model": rng.choice(self.a.soak_models), "start": start, "events": rng.choice([32, 64, 128]),
               "variations": rng.choice([1, 2]), "seed": rng.choice([rng.randrange(1 << 30), "random"])}
        self.generate(req, rng)

    def act_abandon(self, rng):
        self.generate(self.gen_request(rng, rng.choice([1024, 4096]), rng.choice([2, 4])), rng, mode="abandon")

    def act_stop(self, rng):
        self.generate(self.gen_request(rng, rng.choice([2048, 4096]), rng.choice([2, 3, 4])), rng, mode="stop")

    def act_get_job(self, rng):
        with self.lock:
            jid = rng.choice(self.jobs) if self.jobs else "%016x" % rng.randrange(1 << 64)
        self.call("GET /api/jobs/<id>", "GET", f"/api/jobs/{jid}", {200, 404},
                  check=lambda h, b: None if json.loads(b)["id"] == jid else "not this job")

    def act_bad_upload(self, rng):
        limit = self.a.max_upload_kib * 1024
        kind = rng.choice(["empty", "random", "truncated", "corrupt", "huge", "bad-json", "unknown-field", "bad-base64",
                           "no-example", "example-path", "form-without-file", "json-not-object", "base64-huge", "long-name"])
        L, j, midi = "POST /api/scores", {"Content-Type": "application/json"}, {"Content-Type": "audio/midi"}
        if kind == "empty":
            self.call(L, "POST", "/api/scores", {400}, body=b"", headers=midi)
        elif kind == "random":
            self.call(L, "POST", "/api/scores", {422, 201}, body=os.urandom(rng.randrange(1, 4096)), headers=midi)
        elif kind == "truncated":
            self.call(L, "POST", "/api/scores", {422, 201}, body=self.example[:rng.randrange(1, len(self.example))], headers=midi)
        elif kind == "corrupt":
            self.call(L, "POST", "/api/scores", {400, 422}, body=rng.choice(self.corrupt), headers=midi)
        elif kind == "huge":
            self.call(L, "POST", "/api/scores", {413}, body=b"\0" * (limit + rng.randrange(1, limit)), headers=midi)
        elif kind == "bad-json":
            self.call(L, "POST", "/api/scores", {400}, body=b"{\"midi_base64\": [", headers=j)
        elif kind == "unknown-field":
            self.call(L, "POST", "/api/scores", {400}, body={"midi_base64": "TVRoZA==", "nmae": "x.mid"})
        elif kind == "bad-base64":
            self.call(L, "POST", "/api/scores", {400}, body={"midi_base64": "!!!not base64!!!"})
        elif kind == "no-example":
            self.call(L, "POST", "/api/scores", {404}, body={"example": "no-such-example"})
        elif kind == "example-path":
            self.call(L, "POST", "/api/scores", {404}, body={"example": "../examples/example"})
        elif kind == "form-without-file":
            form = b"--B\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--B--\r\n"
            self.call(L, "POST", "/api/scores", {400}, body=form, headers={"Content-Type": "multipart/form-data; boundary=B"})
        elif kind == "long-name":
            self.call(L, "POST", "/api/scores", {400}, body={"midi_base64": base64.b64encode(self.example).decode(), "name": "n" * 201})
        elif kind == "json-not-object":
            self.call(L, "POST", "/api/scores", {400}, body=[1, 2, 3])
        else:
            # a MIDI file in base64 larger than the upload limit: 413, as a raw upload of that size
            self.call(L, "POST", "/api/scores", {413}, body={"midi_base64": base64.b64encode(b"\0" * (limit + 1024)).decode()})

    def act_bad_generate(self, rng):
        sc = self.pick_score(rng)
        bad = rng.choice([
            ({"events": "many", "variations": {"a": 1}}, 400), ({"events": 10 ** rng.randrange(5, 300)}, 400),
            ({"events": 0}, 400), ({"variations": 5}, 400), ({"temperature": -1}, 400), ({"top_p": 0}, 400),
            ({"top_k": 1001}, 400), ({"seed": -1}, 400), ({"temprature": 1}, 400), ({"model": "no-such-model"}, 404),
            ({"score": "0123456789abcdef"}, 404), ({"score": "../../etc/passwd"}, 404), ({"prompt_events": -3}, 400),
            ({"start": {"instruments": "kazoo orchestra"}}, 400), ({"start": {"drums": "cardboard"}}, 400),
            ({"start": {"bpm": 1e9}}, 400), ({"start": {"time_signature": "7/0"}}, 400), ({"start": {"key": "H# lydian"}}, 400),
            ({"start": "piano"}, 400), ([1, 2], 400), ("{\"events\": ", 400), ("", 400),
            ({"score": sc[0], "start": {"instruments": "piano"}} if sc else {"events": -1}, 400),
            ({"score": sc[0], "events": 4097} if sc else {"events": 1.5}, 400),
            ({"score": sc[0], "prompt_events": sc[1] + 1 + rng.randrange(1000)} if sc else {"top_p": "x"}, 400),
        ])
        body, want = bad
        want = want if isinstance(want, set) else {want}
        if sc and isinstance(body, dict) and body.get("score") == sc[0]:
            want = want | {404}   # the score may have been dropped meanwhile
        self.call("POST /api/generate", "POST", "/api/generate", want,
                  body=body.encode() if isinstance(body, str) else body,
                  headers={"Content-Type": "application/json"} if isinstance(body, str) else None)

    def act_tool(self, rng):
        # the tools (docs/API.md, "Tools") on stored scores: a score without drums cannot be
        # grooved (400), two scores of other kinds or metres cannot be interpolated (400), a score
        # of more than 16 bars is too long to interpolate (413), nor one with a bar of over 8 beats
        # (422: a generated score can change metre), a score dropped by the store is 404;
        # infill and accompany (a continuation model) on pieces of at most 2,000 events, small
        # requests: bars outside the piece are 400, a piece over the studio's limits 413
        tool = rng.choice(["groove", "drumify", "interpolate", "clips", "infill", "accompany"])
        a, b = self.pick_score(rng), self.pick_score(rng)
        if tool in ("infill", "accompany"):
            a = self.pick_score(rng, max_events=2000)
        if tool == "clips":
            body = {"kind": rng.choice(["melody", "drums"]), "bars": rng.choice([1, 2, 4]),
                    "variations": rng.choice([1, 2]), "seed": rng.randrange(1000)}
        elif not a:
            return
        elif tool == "groove":
            body = {"score": a[0], "strength": rng.choice([0, 0.5, 1, 2])}
        elif tool == "drumify":
            body = {"score": a[0], "style": rng.choice(["any", "funk", "rock"]), "variations": rng.choice([1, 2]),
                    "drums_only": rng.random() < 0.5, "seed": rng.randrange(1000)}
        elif tool == "infill":
            first = rng.choice([1, 2, 3])
            body = {"score": a[0], "first_bar": first, "last_bar": first + rng.choice([0, 1]), "candidates": rng.choice([1, 2]),
                    "variations": rng.choice([1, 2]), "seed": rng.randrange(1000)}
            if rng.random() < 0.5:
                body["tracks"] = [0]
        elif tool == "accompany":
            body = {"score": a[0], "instruments": rng.choice(["", "piano", "violin, acoustic bass"]),
                    "drums": rng.choice([None, "jazz"]), "candidates": rng.choice([1, 2]), "seed": rng.randrange(1000)}
        else:
            body = {"a": a[0], "b": b[0], "steps": rng.choice([2, 3, 5]), "seed": rng.randrange(1000)}
        if tool in ("infill", "accompany") and getattr(self.a, "soak_models", None) and rng.random() < 0.5:
            body["model"] = rng.choice(self.a.soak_models)
        want = {201, 400, 404, 413, 503} | ({422} if tool == "interpolate" else set())
        self.call("POST /api/tools/" + tool, "POST", "/api/tools/" + tool, want, body=body,
                  check=lambda h, d: None if json.loads(d).get("error") or json.loads(d)["scores"] else "no scores")

    def act_recording(self, rng):
        # recordings (docs/API.md, "Recordings"): an upload heard by basic-pitch (201; 422 when it
        # hears nothing; 503 when the tools are busy), its playback, a short continuation; or a bad
        # upload (empty 400, not audio 415, broken 422)
        r = rng.random()
        if r < 0.25:
            body, want = rng.choice([(b"", {400}), (b"not a sound at all\n" * 20, {415}), (self.tones[:60], {422}),
                                     (self.tones[:12] + bytes(rng.randrange(256) for _ in range(2000)), {422}),
                                     (self.example, {415})])
            self.call("POST /api/recordings (bad)", "POST", "/api/recordings?name=bad.wav", want | {503}, body=body,
                      headers={"Content-Type": "audio/wav"})
            return
        with self.lock:
            known = list(self.recordings)
        if r < 0.55 or not known:
            status, _, data = self.call("POST /api/recordings", "POST", "/api/recordings?name=tones.wav", {201, 422, 503},
                                        body=self.tones, headers={"Content-Type": "audio/wav"}, timeout=300,
                                        check=lambda h, d: None if json.loads(d)["recording"]["score"] else "no score")
            if status == 201:
                j = json.loads(data)
                self.add_score(j["score"])
                with self.lock:
                    self.recordings = (self.recordings + [j["recording"]["id"]])[-8:]
            return
        rid = rng.choice(known)
        if r < 0.8:
            status, _, data = self.call("POST /api/tools/recording", "POST", "/api/tools/recording", {201, 404, 503},
                                        body={"recording": rid, "seconds": rng.choice([1, 2, 3]), "seed": rng.randrange(1000),
                                              "instrument": rng.choice(["piano", "vibraphone", 24])}, timeout=300)
            if status == 201:
                for sc in json.loads(data)["scores"]:
                    self.add_score(sc)
            return
        self.call("GET /api/recordings/<id>", "GET", f"/api/recordings/{rid}", {200, 404})

    def act_bad_tool(self, rng):
        sc = self.pick_score(rng)
        sid = sc[0] if sc else "0123456789abcdef"
        tool, body, want = rng.choice([
            # (a score the store has dropped meanwhile is 404 before its fields are read)
            ("groove", {"score": sid, "strength": 9}, {400, 404}), ("groove", {}, {400}),
            ("groove", {"score": "0123456789abcdef"}, {404}), ("drumify", {"score": sid, "style": "polka9"}, {400, 404}),
            ("drumify", {"score": sid, "variations": 99}, {400, 404}), ("interpolate", {"a": sid}, {400, 404}),
            ("interpolate", {"a": sid, "b": sid, "steps": 1000}, {400, 404, 413}), ("clips", {"kind": "harp"}, {400}),
            ("clips", {"kind": "drums", "colour": 1}, {400}), ("nope", {}, {404}), ("clips", "{\"kind\": ", {400}),
            # (infill and accompany check the piece's size, 413, before the other fields)
            ("infill", {"score": sid}, {400, 404, 413}), ("infill", {"score": sid, "first_bar": 0}, {400, 404, 413}),
            ("infill", {"score": sid, "first_bar": 1, "tracks": [99]}, {400, 404, 413}),
            ("infill", {"score": sid, "first_bar": 1, "model": "nope"}, {404}),
            ("accompany", {"score": sid, "keep": "all"}, {400, 404, 413}),
            ("accompany", {"score": sid, "instruments": "kazoo"}, {400, 404, 413}),
            ("accompany", {"score": sid, "candidates": 99}, {400, 404, 413}), ("accompany", "{\"score\": ", {400}),
        ])
        self.call("POST /api/tools/" + tool + " (bad)", "POST", "/api/tools/" + tool, want,
                  body=body if not isinstance(body, str) else body.encode(),
                  headers={"Content-Type": "application/json"} if isinstance(body, str) else None)

    def act_bad_ids(self, rng):
        if rng.random() < 0.25:
            self.call("GET /static/<file>", "GET", rng.choice(["/static/nope.js", "/static/..%2F..%2Fetc%2Fpasswd",
                                                               "/static/.hidden", "/static/studio.js.map"]), {404})
        sid = rng.choice(["%016x" % rng.randrange(1 << 64), "0", "f" * 32])
        which = rng.choice(["", "/midi", "/audio"])
        label = {"": "GET /api/scores/<id>", "/midi": "GET /api/scores/<id>/midi", "/audio": "GET /api/scores/<id>/audio"}[which]
        self.call(label, "GET", f"/api/scores/{sid}{which}", {404})
        jid = "%016x" % rng.randrange(1 << 64)
        if rng.random() < 0.5:
            self.call("GET /api/jobs/<id>", "GET", f"/api/jobs/{jid}", {404})
        else:
            self.call("POST /api/jobs/<id>/stop", "POST", f"/api/jobs/{jid}/stop", {404}, body={})

    def act_unknown(self, rng):
        sc = self.pick_score(rng)
        sid = sc[0] if sc else "0123456789abcdef"
        with self.lock:
            jid = self.jobs[-1] if self.jobs else "0123456789abcdef"
        method, path = rng.choice([
            # a method the documented path does not take, for every path of docs/API.md
            ("POST", "/"), ("DELETE", "/static/studio.js"), ("POST", "/api/health"), ("DELETE", "/api/status"),
            ("PUT", "/api/models"), ("POST", "/api/examples"), ("GET", "/api/scores"), ("DELETE", f"/api/scores/{sid}"),
            ("PUT", f"/api/scores/{sid}/midi"), ("POST", f"/api/scores/{sid}/audio"), ("GET", "/api/generate"),
            ("DELETE", f"/api/jobs/{jid}"), ("GET", f"/api/jobs/{jid}/stop"), ("PATCH", "/api/status"), ("OPTIONS", "/"),
            # paths that are not there
            ("GET", "/api/nope"), ("GET", "/api/jobs"), ("GET", "/api/scores/zzz"), ("GET", "/api/scores/" + "a" * 40),
            ("GET", "/index.html"), ("GET", f"/api/scores/{sid}/wav"), ("POST", f"/api/jobs/{jid}/cancel"), ("GET", "/api/../etc/passwd")])
        self.call("(no such endpoint or method)", method, path, {404},
                  body=b"{}" if method in ("POST", "PUT", "PATCH") else None)

    def act_malformed_http(self, rng):
        kind = rng.choices(["garbage", "version", "long-uri", "long-header", "bad-chunk", "bad-length", "half-json",
                            "hang-up", "stalled"], [3, 2, 2, 2, 2, 2, 2, 4, 0.5])[0]
        L = "(malformed HTTP)"
        if kind == "garbage":
            self.raw(L, os.urandom(rng.randrange(1, 200)).replace(b"\n", b" ") + b"\r\n\r\n", {400})
        elif kind == "version":
            self.raw(L, b"GET /api/health HTTP/9.9\r\nHost: x\r\n\r\n", {400})
        elif kind == "long-uri":
            self.raw(L, b"GET /api/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {414})
        elif kind == "long-header":
            self.raw(L, b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", {400})
        elif kind == "bad-chunk":
            self.raw(L, b"POST /api/scores HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", {400})
        elif kind == "bad-length":
            self.raw("POST /api/scores", b"POST /api/scores HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", {400})
        elif kind == "half-json":
            self.raw("POST /api/generate", b"POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 9\r\n\r\n{\"events\"", {400})
        elif kind == "hang-up":
            self.raw(L, b"POST /api/scores HTTP/1.1\r\nHost: x\r\nContent-Type: audio/midi\r\nContent-Length: 100000\r\n\r\n"
                     + self.example, set(), hang_up=True)
        else:
            # a client that stops sending in the middle of its body: the server's 10 s read timeout
            self.raw(L, b"POST /api/scores HTTP/1.1\r\nHost: x\r\nContent-Type: audio/midi\r\nContent-Length: 5000\r\n\r\n"
                     + self.example[:100], {400})
            self.note("a client stalled mid-body (answered after the 10 s read timeout)")


SOAK_ACTIONS = [  # (name, weight in actions per 100, method)
    ("page load (5 requests, one connection)", 6, Soak.act_page),
    ("health", 3, Soak.act_health), ("status", 4, Soak.act_status), ("models", 2, Soak.act_models),
    ("examples", 2, Soak.act_examples),
    ("upload", 14, Soak.act_upload), ("get score", 7, Soak.act_get_score), ("get MIDI", 5, Soak.act_get_midi),
    ("get audio", 2, Soak.act_audio),
    ("generate to the end", 9, Soak.act_generate), ("generate a new piece", 3, Soak.act_new_piece),
    ("generate, hang up mid-stream", 3, Soak.act_abandon), ("generate, then stop", 4, Soak.act_stop),
    ("get job", 2, Soak.act_get_job),
    ("tools", 4, Soak.act_tool), ("bad tools", 2, Soak.act_bad_tool),
    ("recordings", 3, Soak.act_recording),
    ("bad upload", 9, Soak.act_bad_upload), ("bad generate", 8, Soak.act_bad_generate),
    ("unknown score or job ids, missing files", 4, Soak.act_bad_ids), ("no such endpoint or method", 3, Soak.act_unknown),
    ("malformed HTTP", 4, Soak.act_malformed_http),
]


def soak_worker(i, soak, deadline, weights):
    rng = random.Random(7919 * (i + 1) + soak.a.seed)
    names = [a[0] for a in SOAK_ACTIONS]
    # first a round of every action, each worker from another one, so that the warm-up has taken
    # every path; then the weighted mix
    tour = [(i + j) % len(SOAK_ACTIONS) for j in range(len(SOAK_ACTIONS)) if weights[(i + j) % len(SOAK_ACTIONS)] > 0]
    while time.time() < deadline:
        k = tour.pop(0) if tour else rng.choices(range(len(SOAK_ACTIONS)), weights)[0]
        with soak.lock:
            soak.actions[names[k]] = soak.actions.get(names[k], 0) + 1
        try:
            SOAK_ACTIONS[k][2](soak, rng)
        except Lost:
            time.sleep(0.2)
        except Exception as e:  # noqa: BLE001  (an answer the checks could not even read)
            soak.fail("bad", f"{names[k]}: an answer the checks could not read: {e!r}")


def vlq(n):
    out = [n & 0x7F]
    while n > 127:
        n >>= 7
        out.insert(0, (n & 0x7F) | 0x80)
    return bytes(out)


def long_midi(seconds, per_beat=1):
    """A Standard MIDI File of `seconds` of music: 120 BPM, a three-note chord `per_beat` times a beat,
    piano and violin (90 s, once a beat: 4 KB; 200 s, four times a beat: 38 KB, 4,800 notes)."""
    ev = bytearray(b"\x00\xff\x51\x03\x07\xa1\x20\x00\xc0\x00\x00\xc1\x28")
    for b in range(int(seconds * 2 * per_beat)):
        chord = [(0, 48 + (b * 7) % 24), (0, 60 + (b * 5) % 12), (1, 72 + (b * 3) % 12)]
        for ch, p in chord:
            ev += b"\x00" + bytes([0x90 | ch, p, 80])
        for k, (ch, p) in enumerate(chord):
            ev += vlq(480 // per_beat if k == 0 else 0) + bytes([0x80 | ch, p, 0])
    ev += b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(ev)) + bytes(ev)


def tone_wav(rate=22050):
    """A mono 16-bit WAV of eight sine tones, half a second each (C major upwards), 4 s."""
    import math
    samples = []
    for k, midi in enumerate([60, 62, 64, 65, 67, 69, 71, 72]):
        f = 440.0 * 2 ** ((midi - 69) / 12)
        for i in range(rate // 2):
            env = min(1.0, i / 200, (rate // 2 - i) / 400)
            samples.append(int(12000 * env * math.sin(2 * math.pi * f * i / rate)))
    data = struct.pack(f"<{len(samples)}h", *samples)
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, 2 * rate, 2, 16)
            + b"data" + struct.pack("<I", len(data)) + data)


def linear_slope(points):
    """Least-squares slope of (x, y) points."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else 0.0


def soak_main(a, root, example, corrupt):
    tmp = tempfile.mkdtemp(prefix="continuo-soak-")
    models = a.models or os.path.join(tmp, "models")
    if not a.models:
        harness.make_model(models, "tiny", seed=1)
        harness.make_model(models, "tiny2", seed=2)
        for tool_model in ("groove", "drumify", "melody-vae", "drums-vae"):   # the tools' shipped networks
            os.symlink(os.path.join(root, "models", tool_model), os.path.join(models, tool_model))
        a.soak_models = ["tiny", "tiny2"]
    else:
        def continuation(d):
            try:
                return json.load(open(os.path.join(models, d, "config.json"))).get("format", "continuo-model-1") == "continuo-model-1"
            except (OSError, ValueError):
                return False
        a.soak_models = sorted(d for d in os.listdir(models)
                               if os.path.exists(os.path.join(models, d, "model.safetensors")) and continuation(d))
    audio = os.path.exists(soundfont_path())
    if a.steady_malloc:
        a.server_env = ["MALLOC_ARENA_MAX=2", "MALLOC_MMAP_THRESHOLD_=65536"] + a.server_env
    weights = [w if (name != "get audio" or audio) else 0 for name, w, _ in SOAK_ACTIONS]
    server = harness.Server(a.continuo, "--models", models, "--jobs", str(a.jobs), "--queue", str(a.queue),
                            "--max-upload-kib", str(a.max_upload_kib), "--max-scores", str(a.max_scores),
                            "--audio-cache-mib", str(a.audio_cache_mib), "--http-threads", str(max(48, 4 * a.clients)),
                            # a few recordings, so that their store is full within the warm-up
                            "--max-recordings", "4",
                            env=dict(e.split("=", 1) for e in a.server_env))
    soak = Soak(a, server, example, corrupt)
    longest = long_midi(a.audio_max_seconds - 2) if audio else None
    samples, statuses = [], []   # (t, rss bytes); (t, /api/status)
    stop_sampling = threading.Event()
    start = time.time()

    def sampler():
        last_status = 0
        while not stop_sampling.is_set():
            t = time.time() - start
            if not server.alive():
                soak.fail("lost", f"the server died at {t:.0f} s")
                return
            samples.append((t, server.rss()))
            if t - last_status >= 5:
                last_status = t
                try:
                    _, st = harness.get_json(soak.port, "/api/status")
                    statuses.append((t, st))
                except Exception as e:  # noqa: BLE001
                    soak.fail("lost", f"GET /api/status (memory monitor): {e!r}")
            stop_sampling.wait(0.5)

    try:
        deadline = start + a.duration
        warm_end = a.warmup_share * a.duration
        mon = threading.Thread(target=sampler)
        mon.start()
        if audio:
            # the longest render of the soak comes first, in the warm-up (a WAV is 10.6 MB a minute)
            _, _, b = soak.call("POST /api/scores", "POST", "/api/scores?name=long.mid", {201}, body=longest,
                                headers={"Content-Type": "audio/midi"}, check=soak.uploaded)
            soak.call("GET /api/scores/<id>/audio", "GET", f"/api/scores/{json.loads(b)['id']}/audio", {200}, timeout=300)
            soak.midis.append(longest)
        threads = [threading.Thread(target=soak_worker, args=(i, soak, deadline, weights)) for i in range(a.clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.time() - start
        time.sleep(3)   # hung-up and stopped jobs wind down
        stop_sampling.set()
        mon.join()
        _, final = harness.get_json(soak.port, "/api/status")
        rss_final = server.rss()
    finally:
        stop_sampling.set()
        rc = server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    mib = 2 ** 20
    traffic = [s for s in samples if s[0] <= elapsed]
    warm = [s[1] for s in traffic if s[0] <= warm_end]
    tail = [s[1] for s in traffic if s[0] >= 0.9 * elapsed]
    rss_warm, rss_end = max(warm or [0]), max(tail or [0])
    rss_peak = max([s[1] for s in samples] + [rss_final])
    after = [(s[0], s[1] / mib) for s in traffic if s[0] > warm_end]
    slope_mib_per_min = linear_slope(after) * 60
    st_warm = next((st for t, st in statuses if t >= warm_end), statuses[-1][1] if statuses else {})
    total = sum(sum(v.values()) for v in soak.by_endpoint.values())
    statuses_all = {}
    for v in soak.by_endpoint.values():
        for k, n in v.items():
            statuses_all[str(k)] = statuses_all.get(str(k), 0) + n
    bound_mib = a.flat_mib
    growth = (rss_end - rss_warm) / mib
    jobs = final["jobs"]
    problems = []
    if soak.lost:
        problems.append(f"{soak.lost} requests lost")
    if soak.wrong:
        problems.append(f"{soak.wrong} wrong answers")
    if rc != 0:
        problems.append(f"server exit status {rc}")
    if rss_peak / mib > a.max_rss_mib:
        problems.append(f"peak RSS {rss_peak / mib:.1f} MiB > --max-rss-mib {a.max_rss_mib}")
    if growth > bound_mib:
        problems.append(f"memory not flat: RSS grew {growth:.1f} MiB after the warm-up (bound {bound_mib} MiB)")
    if jobs["running"] or jobs["queued"] or jobs["submitted"] != jobs["completed"] + jobs["cancelled"] + jobs["failed"]:
        problems.append(f"jobs left over or unaccounted for: {jobs}")
    if jobs["failed"]:
        problems.append(f"{jobs['failed']} generation jobs failed")
    for label, want_success, want_error in SOAK_ENDPOINTS:
        got = soak.by_endpoint.get(label, {})
        if label == "GET /api/scores/<id>/audio" and not audio:
            continue
        if want_success and not any(isinstance(k, int) and k < 300 for k in got):
            problems.append(f"{label}: no successful request")
        if want_error and not any(isinstance(k, int) and k >= 400 for k in got):
            problems.append(f"{label}: no error answered")
    lat = {label: {"median_ms": round(1000 * statistics.median(v), 1),
                   "p95_ms": round(1000 * sorted(v)[int(0.95 * (len(v) - 1))], 1)} for label, v in sorted(soak.latency.items()) if v}
    result = {
        "mode": "soak",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "commit": subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "duration_s": round(elapsed, 1), "clients": a.clients, "models": a.soak_models,
        "server_env": a.server_env,
        "server_options": {"jobs": a.jobs, "queue": a.queue, "max_scores": a.max_scores, "audio_cache_mib": a.audio_cache_mib,
                           "max_upload_kib": a.max_upload_kib},
        "audio": "rendered" if audio else f"skipped: no soundfont at {soundfont_path()} (set CONTINUO_SOUNDFONT)",
        "requests": total, "requests_per_second": round(total / elapsed, 1),
        "lost": soak.lost, "wrong": soak.wrong, "problem_examples": soak.examples,
        "requests_by_endpoint": {k: dict(sorted(((str(s), n) for s, n in v.items()))) for k, v in sorted(soak.by_endpoint.items())},
        "requests_by_status": dict(sorted(statuses_all.items())),
        "actions": dict(sorted(soak.actions.items(), key=lambda x: -x[1])),
        "other_counts": dict(sorted(soak.notes.items())),
        "latency": lat,
        "stream_to_done_s_median": round(statistics.median(soak.stream_seconds), 2) if soak.stream_seconds else None,
        "server_jobs": jobs, "server_requests": final["requests"], "server_errors": final["errors"],
        "scores_kept_after_warmup": st_warm.get("scores"), "audio_cache_mib_after_warmup": round(st_warm.get("audio_cache_bytes", 0) / mib, 1),
        "rss_mib": {"warmup": round(rss_warm / mib, 1), "end": round(rss_end / mib, 1), "final_idle": round(rss_final / mib, 1),
                    "peak": round(rss_peak / mib, 1), "growth_after_warmup": round(growth, 1), "bound": bound_mib,
                    "max_allowed": a.max_rss_mib, "slope_after_warmup_mib_per_min": round(slope_mib_per_min, 2),
                    "by_tenth": [round(max([s[1] for s in traffic if q * elapsed / 10 <= s[0] < (q + 1) * elapsed / 10] or [0]) / mib, 1)
                                 for q in range(10)]},
        "warmup_share": a.warmup_share,
        "rss_trace_mib": [[round(t, 1), round(r / mib, 1)] for k, (t, r) in enumerate(samples) if k % 4 == 0],
        "server_exit_status": rc,
        "problems": problems,
    }
    return result


def print_soak_summary(r):
    p = print
    p(f"\nsoak: {r['duration_s']} s, {r['clients']} clients, {r['requests']} requests ({r['requests_per_second']}/s), "
      f"{r['lost']} lost, {r['wrong']} wrong; audio {r['audio']}")
    p(f"{'endpoint':34} {'requests':>8}  statuses")
    for k, v in r["requests_by_endpoint"].items():
        lat = r["latency"].get(k)
        p(f"{k:34} {sum(v.values()):8}  {', '.join(f'{s}: {n}' for s, n in v.items())}"
          + (f"  (median {lat['median_ms']} ms, p95 {lat['p95_ms']} ms)" if lat else ""))
    p("statuses: " + ", ".join(f"{s}: {n}" for s, n in r["requests_by_status"].items()))
    m = r["rss_mib"]
    p(f"RSS (MiB): warm-up {m['warmup']}, end {m['end']}, peak {m['peak']}, idle after {m['final_idle']}; "
      f"growth after warm-up {m['growth_after_warmup']} (bound {m['bound']}), slope {m['slope_after_warmup_mib_per_min']} MiB/min; "
      f"by tenth of the run {m['by_tenth']}")
    p(f"jobs: {r['server_jobs']}; scores kept after warm-up {r['scores_kept_after_warmup']}, audio cache {r['audio_cache_mib_after_warmup']} MiB")
    for e in r["problem_examples"]:
        p("  " + e)
    p("PASS" if not r["problems"] else "FAIL: " + "; ".join(r["problems"]))


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
    soak = ap.add_argument_group("soak mode")
    soak.add_argument("--soak", action="store_true", help="mixed traffic on every endpoint; memory must stay flat")
    soak.add_argument("--warmup-share", type=float, default=0.25, help="share of the run before memory must be flat")
    soak.add_argument("--flat-mib", type=float, default=32,
                      help="how far the RSS of the run's last 10%% may rise above the warm-up's highest")
    soak.add_argument("--max-scores", type=int, default=None, help="the server's --max-scores (soak: 64, to fill in the warm-up)")
    soak.add_argument("--audio-cache-mib", type=int, default=None, help="the server's --audio-cache-mib (load: 64, soak: 32)")
    soak.add_argument("--seed", type=int, default=1, help="seed of the soak's choices")
    soak.add_argument("--audio-max-seconds", type=float, default=90, help="audio is asked of scores up to this long")
    soak.add_argument("--steady-malloc", action="store_true",
                      help="run the server with MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536, so that its RSS follows "
                           "the memory it uses instead of what glibc keeps (see \"soak mode\")")
    soak.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                      help="an environment variable for the server (e.g. MALLOC_ARENA_MAX=2), repeatable")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    example = open(os.path.join(root, "examples", "example.mid"), "rb").read()
    cdir = os.path.join(root, "tests", "data", "corrupt")
    corrupt = [open(os.path.join(cdir, f), "rb").read() for f in sorted(os.listdir(cdir))]
    if a.soak:
        a.max_scores = a.max_scores or 64
        a.audio_cache_mib = a.audio_cache_mib or 32
        result = soak_main(a, root, example, corrupt)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(result, f, indent=2)
        print_soak_summary(result)
        sys.exit(0 if not result["problems"] else 1)
    tmp = tempfile.mkdtemp(prefix="continuo-load-")
    models = a.models or os.path.join(tmp, "models")
    if not a.models:
        harness.make_model(models, a.model)

    server = harness.Server(a.continuo, "--models", models, "--jobs", str(a.jobs), "--queue", str(a.queue),
                            "--max-upload-kib", str(a.max_upload_kib), "--audio-cache-mib", str(a.audio_cache_mib or 64),
                            *(["--max-scores", str(a.max_scores)] if a.max_scores else []),
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
        shutil.rmtree(tmp, ignore_errors=True)
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
