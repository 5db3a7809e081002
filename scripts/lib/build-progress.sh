#!/usr/bin/env bash
# `swift build ARGS` with its progress shown on one updating line ([n/m] what), the full log kept;
# on failure the errors and the log's tail. Used by demo.sh and install.sh (a first build takes minutes).
set -uo pipefail
log=$(mktemp /tmp/fastiofs-build.XXXXXX.log)
swift build "$@" 2>&1 | tee "$log" | while IFS= read -r line; do
    case "$line" in
        \[*/*\]*) if [ -t 2 ]; then printf '\r\033[K%s' "${line:0:100}" >&2; else echo "$line" >&2; fi ;;
        Fetching*|Computing*|Building\ for*|Build\ complete*) [ -t 2 ] && printf '\r\033[K' >&2; echo "$line" >&2 ;;
    esac
done
status=${PIPESTATUS[0]}
[ -t 2 ] && printf '\r\033[K' >&2
if [ "$status" -ne 0 ]; then
    grep -E 'error:' "$log" | head -30 >&2
    tail -20 "$log" >&2
    echo "build failed (full log: $log)" >&2
    exit "$status"
fi
rm -f "$log"
