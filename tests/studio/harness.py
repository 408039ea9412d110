"""Helpers for the studio's script tests and load test: a random-weight model, a `continuo serve`
child process on a free loopback port, and small HTTP helpers (standard library only)."""
import http.client
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_model(models_dir, name="tiny", d_model=64, layers=2, seed=1):
    out = os.path.join(models_dir, name)
    if not os.path.exists(os.path.join(out, "model.safetensors")):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_random_model.py"), out, "--name", name,
                        "--d-model", str(d_model), "--layers", str(layers), "--seed", str(seed)], check=True)
    return out


class Server:
    """`continuo serve --port 0 ...` as a child; .port, .pid, .rss() and .stop()."""

    def __init__(self, binary, *args, env=None):
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen([binary, "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=e)
        line = self.proc.stdout.readline()
        if "http://" not in line:
            self.proc.kill()
            raise RuntimeError("the server did not start: " + line + self.proc.stderr.read())
        self.port = int(line.strip().rstrip("/").rsplit(":", 1)[1])
        self.pid = self.proc.pid

    def rss(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def request(port, method, path, body=None, headers=None, timeout=60):
    """Returns (status, headers dict, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = dict(headers or {}, **{"Content-Type": "application/json"})
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def get_json(port, path):
    status, _, body = request(port, "GET", path)
    return status, json.loads(body)


def post_json(port, path, obj, raw=None):
    status, headers, body = request(port, "POST", path, body=raw if raw is not None else obj,
                                    headers={"Content-Type": "application/json"} if raw is not None else None)
    return status, json.loads(body) if body else None


class Stream:
    """POST /api/generate, read as server-sent events: iterate (event, data) pairs."""

    def __init__(self, port, req, timeout=120):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.conn.request("POST", "/api/generate", body=json.dumps(req), headers={"Content-Type": "application/json"})
        self.resp = self.conn.getresponse()
        self.status = self.resp.status
        self.error = None
        if self.status != 200:
            self.error = json.loads(self.resp.read())

    def events(self):
        name, data = "message", ""
        while True:
            line = self.resp.readline()
            if not line:
                return
            line = line.decode().rstrip("\n")
            if line == "":
                if data:
                    yield name, json.loads(data)
                name, data = "message", ""
            elif line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data += line[6:]

    def close(self):
        self.conn.close()


def run_to_end(port, req):
    """Generates and returns {event name: [data...]} (raises on an HTTP error)."""
    s = Stream(port, req)
    if s.status != 200:
        raise RuntimeError(f"{s.status}: {s.error}")
    out = {}
    for name, data in s.events():
        out.setdefault(name, []).append(data)
    s.close()
    return out
