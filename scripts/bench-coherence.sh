#!/usr/bin/env bash
# Section `coherence` of scripts/bench.sh: a second user changes a mounted workspace through the API
# and we time how long each change takes to show in the mount (100 changes: create, rename, delete,
# in turn; the mount is polled every 5 ms), then count the requests an idle mount sends
# (user.fastio.requests on the mount root) over ${IDLE_SECONDS:-120} s with the default 90 s wait.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/emulator.sh
: "${BIN:?run me through scripts/bench.sh}"; : "${BENCH_DIR:?run me through scripts/bench.sh}"

W="$BENCH_DIR/coherence"
TOKEN="bench-token-$$"; OTHER="bench-other-$$"
EMU_PID=""
MNT="$W/mnt"
cleanup() {
    "$BIN/fastiofs" unmount "$MNT" 2>/dev/null || fusermount3 -u "$MNT" 2>/dev/null || true
    fastiofs_stop_pid "$EMU_PID"
}
trap cleanup EXIT
fusermount3 -u -z "$MNT" 2>/dev/null || true
rm -rf "$W"; mkdir -p "$W" "$MNT"

fastiofs_start_emulator "$BIN" "$W/data" "$TOKEN" --user "other:$OTHER"
export EMU_URL TOKEN OTHER MNT
WS_ID=$(python3 - <<'PY'
import json, os, urllib.request, urllib.parse
url, tok, other = os.environ["EMU_URL"], os.environ["TOKEN"], os.environ["OTHER"]
def call(method, path, token, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url + "/" + path, data=data, method=method, headers={"Authorization": "Bearer " + token})
    j = json.load(urllib.request.urlopen(req)); return j.get("response") or j
org = call("GET", "orgs/list/", tok)["orgs"][0]["id"]
ws = call("POST", "org/%s/create/workspace/" % org, tok, {"folder_name": "coherence", "name": "Coherence bench",
          "perm_join": "Member or above", "perm_member_manage": "Member or above", "intelligence": "false"})["workspace"]["id"]
uid = call("GET", "user/auth/check/", other)["id"]
call("POST", "workspace/%s/members/%s/" % (ws, uid), tok, {"permissions": "member"})
print(ws)
PY
)
export WS_ID
FASTIO_TOKEN="$TOKEN" "$BIN/fastiofs" mount "$MNT" --api-url "$EMU_URL" --workspace "$WS_ID" --read-only \
    --cache-dir "$W/cache"

python3 - <<'PY'
import json, os, time, urllib.request, urllib.parse, uuid
url, other, mnt, ws = os.environ["EMU_URL"], os.environ["OTHER"], os.environ["MNT"], os.environ["WS_ID"]
idle_seconds = float(os.environ.get("IDLE_SECONDS", "120"))
def call(method, path, form=None, body=None, ctype=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else body
    headers = {"Authorization": "Bearer " + other}
    if ctype: headers["Content-Type"] = ctype
    req = urllib.request.Request(url + "/" + path, data=data, method=method, headers=headers)
    j = json.load(urllib.request.urlopen(req)); return j.get("response") or j
def upload(name, content):
    b = uuid.uuid4().hex
    parts = []
    for k, v in [("name", name), ("size", str(len(content))), ("action", "create"), ("instance_id", ws),
                 ("folder_id", "root"), ("profile_type", "workspace")]:
        parts.append(('--%s\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (b, k, v)).encode())
    parts.append(('--%s\r\nContent-Disposition: form-data; name="chunk"; filename="%s"\r\n'
                  'Content-Type: application/octet-stream\r\n\r\n' % (b, name)).encode() + content + b"\r\n")
    parts.append(("--%s--\r\n" % b).encode())
    return call("POST", "upload/", body=b"".join(parts), ctype="multipart/form-data; boundary=" + b)["new_file_id"]
def counts():
    return json.loads(os.getxattr(mnt, "user.fastio.requests").decode())
def wait_until(cond, limit=30.0):
    t = time.perf_counter()
    while not cond():
        if time.perf_counter() - t > limit: return None
        time.sleep(0.005)
    return time.perf_counter() - t
names = lambda: set(os.listdir(mnt))
os.listdir(mnt)
deadline = time.time() + 10
while counts().get("GET activity/poll", 0) < 2 and time.time() < deadline: time.sleep(0.05)
lat = {"create": [], "rename": [], "delete": []}
missed = 0
node = None; name = None
for i in range(100):
    kind = ["create", "rename", "delete"][i % 3] if node else "create"
    if kind == "create":
        name = "f%03d.txt" % i
        node = upload(name, b"x" * (i + 1))
        cond = lambda n=name: os.path.exists(os.path.join(mnt, n)) and n in names()
    elif kind == "rename":
        old, name = name, "r%03d.txt" % i
        call("POST", "workspace/%s/storage/%s/update/" % (ws, node), {"name": name})
        cond = lambda o=old, n=name: not os.path.exists(os.path.join(mnt, o)) and os.path.exists(os.path.join(mnt, n))
    else:
        call("DELETE", "workspace/%s/storage/%s/delete/" % (ws, node))
        cond = lambda n=name: not os.path.exists(os.path.join(mnt, n)) and n not in names()
        node = None
    t = wait_until(cond)
    if t is None: missed += 1
    else: lat[kind].append(t)
allv = sorted(v for l in lat.values() for v in l)
def pct(v, p): return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] * 1000 if v else float("nan")
print()
print("coherence: propagation of %d remote changes (another user, through the API) into the mount" % len(allv))
print("%-10s %6s %10s %10s %10s" % ("change", "n", "p50 ms", "p95 ms", "max ms"))
for k, v in list(lat.items()) + [("all", allv)]:
    v = sorted(v)
    print("%-10s %6d %10.0f %10.0f %10.0f" % (k, len(v), pct(v, 50), pct(v, 95), (v[-1] * 1000 if v else float("nan"))))
print("not visible within 30 s: %d" % missed)
time.sleep(2)
a = counts(); time.sleep(idle_seconds); b = counts()
d = {k: b.get(k, 0) - a.get(k, 0) for k in b if b.get(k, 0) != a.get(k, 0)}
total = sum(d.values())
print()
print("idle mount over %.0f s (activity wait 90 s): %.2f requests/min  %s" % (idle_seconds, total * 60 / idle_seconds, json.dumps(d, sort_keys=True)))
PY
