#!/usr/bin/env bash
# Emulator benchmarks (release build):
#  1. a 1 GiB file read with curl (Range: bytes=0-) from the emulator vs Debian's nginx-light on loopback;
#  2. a 10,000-entry folder (loaded with `fastio-emulator import`) listed in 20 pages of 500.
# Prints a small table. Targets: ratio >= 0.5; max ms per page <= 20.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nginx >/dev/null || { apt-get install -y nginx-light >/dev/null; }
command -v curl >/dev/null || { apt-get install -y curl >/dev/null; }
swift build -c release --product fastio-emulator >/dev/null
BIN="$(swift build -c release --show-bin-path)/fastio-emulator"

WORK="$(mktemp -d /tmp/fastio-bench.XXXXXX)"
chmod 755 "$WORK"
EMU_PID=""; NGINX_PID=""
cleanup() {
  [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null && wait "$EMU_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

TOKEN=bench-token
mkdir -p "$WORK/src/big" "$WORK/src/many/dir" "$WORK/www"
head -c 1073741824 /dev/urandom > "$WORK/src/big/big.bin"
ln "$WORK/src/big/big.bin" "$WORK/www/big.bin" 2>/dev/null || cp "$WORK/src/big/big.bin" "$WORK/www/big.bin"
for i in $(seq -w 1 10000); do echo "file $i" > "$WORK/src/many/dir/f$i.txt"; done

start=$(date +%s.%N)
"$BIN" import --data "$WORK/data" --workspace bench --from "$WORK/src/many" 2>/dev/null
import_s=$(echo "$(date +%s.%N) - $start" | bc)
"$BIN" import --data "$WORK/data" --workspace bench --from "$WORK/src/big" 2>/dev/null

"$BIN" --listen 127.0.0.1:0 --data "$WORK/data" --token "$TOKEN" > "$WORK/emu.out" 2> "$WORK/emu.err" &
EMU_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/emu.out" ] && break; sleep 0.1; done
BASE="$(head -1 "$WORK/emu.out" | sed 's/^listening on //')/current"
AUTH="Authorization: Bearer $TOKEN"
json() { python3 -c "import sys,json; d=json.load(sys.stdin); d=d.get('response',d); print(eval(sys.argv[1]))" "$1"; }

# nginx on a loopback port with a temporary prefix and config.
NPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  sendfile on;
  server { listen 127.0.0.1:$NPORT; root $WORK/www; }
}
CONF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" &
NGINX_PID=$!
sleep 0.5

BIG_ID=$(curl -s "$BASE/workspace/bench/storage/root/list/" -H "$AUTH" | json '[n["id"] for n in d["nodes"]["items"] if n["name"]=="big.bin"][0]')
DIR_ID=$(curl -s "$BASE/workspace/bench/storage/root/list/" -H "$AUTH" | json '[n["id"] for n in d["nodes"]["items"] if n["name"]=="dir"][0]')

speed() { curl -s -o /dev/null -w '%{speed_download}' "$@"; }
best_emu=0; best_ngx=0
for _ in 1 2 3; do
  e=$(speed -H "$AUTH" -H 'Range: bytes=0-' "$BASE/workspace/bench/storage/$BIG_ID/read/")
  n=$(speed -H 'Range: bytes=0-' "http://127.0.0.1:$NPORT/big.bin")
  best_emu=$(python3 -c "print(max($best_emu,$e))"); best_ngx=$(python3 -c "print(max($best_ngx,$n))")
done

# 20 pages of 500 over the 10,000-entry folder (one warm-up pass first).
pages() {
  local cursor="" times=()
  for _ in $(seq 1 20); do
    local url="$BASE/workspace/bench/storage/$DIR_ID/list/?page_size=500"
    [ -n "$cursor" ] && url="$url&cursor=$cursor"
    local out; out=$(curl -s -w '\n%{time_total}' "$url" -H "$AUTH")
    times+=("$(echo "$out" | tail -1)")
    cursor=$(echo "$out" | head -n -1 | json 'd["pagination"]["next_cursor"] or ""')
  done
  echo "${times[@]}"
}
pages >/dev/null
read -r -a T <<< "$(pages)"
stats=$(python3 -c "import sys; t=[float(x)*1000 for x in sys.argv[1:]]; print('%.1f %.1f' % (max(t), sum(t)/len(t)))" "${T[@]}")

python3 - "$best_emu" "$best_ngx" $stats "$import_s" <<'PY'
import sys
emu, ngx, mx, mean, imp = map(float, sys.argv[1:6])
print("emulator benchmark                         value      target")
print("1 GiB Range read, emulator (MB/s)       %9.0f" % (emu / 1e6))
print("1 GiB Range read, nginx-light (MB/s)    %9.0f" % (ngx / 1e6))
print("ratio emulator / nginx                  %9.2f      >= 0.50" % (emu / ngx))
print("list 10,000 entries, 20x500: max ms     %9.1f      <= 20" % mx)
print("list 10,000 entries, 20x500: mean ms    %9.1f" % mean)
print("import 10,000 small files (s)           %9.2f" % imp)
PY
