#!/usr/bin/env bash
# The studio screenshots in docs/ (docs/studio*.png): the browser test (tests/browser/studio.test.mjs)
# run against the shipped models (models/default and the tools' networks) instead of the random
# "tiny" model the test uses by default, so that the pictures show what a user sees.
#   tools/studio_screenshots.sh [CONTINUO_BINARY]   (default: build/continuo)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/build/continuo}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/models"
for m in default groove drumify melody-vae drums-vae; do ln -s "$root/models/$m" "$work/models/$m"; done
cd "$root/tests/browser"
[ -f node_modules/playwright-core/package.json ] || npm ci --no-audit --no-fund --loglevel=error
STUDIO_MODELS="$work/models" CONTINUO_SCREENSHOTS="$root/docs" node studio.test.mjs "$bin" "$root" "$work/scratch"
