/// The rate-limit headers of one answer: `x-ve-limit-avail`, `x-ve-limit-max`,
/// `x-ve-limit-expires` (absolute Unix epoch seconds of the reset), or the legacy
/// `X-Rate-Limit-Available`/`-Max`/`-Expiry`; `Retry-After` (seconds) as a last resort.
///
/// Invariants: header names are matched case-insensitively (callers pass lowercased names);
/// unparseable values read as absent, and so do values out of range: a time that is not finite
/// (`NaN`, `inf`), a count that is not a whole number in `0...maximumCount`. Parsing never traps.
public struct RateLimitHeaders: Sendable, Equatable {
    public var available: Int?
    public var maximum: Int?
    /// Epoch seconds at which the bucket resets.
    public var resetsAt: Double?
    public var retryAfter: Double?

    /// The largest `available`/`maximum` taken from a header (far above any real bucket).
    public static let maximumCount = 1_000_000_000_000

    public init(available: Int? = nil, maximum: Int? = nil, resetsAt: Double? = nil, retryAfter: Double? = nil) {
        self.available = available
        self.maximum = maximum
        self.resetsAt = resetsAt
        self.retryAfter = retryAfter
    }

    /// `headers` keyed by lowercased name.
    public init(headers: [String: String]) {
        func number(_ names: String...) -> Double? {
            for name in names {
                if let raw = headers[name], let value = Double(raw.trimmingWhitespace()), value.isFinite { return value }
            }
            return nil
        }
        func count(_ names: String...) -> Int? {
            for name in names {
                guard let raw = headers[name], let value = Double(raw.trimmingWhitespace()) else { continue }
                guard value >= 0, value <= Double(Self.maximumCount), value.rounded(.down) == value else { return nil }
                return Int(value)
            }
            return nil
        }
        available = count("x-ve-limit-avail", "x-rate-limit-available")
        maximum = count("x-ve-limit-max", "x-rate-limit-max")
        resetsAt = number("x-ve-limit-expires", "x-rate-limit-expiry")
        retryAfter = number("retry-after")
    }

    /// Seconds to wait from `now` (epoch seconds) until the reset; nil when unknown. A value too small
    /// to be an epoch (< 10^9) is read as relative seconds; a reset in the past waits 0.
    public func secondsUntilReset(now: Double) -> Double? {
        if let resetsAt {
            if resetsAt < 1_000_000_000 { return max(0, resetsAt) }
            return max(0, resetsAt - now)
        }
        return retryAfter.map { max(0, $0) }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
