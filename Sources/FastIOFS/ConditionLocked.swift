import Foundation

/// A value guarded by one `NSCondition`: changed under the lock, and threads that must wait for a
/// change sleep on the condition (never in a sleep loop). Every `withLock` wakes the waiters, which
/// then look again.
///
/// Invariant: `value` is only touched with the condition's lock held; the lock is never held across
/// I/O by this type (callers keep their closures short). `@unchecked Sendable`: the lock guards it.
public final class ConditionLocked<Value>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` on the value and wakes every waiter (it may have changed what they wait for).
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&value)
    }

    /// Reads without waking anyone.
    public func peek<Result>(_ body: (Value) -> Result) -> Result {
        condition.lock()
        defer { condition.unlock() }
        return body(value)
    }

    /// Runs `body` until it answers non-nil, sleeping on the condition between tries; nil once
    /// `deadline` (wall clock, for `NSCondition`) passes first. Wakes the waiters after a change.
    public func wait<Result>(until deadline: Date? = nil, _ body: (inout Value) -> Result?) -> Result? {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        while true {
            if let result = body(&value) { return result }
            if let deadline {
                if !condition.wait(until: deadline) {
                    return body(&value)
                }
            } else {
                condition.wait()
            }
        }
    }
}
