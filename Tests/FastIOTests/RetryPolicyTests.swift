import Testing
@testable import FastIO

@Suite("Retry policy")
struct RetryPolicyTests {
    let policy = RetryPolicy()
    let sent = TransportFailure(reason: .connectionLost, requestMayHaveBeenSent: true)
    let refused = TransportFailure(reason: .connectFailed, requestMayHaveBeenSent: false)

    @Test func idempotentRetries5xxAndNetworkErrors() {
        for status in [500, 502, 503, 504, 408] {
            #expect(policy.decide(.status(status), idempotent: true, state: .init(), elapsed: 0, jitter: 1) == .retry(after: 0.2))
        }
        #expect(policy.decide(.transport(sent), idempotent: true, state: .init(), elapsed: 0, jitter: 1) == .retry(after: 0.2))
    }

    @Test func clientErrorsAreNeverRetried() {
        for status in [400, 401, 403, 404, 409, 413, 501] {
            #expect(policy.decide(.status(status), idempotent: true, state: .init(), elapsed: 0, jitter: 0) == .fail)
        }
    }

    @Test func nonIdempotentOnlyWhenProvablyNotSent() {
        #expect(policy.decide(.status(503), idempotent: false, state: .init(), elapsed: 0, jitter: 0) == .fail)
        #expect(policy.decide(.transport(sent), idempotent: false, state: .init(), elapsed: 0, jitter: 0) == .fail)
        if case .retry = policy.decide(.transport(refused), idempotent: false, state: .init(), elapsed: 0, jitter: 0) {} else {
            Issue.record("a refused connect must be retried even for POST")
        }
    }

    @Test func tlsFailuresAreFinal() {
        let tls = TransportFailure(reason: .tlsFailed, requestMayHaveBeenSent: false)
        #expect(policy.decide(.transport(tls), idempotent: true, state: .init(), elapsed: 0, jitter: 0) == .fail)
    }

    @Test func backoffDoublesAndIsCapped() {
        #expect(policy.backoffDelay(retry: 0) == 0.2)
        #expect(policy.backoffDelay(retry: 1) == 0.4)
        #expect(policy.backoffDelay(retry: 2) == 0.8)
        #expect(policy.backoffDelay(retry: 10) == 5)
        #expect(policy.backoffDelay(retry: 1000) == 5)
    }

    @Test func jitterStaysWithinHalfToFullDelay() {
        var state = RetryPolicy.State()
        state.errorRetries = 2
        for jitter in stride(from: 0.0, to: 1.0, by: 0.1) {
            guard case .retry(let delay) = policy.decide(.status(503), idempotent: true, state: state, elapsed: 0, jitter: jitter) else {
                Issue.record("expected retry"); return
            }
            #expect(delay >= 0.4 && delay <= 0.8)
        }
    }

    @Test func attemptsAreBounded() {
        var state = RetryPolicy.State()
        var attempts = 1
        var waited = 0.0
        while case .retry(let delay) = policy.decide(.status(503), idempotent: true, state: state, elapsed: waited, jitter: 1) {
            policy.record(.status(503), delay: delay, into: &state)
            waited += delay
            attempts += 1
            #expect(attempts <= 10)
        }
        #expect(attempts == policy.maxAttempts)
        #expect(waited <= policy.retryBudget)
    }

    @Test func retryBudgetStopsBackoff() {
        #expect(policy.decide(.status(503), idempotent: true, state: .init(), elapsed: policy.retryBudget, jitter: 0) == .fail)
    }

    @Test func rateLimitWaitsUntilResetCappedPerWaitAndInTotal() {
        #expect(policy.decide(.status(429, rateLimitWait: 3), idempotent: false, state: .init(), elapsed: 0, jitter: 0) == .retry(after: 3))
        #expect(policy.decide(.status(429, rateLimitWait: 500), idempotent: true, state: .init(), elapsed: 0, jitter: 0) == .retry(after: 30))
        #expect(policy.decide(.status(429, rateLimitWait: nil), idempotent: true, state: .init(), elapsed: 0, jitter: 0) == .retry(after: 1))
        var state = RetryPolicy.State()
        state.rateLimitWaited = 59
        #expect(policy.decide(.status(429, rateLimitWait: 2), idempotent: true, state: state, elapsed: 0, jitter: 0) == .fail)
    }

    @Test func rateLimitWaitsDoNotConsumeErrorRetries() {
        var state = RetryPolicy.State()
        policy.record(.status(429, rateLimitWait: 2), delay: 2, into: &state)
        #expect(state.errorRetries == 0)
        #expect(state.rateLimitWaited == 2)
    }

    @Test func noneNeverRetries() {
        let none = RetryPolicy.none
        #expect(none.decide(.status(503), idempotent: true, state: .init(), elapsed: 0, jitter: 0) == .fail)
        #expect(none.decide(.status(429, rateLimitWait: 1), idempotent: true, state: .init(), elapsed: 0, jitter: 0) == .fail)
    }
}
