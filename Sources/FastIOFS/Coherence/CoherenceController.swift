import FastIO
import Logging

/// The coherence machinery of one mount: per-profile freshness, own-change expectations, the kernel
/// invalidation queue and the activity pollers.
///
/// Invariants: pollers run only between `start` and `stop` (each at most once); after `stop` no poller
/// thread or drain thread is left and no notification is sent. Thread-safe.
public final class CoherenceController: Sendable {
    public let freshness: FreshnessPolicy
    public let ownChanges = OwnChangeLedger()
    public let invalidations: InvalidationQueue
    private struct State {
        var pollers: [ActivityPoller] = []
        var started = false
        var stopped = false
    }
    private let state = Locked(State())

    init(profileCount: Int, configuration: MountConfiguration, logger: Logger) {
        freshness = FreshnessPolicy(profileCount: profileCount, coherentTTL: configuration.coherentTTL,
                                    fallbackTTL: configuration.metadataTTL, logger: logger)
        invalidations = InvalidationQueue(logger: logger)
    }

    /// Starts the drain thread and the given pollers; false when already started or stopped.
    func start(_ pollers: [ActivityPoller]) -> Bool {
        let begin = state.withLock { state -> Bool in
            guard !state.started, !state.stopped else { return false }
            state.started = true
            state.pollers = pollers
            return true
        }
        guard begin else { return false }
        invalidations.start()
        for poller in pollers { poller.start() }
        return true
    }

    func stop() {
        let pollers = state.withLock { state -> [ActivityPoller] in
            state.stopped = true
            defer { state.pollers = [] }
            return state.pollers
        }
        // Cancel every poll first (they end within about a second), then wait for each thread.
        for poller in pollers { poller.cancel() }
        for poller in pollers { poller.stop(timeout: 5) }
        invalidations.stop()
    }

    /// Polls sent so far by all pollers (for tests).
    var pollCount: Int { state.withLock { $0.pollers.reduce(0) { $0 + $1.polls } } }
}
