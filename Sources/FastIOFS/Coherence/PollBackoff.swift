/// Delays between failed activity polls: exponential from `initial` to `maximum`, with jitter so that
/// many mounts do not retry in step; a rate-limit answer waits at least what the server asked.
///
/// Invariants: `nextDelay` never returns less than `initial` nor more than `maximum` (or the server's
/// rate-limit wait, when longer); `reset()` (after a successful poll) starts over from `initial`.
public struct PollBackoff: Sendable {
    public let initial: Double
    public let maximum: Double
    public private(set) var failures = 0

    public init(initial: Double = 0.25, maximum: Double = 30) {
        self.initial = max(0.001, initial)
        self.maximum = max(self.initial, maximum)
    }

    /// The delay before the next attempt after one more failure; `jitter` in 0..<1 spreads it by
    /// up to +25 %; `serverWait` is a rate-limit reset time the server announced.
    public mutating func nextDelay(jitter: Double, serverWait: Double? = nil) -> Double {
        let exponent = min(failures, 30)
        failures += 1
        let base = min(maximum, initial * Double(1 << exponent))
        let spread = min(maximum, base * (1 + 0.25 * min(max(jitter, 0), 1)))
        return max(spread, serverWait ?? 0)
    }

    public mutating func reset() { failures = 0 }
}
