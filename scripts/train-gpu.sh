#!/usr/bin/env bash
# Builds the trainer against the CUDA libtorch inside a PyTorch installation and trains CONFIG on
# this machine's GPU(s), in one command (docs/TRAINING.md, "On a GPU").
#
#   scripts/train-gpu.sh CONFIG [SHARDS.tar.zst]
#     CONFIG          a training config, e.g. configs/default-gpu.json (bf16 autocast on CUDA)
#     SHARDS.tar.zst  the config's token shards, packed where they were made:
#                       tar -C runs -I 'zstd -19 -T0' -cf data-default.tar.zst data-default
#                     unpacked here into the parent folder of the config's data_dir
#   GPUS=N          data-parallel over N GPUs of this machine (torchrun, NCCL); default 1
#   STEPS=N         train N steps instead of sizing the run to TRAIN_SECONDS (default 600) from
#                   a 20-step measurement of this GPU's speed
#
# Needs: scripts/setup.sh's packages (the rest of Continuo builds too), a CUDA build of PyTorch
# with its C++ ABI (torch._C._GLIBCXX_USE_CXX11_ABI; the pip wheels since 2.7, the NGC
# containers), and the CUDA toolkit its CMake files look for (nvcc).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
die() { echo "train-gpu: $*" >&2; exit 1; }
[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: scripts/train-gpu.sh CONFIG [SHARDS.tar.zst]"
config=$1
archive=${2:-}
gpus=${GPUS:-1}
python=${PYTHON:-python3}

# ---- PyTorch: CUDA, the ABI of the rest of the build, where its CMake files are
"$python" -c 'import torch' 2>/dev/null || die "$python cannot import torch: install a CUDA build of PyTorch"
"$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  die "PyTorch sees no CUDA GPU (torch.cuda.is_available() is False)"
# Continuo and its Debian libraries use the C++11 string ABI; a libtorch built with the old one
# cannot be linked with them.
[ "$("$python" -c 'import torch; print(int(torch._C._GLIBCXX_USE_CXX11_ABI))')" = 1 ] ||
  die "this PyTorch uses the old C++ ABI (pip wheels before 2.7): use PyTorch 2.7 or later, or an NGC container"
prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
# NCCL's header, for data parallelism over several GPUs: from the nvidia-nccl pip package if present
nccl=$("$python" -c 'import os, nvidia.nccl as n; print(os.path.join(list(n.__path__)[0], "include"))' 2>/dev/null || true)

# ---- build: only the trainer (and the CLI that forwards to it), in build-gpu/
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S . -B build-gpu "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  ${nccl:+-DCONTINUO_NCCL_INCLUDE="$nccl"} >/dev/null
cmake --build build-gpu -j"$(nproc)" --target continuo continuo-torch

# ---- data: unpack the shards where the config expects them
field() { "$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$config" "$1"; }
data_dir=$(field data_dir)
out_dir=$(field out_dir)
if [ -n "$archive" ]; then
  mkdir -p "$(dirname "$data_dir")"
  tar -C "$(dirname "$data_dir")" -I zstd -xf "$archive"
fi
[ -f "$data_dir/train.events.npy" ] || die "no token shards in $data_dir (pass the packed shards as the second argument)"

# ---- how many steps fit in TRAIN_SECONDS: 20 steps measured on this GPU (the first few are slow)
steps=${STEPS:-}
if [ -z "$steps" ]; then
  probe=$(mktemp -d)
  build-gpu/continuo-torch train "$config" --out "$probe" --steps 20 2>&1 | tee "$probe/log" | tail -n 3 >&2
  steps=$("$python" - "$probe/train.jsonl" "$config" "${TRAIN_SECONDS:-600}" "$gpus" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][5:]            # after warm-up
eps = sorted(r["events_per_s"] for r in rows)[len(rows) // 2] * int(sys.argv[4])   # median
c = json.load(open(sys.argv[2]))
per_step = c["batch"] * (c["seq_len"] - 1)
# 10% of the time for validation, checkpoints and start-up
print(max(50, int(float(sys.argv[3]) * 0.9 * eps / per_step)))
PY
)
  rm -rf "$probe"
  echo "train-gpu: $steps steps fit in ${TRAIN_SECONDS:-600} s on this machine" >&2
fi

# ---- train
if [ "$gpus" -gt 1 ]; then
  # torchrun from PyTorch's own installation (Debian's 1.13 one needs --redirects 2 --tee 2)
  "$python" -m torch.distributed.run --standalone --nproc_per_node "$gpus" --no_python \
    build-gpu/continuo-torch train "$config" --steps "$steps"
else
  build-gpu/continuo-torch train "$config" --steps "$steps"
fi
echo "train-gpu: model in $out_dir (model.safetensors, config.json); try it: build-gpu/continuo continue examples/*.mid --model $out_dir" >&2
