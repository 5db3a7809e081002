# Sourced by the scripts: start and stop a fastio-emulator in the background.
# fastiofs_start_emulator BIN_DIR DATA_DIR TOKEN [extra args...]  -> sets EMU_PID, EMU_PORT, EMU_URL
fastiofs_start_emulator() {
    local bin="$1" data="$2" token="$3"; shift 3
    mkdir -p "$data"
    local out="$data/emulator.stdout"
    : >"$out"
    "$bin/fastio-emulator" --listen 127.0.0.1:0 --data "$data" --token "$token" "$@" \
        >"$out" 2>"$data/emulator.log" &
    EMU_PID=$!
    local i line
    for i in $(seq 1 300); do
        line=$(head -n 1 "$out" 2>/dev/null || true)
        case "$line" in
            "listening on http://127.0.0.1:"*) EMU_PORT=${line##*:}; EMU_URL="http://127.0.0.1:$EMU_PORT/current"; return 0 ;;
        esac
        if ! kill -0 "$EMU_PID" 2>/dev/null; then
            echo "fastio-emulator exited early:" >&2; tail -20 "$data/emulator.log" >&2; return 1
        fi
        sleep 0.1
    done
    echo "fastio-emulator did not start within 30 s" >&2
    kill "$EMU_PID" 2>/dev/null || true
    return 1
}

# fastiofs_stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL.
fastiofs_stop_pid() {
    local pid="$1" i
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
