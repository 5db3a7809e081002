import Glibc

/// Routes SIGTERM, SIGINT and SIGHUP (termination), and SIGUSR1/SIGUSR2 (the log: reopen, next level),
/// to one waiting thread instead of whichever thread the kernel picks.
///
/// Why: a termination signal delivered to whichever thread the kernel picks (fetch pool, curl,
/// poller) would run libfuse's handler there, which only marks the session exited and wakes nobody;
/// and exiting must first let running kernel notifications end. So every thread blocks these
/// signals (call `blockInEveryThread()` first thing, before any thread exists: new threads inherit
/// the mask), `startWaiter` receives them with `sigwait`, and its handler calls the session's
/// `requestExit()`, which stops the worker loop through its eventfd.
public enum TerminationSignals {
    static let routed: [Int32] = [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2]

    /// Blocks the termination signals in the calling thread and, by inheritance, every thread it
    /// creates afterwards.
    public static func blockInEveryThread() {
        var set = signalSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts a thread that waits for a routed signal and calls `handler(signal)` each time one
    /// arrives. Requires `blockInEveryThread()` to have run.
    public static func startWaiter(_ handler: @escaping @Sendable (Int32) -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        let box = Unmanaged.passRetained(WaiterBox(handler))
        var thread = pthread_t()
        let rc = pthread_create(&thread, &attributes, { raw in
            let box = Unmanaged<WaiterBox>.fromOpaque(raw!).takeRetainedValue()
            var set = TerminationSignals.signalSet()
            while true {
                var received: Int32 = 0
                if sigwait(&set, &received) == 0 { box.handler(received) }
            }
        }, box.toOpaque())
        if rc == 0 { pthread_detach(thread) } else { box.release() }
    }

    static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in routed { sigaddset(&set, signal) }
        return set
    }
}

/// Carries the handler into the C thread entry point.
private final class WaiterBox: Sendable {
    let handler: @Sendable (Int32) -> Void
    init(_ handler: @escaping @Sendable (Int32) -> Void) { self.handler = handler }
}
