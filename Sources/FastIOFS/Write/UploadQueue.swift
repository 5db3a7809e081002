import Foundation

/// A source of monotonic seconds (injected so that schedules can be tested without waiting).
protocol WriteClock: Sendable {
    func now() -> Double
}

/// The process's monotonic clock.
struct SystemClock: WriteClock {
    func now() -> Double { MonotonicClock.now() }
}

/// Files waiting for an upload worker, each with the monotonic second it becomes due. Workers
/// sleep on the queue's condition until the earliest entry is due or the queue changes; nothing
/// here touches a file's own lock, so a file busy with a long fetch or sync never stalls the queue.
///
/// Invariants: a file is in the queue at most once (scheduling it again keeps the earlier due
/// time); `next` hands an entry to exactly one worker; after `stop`, `next` answers nil to every
/// worker. Thread-safe.
final class UploadQueue: Sendable {
    private struct Entry: Sendable {
        let file: SpoolFile
        var due: Double
    }
    private struct State: Sendable {
        var entries: [ObjectIdentifier: Entry] = [:]
        var stopping = false
        /// Unmounting: due times give way (a file still open uploads without waiting to be quiet).
        var draining = false
        /// Counts changes, so a sleeping worker sees that something happened.
        var changes: UInt64 = 0
    }

    let clock: any WriteClock
    private let state = ConditionLocked(State())

    init(clock: any WriteClock) {
        self.clock = clock
    }

    /// Queues `file` for `due` (or keeps its earlier due time).
    func schedule(_ file: SpoolFile, due: Double) {
        state.withLock { state in
            let id = ObjectIdentifier(file)
            if let known = state.entries[id], known.due <= due { return }
            state.entries[id] = Entry(file: file, due: due)
            state.changes += 1
        }
    }

    var isDraining: Bool { state.peek { $0.draining } }
    var isEmpty: Bool { state.peek { $0.entries.isEmpty } }

    /// Every queued file becomes due at once (unmount).
    func drain() {
        let now = clock.now()
        state.withLock { state in
            state.draining = true
            for id in state.entries.keys { state.entries[id]!.due = min(state.entries[id]!.due, now) }
            state.changes += 1
        }
    }

    func stop() {
        state.withLock { state in
            state.stopping = true
            state.changes += 1
        }
    }

    /// What a worker does next: take the due entry with the earliest due time, or wait until the
    /// earliest one is due (nil: the queue is empty). Pure, for the workers and for tests.
    enum Pick: Equatable {
        case file(ObjectIdentifier)
        case waitUntil(Double?)
    }

    static func pick(in dues: [ObjectIdentifier: Double], now: Double) -> Pick {
        guard let earliest = dues.min(by: { $0.value < $1.value }) else { return .waitUntil(nil) }
        return earliest.value <= now ? .file(earliest.key) : .waitUntil(earliest.value)
    }

    /// Blocks until a file is due (and takes it) or the queue stops (nil).
    func next() -> SpoolFile? {
        while true {
            let now = clock.now()
            let outcome = state.withLock { state -> (file: SpoolFile?, due: Double?, stop: Bool, seen: UInt64) in
                if state.stopping { return (nil, nil, true, state.changes) }
                switch Self.pick(in: state.entries.mapValues(\.due), now: now) {
                case .file(let id):
                    return (state.entries.removeValue(forKey: id)?.file, nil, false, state.changes)
                case .waitUntil(let due):
                    return (nil, due, false, state.changes)
                }
            }
            if outcome.stop { return nil }
            if let file = outcome.file { return file }
            // Sleep until the earliest due time or a change (at most a second: the injected clock is
            // not the condition's).
            let seconds = min(1, max(0.001, (outcome.due ?? (now + 1)) - now))
            _ = state.wait(until: Date(timeIntervalSinceNow: seconds)) { state -> Bool? in
                state.changes != outcome.seen ? true : nil
            }
        }
    }
}
