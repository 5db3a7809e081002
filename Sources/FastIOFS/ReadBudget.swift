import FastIO
import Foundation
import Synchronization

/// One memory budget for prefetched file data, shared by every open handle of a mount, and the
/// mappings that held such data, kept for reuse.
///
/// Invariants: live reservations plus idle mappings never exceed `limit` (a reservation is granted in
/// full or in part only from what reservations leave free, never by waiting, so a reader can never
/// deadlock on it; idle mappings make room by being unmapped); bytes return to the budget exactly
/// once, when the reservation is released, recycled or deallocated. An idle mapping is handed to at
/// most one reservation, of exactly its size. A read that cannot get a reservation fetches directly
/// into its own reply buffer, outside the budget.
///
/// Why idle mappings: a fresh anonymous mapping costs a page fault and a page zeroing per 4 KiB on
/// first touch (a quarter of the daemon's CPU in a cold 1 GiB read); a reused one costs neither.
public final class ReadBudget: Sendable {
    public let limit: Int

    /// An unmapped-on-demand region of `capacity` bytes at `address` (stored as an integer: it is
    /// only ever handed out under the lock, to one owner at a time).
    struct IdleMapping: Sendable {
        let address: UInt
        let capacity: Int
        var pointer: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: address)! }
    }

    private struct State {
        var reserved = 0
        var peak = 0
        /// Least recently recycled first.
        var idle: [IdleMapping] = []
        var idleBytes = 0
    }
    private let state = Locked(State())

    public init(limit: Int) { self.limit = max(0, limit) }

    /// Reserves between `minimum` and `wanted` bytes (as much as is free beyond `headroom`), or nil
    /// when fewer than `minimum` such bytes are free. Read-ahead leaves a headroom that only the bytes
    /// a read is waiting for may use, so concurrent readers rarely fall back to unbudgeted fetches.
    /// The reservation carries an idle mapping of its exact size when one is kept.
    public func reserve(wanted: Int, minimum: Int, headroom: Int = 0) -> Reservation? {
        var evicted: [IdleMapping] = []
        let granted: (bytes: Int, mapping: IdleMapping?)? = state.withLock { state in
            let free = limit - state.reserved - max(0, headroom)
            let amount = min(wanted, free)
            guard amount >= max(1, minimum) else { return nil }
            state.reserved += amount
            state.peak = max(state.peak, state.reserved)
            var reused: IdleMapping?
            if let index = state.idle.lastIndex(where: { $0.capacity == amount }) {
                reused = state.idle.remove(at: index)
                state.idleBytes -= amount
            }
            while state.reserved + state.idleBytes > limit, !state.idle.isEmpty {
                let oldest = state.idle.removeFirst()
                state.idleBytes -= oldest.capacity
                evicted.append(oldest)
            }
            return (amount, reused)
        }
        for mapping in evicted { munmap(mapping.pointer, mapping.capacity) }
        return granted.map { Reservation(budget: self, bytes: $0.bytes, mapping: $0.mapping) }
    }

    /// Unmaps every idle mapping when no reservation is live (the last reader closed): an idle
    /// mount gives its memory back.
    public func dropIdleMappingsIfUnused() {
        let dropped: [IdleMapping] = state.withLock { state in
            guard state.reserved == 0 else { return [] }
            defer {
                state.idle = []
                state.idleBytes = 0
            }
            return state.idle
        }
        for mapping in dropped { munmap(mapping.pointer, mapping.capacity) }
    }

    /// Bytes currently reserved.
    public var reserved: Int { state.withLock { $0.reserved } }
    /// The most bytes ever reserved at once.
    public var peakReserved: Int { state.withLock { $0.peak } }
    /// Bytes held in idle mappings.
    public var idleBytes: Int { state.withLock { $0.idleBytes } }

    fileprivate func give(back bytes: Int) {
        state.withLock { $0.reserved -= bytes }
    }

    /// Moves `bytes` from the reservations to the idle mappings (`mapping` has exactly that size).
    fileprivate func keep(_ mapping: IdleMapping, givingBack bytes: Int) {
        state.withLock { state in
            state.reserved -= bytes
            state.idle.append(mapping)
            state.idleBytes += mapping.capacity
        }
    }

    /// Bytes held against the budget; returned when released, recycled, or when this object goes away.
    public final class Reservation: Sendable {
        public let bytes: Int
        private let budget: ReadBudget
        private let released = Atomic(false)
        /// An idle mapping of exactly `bytes` handed over with the reservation: taken by its buffer,
        /// or unmapped when the reservation goes away untaken.
        private let mapping: IdleMapping?
        private let mappingTaken = Atomic(false)

        fileprivate init(budget: ReadBudget, bytes: Int, mapping: IdleMapping?) {
            self.budget = budget
            self.bytes = bytes
            self.mapping = mapping
        }

        public func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) { budget.give(back: bytes) }
        }

        /// Ends the reservation and keeps `pointer` (a mapping of `capacity` bytes its owner is done
        /// with) for the next reservation of that size; unmaps it when it cannot be kept.
        func recycle(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
            guard capacity == bytes, !released.exchange(true, ordering: .acquiringAndReleasing) else {
                munmap(pointer, capacity)
                release()
                return
            }
            budget.keep(IdleMapping(address: UInt(bitPattern: pointer), capacity: capacity), givingBack: bytes)
        }

        /// The carried idle mapping when it has exactly `capacity` bytes (once; nil after that or
        /// when there is none: map fresh memory).
        func takeMapping(capacity: Int) -> UnsafeMutableRawPointer? {
            guard let mapping, mapping.capacity == capacity,
                  !mappingTaken.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
            return mapping.pointer
        }

        deinit {
            if let mapping, !mappingTaken.load(ordering: .acquiring) { munmap(mapping.pointer, mapping.capacity) }
            release()
        }
    }
}
