import FastIO
import Foundation
import Logging

/// Kernel invalidations waiting to be sent, and the thread that sends them.
///
/// Invariants: `enqueue` never blocks on the kernel and never calls the notifier (it is safe to call
/// while holding locks, from the poller or from an operation); the notifier is only ever called from
/// the drain thread, with no lock of this queue held (libfuse's rule: no notification from inside
/// an operation or under a lock an operation needs); a pending invalidation is queued once however
/// often it is asked for; without an attached notifier invalidations are counted and dropped;
/// after `stop()` nothing more is sent. Thread-safe.
public final class InvalidationQueue: Sendable {
    private struct State {
        var pending: [KernelInvalidation] = []
        var pendingSet: Set<KernelInvalidation> = []
        var notifier: (any KernelNotifier)?
        var running = false
        var stopped = false
        var inFlight = false
        var sent = 0
        /// Handed to an attached notifier, by kind (dropped ones are not among them).
        var delivered: [KernelInvalidation.Kind: Int] = [:]
    }
    private let state = Locked(State())
    /// Signalled on enqueue and stop; the drain thread waits on it.
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func attach(_ notifier: any KernelNotifier) {
        state.withLock { $0.notifier = notifier }
    }

    /// Starts the drain thread (once).
    public func start() {
        let begin = state.withLock { state -> Bool in
            guard !state.running, !state.stopped else { return false }
            state.running = true
            return true
        }
        guard begin else { return }
        let thread = Thread { [self] in drain() }
        thread.name = "fastiofs-invalidate"
        thread.start()
    }

    public func enqueue(_ invalidations: [KernelInvalidation]) {
        guard !invalidations.isEmpty else { return }
        let wake = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            for item in invalidations where state.pendingSet.insert(item).inserted { state.pending.append(item) }
            return true
        }
        if wake { wakeup.signal() }
    }

    /// Stops the drain thread (waiting up to `timeout` seconds for it); pending items are dropped.
    public func stop(timeout: Double = 5) {
        let wasRunning = state.withLock { state -> Bool in
            state.stopped = true
            state.pending.removeAll()
            state.pendingSet.removeAll()
            return state.running
        }
        guard wasRunning else { return }
        wakeup.signal()
        _ = finished.wait(timeout: .now() + timeout)
    }

    /// Invalidations handed to the notifier so far.
    public var sentCount: Int { state.withLock { $0.sent } }

    /// Invalidations handed to the kernel notifier so far, by kind (every kind present, 0 or more).
    public var deliveredByKind: [KernelInvalidation.Kind: Int] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: KernelInvalidation.Kind.allCases.map { ($0, state.delivered[$0] ?? 0) })
        }
    }

    /// Waits until nothing is pending or being sent (tests, benchmarks); false on timeout.
    public func waitUntilIdle(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if state.withLock({ $0.pending.isEmpty && !$0.inFlight }) { return true }
            usleep(2_000)
        }
        return false
    }

    private func drain() {
        BackgroundThreadSignals.blockTerminationSignals()
        defer { finished.signal() }
        while true {
            wakeup.wait()
            while true {
                let next = state.withLock { state -> (batch: [KernelInvalidation], notifier: (any KernelNotifier)?)? in
                    if state.stopped { return nil }
                    let batch = state.pending
                    state.pending.removeAll(keepingCapacity: true)
                    state.pendingSet.removeAll(keepingCapacity: true)
                    state.inFlight = !batch.isEmpty
                    return (batch, state.notifier)
                }
                guard let next else { return }
                if next.batch.isEmpty { break }
                if let notifier = next.notifier {
                    for item in next.batch {
                        let stopped = state.withLock { state -> Bool in
                            guard !state.stopped else { return true }
                            state.delivered[item.kind, default: 0] += 1
                            return false
                        }
                        if stopped { return }
                        logger.trace("kernel \(item)")
                        item.send(to: notifier)
                    }
                }
                state.withLock {
                    $0.sent += next.batch.count
                    $0.inFlight = false
                }
            }
        }
    }
}
