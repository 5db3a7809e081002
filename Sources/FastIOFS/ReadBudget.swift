import Synchronization

/// One memory budget for prefetched file data, shared by every open handle of a mount.
///
/// Invariants: the sum of live reservations never exceeds `limit` (a reservation is granted in full or
/// in part only from what is free, never by waiting, so a reader can never deadlock on it); bytes
/// return to the budget exactly once, when the reservation is released or deallocated. A read that
/// cannot get a reservation fetches directly into its own reply buffer, outside the budget.
public final class ReadBudget: Sendable {
    public let limit: Int
    private struct State {
        var reserved = 0
        var peak = 0
    }
    private let state = Mutex(State())

    public init(limit: Int) { self.limit = max(0, limit) }

    /// Reserves between `minimum` and `wanted` bytes (as much as is free beyond `headroom`), or nil
    /// when fewer than `minimum` such bytes are free. Read-ahead leaves a headroom that only the bytes
    /// a read is waiting for may use, so concurrent readers rarely fall back to unbudgeted fetches.
    public func reserve(wanted: Int, minimum: Int, headroom: Int = 0) -> Reservation? {
        let granted: Int? = state.withLock { state in
            let free = limit - state.reserved - max(0, headroom)
            let amount = min(wanted, free)
            guard amount >= max(1, minimum) else { return nil }
            state.reserved += amount
            state.peak = max(state.peak, state.reserved)
            return amount
        }
        return granted.map { Reservation(budget: self, bytes: $0) }
    }

    /// Bytes currently reserved.
    public var reserved: Int { state.withLock { $0.reserved } }
    /// The most bytes ever reserved at once.
    public var peakReserved: Int { state.withLock { $0.peak } }

    fileprivate func give(back bytes: Int) {
        state.withLock { $0.reserved -= bytes }
    }

    /// Bytes held against the budget; returned when released or when this object goes away.
    public final class Reservation: Sendable {
        public let bytes: Int
        private let budget: ReadBudget
        private let released = Atomic(false)

        fileprivate init(budget: ReadBudget, bytes: Int) {
            self.budget = budget
            self.bytes = bytes
        }

        public func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) { budget.give(back: bytes) }
        }

        deinit { release() }
    }
}
