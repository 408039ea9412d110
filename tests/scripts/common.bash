# Shared start of the tests/scripts/*.sh that source it (not a test itself: CMake runs *.sh and
# *.py only). Reads the usual arguments and gives the counters and the Debian python.
#   source "$(dirname "$0")/common.bash"      # then: ok, bad "what", finish
set -u
bin=$1
root=$2
scratch=$3
mkdir -p "$scratch"
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
  echo "passed $passed, failed $failed"
  [ "$failed" -eq 0 ]
}
