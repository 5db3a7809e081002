#!/usr/bin/env bash
# Section `write` of scripts/bench.sh, side by side in one run: 1,000 files of 4 KiB and one 1 GiB file
# written into fastiofs (on the emulator) and into rclone mount --vfs-cache-mode writes of `rclone serve
# webdav` on a local folder, each timed until durable on the server (fastiofs: its upload queue is empty;
# rclone: every file is in the served folder at full size); API requests per file; peak RSS of each mount
# process (a fresh mount per phase).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/emulator.sh
: "${BIN:?run me through scripts/bench.sh}"; : "${BENCH_DIR:?run me through scripts/bench.sh}"

W="$BENCH_DIR/write"
TOKEN="bench-token-$$"
EMU_PID=""; DAV_PID=""
MNT="$W/mnt"; RMNT="$W/rclone-mnt"; DAV="$W/webdav-root"
SMALL_COUNT=1000; SMALL_SIZE=4096; BIG_SIZE=1073741824
cleanup() {
    fusermount3 -u "$MNT" 2>/dev/null || true
    fusermount3 -u "$RMNT" 2>/dev/null || true
    fastiofs_stop_pid "$EMU_PID"; fastiofs_stop_pid "$DAV_PID"
}
trap cleanup EXIT
fusermount3 -u -z "$MNT" 2>/dev/null || true; fusermount3 -u -z "$RMNT" 2>/dev/null || true
rm -rf "$W"; mkdir -p "$W/empty" "$W/src" "$MNT" "$RMNT" "$DAV"

echo "preparing 1,000 x 4 KiB and 1 GiB of source data..." >&2
head -c "$BIG_SIZE" /dev/urandom >"$W/src/big.bin"
"$BIN/fastio-emulator" import --data "$W/data" --workspace bench --from "$W/empty" >/dev/null
# Every run starts with the disk idle: the source data (and the previous run) must not be written
# back while a measured run writes.
settle() { sync; sleep 1; }

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l | xargs printf "%.2f"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
counts() { python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.fastio.requests").decode())' "$1"; }
total_delta() { python3 -c 'import json,sys; a,b=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print(sum(b.values())-sum(a.values()))' "$1" "$2"; }
# write_small DIR: 1,000 files of 4 KiB (open, write, close each), distinct content
write_small() { python3 - "$1" "$SMALL_COUNT" "$SMALL_SIZE" <<'PY'
import os, sys
d, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
block = os.urandom(size)
for i in range(count):
    fd = os.open(os.path.join(d, "f%04d.bin" % i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, (b"%08d" % i) + block[8:])
    os.close(fd)
PY
}
write_big() { dd if="$W/src/big.bin" of="$1" bs=1M status=none; }
# wait_queue MOUNT: until fastiofs' upload queue is empty
wait_queue() { python3 - "$1" <<'PY'
import json, os, sys, time
while True:
    s = json.loads(os.getxattr(sys.argv[1], "user.fastio.status"))
    if s.get("pending_files", 0) == 0: break
    time.sleep(0.02)
PY
}
# wait_files DIR COUNT SIZE: until DIR holds COUNT regular files of SIZE bytes (rclone's upload arrived)
wait_files() { python3 - "$1" "$2" "$3" <<'PY'
import os, sys, time
d, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
while True:
    try:
        done = sum(1 for e in os.scandir(d) if e.is_file() and not e.name.startswith(".") and e.stat().st_size == size)
    except FileNotFoundError:
        done = 0
    if done >= count: break
    time.sleep(0.02)
PY
}
mount_fastiofs() {
    FASTIO_TOKEN="$TOKEN" "$BIN/fastiofs" mount "$MNT" --api-url "$EMU_URL" --workspace bench --cache-dir "$W/cache"
    FS_PID=$(pgrep -n -f "fastiofs mount $MNT" || true)
}
umount_fastiofs() { "$BIN/fastiofs" unmount "$MNT" 2>/dev/null || fusermount3 -u "$MNT"; sleep 0.5; }
mount_rclone() {
    rclone mount :webdav: "$RMNT" --webdav-url "http://127.0.0.1:$DAV_PORT/" --vfs-cache-mode writes \
        --cache-dir "$W/rclone-cache" --daemon --log-file "$W/rclone-mount.log"
    for i in $(seq 1 100); do mountpoint -q "$RMNT" && break; sleep 0.1; done
    RC_PID=$(pgrep -n -f "rclone mount :webdav: $RMNT" || true)
}

fastiofs_start_emulator "$BIN" "$W/data" "$TOKEN"
DAV_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rclone serve webdav "$DAV" --addr "127.0.0.1:$DAV_PORT" --log-file "$W/rclone-serve.log" &
DAV_PID=$!
for i in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$DAV_PORT/" && break; sleep 0.1; done

settle
echo "fastiofs: 1,000 x 4 KiB..." >&2
mount_fastiofs
mkdir "$MNT/small"
c0=$(counts "$MNT"); t0=$(now)
write_small "$MNT/small"; t1=$(now); wait_queue "$MNT"; t2=$(now)
c1=$(counts "$MNT")
FS_SMALL_CLOSE=$(elapsed "$t0" "$t1"); FS_SMALL=$(elapsed "$t0" "$t2")
FS_SMALL_REQ=$(total_delta "$c0" "$c1")
FS_SMALL_RSS=$(peak_rss_mib "$FS_PID")
umount_fastiofs

settle
echo "rclone mount (webdav, --vfs-cache-mode writes): 1,000 x 4 KiB..." >&2
mount_rclone
mkdir "$RMNT/small"
t0=$(now)
write_small "$RMNT/small"; t1=$(now); wait_files "$DAV/small" "$SMALL_COUNT" "$SMALL_SIZE"; t2=$(now)
RC_SMALL_CLOSE=$(elapsed "$t0" "$t1"); RC_SMALL=$(elapsed "$t0" "$t2")
RC_SMALL_RSS=$(peak_rss_mib "$RC_PID")
fusermount3 -u "$RMNT"; sleep 0.5

# The 1 GiB file: three rounds, alternating which mount goes first (this VM's memory and disk speed
# drift within minutes, and a run after another reuses the pages it freed); the median counts.
FS_BIG_RUNS=(); FS_BIG_CLOSES=(); RC_BIG_RUNS=(); RC_BIG_CLOSES=(); FS_BIG_RSS=0; RC_BIG_RSS=0; FS_BIG_REQS=()
big_fastiofs() {
    settle
    echo "fastiofs: 1 GiB (round $1)..." >&2
    mount_fastiofs
    c0=$(counts "$MNT"); t0=$(now)
    write_big "$MNT/big-$1.bin"; t1=$(now); wait_queue "$MNT"; t2=$(now)
    c1=$(counts "$MNT")
    FS_BIG_CLOSES+=("$(elapsed "$t0" "$t1")"); FS_BIG_RUNS+=("$(elapsed "$t0" "$t2")")
    FS_BIG_REQS+=("$(total_delta "$c0" "$c1")")
    rss=$(peak_rss_mib "$FS_PID"); [ "$rss" -gt "$FS_BIG_RSS" ] && FS_BIG_RSS=$rss
    umount_fastiofs
}
big_rclone() {
    settle
    echo "rclone mount: 1 GiB (round $1)..." >&2
    mount_rclone
    t0=$(now)
    write_big "$RMNT/big.bin"; t1=$(now); wait_files "$DAV" 1 "$BIG_SIZE"; t2=$(now)
    RC_BIG_CLOSES+=("$(elapsed "$t0" "$t1")"); RC_BIG_RUNS+=("$(elapsed "$t0" "$t2")")
    rss=$(peak_rss_mib "$RC_PID"); [ "$rss" -gt "$RC_BIG_RSS" ] && RC_BIG_RSS=$rss
    fusermount3 -u "$RMNT"
    cmp -s "$W/src/big.bin" "$DAV/big.bin" || echo "warning: rclone's copy of big.bin differs" >&2
    rm -f "$DAV/big.bin"; rm -rf "$W/rclone-cache"
}
median() { printf "%s\n" "$@" | sort -n | sed -n 2p; }
big_fastiofs 1; big_rclone 1
big_rclone 2; big_fastiofs 2
big_fastiofs 3; big_rclone 3
FS_BIG=$(median "${FS_BIG_RUNS[@]}"); FS_BIG_CLOSE=$(median "${FS_BIG_CLOSES[@]}")
RC_BIG=$(median "${RC_BIG_RUNS[@]}"); RC_BIG_CLOSE=$(median "${RC_BIG_CLOSES[@]}")
FS_BIG_REQ=$(median "${FS_BIG_REQS[@]}")

ratio() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }
per_file() { echo "$1 / $2" | bc -l | xargs printf "%.2f"; }
cat <<TABLE

== write: time until durable on the server (s), writer done (s), peak RSS of the mount process (MiB) ==
| workload          | mount    | durable s | writer done s | peak RSS MiB | API requests |
|-------------------|----------|-----------|---------------|--------------|--------------|
| 1,000 x 4 KiB     | fastiofs | $FS_SMALL | $FS_SMALL_CLOSE | $FS_SMALL_RSS | $FS_SMALL_REQ ($(per_file "$FS_SMALL_REQ" "$SMALL_COUNT") per file) |
| 1,000 x 4 KiB     | rclone   | $RC_SMALL | $RC_SMALL_CLOSE | $RC_SMALL_RSS | - |
| 1 GiB (median)    | fastiofs | $FS_BIG | $FS_BIG_CLOSE | $FS_BIG_RSS | $FS_BIG_REQ |
| 1 GiB (median)    | rclone   | $RC_BIG | $RC_BIG_CLOSE | $RC_BIG_RSS | - |
small files: fastiofs is $(ratio "$RC_SMALL" "$FS_SMALL")x rclone's end-to-end throughput (target >= 5), $(per_file "$FS_SMALL_REQ" "$SMALL_COUNT") API requests per file (target <= 1.1)
1 GiB (median of 3 alternating rounds; fastiofs runs: ${FS_BIG_RUNS[*]} s, rclone runs: ${RC_BIG_RUNS[*]} s):
  fastiofs is $(ratio "$RC_BIG" "$FS_BIG")x rclone end to end (target >= 1.3); peak RSS target <= 64 MiB
TABLE

# Stalls, a small append to a big file, and RSS over 100,000 files (no rclone side).
bash scripts/bench-write-shape.sh
