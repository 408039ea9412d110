#!/usr/bin/env python3
"""Every endpoint of the studio API (docs/API.md), with good and bad requests: wrong types, huge
numbers, broken and oversized files, unknown ids, a full queue, clients that go away. Each bad
request must get a JSON error with the right status; the server must stay up throughout.

    test_studio_api.py CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "studio"))
import harness  # noqa: E402
from harness import get_json, post_json, request, run_to_end, Stream  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from make_hostile_midis import smf, vlq  # noqa: E402  (the MIDI byte writer of the hostile files)
from studio_load import tone_wav  # noqa: E402  (a recording of eight sine tones)

binary, root, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(scratch, exist_ok=True)
models = os.path.join(scratch, "models")
harness.make_model(models)
# the tools' networks (Groove, Drumify, the clip VAEs) are the shipped ones
for tool_model in ("groove", "drumify", "melody-vae", "drums-vae"):
    if not os.path.exists(os.path.join(models, tool_model)):
        os.symlink(os.path.join(root, "models", tool_model), os.path.join(models, tool_model))


def melody_midi(bars):
    """A one-track piano melody, one quarter note per bar (a format-0 MIDI file)."""
    trk = b"".join(vlq(0 if i == 0 else 3 * 480) + bytes([0x90, 60 + i % 12, 90]) + vlq(480) + bytes([0x80, 60 + i % 12, 0])
                   for i in range(bars))
    return smf([trk], fmt=0)


def chords_midi(onsets, per=16):
    """Chords of `per` notes, one every half beat (running status: about 6 bytes a note), for a piece
    of many events in few bars."""
    trk = b""
    for i in range(onsets):
        for k in range(per):   # note-on, then note-on at velocity 0 (an off), in one running status
            trk += vlq(0) + (b"\x90" if i == 0 and k == 0 else b"") + bytes([40 + k * 3, 80])
        for k in range(per):
            trk += vlq(240 if k == 0 else 0) + bytes([40 + k * 3, 0])
    return smf([trk], fmt=0)


def two_tracks_one_empty_midi():
    """A format-1 file: a melody on channel 1, and a track with only a program change (violin) on channel 2."""
    trk = b"".join(vlq(0 if i == 0 else 480) + bytes([0x90, 60 + i % 12, 90]) + vlq(480) + bytes([0x80, 60 + i % 12, 0])
                   for i in range(16))
    return smf([trk, vlq(0) + bytes([0xC1, 40])])


def wav_bytes(samples, rate=44100, channels=1):
    """16-bit PCM WAV of interleaved integer samples."""
    import struct
    data = struct.pack(f"<{len(samples)}h", *samples)
    return (b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * 2,
                                                                                   channels * 2, 16) + b"data" + struct.pack("<I", len(data)) + data)


def wav_info(data):
    """(rate, channels, frames, the data chunk's bytes) of a 16-bit PCM WAV as the studio writes it."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV"
    at = data.index(b"data")
    n = int.from_bytes(data[at + 4:at + 8], "little")
    rate, channels = int.from_bytes(data[24:28], "little"), int.from_bytes(data[22:24], "little")
    return rate, channels, n // (2 * channels), data[at + 8:at + 8 + n]


def flac_streaminfo(data):
    """The STREAMINFO block that opens every FLAC file: rate, channels, bits, frames, MD5 of the samples."""
    assert data[4] & 0x7F == 0 and int.from_bytes(data[5:8], "big") == 34, "the first block is not STREAMINFO"
    b = data[8:42]
    return {"rate": (b[10] << 12) | (b[11] << 4) | (b[12] >> 4), "channels": ((b[12] >> 1) & 7) + 1,
            "bits": (((b[12] & 1) << 4) | (b[13] >> 4)) + 1,
            "frames": ((b[13] & 0x0F) << 32) | int.from_bytes(b[14:18], "big"), "md5": bytes(b[18:34])}


def ogg_vorbis_info(data):
    """Walks every Ogg page (each must start with "OggS"): the Vorbis identification header's rate and
    channels, and the last page's granule position, which is the stream's length in frames."""
    at, pages, granule, first = 0, 0, 0, None
    while at < len(data):
        assert data[at:at + 4] == b"OggS", f"no Ogg page at byte {at}"
        nseg = data[at + 26]
        size = sum(data[at + 27:at + 27 + nseg])
        payload = data[at + 27 + nseg:at + 27 + nseg + size]
        if first is None:
            first = payload
        g = int.from_bytes(data[at + 6:at + 14], "little")
        if g != (1 << 64) - 1:
            granule = g
        pages += 1
        at += 27 + nseg + size
    assert first[:7] == b"\x01vorbis", "the first page is not a Vorbis identification header"
    return {"channels": first[11], "rate": int.from_bytes(first[12:16], "little"), "frames": granule, "pages": pages}


example = open(os.path.join(root, "examples", "example.mid"), "rb").read()
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def expect_error(status, body, want_status, code=None, contains=None, what=""):
    ok = status == want_status and isinstance(body, dict) and "error" in body
    if ok:
        e = body["error"]
        ok = e.get("status") == want_status and isinstance(e.get("message"), str) and e["message"] != ""
        if code:
            ok = ok and e.get("code") == code
        if contains:
            ok = ok and contains.lower() in e["message"].lower()
    check(ok, f"{what}: expected {want_status} {code or ''} '{contains or ''}', got {status} {body}")


server = harness.Server(binary, "--models", models, "--max-upload-kib", "64", "--max-events", "8000",
                        "--jobs", "1", "--queue", "1", "--max-scores", "64",
                        "--max-recording-kib", "6144", "--max-recording-seconds", "30", "--max-recordings", "3")
port = server.port
t0 = time.time()
try:
    # ---- page and static files
    status, headers, body = request(port, "GET", "/")
    check(status == 200 and b"Continuo" in body and headers["content-type"].startswith("text/html"), "GET / serves the page")
    check("default-src 'self'" in headers.get("content-security-policy", ""), "the page forbids outside resources (CSP)")
    status, headers, body = request(port, "GET", "/static/studio.js")
    check(status == 200 and b"api/generate" in body and "javascript" in headers["content-type"], "GET /static/studio.js")
    status, headers, body = request(port, "GET", "/static/studio.css")
    check(status == 200 and "css" in headers["content-type"], "GET /static/studio.css")
    for path in ["/static/nope.js", "/static/..%2Fsecret", "/nothing", "/api/scores/zzz"]:
        status, _, body = request(port, "GET", path)
        expect_error(status, json.loads(body), 404, what=f"GET {path}")
    for asset in ["index.html", "studio.js", "studio.css"]:
        page = request(port, "GET", "/static/" + asset if asset != "index.html" else "/")[2].decode()
        check("http://" not in page.replace("http://127.0.0.1", "") and "https://" not in page, f"{asset} loads nothing from the internet")

    # ---- health, status, models, examples
    status, j = get_json(port, "/api/health")
    check(status == 200 and j["ok"] is True, "GET /api/health")
    status, j = get_json(port, "/api/status")
    check(status == 200 and j["jobs"]["workers"] == 1 and j["limits"]["max_events"] == 8000 and j["rss_bytes"] > 0, "GET /api/status")
    status, j = get_json(port, "/api/models")
    check(status == 200 and [m["name"] for m in j["models"]] == ["tiny"] and j["default"] == "tiny", f"GET /api/models: {j}")
    status, j = get_json(port, "/api/examples")
    check(status == 200 and any(e["name"] == "example" for e in j["examples"]), "GET /api/examples")

    # ---- uploads
    status, headers, body = request(port, "POST", "/api/scores?name=my%20song.mid", body=example, headers={"Content-Type": "audio/midi"})
    up = json.loads(body)
    check(status == 201 and len(up["id"]) == 16 and up["events"] > 50 and len(up["notes"]) > 20 and up["name"] == "mysong.mid",
          f"POST /api/scores (raw bytes): {status} {str(up)[:200]}")
    check(abs(up["seconds"] - 19.2) < 1.0 and up["tracks"] and up["tempos"][0]["bpm"] > 0, "uploaded score JSON has length, tracks, tempo")
    status, j = post_json(port, "/api/scores", {"example": "example"})
    check(status == 201 and j["notes"] == up["notes"] and j["name"] == "example.mid", "POST /api/scores {example}")
    status, j = post_json(port, "/api/scores", {"midi_base64": base64.b64encode(example).decode(), "name": "b64.mid"})
    check(status == 201 and j["notes"] == up["notes"] and j["name"] == "b64.mid", "POST /api/scores {midi_base64}")
    boundary = "XyZ123"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"form.mid\"\r\n"
            f"Content-Type: audio/midi\r\n\r\n").encode() + example + f"\r\n--{boundary}--\r\n".encode()
    status, _, body = request(port, "POST", "/api/scores", body=form, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    check(status == 201 and json.loads(body)["name"] == "form.mid", f"POST /api/scores (multipart form): {status}")

    bad_uploads = [
        (b"", 400, "invalid_argument", "empty"),
        (b"hello, this is not music", 422, "corrupt_data", "not a MIDI file"),
        (example[:30], 422, "corrupt_data", None),
        (b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\xff\xff\xff\xff", 422, "corrupt_data", None),
        (os.urandom(70 * 1024), 413, "too_large", "64 KiB"),
    ]
    for data, want, code, text in bad_uploads:
        status, _, body = request(port, "POST", "/api/scores?name=bad.mid", body=data, headers={"Content-Type": "audio/midi"})
        expect_error(status, json.loads(body), want, code, text, what=f"upload of {len(data)} bad bytes")
    corrupt_dir = os.path.join(root, "tests", "data", "corrupt")
    n_corrupt = 0
    for name in sorted(os.listdir(corrupt_dir)):
        data = open(os.path.join(corrupt_dir, name), "rb").read()
        status, _, body = request(port, "POST", "/api/scores", body=data, headers={"Content-Type": "audio/midi"})
        j = json.loads(body)
        # lenient reading may accept some damaged files; everything else must be a clear 4xx
        check(status == 201 or (status in (400, 413, 422) and j["error"]["message"]), f"corrupt file {name}: {status} {j}")
        n_corrupt += 1
    check(n_corrupt > 10, "the corrupt corpus is there")
    # 1 MiB body: beyond the payload limit (64 KiB of MIDI as base64 + room)
    status, _, body = request(port, "POST", "/api/scores", body=b"\0" * (1 << 20), headers={"Content-Type": "audio/midi"})
    expect_error(status, json.loads(body), 413, "too_large", what="1 MiB body")
    for obj, want, code, what in [
        ({"example": 5}, 400, "invalid_argument", "example of the wrong type"),
        ({"example": "nope"}, 404, "not_found", "unknown example"),
        ({"example": "../CMakeLists.txt"}, 404, "not_found", "example path traversal"),
        ({}, 400, "invalid_argument", "neither example nor midi"),
        ({"example": "example", "midi_base64": "AAAA"}, 400, "invalid_argument", "both example and midi"),
        ({"midi_base64": "!!!notbase64"}, 400, "invalid_argument", "bad base64"),
        # a MIDI file over the limit sent as base64 JSON: 413 like the same file sent raw
        ({"midi_base64": base64.b64encode(os.urandom(70 * 1024)).decode()}, 413, "too_large", "base64 over the limit"),
        ({"midi_base64": base64.b64encode(b"junk").decode()}, 422, "corrupt_data", "base64 junk"),
        ({"example": "example", "colour": "red"}, 400, "invalid_argument", "unknown field"),
        ([1, 2, 3], 400, "invalid_argument", "an array instead of an object"),
    ]:
        status, j = post_json(port, "/api/scores", obj)
        expect_error(status, j, want, code, what=what)
    status, j = post_json(port, "/api/scores", None, raw=b"{not json")
    expect_error(status, j, 400, "invalid_argument", "not valid JSON", what="broken JSON upload")

    # ---- scores, MIDI and audio
    sid = up["id"]
    status, j = get_json(port, f"/api/scores/{sid}")
    check(status == 200 and j["notes"] == up["notes"], "GET /api/scores/<id>")
    status, j = get_json(port, "/api/scores/0123456789abcdef")
    expect_error(status, j, 404, "not_found", "upload it again", what="unknown score id")
    status, headers, midi = request(port, "GET", f"/api/scores/{sid}/midi")
    check(status == 200 and midi == example and headers["content-type"] == "audio/midi" and "mysong.mid" in headers.get("content-disposition", ""),
          "GET /api/scores/<id>/midi returns the file")
    status, headers, wav = request(port, "GET", f"/api/scores/{sid}/audio")
    check(status == 200 and wav[:4] == b"RIFF" and wav[8:12] == b"WAVE" and headers["content-type"] == "audio/wav", "GET /api/scores/<id>/audio is a WAV")
    frames = (len(wav) - 44) // 4
    check(abs(frames / 44100 - (up["seconds"] + 1.0)) < 0.05, f"audio length {frames / 44100:.2f} s = score + 1 s tail")
    status, _, wav2 = request(port, "GET", f"/api/scores/{sid}/audio")
    check(wav2 == wav, "cached audio is the same")
    status, _, body = request(port, "GET", "/api/scores/0123456789abcdef/audio")
    expect_error(status, json.loads(body), 404, "not_found", what="audio of an unknown score")
    status, headers, wav3 = request(port, "GET", f"/api/scores/{sid}/audio?format=wav")
    check(status == 200 and wav3 == wav and headers["content-type"] == "audio/wav", "?format=wav is the default WAV")

    # ---- compressed audio: ?format=flac (lossless) and ?format=ogg (Vorbis), read back without a decoder
    status, headers, flac = request(port, "GET", f"/api/scores/{sid}/audio?format=flac")
    check(status == 200 and headers["content-type"] == "audio/flac" and flac[:4] == b"fLaC" and
          headers.get("content-disposition", "").endswith('.flac"'), f"?format=flac: {status} {headers.get('content-type')} {flac[:4]}")
    if flac[:4] == b"fLaC":
        info = flac_streaminfo(flac)
        check(info["rate"] == 44100 and info["channels"] == 2 and info["bits"] == 16, f"FLAC stream info: {info}")
        check(info["frames"] == frames, f"FLAC holds every frame of the WAV: {info['frames']} vs {frames}")
        # FLAC's header carries the MD5 of the samples it encodes: lossless means the WAV's PCM
        check(info["md5"] == hashlib.md5(wav[44:]).digest(), "FLAC's MD5 of its samples is the WAV's PCM (lossless)")
        check(len(flac) < len(wav) * 0.8, f"FLAC is smaller than the WAV: {len(flac)} vs {len(wav)}")
    status, headers, ogg = request(port, "GET", f"/api/scores/{sid}/audio?format=ogg")
    check(status == 200 and headers["content-type"] == "audio/ogg" and ogg[:4] == b"OggS" and
          headers.get("content-disposition", "").endswith('.ogg"'), f"?format=ogg: {status} {headers.get('content-type')} {ogg[:4]}")
    if ogg[:4] == b"OggS":
        info = ogg_vorbis_info(ogg)
        check(info["rate"] == 44100 and info["channels"] == 2 and info["pages"] > 2, f"Ogg Vorbis stream: {info}")
        check(abs(info["frames"] - frames) <= 2048, f"Ogg Vorbis length: {info['frames']} frames vs the WAV's {frames}")
        check(len(ogg) < len(wav) / 4, f"Ogg Vorbis is compressed: {len(ogg)} vs {len(wav)}")
    try:
        import io
        import soundfile  # not a Debian default: decode only where it is installed
        for name, data in (("flac", flac), ("ogg", ogg)):
            pcm, rate = soundfile.read(io.BytesIO(data), dtype="int16")
            check(rate == 44100 and abs(len(pcm) - frames) <= 2048, f"{name} decodes to {len(pcm)} frames (WAV {frames})")
    except ImportError:
        print("note: python3 soundfile is missing; FLAC and Ogg were checked from their headers only", flush=True)
    status, _, flac2 = request(port, "GET", f"/api/scores/{sid}/audio?format=flac")
    check(status == 200 and flac2 == flac, "cached FLAC is the same")
    for query in ["mp3", "FLAC", "", "flac%00", "wav&format=flac", "ogg%20"]:
        status, headers, body = request(port, "GET", f"/api/scores/{sid}/audio?format={query}")
        expect_error(status, json.loads(body), 400, "invalid_argument", "'format'", what=f"audio ?format={query}")
    status, _, body = request(port, "GET", "/api/scores/0123456789abcdef/audio?format=flac")
    expect_error(status, json.loads(body), 404, "not_found", what="FLAC of an unknown score")

    # ---- generation
    req = {"score": sid, "events": 40, "variations": 2, "seed": 11, "temperature": 0.9, "top_p": 0.95, "top_k": 50,
           "key_strength": 2, "key_anchor": 0.5, "copy_anchor": 0.6, "loop_guard": 0.5}
    out = run_to_end(port, req)
    check([k for k in ["job", "start", "notes", "result", "done"] if k not in out] == [], f"generate stream events: {list(out)}")
    job = out["job"][0]
    check(job["seed"] == 11 and job["variations"] == 2 and len(job["prompt_notes"]) == len(up["notes"]), "job event")
    results = sorted(out["result"], key=lambda r: r["variation"])
    check(len(results) == 2 and all(r["events"] == 40 and not r["stopped"] for r in results), "two results of 40 events")
    streamed = {v: [tuple(x) for n in out["notes"] if n["variation"] == v for x in n["notes"]] for v in (0, 1)}
    prompt_set = {tuple(x) for x in up["notes"]}
    for r in results:
        # the result is the prompt plus exactly the streamed notes (exact duplicates merged)
        result_set = {tuple(x) for x in r["score"]["notes"]}
        got = set(streamed[r["variation"]])
        check(len(got) > 5 and got <= result_set and result_set == got | prompt_set,
              f"variation {r['variation']}: streamed notes ({len(got)}) are the result's new notes ({len(result_set - prompt_set)})")
        status, _, m = request(port, "GET", f"/api/scores/{r['score']['id']}/midi")
        path = os.path.join(scratch, f"v{r['variation']}.mid")
        open(path, "wb").write(m)
        info = subprocess.run([binary, "info", "--json", path], capture_output=True, text=True)
        check(status == 200 and info.returncode == 0 and json.loads(info.stdout)["notes"] == r["score"]["notes_total"],
              f"result MIDI of variation {r['variation']} parses with the right note count")
    again = run_to_end(port, req)
    check([r["score"]["notes"] for r in sorted(again["result"], key=lambda r: r["variation"])] == [r["score"]["notes"] for r in results],
          "same seed, same music")
    check(out["done"][0]["events"] == 80, "done counts all events")

    # prompt: the first n events
    out = run_to_end(port, {"score": sid, "events": 10, "prompt_events": 20, "seed": 1})
    check(0 < len(out["job"][0]["prompt_notes"]) < len(up["notes"]) and out["job"][0]["prompt_end"] < up["beats"], "prompt_events cuts the prompt")

    # a new piece from a custom start
    out = run_to_end(port, {"events": 60, "seed": 5, "start": {"instruments": ["piano", "violin"], "drums": "jazz", "bpm": 90,
                                                              "time_signature": "3/4", "key": "D minor"}, "allow_controls": False})
    check("result" in out, f"new piece: {list(out)}")
    if "result" in out:
        s = out["result"][0]["score"]
        check(abs(s["tempos"][0]["bpm"] - 90) < 3 and s["time_signatures"][0]["numerator"] == 3 and s["keys"][0] == "D minor",
              f"new piece keeps BPM, metre and key: {s['tempos'][:1]} {s['time_signatures'][:1]} {s['keys'][:1]}")
    out = run_to_end(port, {"events": 30, "seed": "random"})
    check("result" in out and out["job"][0]["seed"] >= 0, "random seed, no conditioning")

    bad_generate = [
        ({"events": "x"}, 400, "'events' must be an integer"),
        ({"events": 1e40}, 400, "between 1 and 8000"),
        ({"events": 0}, 400, "between 1 and 8000"),
        ({"events": 8001}, 400, "between 1 and 8000"),
        ({"events": 2.5}, 400, "whole number"),
        ({"variations": 5}, 400, "between 1 and 4"),
        ({"temperature": -1}, 400, "temperature"),
        ({"temperature": "hot"}, 400, "temperature"),
        ({"top_p": 0}, 400, "top_p"),
        ({"top_k": 10**30}, 400, "top_k"),
        ({"key_strength": -0.5}, 400, "key_strength"),
        ({"key_strength": "strong"}, 400, "key_strength"),
        ({"key_anchor": 1.5}, 400, "key_anchor"),
        ({"key_anchor": -0.1}, 400, "key_anchor"),
        ({"copy_anchor": 1.01}, 400, "copy_anchor"),
        ({"copy_anchor": "full"}, 400, "copy_anchor"),
        ({"loop_guard": 2}, 400, "loop_guard"),
        ({"seed": -1}, 400, "seed"),
        ({"seed": "abc"}, 400, "seed"),
        ({"seed": 2**70}, 400, "seed"),
        ({"allow_controls": "yes"}, 400, "allow_controls"),
        ({"model": "nope"}, 404, "no model 'nope'"),
        ({"model": "../tiny"}, 404, "no model"),
        ({"model": 7}, 400, "model"),
        ({"score": "0123456789abcdef"}, 404, "not found"),
        ({"score": sid, "start": {"instruments": "piano"}}, 400, "new piece"),
        ({"start": {"time_signature": "7/5"}}, 400, "time signature"),
        ({"start": {"key": "H major"}}, 400, "key"),
        ({"start": {"instruments": "kazoo-9000"}}, 400, "kazoo"),
        ({"start": {"bpm": 5000}}, 400, "bpm"),
        ({"start": {"tempo": 100}}, 400, "unknown field 'tempo'"),
        ({"start": "piano"}, 400, "must be a JSON object"),
        ({"prompt_events": -3}, 400, "prompt_events"),
        ({"score": sid, "prompt_events": up["events"] + 1}, 400, f"has {up['events']} events"),
        ({"colour": "blue"}, 400, "unknown field 'colour'"),
    ]
    for obj, want, text in bad_generate:
        status, j = post_json(port, "/api/generate", obj)
        expect_error(status, j, want, contains=text, what=f"POST /api/generate {obj}")
    for raw in [b"", b"[]", b"nul", b"{\"events\": }", b"\xff\xfe"]:
        status, j = post_json(port, "/api/generate", None, raw=raw)
        expect_error(status, j, 400, "invalid_argument", what=f"POST /api/generate body {raw!r}")

    # ---- tools (docs/API.md, "Tools"): Groove, Drumify, Interpolate and clips on stored scores
    def drum_notes(score):
        drums = {i for i, t in enumerate(score["tracks"]) if t["is_drum"]}
        return [n for n in score["notes"] if n[0] in drums]
    status, j = post_json(port, "/api/tools/groove", {"score": sid, "strength": 1.5})
    check(status == 201 and j["tool"] == "groove" and len(j["scores"]) == 1, f"POST /api/tools/groove: {status} {j}")
    before, after = drum_notes(up), drum_notes(j["scores"][0])
    check(sorted(n[1] for n in before) == sorted(n[1] for n in after) and len(before) > 20,
          "groove keeps every drum hit's instrument")
    check(sum(1 for a, b in zip(sorted(before, key=lambda n: (n[2], n[1])), sorted(after, key=lambda n: (n[2], n[1])))
              if a[2] != b[2] or a[4] != b[4]) > len(before) // 2, "groove moves and reshapes the hits")
    status, g = get_json(port, f"/api/scores/{j['scores'][0]['id']}")
    check(status == 200 and g["name"] == up["name"].rsplit(".", 1)[0] + "-groove.mid", f"the grooved piece is a stored score: {g.get('name')}")
    drumify = {"score": sid, "style": "funk", "variations": 2, "seed": 3, "drums_only": True}
    status, j = post_json(port, "/api/tools/drumify", drumify)
    check(status == 201 and len(j["scores"]) == 2 and j["seed"] == 3, f"POST /api/tools/drumify: {status}")
    for sc in j["scores"]:
        check(sc["notes"] and all(sc["tracks"][n[0]]["is_drum"] for n in sc["notes"]), "drumify --drums-only: drums only")
    status, j2 = post_json(port, "/api/tools/drumify", drumify)
    check([sc["notes"] for sc in j["scores"]] == [sc["notes"] for sc in j2["scores"]], "drumify: same seed, same drums")
    status, j = post_json(port, "/api/tools/drumify", {"score": sid, "tracks": [0]})
    check(status == 201 and len(j["scores"]) == 1 and drum_notes(j["scores"][0]), "drumify following track 0, input kept")
    status, j = post_json(port, "/api/tools/clips", {"kind": "melody", "variations": 2, "bars": 4, "seed": 1})
    check(status == 201 and len(j["scores"]) == 2 and all(sc["notes"] and not drum_notes(sc) for sc in j["scores"]),
          f"POST /api/tools/clips melody: {status}")
    status, j = post_json(port, "/api/tools/clips", {"kind": "drums", "seed": 1})
    check(status == 201 and len(j["scores"]) == 1 and j["scores"][0]["notes"] and
          len(drum_notes(j["scores"][0])) == len(j["scores"][0]["notes"]), f"POST /api/tools/clips drums: {status}")
    status, _, up_mel = request(port, "POST", "/api/scores?name=line.mid", body=melody_midi(8), headers={"Content-Type": "audio/midi"})
    mel = json.loads(up_mel)["id"]
    status, j = post_json(port, "/api/tools/interpolate", {"a": mel, "b": sid, "steps": 3, "seed": 2})
    check(status == 201 and len(j["scores"]) == 3 and all(sc["notes"] for sc in j["scores"]), f"POST /api/tools/interpolate: {status} {j if status != 201 else ''}")
    status, _, up_long = request(port, "POST", "/api/scores?name=long.mid", body=melody_midi(20), headers={"Content-Type": "audio/midi"})
    long_id = json.loads(up_long)["id"]
    bad_tools = [
        ("groove", {}, 400, "'score'"),
        ("groove", {"score": "0123456789abcdef"}, 404, "not found"),
        ("groove", {"score": sid, "strength": 3}, 400, "strength"),
        ("groove", {"score": sid, "strenght": 1}, 400, "unknown field 'strenght'"),
        ("groove", {"score": mel}, 400, "drum"),
        ("drumify", {"score": sid, "style": "polka9"}, 400, "unknown style"),
        ("drumify", {"score": sid, "tracks": [99]}, 400, "tracks"),
        ("drumify", {"score": sid, "tracks": "0"}, 400, "tracks"),
        ("drumify", {"score": sid, "variations": 9}, 400, "variations"),
        ("drumify", {"score": sid, "temperature": -1}, 400, "temperature"),
        ("interpolate", {"a": sid}, 400, "'b'"),
        ("interpolate", {"a": sid, "b": sid, "steps": 1}, 400, "steps"),
        ("interpolate", {"a": sid, "b": sid, "steps": 17}, 400, "steps"),
        ("interpolate", {"a": long_id, "b": sid}, 413, "at most 16"),
        ("clips", {"kind": "piano"}, 400, "kind"),
        ("clips", {"kind": "melody", "bars": 17}, 400, "bars"),
        ("clips", {"kind": "drums", "bpm": 5}, 400, "bpm"),
        ("clips", [1], 400, "object"),
        ("fold", {}, 404, "no tool 'fold'"),
    ]
    for tool, obj, want, text in bad_tools:
        status, j = post_json(port, f"/api/tools/{tool}", obj)
        expect_error(status, j, want, contains=text, what=f"POST /api/tools/{tool} {obj}")
    status, j = post_json(port, "/api/tools/groove", None, raw=b"{\"score\": ")
    expect_error(status, j, 400, "invalid_argument", what="POST /api/tools/groove with broken JSON")

    # ---- infill and accompany (docs/API.md, "Infill and Accompany"): the continuation model on a stored score
    def note_tuples(score, tracks=None):
        return sorted(tuple(n) for n in score["notes"] if tracks is None or n[0] in tracks)

    def outside(score, tracks, lo, hi, margin=0.1):
        """The notes of `tracks` that start clearly outside [lo, hi) beats (notes within `margin` of an
        edge may fall on either side of it on the model's time grid)."""
        return sorted(tuple(n) for n in score["notes"] if n[0] in tracks and (n[2] < lo - margin or n[2] >= hi + margin))

    bpb = 4   # the example is in 4/4: bars 3-4 are beats 8..16
    lo, hi = 8.0, 16.0
    infill_req = {"score": sid, "first_bar": 3, "last_bar": 4, "tracks": [0, 1], "variations": 2, "candidates": 2,
                  "seed": 4, "temperature": 0.9, "top_p": 0.95, "top_k": 40, "key_strength": 1, "lookahead_bars": 1,
                  "vary": 0.5, "vary_strength": 0.4}
    status, j = post_json(port, "/api/tools/infill", infill_req)
    check(status == 201 and j.get("tool") == "infill" and len(j.get("scores", [])) == 2 and j.get("seed") == 4 and j.get("model") == "tiny",
          f"POST /api/tools/infill: {status} {str(j)[:300]}")
    infilled = j.get("scores", [])
    changed = 0
    for k, r in enumerate(infilled):
        check(len(r["tracks"]) == len(up["tracks"]) and [t["program"] for t in r["tracks"]] == [t["program"] for t in up["tracks"]],
              f"infill result {k} has the piece's tracks")
        # the tracks not chosen: every note exactly as it was
        check(note_tuples(r, {2, 3}) == note_tuples(up, {2, 3}), f"infill result {k}: tracks 2 and 3 unchanged")
        # the chosen tracks: every note outside bars 3-4 exactly as it was
        check(outside(r, {0, 1}, lo, hi) == outside(up, {0, 1}, lo, hi) and len(outside(up, {0, 1}, lo, hi)) > 40,
              f"infill result {k}: tracks 0 and 1 unchanged outside bars 3-4")
        inside = lambda sc: sorted(tuple(n) for n in sc["notes"] if n[0] in (0, 1) and lo + 0.1 <= n[2] < hi - 0.1)
        changed += inside(r) != inside(up)
        status, g = get_json(port, f"/api/scores/{r['id']}")
        check(status == 200 and g["notes"] == r["notes"] and g["name"].startswith("mysong-infill-3-4"),
              f"the infilled piece is a stored score: {g.get('name')}")
        status, _, m = request(port, "GET", f"/api/scores/{r['id']}/midi")
        path = os.path.join(scratch, f"infill{k}.mid")
        open(path, "wb").write(m)
        info = subprocess.run([binary, "info", "--json", path], capture_output=True, text=True)
        check(status == 200 and info.returncode == 0 and json.loads(info.stdout)["notes"] == r["notes_total"],
              f"infill result {k}: its MIDI reads back with {r['notes_total']} notes")
    check(changed >= 1, "infill wrote bars 3-4 anew")
    status, j2 = post_json(port, "/api/tools/infill", infill_req)
    check(status == 201 and [sc["notes"] for sc in j2["scores"]] == [sc["notes"] for sc in infilled], "infill: same seed, same music")
    # no tracks: all of them; one bar; defaults
    status, j = post_json(port, "/api/tools/infill", {"score": sid, "first_bar": 8, "candidates": 1, "seed": "random"})
    check(status == 201 and len(j["scores"]) == 1 and j["seed"] >= 0, f"infill of the last bar, all tracks: {status} {str(j)[:200]}")
    if status == 201:
        check(outside(j["scores"][0], {0, 1, 2, 3}, 28.0, 32.0) == outside(up, {0, 1, 2, 3}, 28.0, 32.0),
              "infill of bar 8: bars 1-7 unchanged")

    status, j = post_json(port, "/api/tools/accompany", {"score": sid, "keep": [1], "instruments": "piano, acoustic bass",
                                                         "drums": "jazz", "candidates": 2, "variations": 2, "seed": 3,
                                                         "chunk_bars": 2, "melody_on_top": 10, "follow_rhythm": 6, "temperature": 1.0, "key_strength": 0.5})
    check(status == 201 and j.get("tool") == "accompany" and len(j.get("scores", [])) == 2 and j.get("seed") == 3,
          f"POST /api/tools/accompany: {status} {str(j)[:300]}")
    flute = sorted((0,) + tuple(n[1:]) for n in up["notes"] if n[0] == 1)
    accompanied = j.get("scores", [])
    for k, r in enumerate(accompanied):
        check([t["instrument"] for t in r["tracks"]] == ["Flute", "Acoustic Grand Piano", "Acoustic Bass", "Drum kit"] and
              r["tracks"][3]["is_drum"], f"accompany result {k}: the kept flute, then piano, bass and drums: {[t['instrument'] for t in r['tracks']]}")
        check(note_tuples(r, {0}) == flute, f"accompany result {k}: the kept track note for note")
        check(len(r["notes"]) > len(flute), f"accompany result {k}: new parts have notes ({len(r['notes']) - len(flute)})")
        status, _, m = request(port, "GET", f"/api/scores/{r['id']}/midi")
        check(status == 200 and m[:4] == b"MThd", f"accompany result {k}: MIDI download")
    status, j2 = post_json(port, "/api/tools/accompany", {"score": sid, "keep": [1], "instruments": "piano, acoustic bass",
                                                          "drums": "jazz", "candidates": 2, "variations": 2, "seed": 3})
    check(status == 201 and [sc["notes"] for sc in j2["scores"]] == [sc["notes"] for sc in accompanied], "accompany: same seed, same music")
    check(j.get("drummer") == "drumify" and j2.get("drummer") == "drumify", f"accompany: Drumify writes the drums by default: {j.get('drummer')}")
    status, j3 = post_json(port, "/api/tools/accompany", {"score": sid, "keep": [1], "instruments": "piano, acoustic bass",
                                                          "drums": "jazz", "candidates": 2, "variations": 2, "seed": 3, "drummer": "model"})
    pitched = lambda sc: [n for n in sc["notes"] if n[0] != 3]
    drummed = lambda sc: [n for n in sc["notes"] if n[0] == 3]
    check(status == 201 and j3.get("drummer") == "model" and
          [pitched(sc) for sc in j3["scores"]] == [pitched(sc) for sc in accompanied] and
          [drummed(sc) for sc in j3["scores"]] != [drummed(sc) for sc in accompanied],
          f"accompany with \"drummer\": \"model\": the same pitched parts, the model's own drums: {status} {str(j3)[:200]}")
    status, j = post_json(port, "/api/tools/accompany", {"score": sid, "keep": [0, 3], "instruments": ["violin", 33], "drums": None, "seed": 1})
    check(status == 201 and [t["instrument"] for t in j["scores"][0]["tracks"]][2:] == ["Violin", "Electric Bass (finger)"] and
          note_tuples(j["scores"][0], {0, 1}) == sorted(((0 if n[0] == 0 else 1),) + tuple(n[1:]) for n in up["notes"] if n[0] in (0, 3)),
          f"accompany keeping two tracks, instruments as a list: {status} {str(j)[:200]}")
    status, j = post_json(port, "/api/tools/accompany", {"score": mel, "seed": 2, "candidates": 1})
    check(status == 201 and len(j["scores"][0]["tracks"]) == 4 and j["scores"][0]["tracks"][3]["is_drum"],
          f"accompany with the default band (piano, bass, drums): {status} {str(j)[:200]}")

    status, _, body = request(port, "POST", "/api/scores?name=empty-track.mid", body=two_tracks_one_empty_midi(),
                              headers={"Content-Type": "audio/midi"})
    two = json.loads(body)
    check(status == 201 and len(two["tracks"]) == 2 and two["tracks"][1]["notes"] == 0, f"a piece with an empty track: {str(two)[:200]}")
    status, _, body = request(port, "POST", "/api/scores?name=silence.mid", body=smf([vlq(0) + bytes([0xC0, 0])], fmt=0),
                              headers={"Content-Type": "audio/midi"})
    silent = json.loads(body)["id"]
    status, _, body = request(port, "POST", "/api/scores?name=long300.mid", body=melody_midi(300), headers={"Content-Type": "audio/midi"})
    long300 = json.loads(body)
    check(status == 201 and long300["bars"] == 300, f"a 300-bar piece uploads: {status} {long300.get('bars')}")
    status, _, body = request(port, "POST", "/api/scores?name=long100.mid", body=melody_midi(100), headers={"Content-Type": "audio/midi"})
    long100 = json.loads(body)["id"]
    status, _, body = request(port, "POST", "/api/scores?name=chords.mid", body=chords_midi(520), headers={"Content-Type": "audio/midi"})
    chords = json.loads(body)
    check(status == 201 and chords["events"] > 8000 and chords["bars"] <= 256, f"a piece of many events: {status} {chords.get('events')} {chords.get('bars')}")
    bad_rewrites = [
        ("infill", {"first_bar": 1}, 400, "'score'"),
        ("infill", {"score": "0123456789abcdef", "first_bar": 1}, 404, "not found"),
        ("infill", {"score": sid}, 400, "'first_bar'"),
        ("infill", {"score": sid, "first_bar": "3"}, 400, "'first_bar' must be an integer"),
        ("infill", {"score": sid, "first_bar": 0}, 400, "'first_bar'"),
        ("infill", {"score": sid, "first_bar": 2.5}, 400, "whole number"),
        ("infill", {"score": sid, "first_bar": 9}, 400, "which has bars 1-8"),
        ("infill", {"score": sid, "first_bar": 3, "last_bar": 99}, 400, "which has bars 1-8"),
        ("infill", {"score": sid, "first_bar": 3, "last_bar": 2}, 400, "not a passage"),
        ("infill", {"score": sid, "first_bar": 3, "tracks": [7]}, 400, "'tracks' must hold track numbers of the score, 0 to 3"),
        ("infill", {"score": sid, "first_bar": 3, "tracks": [-1]}, 400, "'tracks'"),
        ("infill", {"score": sid, "first_bar": 3, "tracks": [0.5]}, 400, "'tracks'"),
        ("infill", {"score": sid, "first_bar": 3, "tracks": "0"}, 400, "'tracks' must be an array"),
        ("infill", {"score": two["id"], "first_bar": 1, "tracks": [1]}, 400, "track 1 of the score has no notes"),
        ("infill", {"score": silent, "first_bar": 1}, 400, "no notes"),
        ("infill", {"score": sid, "first_bar": 3, "candidates": 0}, 400, "'candidates'"),
        ("infill", {"score": sid, "first_bar": 3, "vary": 1.5}, 400, "'vary'"),
        ("infill", {"score": sid, "first_bar": 3, "vary": "some"}, 400, "'vary'"),
        ("infill", {"score": sid, "first_bar": 3, "vary_strength": -0.1}, 400, "'vary_strength'"),
        ("infill", {"score": sid, "first_bar": 3, "max_repeat": 2}, 400, "'max_repeat'"),
        ("infill", {"score": sid, "first_bar": 3, "range_weight": -1}, 400, "'range_weight'"),
        ("infill", {"score": sid, "first_bar": 3, "candidates": 17}, 400, "'candidates' must be between 1 and 16"),
        ("infill", {"score": sid, "first_bar": 3, "variations": 5}, 400, "'variations' must be between 1 and 4"),
        ("infill", {"score": sid, "first_bar": 3, "temperature": -1}, 400, "'temperature'"),
        ("infill", {"score": sid, "first_bar": 3, "temperature": "hot"}, 400, "'temperature'"),
        ("infill", {"score": sid, "first_bar": 3, "top_p": 0}, 400, "'top_p'"),
        ("infill", {"score": sid, "first_bar": 3, "top_k": 1001}, 400, "'top_k'"),
        ("infill", {"score": sid, "first_bar": 3, "key_strength": 11}, 400, "'key_strength'"),
        ("infill", {"score": sid, "first_bar": 3, "lookahead_bars": 17}, 400, "'lookahead_bars'"),
        ("infill", {"score": sid, "first_bar": 3, "seed": -1}, 400, "'seed'"),
        ("infill", {"score": sid, "first_bar": 3, "model": "nope"}, 404, "no model 'nope'"),
        ("infill", {"score": sid, "first_bar": 3, "model": "groove"}, 404, "no model 'groove'"),
        ("infill", {"score": sid, "first_bar": 3, "model": 5}, 400, "'model'"),
        ("infill", {"score": sid, "first_bar": 3, "bars": "3-4"}, 400, "unknown field 'bars'"),
        ("infill", {"score": sid, "first_bar": 3, "keep": [0]}, 400, "unknown field 'keep'"),
        ("infill", [3, 4], 400, "object"),
        ("infill", {"score": long300["id"], "first_bar": 1}, 413, "at most 256 bars"),
        ("infill", {"score": chords["id"], "first_bar": 1}, 413, "8000 events"),
        ("infill", {"score": long100, "first_bar": 1, "last_bar": 100, "variations": 4, "candidates": 16}, 413, "6400"),
        ("accompany", {}, 400, "'score'"),
        ("accompany", {"score": "0123456789abcdef"}, 404, "not found"),
        ("accompany", {"score": sid, "keep": [9]}, 400, "'keep' must hold track numbers of the score, 0 to 3"),
        ("accompany", {"score": sid, "keep": "1"}, 400, "'keep' must be an array"),
        ("accompany", {"score": sid, "keep": [True]}, 400, "'keep'"),
        ("accompany", {"score": two["id"], "keep": [1]}, 400, "track 1 of the score has no notes to keep"),
        ("accompany", {"score": silent}, 400, "no notes"),
        ("accompany", {"score": sid, "instruments": 5}, 400, "'instruments'"),
        ("accompany", {"score": sid, "drummer": "bongo"}, 400, "'drummer'"),
        ("accompany", {"score": sid, "instruments": [True]}, 400, "'instruments'"),
        ("accompany", {"score": sid, "instruments": "kazoo-9000"}, 400, "kazoo-9000"),
        ("accompany", {"score": sid, "instruments": ["piano"] * 17}, 400, "at most 16"),
        ("accompany", {"score": sid, "instruments": ["piano"] * 13}, 400, "at most 16 tracks in all"),
        ("accompany", {"score": sid, "drums": 5}, 400, "'drums'"),
        ("accompany", {"score": sid, "drums": "cowbell"}, 400, "cowbell"),
        ("accompany", {"score": sid, "candidates": 0}, 400, "'candidates'"),
        ("accompany", {"score": sid, "chunk_bars": 0}, 400, "'chunk_bars'"),
        ("accompany", {"score": sid, "melody_on_top": -1}, 400, "'melody_on_top'"),
        ("accompany", {"score": sid, "melody_on_top": "high"}, 400, "'melody_on_top'"),
        ("accompany", {"score": sid, "follow_rhythm": 101}, 400, "'follow_rhythm'"),
        ("accompany", {"score": sid, "variations": 5}, 400, "'variations'"),
        ("accompany", {"score": sid, "temperature": 6}, 400, "'temperature'"),
        ("accompany", {"score": sid, "seed": "abc"}, 400, "'seed'"),
        ("accompany", {"score": sid, "model": "nope"}, 404, "no model 'nope'"),
        ("accompany", {"score": sid, "tracks_to_keep": [1]}, 400, "unknown field 'tracks_to_keep'"),
        ("accompany", {"score": long300["id"]}, 413, "at most 256 bars"),
        ("accompany", {"score": chords["id"]}, 413, "8000 events"),
        ("accompany", {"score": long100, "variations": 4, "candidates": 16}, 413, "6400"),
    ]
    for tool, obj, want, text in bad_rewrites:
        status, j = post_json(port, f"/api/tools/{tool}", obj)
        expect_error(status, j, want, contains=text, what=f"POST /api/tools/{tool} {str(obj)[:120]}")
    for raw in [b"", b"{\"score\": ", b"null"]:
        status, j = post_json(port, "/api/tools/infill", None, raw=raw)
        expect_error(status, j, 400, "invalid_argument", what=f"POST /api/tools/infill body {raw!r}")
    # within the limits: a long piece is fine with fewer candidates (100 bars x 1 x 1; one
    # candidate and long chunks, so that the unoptimised sanitizer builds answer in time too)
    # (CONTINUO_API_SKIP_LONG=1, set by scripts/sanitize.sh under TSan: one thread's work, the
    # longest part of the test there; the release and ASan runs do it)
    if os.environ.get("CONTINUO_API_SKIP_LONG") != "1":
        status, j = post_json(port, "/api/tools/accompany", {"score": long100, "candidates": 1, "chunk_bars": 16,
                                                             "instruments": "piano", "seed": 1})
        check(status == 201 and j["scores"][0]["bars"] >= 100, f"accompany of 100 bars: {status} {str(j)[:200]}")

    # ---- progress and Stop of a running infill / accompany (GET /api/tools/progress, POST /api/tools/stop)
    status, j = get_json(port, "/api/tools/progress")
    check(status == 200 and j == {"running": False}, f"progress with nothing running: {status} {j}")
    status, j = post_json(port, "/api/tools/stop", {})
    check(status == 200 and j == {"stopped": False}, f"stop with nothing running: {status} {j}")
    status, j = post_json(port, "/api/tools/stop", {"now": True})
    check(status == 400 and "now" in j["error"]["message"], f"stop with an unknown field: {status} {j}")
    long_run = {}
    def accompany_long():
        long_run["status"], long_run["body"] = post_json(port, "/api/tools/accompany", {
            "score": long100, "candidates": 16, "variations": 2, "instruments": "piano", "seed": 5})
    worker = threading.Thread(target=accompany_long)
    worker.start()
    seen = None
    deadline = time.time() + 120
    while time.time() < deadline and worker.is_alive():
        status, p = get_json(port, "/api/tools/progress")
        if status == 200 and p.get("running") and p.get("done", 0) > 0 and p.get("events", 0) > 0:
            seen = p
            break
        time.sleep(0.02)
    check(seen is not None and seen["tool"] == "accompany" and 0 < seen["done"] < 1 and seen["seconds"] >= 0,
          f"a running accompany shows its progress: {seen}")
    status, j = post_json(port, "/api/tools/stop", None)
    check(status == 200 and j == {"stopped": True, "tool": "accompany"}, f"POST /api/tools/stop while it runs: {status} {j}")
    t0 = time.time()
    worker.join(600)
    check(long_run.get("status") == 409 and long_run["body"]["error"]["code"] == "cancelled",
          f"the stopped accompany answers 409 cancelled: {long_run.get('status')} {str(long_run.get('body'))[:200]}")
    check(time.time() - t0 < 60, f"it stopped promptly ({time.time() - t0:.1f} s)")
    status, j = get_json(port, "/api/tools/progress")
    check(status == 200 and j == {"running": False}, f"progress after the stop: {j}")
    status, j = post_json(port, "/api/tools/infill", {"score": sid, "first_bar": 2, "candidates": 1, "seed": 1})
    check(status == 201, f"the next infill runs normally after a stop: {status}")

    # ---- recordings (docs/API.md, "Recordings"): upload, the transcription as a score, the recording
    # played back, continued, and every bad upload and request
    if os.environ.get("CONTINUO_API_SANITIZED") == "1":
        # under the sanitizers (scripts/sanitize.sh) basic-pitch at -O0 is slow (the full section
        # took 102 s of CI's ASan run), so one short recording is heard and continued, through the
        # locks and the instrumented decoder; the release run checks all of the rest
        status, _, body = request(port, "POST", "/api/recordings?name=tones.wav", body=tone_wav(),
                                  headers={"Content-Type": "audio/wav"}, timeout=600)
        check(status == 201, f"POST /api/recordings (sanitized, sine tones): {status} {body[:200]!r}")
        if status == 201:
            status, j = post_json(port, "/api/tools/recording", {"recording": json.loads(body)["recording"]["id"], "seconds": 2, "seed": 1})
            check(status == 201 and len(j["scores"]) == 1, f"POST /api/tools/recording (sanitized): {status} {str(j)[:200]}")
        status, _, body = request(port, "POST", "/api/recordings?name=x.txt", body=b"not sound\n" * 9, headers={"Content-Type": "text/plain"})
        check(status == 415, f"a recording that is not sound (sanitized): {status}")
    else:
        # (basic-pitch is slow at -O0 under the sanitizers, about 2 s of CPU per second of sound: a short
        # tune, and there the FLAC and Ogg uploads are left out; CONTINUO_API_SANITIZED is set by
        # scripts/sanitize.sh)
        sanitized = os.environ.get("CONTINUO_API_SANITIZED") == "1"
        tune_mid = os.path.join(scratch, "tune.mid")
        with open(tune_mid, "wb") as f:
            f.write(melody_midi(6))
        tune_wav = os.path.join(scratch, "tune.wav")
        subprocess.run([binary, "render", tune_mid, "-o", tune_wav], check=True, stdout=subprocess.DEVNULL)
        with open(tune_wav, "rb") as f:
            tune = f.read()
        t_rate, t_channels, t_frames, _ = wav_info(tune)
        status, _, body = request(port, "POST", "/api/recordings?name=my%20take.wav", body=tune, headers={"Content-Type": "audio/wav"})
        rj = json.loads(body)
        check(status == 201 and set(rj) == {"recording", "score"}, f"POST /api/recordings: {status} {str(rj)[:300]}")
        rec, heard = rj["recording"], rj["score"]
        check(rec["name"] == "mytake.wav" and rec["format"] == "wav" and rec["sample_rate"] == 44100 and
              abs(rec["seconds"] - t_frames / t_rate) < 0.01 and rec["notes"] >= 6 and rec["score"] == heard["id"] and
              0 < rec["seam"] <= rec["seconds"] and 40 < rec["bpm"] < 200, f"the recording's description: {rec}")
        # the tune: one quarter note per bar (C, C#, D, ...) at 120 BPM; the notes heard are those pitches
        want = sorted({60 + i % 12 for i in range(6)})
        got = sorted({n[1] for n in heard["notes"]})
        check(heard["recording"] == {"id": rec["id"], "seam": None} and heard["name"] == "mytake.mid" and
              set(want) <= set(got) and len(got) <= len(want) + 4, f"the transcription is a score, its notes the tune's pitches: {got}")
        status, j = get_json(port, f"/api/recordings/{rec['id']}")
        check(status == 200 and j == rec, "GET /api/recordings/<id>")
        status, j = get_json(port, "/api/recordings/0123456789abcdef")
        expect_error(status, j, 404, "not_found", "upload it again", what="unknown recording")
        status, headers, back = request(port, "GET", f"/api/scores/{heard['id']}/audio")
        b_rate, b_channels, b_frames, b_data = wav_info(back)
        check(status == 200 and (b_rate, b_channels) == (44100, 1) and b_frames == t_frames,
              f"a transcription's audio is the recording itself ({b_rate} Hz, {b_channels} ch, {b_frames} of {t_frames} frames)")
        status, headers, notes_wav = request(port, "GET", f"/api/scores/{heard['id']}/audio?of=notes")
        n_rate, n_channels, n_frames, _ = wav_info(notes_wav)
        check(status == 200 and n_channels == 2 and abs(n_frames / 44100 - (heard["seconds"] + 1.0)) < 0.05 and
              "mytake-notes.wav" in headers.get("content-disposition", ""), f"?of=notes renders the notes heard ({n_frames} frames)")
        status, _, flac = request(port, "GET", f"/api/scores/{heard['id']}/audio?of=recording&format=flac")
        info = flac_streaminfo(flac) if flac[:4] == b"fLaC" else {}
        check(status == 200 and info.get("frames") == t_frames and info.get("md5") == hashlib.md5(b_data).digest(),
              f"the recording as FLAC: the same samples ({info.get('frames')} frames)")
        for q, what in [("?of=score", "an unknown 'of'"), ("?of=notes&of=recording", "'of' twice")]:
            status, _, body = request(port, "GET", f"/api/scores/{heard['id']}/audio{q}")
            expect_error(status, json.loads(body), 400, "invalid_argument", "'of'", what=what)
        status, _, body = request(port, "GET", f"/api/scores/{sid}/audio?of=recording")
        expect_error(status, json.loads(body), 400, "invalid_argument", "not made from a recording", what="of=recording of a MIDI upload")
        # the same recording as FLAC (a form upload) and as Ogg Vorbis (raw): the same notes, within the codec's noise
        for fmt in ("flac", "ogg") if not sanitized else ():
            status, _, enc = request(port, "GET", f"/api/scores/{heard['id']}/audio?format={fmt}")
            if fmt == "flac":
                boundary = "continuoboundary"
                form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"take.flac\"\r\n"
                        f"Content-Type: audio/flac\r\n\r\n").encode() + enc + f"\r\n--{boundary}--\r\n".encode()
                status, _, body = request(port, "POST", "/api/recordings", body=form,
                                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
            else:
                status, _, body = request(port, "POST", "/api/recordings?name=take.ogg", body=enc, headers={"Content-Type": "audio/ogg"})
            j = json.loads(body)
            ok = status == 201 and j["recording"]["format"] == fmt and abs(j["recording"]["seconds"] - rec["seconds"]) < 0.1
            pitches = sorted({n[1] for n in j["score"]["notes"]}) if ok else []
            check(ok and set(want) <= set(pitches), f"a {fmt} recording is heard alike: {status} {pitches}")

        # continue it: two variations, four seconds, a vibraphone
        status, cj = post_json(port, "/api/tools/recording", {"recording": rec["id"], "seconds": 4, "variations": 2,
                                                            "instrument": "vibraphone", "seed": 7})
        check(status == 201 and cj["tool"] == "recording" and len(cj["scores"]) == 2 and cj["seed"] == 7 and
              cj["recording"] == rec["id"] and abs(cj["seam"] - rec["seam"]) < 1e-6 and cj["events"] >= 32,
              f"POST /api/tools/recording: {status} {str(cj)[:300]}")
        if status == 201:
            heard_notes = sorted(map(tuple, heard["notes"]))
            for i, sc in enumerate(cj["scores"]):
                added = [n for n in sc["notes"] if n[0] == 1]
                seam_beat = min((n[2] for n in added), default=None)
                check(sorted(tuple(n) for n in sc["notes"] if n[0] == 0) == heard_notes and sc["tracks"][1]["name"] == "continuation" and
                      sc["tracks"][1]["program"] == 11 and sc["recording"]["id"] == rec["id"] and sc["name"] == f"mytake-continued-{i + 1}.mid",
                      f"continuation {i + 1}: every heard note kept, a vibraphone track ({len(added)} notes from beat {seam_beat})")
            cont = cj["scores"][0]
            status, headers, joined = request(port, "GET", f"/api/scores/{cont['id']}/audio")
            j_rate, j_channels, j_frames, j_data = wav_info(joined)
            seam = int(round(rec["seam"] * 44100))
            # before the seam the joined audio is the recording, sample for sample (left channel = the mono recording)
            same = all(j_data[4 * k:4 * k + 2] == b_data[2 * k:2 * k + 2] for k in range(0, seam, 7))
            check(status == 200 and j_channels == 2 and j_frames > seam and j_frames < seam + 10 * 44100 and same,
                  f"the continued recording: the recording up to the seam, then the continuation ({j_frames / 44100:.2f} s, seam {rec['seam']} s)")
            status, _, ogg = request(port, "GET", f"/api/scores/{cont['id']}/audio?format=ogg")
            check(status == 200 and ogg_vorbis_info(ogg)["frames"] == j_frames, "the continued recording as Ogg: the same length")
            status, _, midi = request(port, "GET", f"/api/scores/{cont['id']}/midi")
            check(status == 200 and midi[:4] == b"MThd", "the continued recording's MIDI")
        # bad continue requests
        bad_recording_requests = [
            ({}, 400, "'recording'"), ({"recording": 5}, 400, "'recording'"), ({"recording": "0123456789abcdef"}, 404, "not found"),
            ({"recording": rec["id"], "seconds": 0}, 400, "'seconds'"), ({"recording": rec["id"], "seconds": 1e9}, 400, "'seconds'"),
            ({"recording": rec["id"], "seconds": "long"}, 400, "'seconds'"), ({"recording": rec["id"], "instrument": "kazoo"}, 400, "kazoo"),
            ({"recording": rec["id"], "instrument": 300}, 400, None), ({"recording": rec["id"], "instrument": ["piano"]}, 400, "'instrument'"),
            ({"recording": rec["id"], "variations": 99}, 400, "'variations'"), ({"recording": rec["id"], "temperature": -1}, 400, "'temperature'"),
            ({"recording": rec["id"], "speed": 2}, 400, "speed"), ({"recording": rec["id"], "model": "nope"}, 404, "no model"),
        ]
        for req_body, want, contains in bad_recording_requests:
            status, j = post_json(port, "/api/tools/recording", req_body)
            expect_error(status, j, want, contains=contains, what=f"POST /api/tools/recording {req_body}")
        status, j = post_json(port, "/api/tools/recording", None, raw=b"{not json")
        expect_error(status, j, 400, "invalid_argument", what="a recording request that is not JSON")

        # bad uploads
        def upload_recording(data, name="bad.wav", content_type="audio/wav"):
            status, _, body = request(port, "POST", f"/api/recordings?name={name}", body=data, headers={"Content-Type": content_type})
            return status, json.loads(body)
        status, j = upload_recording(b"")
        expect_error(status, j, 400, "invalid_argument", "empty", what="an empty recording")
        status, j = upload_recording(example, "song.mid", "audio/midi")
        expect_error(status, j, 415, "unsupported", "POST /api/scores", what="a MIDI file sent as a recording")
        status, j = upload_recording(b"these are words, not sound\n" * 10, "memo.txt", "text/plain")
        expect_error(status, j, 415, "unsupported", "not a recording", what="text sent as a recording")
        status, j = upload_recording(tune[:60])
        expect_error(status, j, 422, what="a WAV cut off in its header")
        status, j = upload_recording(tune[:44] + bytes(4000))
        check(status in (400, 422) and "error" in j, f"a WAV whose header promises more than it holds: {status} {j}")
        status, j = upload_recording(b"RIFF" + os.urandom(3000))
        expect_error(status, j, 415, "unsupported", what="RIFF followed by noise")
        status, j = upload_recording(tune[:12] + os.urandom(3000))
        expect_error(status, j, 422, "corrupt_data", what="RIFF/WAVE followed by noise")
        status, j = upload_recording(wav_bytes([0] * 44100))
        expect_error(status, j, 422, "no_notes", "no notes heard", what="a second of silence")
        status, j = upload_recording(wav_bytes([0] * (44100 * 31)))
        expect_error(status, j, 413, "too_large", "longer", what="a recording over --max-recording-seconds")
        status, j = upload_recording(bytes(6144 * 1024 + 1))
        expect_error(status, j, 413, "too_large", "MiB", what="a recording over --max-recording-kib")
        status, j = upload_recording(wav_bytes([0] * 80, rate=4000))
        expect_error(status, j, 422, what="a recording at 4000 Hz")
        # the studio keeps three recordings (--max-recordings 3): the first upload is gone after three more
        tones = tone_wav()   # 4 s of sine tones at 22050 Hz (tools/studio_load.py): quick to hear
        for k in range(3):
            status, _, body = request(port, "POST", f"/api/recordings?name=tones{k}.wav", body=tones, headers={"Content-Type": "audio/wav"})
            check(status == 201, f"upload {k + 2}, sine tones: {status} {body[:200]!r}")
        status, j = get_json(port, f"/api/recordings/{rec['id']}")
        expect_error(status, j, 404, "not_found", "most recent", what="the oldest recording, dropped")
        if len(cj.get("scores", [])) == 2:   # (audio already made stays in the audio cache; the second variation's was not)
            status, _, body = request(port, "GET", f"/api/scores/{cj['scores'][1]['id']}/audio")
            expect_error(status, json.loads(body), 404, "not_found", "no longer kept", what="the audio of a dropped recording")
        status, j = post_json(port, "/api/tools/recording", {"recording": rec["id"]})
        expect_error(status, j, 404, "not_found", what="continuing a dropped recording")
        status, j = get_json(port, "/api/status")
        check(status == 200 and j["recordings"] == 3 and 0 < j["recordings_bytes"] < 3 * 4 * 44100 * 30 and
              j["limits"]["max_recording_bytes"] == 6144 * 1024, f"status counts the recordings: {j.get('recordings')} {j.get('recordings_bytes')}")

    # ---- stop one variation early; job status while running
    # long enough that the job is still running when the client has read 20 events, even on a
    # fast machine with the tiny model (1000 events used to finish before the stop arrived)
    s = Stream(port, {"score": sid, "events": 8000, "variations": 2, "seed": 3})
    job_id, seen, stopped_at, status_seen = None, {0: 0, 1: 0}, None, None
    results = {}
    for name, d in s.events():
        if name == "job":
            job_id = d["id"]
        elif name == "notes":
            seen[d["variation"]] = d["events"]
            if stopped_at is None and d["variation"] == 1 and d["events"] >= 20:
                status, j = post_json(port, f"/api/jobs/{job_id}/stop", {"variation": 1})
                check(status == 200 and j["stopped"] == 1, f"POST /api/jobs/<id>/stop {{variation: 1}}: {status} {j}")
                stopped_at = d["events"]
                status_seen = get_json(port, f"/api/jobs/{job_id}")
        elif name == "result":
            results[d["variation"]] = d
    s.close()
    check(stopped_at is not None, "variation 1 streamed before the stop")
    if stopped_at is not None:
        check(status_seen[0] == 200 and status_seen[1]["state"] == "running", f"GET /api/jobs/<id> while running: {status_seen}")
        check(results[1]["stopped"] and results[1]["events"] < 8000, f"stopped variation kept what it made: {results[1]['events']} events")
        check(not results[0]["stopped"] and results[0]["events"] == 8000, "the other variation went on to the end")
        check(results[1]["events"] <= seen[1] + 40, "variation 1 stopped soon after the request")
    status, j = post_json(port, "/api/jobs/0123456789abcdef/stop", {})
    expect_error(status, j, 404, "not_found", what="stop of an unknown job")
    status, j = get_json(port, "/api/jobs/0123456789abcdef")
    expect_error(status, j, 404, "not_found", what="status of an unknown job")

    # ---- a full queue (1 running + 1 waiting) refuses more with 503; clients that go away cancel their jobs
    # long enough to outlast the test's waits on a fast idle machine (1,000 events could finish first)
    long_req = {"score": sid, "events": 8000, "variations": 4, "seed": 1}
    a = Stream(port, long_req)
    next(a.events())   # job event
    # the job event comes when the job is queued: wait until the worker has taken it, else b
    # would find the one queue place still taken (on a busy machine this can take a moment)
    deadline = time.time() + 15
    while time.time() < deadline and get_json(port, "/api/status")[1]["jobs"]["running"] != 1:
        time.sleep(0.05)
    b = Stream(port, long_req)
    next(b.events())
    time.sleep(0.3)
    c = Stream(port, long_req)
    expect_error(c.status, c.error, 503, "busy", "busy", what="third job with a queue of one")
    c.close()
    # invalid stop on a live job: variation out of range, wrong type
    st_before = get_json(port, "/api/status")[1]["jobs"]
    a.close()
    b.close()
    deadline = time.time() + 15
    while time.time() < deadline:
        st = get_json(port, "/api/status")[1]["jobs"]
        if st["running"] == 0 and st["queued"] == 0:
            break
        time.sleep(0.2)
    check(st["running"] == 0 and st["queued"] == 0, f"closed streams cancel their jobs: {st}")
    check(st["cancelled"] >= st_before["cancelled"] + 2, f"both jobs counted as cancelled: {st_before} -> {st}")
    check(st["rejected"] >= 1, "the refused job is counted")

    # ---- the server is still fine
    status, j = get_json(port, "/api/health")
    check(status == 200 and server.alive(), "the server is still up after all of this")
finally:
    rc = server.stop()
check(rc == 0, f"SIGTERM stops the server cleanly (exit status {rc})")
print(f"studio API test: {time.time() - t0:.1f} s, {len(failures)} failures")
sys.exit(1 if failures else 0)
