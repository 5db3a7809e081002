#!/usr/bin/env bash
# Fuzzes one decoder with libFuzzer (Swift's -sanitize=fuzzer, with AddressSanitizer).
#   scripts/fuzz.sh --list              the targets
#   scripts/fuzz.sh TARGET [SECONDS]    build it and run it for SECONDS (default 60)
# The committed seeds are in Tests/Fuzz/corpus/TARGET (kept small; read only here); what the run
# discovers goes to .build/fuzz/corpus/TARGET, and a crashing input to .build/fuzz/artifacts/.
# Every crash found becomes a unit test.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A products=(
    [envelope]=FuzzEnvelope [node]=FuzzNode [timestamp]=FuzzTimestamp [rate-limit]=FuzzRateLimit
    [posix-name]=FuzzPosixNames [multipart]=FuzzMultipart [byte-range]=FuzzByteRange
)
usage() { echo "usage: scripts/fuzz.sh --list | TARGET [SECONDS]" >&2; exit 2; }

[ $# -ge 1 ] || usage
if [ "$1" = "--list" ]; then
    printf '%s\n' "${!products[@]}" | sort
    exit 0
fi
target=$1
seconds=${2:-60}
product=${products[$target]:-}
[ -n "$product" ] || { echo "unknown fuzz target '$target' (scripts/fuzz.sh --list names them)" >&2; exit 2; }
[[ "$seconds" =~ ^[0-9]+$ ]] || usage

. scripts/lib/deps.sh
fastiofs_install_deps
scratch=.build/fuzz
log=$(mktemp)
if ! FASTIOFS_FUZZ=1 swift build -c release --scratch-path "$scratch" --product "$product" \
        -Xswiftc -sanitize=fuzzer,address >"$log" 2>&1; then
    grep -E 'error:' "$log" | head -30 >&2 || true
    tail -20 "$log" >&2
    echo "fuzz build failed (full log: $log)" >&2
    exit 1
fi
rm -f "$log"
corpus=$scratch/corpus/$target
artifacts=$scratch/artifacts/$target/
mkdir -p "$corpus" "$artifacts" "Tests/Fuzz/corpus/$target"
echo "fuzzing $target for $seconds s (new inputs: $corpus, crashes: $artifacts)"
# Swift's own crash backtracer would race libFuzzer's handler for the trap; libFuzzer's saves the input.
SWIFT_BACKTRACE=enable=no "$scratch/release/$product" "$corpus" "Tests/Fuzz/corpus/$target" \
    -max_total_time="$seconds" -artifact_prefix="$artifacts" -print_final_stats=1 -max_len=65536
