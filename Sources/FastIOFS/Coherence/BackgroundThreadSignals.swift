import Glibc

/// Keeps the termination signals away from the core's own long-lived threads.
///
/// Invariant: a thread that called `blockTerminationSignals()` never receives SIGTERM, SIGINT or
/// SIGHUP, so in a process that does not route them to one thread (the daemon does, see
/// `TerminationSignals`) the kernel delivers them to the thread running the FUSE loop, whose
/// interrupted wait is what lets it notice the session should exit.
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
