import FastIO
import Logging

/// How long each profile's metadata may be trusted, from the health of its activity polling.
///
/// Invariants: a profile is trusted for `coherentTTL` only while its last poll succeeded (remote
/// changes then arrive as invalidations); before the first success and after a failure it falls back
/// to `fallbackTTL`; the first failure of a profile logs one warning for the life of the mount (later
/// failures and recoveries log at lower levels). Thread-safe.
public final class FreshnessPolicy: Sendable {
    public enum Health: Sendable, Equatable { case starting, healthy, failing }
    private struct State {
        var health: [Health]
        var warned: [Bool]
    }
    public let coherentTTL: Double
    public let fallbackTTL: Double
    private let state: Locked<State>
    private let logger: Logger

    public init(profileCount: Int, coherentTTL: Double, fallbackTTL: Double, logger: Logger) {
        self.coherentTTL = coherentTTL
        self.fallbackTTL = fallbackTTL
        self.logger = logger
        state = Locked(State(health: Array(repeating: .starting, count: profileCount),
                            warned: Array(repeating: false, count: profileCount)))
    }

    /// Seconds metadata of profile `profile` may be trusted now.
    public func ttl(profile: Int) -> Double {
        health(profile: profile) == .healthy ? max(coherentTTL, fallbackTTL) : fallbackTTL
    }

    public func health(profile: Int) -> Health {
        state.withLock { profile >= 0 && profile < $0.health.count ? $0.health[profile] : .failing }
    }

    /// Records a successful poll; returns true when the profile was failing before (a recovery).
    @discardableResult
    public func pollSucceeded(profile: Int, name: String) -> Bool {
        let previous = state.withLock { state -> Health in
            let previous = state.health[profile]
            state.health[profile] = .healthy
            return previous
        }
        if previous == .failing { logger.info("activity polling for \(name) recovered; caching metadata for \(Int(max(coherentTTL, fallbackTTL))) s again") }
        return previous == .failing
    }

    /// Records a failed poll (one warning per profile per mount).
    public func pollFailed(profile: Int, name: String, error: any Error) {
        let warn = state.withLock { state -> Bool in
            state.health[profile] = .failing
            defer { state.warned[profile] = true }
            return !state.warned[profile]
        }
        if warn {
            logger.warning("cannot poll activity for \(name) (\(error)); remote changes show within \(fallbackTTL) s instead of at once until polling recovers")
        } else {
            logger.debug("activity poll for \(name) failed: \(error)")
        }
    }
}
