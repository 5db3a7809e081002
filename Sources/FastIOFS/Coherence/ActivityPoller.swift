import FastIO
import Foundation
import Logging
import Synchronization

/// One long-poll loop over `activity/poll/{profile_id}/` for one mounted workspace or share, on its own
/// thread (blocking libcurl calls never run on Swift's cooperative pool).
///
/// Invariants: `lastactivity` is echoed verbatim from the previous answer (kept when an answer has
/// none); polls start at least `minimumInterval` apart, so a burst of changes is coalesced into few
/// polls and the loop cannot spin; failures back off (`PollBackoff`) and are reported to `onFailure`;
/// `stop()` returns promptly (the running poll is cancelled, not waited for) and afterwards no
/// callback runs. Answers are handed to `onKeys` on the poller thread, which therefore does the
/// refreshing: while it refreshes, new activity accumulates on the server for the next poll.
final class ActivityPoller: Sendable {
    struct Callbacks: Sendable {
        var poll: @Sendable (_ lastActivity: String?, _ cancellation: TransferCancellation) throws -> ActivityPoll
        var onKeys: @Sendable ([String]) -> Void
        var onSuccess: @Sendable () -> Void
        var onFailure: @Sendable (any Error) -> Void
    }

    let name: String
    let minimumInterval: Double
    private let callbacks: Callbacks
    private let cancellation = TransferCancellation()
    /// Set when the loop is cancelled; the loop's pauses wait on it.
    private let stopping = ConditionLocked(false)
    private let finished = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    private let pollCount = Atomic<Int>(0)
    private let logger: Logger

    init(name: String, minimumInterval: Double, logger: Logger, callbacks: Callbacks) {
        self.name = name
        self.minimumInterval = minimumInterval
        self.logger = logger
        self.callbacks = callbacks
    }

    /// Polls sent so far (for tests).
    var polls: Int { pollCount.load(ordering: .relaxed) }

    func start() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let thread = Thread { [self] in run() }
        thread.name = "fastiofs-activity"
        thread.start()
    }

    /// Cancels the running poll and the loop without waiting.
    func cancel() {
        cancellation.cancel()
        stopping.withLock { $0 = true }
    }

    /// Cancels the loop and waits up to `timeout` seconds for its thread to end.
    func stop(timeout: Double = 5) {
        cancel()
        guard started.load(ordering: .acquiring) else { return }
        if finished.wait(timeout: .now() + timeout) == .timedOut {
            logger.warning("activity poller for \(name) did not stop within \(timeout) s")
        }
    }

    private func run() {
        BackgroundThreadSignals.blockTerminationSignals()
        defer { finished.signal() }
        var lastActivity: String?
        var backoff = PollBackoff()
        while !cancellation.isCancelled {
            let began = MonotonicClock.now()
            do {
                pollCount.add(1, ordering: .relaxed)
                let answer = try callbacks.poll(lastActivity, cancellation)
                if cancellation.isCancelled { return }
                backoff.reset()
                if let next = answer.lastActivity { lastActivity = next }
                callbacks.onSuccess()
                if !answer.keys.isEmpty { callbacks.onKeys(answer.keys) }
                sleep(until: began + minimumInterval)
            } catch {
                if cancellation.isCancelled { return }
                callbacks.onFailure(error)
                let serverWait = (error as? FastIOError).flatMap { $0.errno == EAGAIN ? 1.0 : nil }
                sleep(until: MonotonicClock.now() + backoff.nextDelay(jitter: Double.random(in: 0..<1),
                                                                      serverWait: serverWait))
            }
        }
    }

    /// Pauses until the monotonic time `deadline`, waking at once when cancelled (it waits on the
    /// stop condition, not in a sleep loop).
    private func sleep(until deadline: Double) {
        let remaining = deadline - MonotonicClock.now()
        guard remaining > 0 else { return }
        _ = stopping.wait(until: Date(timeIntervalSinceNow: remaining)) { $0 ? true : nil }
    }
}
