#!/usr/bin/env bash
# Installs every Debian 12 package Continuo needs. Idempotent; run as root (or with sudo available).
#   scripts/setup.sh          build + test dependencies
set -euo pipefail
pkgs=(
  build-essential g++ cmake ninja-build pkg-config git xz-utils ca-certificates
  libtorch-dev libopenblas0-openmp libgloo-dev
  libfluidsynth-dev fluid-soundfont-gm libsndfile1-dev libsoxr-dev lame
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev libfmt-dev zlib1g-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang libclang-rt-14-dev
  python3 python3-mido python3-numpy curl time timgm6mb-soundfont
  chromium nodejs
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# npm for the browser tests' playwright-core (a nodejs from elsewhere may already bundle it)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# libtorch must use OpenBLAS (the reference BLAS is ~60x slower): make the OpenMP build the default.
if [ -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 >/dev/null 2>&1 || true
  $sudo update-alternatives --set liblapack.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/liblapack.so.3 >/dev/null 2>&1 || true
fi
echo "setup: all packages present" >&2
