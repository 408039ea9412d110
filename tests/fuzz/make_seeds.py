#!/usr/bin/env python3
"""Writes the seed inputs of the fuzzers in tests/fuzz/seeds/<target>/ (python3, no packages).

    python3 tests/fuzz/make_seeds.py

fuzz_model_files: the first byte says what follows ('c' a config.json, 's' a safetensors file,
'b' both, split at the first NUL byte; see fuzz_model_files.cpp). The tiny model of 'b' has every
tensor a config of d_model 2 needs (tokenizer sizes as in include/continuo/tokenizer.hpp), so
that check_weights passes on it. fuzz_train_config: configs/default.json and
configs/default-copy5.json as they are. fuzz_studio_request: request bodies as docs/API.md shows
them. The files are committed; run this again after changing it.
"""
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "tests", "fuzz", "seeds")

# include/continuo/tokenizer.hpp
FIELD_SIZES = [10, 192, 16, 592, 128, 384]   # kFieldSizes
BEAT_POS, BAR_POS, PITCH_CONTEXT = 24, 32, 24


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, raw bytes)] -> the bytes of a safetensors file."""
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def bf16(values):
    return b"".join(struct.pack("<f", v)[2:] for v in values)


def f16(values):
    return struct.pack("<%de" % len(values), *values)


def tiny_model():
    cfg = {"format": "continuo-model-1", "name": "tiny", "tokenizer": "continuo-events-1", "d_model": 2,
           "n_layers": 1, "n_heads": 1, "d_ff": 1, "d_head": 1, "max_len": 8, "rope_theta": 10000.0,
           "norm_eps": 1e-05, "controls": True, "pitch_context": True, "key_prior": True, "description": "fuzz seed"}
    d, dff, dh = 2, 1, 1
    shapes = [("model.embed_fields.%d.weight" % f, [n, d]) for f, n in enumerate(FIELD_SIZES)]
    shapes += [("model.embed_beat_pos.weight", [BEAT_POS, d]), ("model.embed_bar_pos.weight", [BAR_POS, d]),
               ("model.embed_pitch_context.weight", [d, PITCH_CONTEXT])]
    p = "model.layers.0."
    shapes += [(p + "input_layernorm.weight", [d])]
    shapes += [(p + "self_attn.%s_proj.weight" % n, [d, d]) for n in "qkvo"]
    shapes += [(p + "post_attention_layernorm.weight", [d]), (p + "mlp.gate_proj.weight", [dff, d]),
               (p + "mlp.up_proj.weight", [dff, d]), (p + "mlp.down_proj.weight", [d, dff]),
               ("model.norm.weight", [d])]
    shapes += [("heads.embed.%d.weight" % g, [FIELD_SIZES[g], d]) for g in range(5)]
    for f, n in enumerate(FIELD_SIZES):
        shapes += [("heads.%d.norm.weight" % f, [d]), ("heads.%d.proj.weight" % f, [dh, d]),
                   ("heads.%d.out.weight" % f, [n, dh])]
    shapes += [("heads.key_prior", [2, 12])]
    tensors = []
    for i, (name, shape) in enumerate(shapes):
        n = 1
        for s in shape:
            n *= s
        tensors.append((name, "BF16", shape, bf16([((i + k) % 7 - 3) / 4 for k in range(n)])))
    return json.dumps(cfg, indent=2).encode(), safetensors(tensors, {"format": "pt"})


def write(target, name, data):
    os.makedirs(os.path.join(SEEDS, target), exist_ok=True)
    with open(os.path.join(SEEDS, target, name), "wb") as f:
        f.write(data)


def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    t = "fuzz_model_files"
    with open(os.path.join(ROOT, "models", "default", "config.json"), "rb") as f:
        write(t, "config_default", b"c" + f.read())
    small = safetensors([("a", "F32", [2, 3], f32([1.0, -2.5, 3.25, 0.0, 1e-3, -7.0])),
                         ("b.weight", "BF16", [4], bf16([0.1, 0.2, 0.3, 0.4])),
                         ("h", "F16", [3], f16([1.0, -2.0, 65504.0])),
                         ("scalar", "F32", [], f32([42.0])),
                         ("empty", "F32", [0, 5], b"")],
                        {"note": "fuzz seed"})
    write(t, "safetensors_small", b"s" + small)
    cfg, weights = tiny_model()
    write(t, "config_tiny", b"c" + cfg)
    write(t, "both_tiny_model", b"b" + cfg + b"\0" + weights)

    # regression-*: inputs that failed the fuzzer's contract before the fixes that came with it
    # (docs/RELIABILITY.md)
    def with_keys(text, **keys):
        c = json.loads(text)
        c.update(keys)
        return json.dumps(c, indent=2).encode()
    write(t, "regression-empty_f32_tensor_memcpy_null", b"s" + safetensors([("e", "F32", [0], b"")]))
    neg = b'{"x":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}'
    neg += b" " * (-len(neg) % 8)
    write(t, "regression-negative_shape_after_zero", b"s" + struct.pack("<Q", len(neg)) + neg)
    write(t, "regression-check_weights_2p24_layers", b"b" + with_keys(cfg, n_layers=1 << 24) + b"\0" + weights)
    write(t, "config_max_len_2p24", b"c" + with_keys(cfg, max_len=1 << 24))   # refused since limits::kMaxModelContext
    write(t, "regression-copy_sources_without_copy_prior", b"c" + with_keys(cfg, copy_sources=6))

    t = "fuzz_train_config"
    for name in ("default.json", "default-copy5.json"):
        with open(os.path.join(ROOT, "configs", name), "rb") as f:
            write(t, name, f.read())
    write(t, "train_only.json", json.dumps(
        {"data_dir": "d", "out_dir": "o", "init_from": "models/default", "train_only": ["heads.copy.", "heads.key_prior"],
         "model": {"copy_prior": True, "copy_sources": 7, "key_anchor": 0.5, "pitch_context": True},
         "steps": 1e5, "weights_dtype": "f32"}, indent=1).encode())

    write(t, "regression-not_an_object.json", b"2")
    small = {"data_dir": "d", "out_dir": "o"}
    write(t, "regression-steps_beyond_int64.json", json.dumps(dict(small, steps=1e25)).encode())
    # accepted before, refused now: the trainer divided by eval_every; the model section became a
    # config.json that load_config refuses
    write(t, "refused-eval_every_zero.json", json.dumps(dict(small, eval_every=0)).encode())
    write(t, "refused-model_d_model_0.json", json.dumps(dict(small, model={"d_model": 0})).encode())

    t = "fuzz_studio_request"
    bodies = {
        "generate_continue": {"score": "a1", "events": 256, "variations": 2, "seed": 7},
        "generate_all_fields": {"model": "piano", "score": "a1", "prompt_events": 12, "events": 64, "variations": 4,
                                "temperature": 0.9, "top_p": 0.95, "top_k": 40, "key_strength": 0.5,
                                "key_anchor": 0.7, "copy_anchor": 0.8, "loop_guard": 1, "seed": "random", "allow_controls": False,
                                "start": {"bpm": 96, "time_signature": "6/8", "key": "F# minor"}},
        "generate_new_piece": {"start": {"instruments": ["piano", 40, "violin"], "drums": "jazz", "bpm": 120,
                                         "time_signature": "3/4", "key": "Bb"}},
        "generate_instruments_string": {"start": {"instruments": "piano, violin", "drums": "tr-808", "key": "Em"}},
        "upload_example": {"example": "example"},
        "upload_base64": {"midi_base64": "TVRoZAAAAAYAAAABAGBNVHJrAAAABAD/LwA=", "name": "x.mid"},
        "stop_one": {"variation": 1},
        "stop_all": {},
        "tool_groove": {"score": "a1", "strength": 1.5},
        "tool_drumify": {"score": "a1", "style": "funk", "tracks": [0], "variations": 2, "temperature": 0.7,
                         "seed": 3, "drums_only": True},
        "tool_interpolate": {"a": "a1", "b": "a1", "steps": 3, "temperature": 0.5, "seed": "random"},
        "tool_clips": {"kind": "drums", "bars": 4, "variations": 2, "temperature": 1.2, "bpm": 90, "seed": 1},
        "tool_infill": {"model": "piano", "score": "a1", "first_bar": 1, "last_bar": 1, "tracks": [0], "candidates": 4,
                        "lookahead_bars": 2, "variations": 2, "temperature": 0.9, "top_p": 0.95, "top_k": 40,
                        "key_strength": 0.5, "seed": 3},
        "tool_infill_c3_empty_track": {"score": "c3", "first_bar": 1, "tracks": [1]},
        "tool_accompany": {"score": "c3", "keep": [0], "instruments": ["piano", 33], "drums": "jazz", "candidates": 2,
                           "chunk_bars": 4, "variations": 2, "temperature": 1.0, "seed": "random"},
        "tool_accompany_string": {"score": "a1", "instruments": "piano, acoustic bass", "drums": None},
        "tool_recording": {"recording": "r1", "model": "piano", "seconds": 12.5, "instrument": "vibraphone", "variations": 2,
                           "temperature": 0.9, "top_p": 0.95, "top_k": 40, "key_strength": 0.5, "seed": 4},
        "tool_recording_program": {"recording": "r1", "instrument": 11},
    }
    for name, body in bodies.items():
        write(t, name + ".json", json.dumps(body).encode())


if __name__ == "__main__":
    main()
