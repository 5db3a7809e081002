#!/usr/bin/env bash
# Installs what is missing, builds everything, runs every test (unit, emulator, client, mount).
# Mount tests need /dev/fuse; with FASTIOFS_REQUIRE_FUSE=1 they fail instead of skipping without it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
fastiofs_install_deps rsync sqlite3 psmisc procps  # tools the mount tests drive
log=$(mktemp)
if ! swift build --build-tests >"$log" 2>&1; then
    grep -E 'error:|warning:' "$log" | head -50 >&2 || true
    tail -20 "$log" >&2
    echo "build failed (full log: $log)" >&2
    exit 1
fi
grep -E 'warning:' "$log" | grep -v '/.build/checkouts/' | head -20 >&2 || true
rm -f "$log"
# Tests find fastio-emulator and fastiofs next to the test bundle (the same bin directory).
swift test --skip-build "$@"
