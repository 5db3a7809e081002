#!/usr/bin/env bash
# The main job, on the built-in emulator: installs what is missing, builds, starts fastio-emulator with
# demo data, mounts it with fastiofs, tells you what to try, and on Ctrl-C unmounts and stops everything.
#   scripts/demo.sh [MOUNTPOINT]        (default: ./fastio-demo)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
. scripts/lib/emulator.sh
fastiofs_install_deps

echo "building (release; a first build takes several minutes)..." >&2
scripts/lib/build-progress.sh -c release
BIN=$(swift build -c release --show-bin-path)

MNT=$(realpath -m "${1:-./fastio-demo}")
WORK=$(mktemp -d /tmp/fastiofs-demo.XXXXXX)
TOKEN="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
EMU_PID=""
MOUNTED=""

cleanup() {
    trap - INT TERM EXIT
    echo
    if [ -n "$MOUNTED" ]; then
        echo "unmounting $MNT (waits for pending uploads)..."
        FASTIO_TOKEN="$TOKEN" "$BIN/fastiofs" unmount "$MNT" || fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -u -z "$MNT" 2>/dev/null || true
    fi
    fastiofs_stop_pid "$EMU_PID"
    echo "stopped. Emulator data kept in $WORK/data (delete it when done)."
}
trap cleanup INT TERM EXIT

fastiofs_start_emulator "$BIN" "$WORK/data" "$TOKEN" --seed demo
mkdir -p "$MNT"
FASTIO_TOKEN="$TOKEN" "$BIN/fastiofs" mount "$MNT" --api-url "$EMU_URL" --cache-dir "$WORK/cache"
MOUNTED=1

cat <<MSG

fastiofs is mounted at $MNT, backed by the emulator at $EMU_URL.
Try, in another terminal:
  ls -l $MNT/workspaces/demo
  ls -lR $MNT | head -40
  cat $MNT/workspaces/demo/README.md
  grep -r fastio $MNT/workspaces/demo
  sha256sum $MNT/workspaces/demo/*.bin
  getfattr -d $MNT/workspaces/demo/README.md     # user.fastio.id, .version, .hash ...
  rsync -a $MNT/workspaces/demo/ /tmp/demo-copy/ && diff -r $MNT/workspaces/demo /tmp/demo-copy
  ls -l $MNT/shares/
The emulator's API works too, e.g.:
  curl -s -H "Authorization: Bearer $TOKEN" $EMU_URL/workspaces/all/
Logs: $WORK/cache/fastiofs.log and $WORK/data/emulator.log
Press Ctrl-C to unmount and stop.
MSG

while kill -0 "$EMU_PID" 2>/dev/null; do sleep 1; done
echo "the emulator stopped unexpectedly; see $WORK/data/emulator.log" >&2
