import FastIO

/// Node ids this mount itself just changed, so that the activity they cause is not mistaken for a
/// remote change (the write path records them; the poller consumes them).
///
/// Invariants: an expectation absorbs at most one activity report for its node and expires after
/// `lifetime` seconds (a report that never comes must not hide a later remote change); ids are kept
/// canonical; at most `capacity` expectations are held (the oldest are dropped). Thread-safe.
public final class OwnChangeLedger: Sendable {
    private struct Key: Hashable {
        let profile: Int
        let id: String
    }
    private let expectations = Locked<[Key: [Double]]>([:])
    public let lifetime: Double
    public let capacity: Int

    public init(lifetime: Double = 30, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Records that this mount changed `nodeID` of profile `profile` at `now`.
    public func expect(profile: Int, nodeID: String, now: Double? = nil) {
        let now = now ?? MonotonicClock.now()
        let key = Key(profile: profile, id: OpaqueID.canonical(nodeID))
        expectations.withLock { table in
            if table.count >= capacity { table = table.filter { $0.value.contains { now - $0 < lifetime } } }
            guard table.count < capacity || table[key] != nil else { return }
            table[key, default: []].append(now)
        }
    }

    /// True (and forgets one expectation) when a report for `nodeID` is our own change.
    public func consume(profile: Int, nodeID: String, now: Double? = nil) -> Bool {
        let now = now ?? MonotonicClock.now()
        let key = Key(profile: profile, id: OpaqueID.canonical(nodeID))
        return expectations.withLock { table in
            guard var times = table[key] else { return false }
            times.removeAll { now - $0 >= lifetime }
            guard !times.isEmpty else { table[key] = nil; return false }
            times.removeFirst()
            table[key] = times.isEmpty ? nil : times
            return true
        }
    }
}
