#!/usr/bin/env bash
# Part of `scripts/bench.sh write` (run by bench-write.sh): what the write path's shape promises.
#   1. p50/p99/max latency of `ls -l` of other folders and `stat` of other files in the same workspace
#      while a first write fetches a 1 GiB original from a server at --latency-ms 50 (target p99 <= 1 s).
#   2. Append 1 byte to a 256 MiB remote file, until durable on the server.
#   3. RSS of the mount after creating and uploading 100,000 empty files (10 rounds of 10,000 in 10
#      folders of 1,000, the kernel's dentry and inode caches dropped before each reading): round 10
#      within 10 % of round 1.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/emulator.sh
: "${BIN:?run me through scripts/bench.sh}"; : "${BENCH_DIR:?run me through scripts/bench.sh}"

W="$BENCH_DIR/write-shape"
TOKEN="bench-token-$$"
EMU_PID=""; SLOW_PID=""
MNT="$W/mnt"
cleanup() {
    fusermount3 -u "$MNT" 2>/dev/null || true
    fastiofs_stop_pid "$EMU_PID"; fastiofs_stop_pid "$SLOW_PID"
}
trap cleanup EXIT
fusermount3 -u -z "$MNT" 2>/dev/null || true
rm -rf "$W"; mkdir -p "$W/src-slow/huge" "$W/src-append" "$MNT"

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l | xargs printf "%.2f"; }
wait_queue() { python3 - "$1" <<'PY'
import json, os, sys, time
while json.loads(os.getxattr(sys.argv[1], "user.fastio.status")).get("pending_files", 0): time.sleep(0.02)
PY
}
mount_on() {  # mount_on URL CACHE
    FASTIO_TOKEN="$TOKEN" "$BIN/fastiofs" mount "$MNT" --api-url "$1" --workspace bench --cache-dir "$2"
    FS_PID=$(pgrep -n -f "fastiofs mount $MNT" || true)
}
umount_fastiofs() { "$BIN/fastiofs" unmount "$MNT" >/dev/null 2>&1 || fusermount3 -u "$MNT"; }

echo "preparing a 1 GiB original, 300 small folders and a 256 MiB file..." >&2
head -c 1073741824 /dev/urandom >"$W/src-slow/huge/original.bin"
for i in $(seq -w 0 299); do
    mkdir -p "$W/src-slow/spread/d$i"
    for j in 1 2 3 4 5; do echo "file $i $j" >"$W/src-slow/spread/d$i/f$j.txt"; done
done
head -c 268435456 /dev/urandom >"$W/src-append/log.bin"

# 1. Latency elsewhere during a 1 GiB materialization at 50 ms per request.
"$BIN/fastio-emulator" import --data "$W/slow" --workspace bench --from "$W/src-slow" >/dev/null
fastiofs_start_emulator "$BIN" "$W/slow" "$TOKEN" --latency-ms 50; SLOW_PID=$EMU_PID; EMU_PID=""
sync; sleep 1
echo "first write to a 1 GiB file at --latency-ms 50, measuring ls -l / stat elsewhere..." >&2
mount_on "$EMU_URL" "$W/cache-slow"
STALL=$(python3 - "$MNT" <<'PY'
import os, sys, threading, time
m = sys.argv[1]
os.listdir(m + "/spread")                      # the folder names (one listing), not measured
done = threading.Event()
span = {}
def append():
    t = time.monotonic()
    fd = os.open(m + "/huge/original.bin", os.O_WRONLY | os.O_APPEND)
    os.write(fd, b"x")                         # the first write fetches the 1 GiB original
    span["write"] = time.monotonic() - t
    os.close(fd)
    done.set()
threading.Thread(target=append).start()
samples, i = [], 0
while not done.is_set() and i < 300:
    d = "%s/spread/d%03d" % (m, i)
    t = time.monotonic()
    for name in os.listdir(d): os.stat(d + "/" + name)          # ls -l of a folder not listed yet
    samples.append(time.monotonic() - t)
    t = time.monotonic(); os.stat("%s/spread/d%03d/f1.txt" % (m, (i + 150) % 300)); samples.append(time.monotonic() - t)
    t = time.monotonic(); os.getxattr(m, "user.fastio.status"); samples.append(time.monotonic() - t)
    i += 1
done.wait()
samples.sort()
p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]
print("%.3f %.3f %.3f %d %.1f" % (p(0.5), p(0.99), samples[-1], len(samples), span["write"]))
PY
)
read -r ST_P50 ST_P99 ST_MAX ST_N ST_WRITE <<<"$STALL"
umount_fastiofs
fastiofs_stop_pid "$SLOW_PID"; SLOW_PID=""

# 2 and 3 on an emulator without latency.
"$BIN/fastio-emulator" import --data "$W/data" --workspace bench --from "$W/src-append" >/dev/null
fastiofs_start_emulator "$BIN" "$W/data" "$TOKEN"
sync; sleep 1
echo "append 1 byte to a 256 MiB remote file, until durable..." >&2
mount_on "$EMU_URL" "$W/cache"
t0=$(now); printf x >>"$MNT/log.bin"; t1=$(now); wait_queue "$MNT"; t2=$(now)
APPEND_WRITE=$(elapsed "$t0" "$t1"); APPEND_DURABLE=$(elapsed "$t0" "$t2")
umount_fastiofs

echo "100,000 empty files in 10 rounds of 10,000..." >&2
mount_on "$EMU_URL" "$W/cache"
RSS=()
for round in $(seq 1 10); do
    python3 - "$MNT/round$round" <<'PY'
import os, sys
d = sys.argv[1]
os.mkdir(d)
for f in range(10):
    os.mkdir("%s/f%d" % (d, f))
    for i in range(1000):
        os.close(os.open("%s/f%d/e%04d" % (d, f, i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
PY
    wait_queue "$MNT"
    sync; echo 2 >/proc/sys/vm/drop_caches; sleep 2
    RSS+=("$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$FS_PID/status")")
    echo "  round $round: RSS ${RSS[-1]} MiB" >&2
done
PEAK=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$FS_PID/status")
umount_fastiofs
GROWTH=$(echo "(${RSS[9]} - ${RSS[0]}) * 100 / ${RSS[0]}" | bc -l | xargs printf "%.1f")

cat <<TABLE

== write: the write path's shape ==
| measurement | result | target |
|---|---|---|
| ls -l / stat / status elsewhere in the workspace during a first write that fetches a 1 GiB original (--latency-ms 50), $ST_N samples | p50 ${ST_P50} s, p99 ${ST_P99} s, max ${ST_MAX} s (the write itself: ${ST_WRITE} s) | p99 <= 1 s |
| append 1 byte to a 256 MiB remote file | writer done ${APPEND_WRITE} s, durable ${APPEND_DURABLE} s | - |
| RSS after 10,000 / 100,000 empty files created and uploaded (dentry caches dropped) | ${RSS[0]} / ${RSS[9]} MiB (+${GROWTH} %), peak ${PEAK} MiB; rounds: ${RSS[*]} | within 10 % |
TABLE
