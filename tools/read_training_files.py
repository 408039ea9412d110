#!/usr/bin/python3
"""Reads Continuo's training files with numpy alone (Debian: python3-numpy); docs/TRAINING.md
describes each format.

  read_training_files.py shards DATA_DIR          token shards: shapes, columns, a few events
  read_training_files.py weights MODEL.safetensors  tensor names, shapes, dtypes, metadata
  read_training_files.py config CONFIG.json        a training or model config
  read_training_files.py checkpoint RUN_DIR/checkpoint   step and what the archives hold

Also a small library: load_shards(dir, split), load_safetensors(path), load_config(path).
"""
import json
import os
import sys
import zipfile

import numpy as np

# The columns of <split>.events.npy: the six event fields (docs/TOKENS.md), then the two
# position features the model gets besides them.
COLUMNS = ["kind", "dt", "track", "value", "value2", "duration", "beat_pos", "bar_pos"]
KINDS = ["PAD", "BOS", "EOS", "NOTE", "TRACK", "TEMPO", "TIMESIG", "KEYSIG", "CONTROL", "WAIT"]


def load_shards(data_dir, split="train"):
    """(events uint16 [N, 8], docs int64 [D + 1] offsets into events, files: D source paths).
    Piece d is events[docs[d]:docs[d + 1]]. mmap: a shard can be larger than memory."""
    events = np.load(os.path.join(data_dir, f"{split}.events.npy"), mmap_mode="r")
    docs = np.load(os.path.join(data_dir, f"{split}.docs.npy"))
    with open(os.path.join(data_dir, f"{split}.files.txt"), encoding="utf-8") as f:
        files = f.read().splitlines()
    return events, docs, files


def load_safetensors(path):
    """({name: float32 array}, metadata dict). Safetensors: an 8-byte little-endian header length,
    a JSON header (name -> dtype, shape, data_offsets; "__metadata__"), then the raw tensors."""
    with open(path, "rb") as f:
        data = f.read()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        raw = body[a:b]
        if t["dtype"] == "F32":
            x = np.frombuffer(raw, dtype="<f4")
        elif t["dtype"] == "BF16":   # the upper 16 bits of a float32
            x = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        elif t["dtype"] == "F16":
            x = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name} has dtype {t['dtype']}, expected F32, BF16 or F16")
        tensors[name] = x.reshape(t["shape"])
    return tensors, header.get("__metadata__", {})


def load_config(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def show_shards(data_dir):
    for split in ("train", "valid"):
        if not os.path.exists(os.path.join(data_dir, f"{split}.events.npy")):
            continue
        events, docs, files = load_shards(data_dir, split)
        assert events.ndim == 2 and events.shape[1] == len(COLUMNS), events.shape
        assert docs[0] == 0 and docs[-1] == len(events) and len(files) == len(docs) - 1
        notes = int(np.count_nonzero(events[:, 0] == KINDS.index("NOTE")))
        print(f"{split}: {len(docs) - 1} pieces, {len(events)} events ({notes} notes), "
              f"events {events.dtype} {list(events.shape)}, docs {docs.dtype} {list(docs.shape)}")
    events, docs, files = load_shards(data_dir, "train")
    print(f"first piece ({files[0]}), its first 8 events:")
    print("  " + " ".join(f"{c:>8}" for c in COLUMNS))
    for row in events[docs[0]:min(docs[1], docs[0] + 8)]:
        print("  " + " ".join(f"{int(v):>8}" for v in row) + f"   {KINDS[row[0]]}")


def show_weights(path):
    tensors, meta = load_safetensors(path)
    print(f"metadata: {meta}")
    for name, t in tensors.items():
        print(f"{name:50} {str(list(t.shape)):14} mean {t.mean():+.4f} sd {t.std():.4f}")
    print(f"{len(tensors)} tensors, {sum(t.size for t in tensors.values())} numbers")


def show_checkpoint(path):
    # state.json: the step reached, the best validation loss so far, and the state of the batch
    # sampler's std::mt19937_64 as the C++ library writes it (312 words and a position)
    state = load_config(os.path.join(path, "state.json"))
    print(f"step {state['step']}, best validation loss {state['best_val']:.4f} nats/event, "
          f"random generator state of {len(state['rng'].split())} numbers")
    # model.pt and optim.pt are libtorch archives (zip files of pickled tensors): resuming needs
    # libtorch; the exported model.safetensors is the format for other tools.
    for part in ("model.pt", "optim.pt"):
        with zipfile.ZipFile(os.path.join(path, part)) as z:
            names = z.namelist()
            print(f"{part}: a libtorch archive of {len(names)} entries, {sum(i.file_size for i in z.infolist())} bytes")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("shards", "weights", "config", "checkpoint"):
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    what, path = sys.argv[1], sys.argv[2]
    if what == "shards":
        show_shards(path)
    elif what == "weights":
        show_weights(path)
    elif what == "config":
        print(json.dumps(load_config(path), indent=1))
    else:
        show_checkpoint(path)


if __name__ == "__main__":
    main()
