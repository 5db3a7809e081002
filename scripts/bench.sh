#!/usr/bin/env bash
# Benchmarks (never run by the tests). Prints a table per section.
#   scripts/bench.sh [emulator|read|write|coherence|all]      (default: all)
# Release builds; needs root for FUSE mounts; installs nginx-light, rclone and curl when missing.
# Work files go to ${FASTIOFS_BENCH_DIR:-/tmp/fastiofs-bench} (about 6 GiB for the read section, 4 GiB for write).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
. scripts/lib/emulator.sh
fastiofs_install_deps nginx-light rclone python3 bc fio

section="${1:-all}"
BENCH_DIR="${FASTIOFS_BENCH_DIR:-/tmp/fastiofs-bench}"
mkdir -p "$BENCH_DIR"
echo "building (release)..." >&2
scripts/lib/build-progress.sh -c release
BIN=$(swift build -c release --show-bin-path)
export BIN BENCH_DIR

case "$section" in
    emulator) bash scripts/bench-emulator.sh ;;
    read) bash scripts/bench-read.sh ;;
    write) bash scripts/bench-write.sh ;;
    coherence) bash scripts/bench-coherence.sh ;;
    all) bash scripts/bench-emulator.sh; bash scripts/bench-read.sh; bash scripts/bench-write.sh; bash scripts/bench-coherence.sh ;;
    *) echo "usage: scripts/bench.sh [emulator|read|write|coherence|all]" >&2; exit 2 ;;
esac
