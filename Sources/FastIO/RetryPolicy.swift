/// When to try a failed request again, and how long to wait first. Pure: no clock, no randomness,
/// no I/O; the caller passes elapsed time and a jitter sample, so every decision is unit-testable.
///
/// Invariants:
/// - idempotent requests (GET, and DELETE/POST the caller marks idempotent) retry on 408/5xx (not
///   501/505) and transport failures with exponential backoff `base * 2^n`, capped at `maxDelay`,
///   jittered into `[delay/2, delay]`, for at most `maxAttempts` attempts and never past
///   `retryBudget` seconds since the first attempt;
/// - a non-idempotent request retries on transport failures only when it was provably not sent;
/// - any request retries on 429 after the server's reset time, each wait capped at
///   `maxRateLimitWait`, all waits together at most `rateLimitBudget`;
/// - everything else fails at once.
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int = 5
    public var baseDelay: Double = 0.2
    public var maxDelay: Double = 5
    /// Seconds since the first attempt after which no backoff retry starts.
    public var retryBudget: Double = 45
    /// Wait when a 429 carries no usable reset time.
    public var defaultRateLimitWait: Double = 1
    public var maxRateLimitWait: Double = 30
    /// Total seconds of 429 waiting per call before it fails with EAGAIN.
    public var rateLimitBudget: Double = 60

    public init() {}

    /// Never retries; for tests and for callers that do their own.
    public static var none: RetryPolicy {
        var policy = RetryPolicy()
        policy.maxAttempts = 1
        policy.rateLimitBudget = 0
        return policy
    }

    /// What one failed attempt looked like.
    public enum Failure: Sendable, Equatable {
        /// The server answered `status`; for 429, `rateLimitWait` is the seconds until its reset, if known.
        case status(Int, rateLimitWait: Double? = nil)
        case transport(TransportFailure)

        /// A 429: its retry is a wait for the rate limit's reset, not a backoff.
        public var isRateLimit: Bool {
            if case .status(429, _) = self { return true }
            return false
        }
    }

    public enum Decision: Sendable, Equatable {
        case retry(after: Double)
        case fail
    }

    /// Progress of one call across its attempts.
    public struct State: Sendable, Equatable {
        /// Backoff retries already made (429 waits not included).
        public var errorRetries = 0
        /// Seconds already spent waiting on 429s.
        public var rateLimitWaited = 0.0
        public init() {}
    }

    /// - Parameters:
    ///   - elapsed: seconds since the call's first attempt started.
    ///   - jitter: a sample from `0..<1`.
    public func decide(_ failure: Failure, idempotent: Bool, state: State, elapsed: Double,
                       jitter: Double) -> Decision {
        switch failure {
        case .status(429, let wait):
            var seconds = wait ?? defaultRateLimitWait
            if !(seconds > 0) { seconds = min(defaultRateLimitWait, 0.05) }
            seconds = min(seconds, maxRateLimitWait)
            guard state.rateLimitWaited + seconds <= rateLimitBudget else { return .fail }
            return .retry(after: seconds)
        case .status(let status, _):
            guard idempotent, Self.isRetryable(status: status) else { return .fail }
            return backoff(state: state, elapsed: elapsed, jitter: jitter)
        case .transport(let transport):
            if transport.reason == .tlsFailed || transport.reason == .cancelled { return .fail }
            guard idempotent || !transport.requestMayHaveBeenSent else { return .fail }
            return backoff(state: state, elapsed: elapsed, jitter: jitter)
        }
    }

    /// The un-jittered delay before backoff retry number `retry` (0-based).
    public func backoffDelay(retry: Int) -> Double {
        let exponent = min(retry, 30)
        return min(maxDelay, baseDelay * Double(1 << exponent))
    }

    /// Updates `state` for a retry the policy decided on.
    public func record(_ failure: Failure, delay: Double, into state: inout State) {
        if failure.isRateLimit {
            state.rateLimitWaited += delay
        } else {
            state.errorRetries += 1
        }
    }

    static func isRetryable(status: Int) -> Bool {
        status == 408 || ((500...599).contains(status) && status != 501 && status != 505)
    }

    private func backoff(state: State, elapsed: Double, jitter: Double) -> Decision {
        guard state.errorRetries + 1 < maxAttempts else { return .fail }
        let full = backoffDelay(retry: state.errorRetries)
        let delay = full * (0.5 + 0.5 * min(max(jitter, 0), 1))
        guard elapsed + delay <= retryBudget else { return .fail }
        return .retry(after: delay)
    }
}
