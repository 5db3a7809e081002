#!/usr/bin/env bash
# Runs the tests under ThreadSanitizer, in a build of its own (.build/tsan), and fails when any
# process (the test runner, a fastiofs daemon, an emulator) reported a data race.
#   scripts/tsan.sh                    every test but FuseBridgeTests (below)
#   scripts/tsan.sh --filter SUITE     some (any `swift test` arguments)
# Reports: .build/tsan/reports/tsan.<pid> (one file per process that reported).
# libfuse's multithreaded loop ends its idle workers with pthread_cancel inside read(2); TSan then
# says "thread T finished with ignores enabled" and stops the process. A daemon is past its unmount
# by then (those lines are counted apart, not as races), but FuseBridgeTests run the loop inside the
# test runner, which would die mid-run: they are skipped unless asked for.
# The project's locks (`Locked`, NSLock, NSCondition) are pthread mutexes, which TSan sees;
# Synchronization.Mutex locks with futexes, which it does not, so the sources do not use it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
fastiofs_install_deps rsync sqlite3 psmisc procps
scratch=.build/tsan
reports=$PWD/$scratch/reports
log=$(mktemp)
if ! swift build --build-tests --sanitize=thread --scratch-path "$scratch" >"$log" 2>&1; then
    grep -E 'error:' "$log" | head -30 >&2 || true
    tail -20 "$log" >&2
    echo "TSan build failed (full log: $log)" >&2
    exit 1
fi
rm -f "$log"
rm -rf "$reports" && mkdir -p "$reports"
export TSAN_OPTIONS="log_path=$reports/tsan halt_on_error=0 second_deadlock_stack=1 history_size=4"
export FASTIOFS_REQUIRE_FUSE=${FASTIOFS_REQUIRE_FUSE:-1}
status=0
[ $# -gt 0 ] || set -- --skip FuseBridgeTests
swift test --skip-build --sanitize=thread --scratch-path "$scratch" "$@" || status=$?
races=$(cat "$reports"/tsan.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer' || true)
cancelled=$(cat "$reports"/tsan.* 2>/dev/null | grep -c 'finished with ignores enabled' || true)
echo "ThreadSanitizer: $races race report(s), $cancelled cancelled libfuse worker(s), in $(ls "$reports" | wc -l) process(es); tests exited $status"
if [ "$races" -gt 0 ]; then
    grep -h -A3 '^WARNING: ThreadSanitizer' "$reports"/tsan.* | head -60
    exit 1
fi
exit "$status"
