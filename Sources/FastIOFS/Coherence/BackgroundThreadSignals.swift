import Glibc

/// Keeps the termination signals away from the core's own long-lived threads.
///
/// Invariant: a thread that called `blockTerminationSignals()` never receives SIGTERM, SIGINT or
/// SIGHUP, so the kernel delivers them to a FUSE thread, whose interrupted wait is what lets libfuse's
/// loop notice it should exit (a signal handled on a poller thread would leave the loop asleep).
enum BackgroundThreadSignals {
    static func blockTerminationSignals() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }
}
