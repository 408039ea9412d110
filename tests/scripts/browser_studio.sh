#!/usr/bin/env bash
# Browser test of the web studio (tests/browser/studio.test.mjs): Debian's chromium driven by
# playwright-core from npm, installed into tests/browser/node_modules (git-ignored) when missing.
#   browser_studio.sh CONTINUO_BINARY SOURCE_ROOT SCRATCH_DIR
set -euo pipefail
bin=$1 root=$2 scratch=$3
mkdir -p "$scratch"
for tool in node npm; do
  command -v $tool >/dev/null || { echo "browser_studio: $tool is missing (scripts/setup.sh installs nodejs and npm)" >&2; exit 1; }
done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || { echo "browser_studio: chromium is missing (scripts/setup.sh installs it)" >&2; exit 1; }
cd "$root/tests/browser"
if [ ! -f node_modules/playwright-core/package.json ] || ! cmp -s package-lock.json node_modules/.continuo-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.continuo-lock
fi
exec node studio.test.mjs "$bin" "$root" "$scratch"
