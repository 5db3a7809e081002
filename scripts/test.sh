#!/usr/bin/env bash
# Installs what is missing, builds everything, runs every test (unit, emulator, mount).
# Mount tests need /dev/fuse; with FASTIOFS_REQUIRE_FUSE=1 they fail instead of skipping without it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
fastiofs_install_deps
swift build --build-tests 2>&1 | grep -v '^\[' || true
swift build --build-tests >/dev/null
# Tests find fastio-emulator and fastiofs next to the test bundle.
swift test --skip-build "$@"
