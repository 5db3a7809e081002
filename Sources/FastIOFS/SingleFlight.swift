import FastIO
import Foundation

/// Runs at most one computation per key at a time; callers arriving meanwhile wait for its result.
///
/// Invariants: the body runs without any of this object's locks held; every waiter gets exactly the
/// leader's result (value or error); a key is free again as soon as its result is published.
final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// One running computation; `result` is guarded by `condition` (hence `@unchecked Sendable`).
    private final class Flight: @unchecked Sendable {
        let condition = NSCondition()
        var result: Result<Value, FSError>?
    }
    private let flights = Locked<[Key: Flight]>([:])

    func run(_ key: Key, _ body: () throws(FSError) -> Value) throws(FSError) -> Value {
        let (flight, leader): (Flight, Bool) = flights.withLock { flights in
            if let existing = flights[key] { return (existing, false) }
            let created = Flight()
            flights[key] = created
            return (created, true)
        }
        if leader {
            let result: Result<Value, FSError>
            do throws(FSError) { result = .success(try body()) } catch { result = .failure(error) }
            flights.withLock { _ = $0.removeValue(forKey: key) }
            flight.condition.lock()
            flight.result = result
            flight.condition.broadcast()
            flight.condition.unlock()
            return try result.get()
        }
        flight.condition.lock()
        while flight.result == nil { flight.condition.wait() }
        let result = flight.result!
        flight.condition.unlock()
        return try result.get()
    }
}
