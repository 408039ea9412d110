#!/usr/bin/env python3
"""Writes a model folder (config.json + model.safetensors) with random weights, for tests and load
tests that must not depend on the trained models. Standard library only.

    python3 tools/make_random_model.py OUT_DIR [--name tiny] [--d-model 64] [--layers 2] [--seed 1]

The tensor names and shapes are the contract of src/core/model_files.cpp (check_weights); the
engine refuses the files if they drift from it, so a mistake here cannot pass silently."""
import argparse
import array
import json
import os
import random
import struct
import sys

FIELD_SIZES = [10, 192, 16, 592, 128, 384]   # tokenizer::kFieldSizes
BEAT_POS, BAR_POS = 24, 32


# favoured values per head: mostly notes (kind 3), time steps of 0..12 grid steps (a 16th is 6),
# durations of 6..24 steps, tracks 0..3, pitches 48..84, velocities 60..100
PRIOR = {
    "heads.0.out.weight": [3],
    "heads.1.out.weight": [0, 0, 3, 6, 6, 12],
    "heads.2.out.weight": [0, 1, 2, 3],
    "heads.3.out.weight": list(range(48, 85)),
    "heads.4.out.weight": list(range(60, 101)),
    "heads.5.out.weight": [5, 11, 11, 17, 23],
}


def tensors(d, layers, d_ff, d_head):
    t = []
    for f, v in enumerate(FIELD_SIZES):
        t.append((f"model.embed_fields.{f}.weight", [v, d]))
    t.append(("model.embed_beat_pos.weight", [BEAT_POS, d]))
    t.append(("model.embed_bar_pos.weight", [BAR_POS, d]))
    for i in range(layers):
        p = f"model.layers.{i}."
        t.append((p + "input_layernorm.weight", [d]))
        for n in "qkvo":
            t.append((p + f"self_attn.{n}_proj.weight", [d, d]))
        t.append((p + "post_attention_layernorm.weight", [d]))
        t.append((p + "mlp.gate_proj.weight", [d_ff, d]))
        t.append((p + "mlp.up_proj.weight", [d_ff, d]))
        t.append((p + "mlp.down_proj.weight", [d, d_ff]))
    t.append(("model.norm.weight", [d]))
    for g in range(len(FIELD_SIZES) - 1):
        t.append((f"heads.embed.{g}.weight", [FIELD_SIZES[g], d]))
    for f, v in enumerate(FIELD_SIZES):
        t.append((f"heads.{f}.norm.weight", [d]))
        t.append((f"heads.{f}.proj.weight", [d_head, d]))
        t.append((f"heads.{f}.out.weight", [v, d_head]))
    return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--name", default="tiny")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--scale", type=float, default=0.5, help="weight scale (larger: peakier choices)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-prior", action="store_true",
                    help="plain random heads (uniform-ish choices: long, sparse pieces)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    d, d_ff, d_head = a.d_model, 2 * a.d_model, a.d_model
    header, blobs, offset = {}, [], 0
    for name, shape in tensors(d, a.layers, d_ff, d_head):
        n = 1
        for s in shape:
            n *= s
        if name.endswith("norm.weight"):
            data = array.array("f", [1.0] * n)
        else:
            std = a.scale / (shape[-1] ** 0.5)
            if not a.no_prior and name.startswith("heads.") and name.endswith(".proj.weight"):
                std = 3.0 / (shape[-1] ** 0.5)   # wide pre-activations: silu() averages well above 0
            data = array.array("f", (rng.gauss(0.0, std) for _ in range(n)))
            if not a.no_prior and name in PRIOR:
                # A "musical prior" without biases: out rows of favoured values get a positive
                # constant, and since sum_j silu(z_j) > 0 on average, their logits rise by ~8.
                rows, cols = shape
                for r in PRIOR[name]:
                    for c in range(cols):
                        data[r * cols + c] += 0.12
        if sys.byteorder != "little":
            data.byteswap()
        raw = data.tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    header["__metadata__"] = {"format": "pt", "made_by": "tools/make_random_model.py"}
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "model.safetensors.tmp"), "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)
    os.replace(os.path.join(a.out, "model.safetensors.tmp"), os.path.join(a.out, "model.safetensors"))
    config = {"format": "continuo-model-1", "name": a.name, "tokenizer": "continuo-events-1",
              "d_model": d, "n_layers": a.layers, "n_heads": a.heads, "d_ff": d_ff, "d_head": d_head,
              "max_len": a.max_len, "rope_theta": 10000.0, "norm_eps": 1e-5, "controls": True,
              "description": f"random weights (tools/make_random_model.py, seed {a.seed}), for tests"}
    with open(os.path.join(a.out, "config.json.tmp"), "w") as f:
        json.dump(config, f, indent=2)
    os.replace(os.path.join(a.out, "config.json.tmp"), os.path.join(a.out, "config.json"))


if __name__ == "__main__":
    main()
