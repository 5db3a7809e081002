import Foundation

/// Decides, before a request is handled, whether to inject a failure (`--fail-rate`, or
/// `--upload-fail-rate` for the upload routes only) or a 429 (`--rate-limit-rate`).
/// Faults are decided before any state is touched, so they never corrupt state.
struct FaultInjector: Sendable {
    enum Fault { case none, unavailable, reset, rateLimited }

    let failRate: Double
    let rateLimitRate: Double
    var uploadFailRate: Double = 0

    func draw(path: String = "") -> Fault {
        if failRate > 0, Double.random(in: 0..<1) < failRate {
            return Bool.random() ? .unavailable : .reset
        }
        if uploadFailRate > 0, path.contains("/upload/") || path.hasSuffix("/upload"),
           Double.random(in: 0..<1) < uploadFailRate {
            return .unavailable
        }
        if rateLimitRate > 0, Double.random(in: 0..<1) < rateLimitRate { return .rateLimited }
        return .none
    }
}

/// A per-user fixed 60-second window that feeds the `x-ve-limit-*` headers (never enforced by itself).
final class RateLimitWindow: Sendable {
    static let max = 5000
    private let state = Locked<[String: (start: Int64, used: Int)]>([:])

    /// (avail, max, expires epoch seconds) after counting one request for `key`.
    func count(_ key: String) -> (Int, Int, Int64) {
        let now = Int64(Date().timeIntervalSince1970)
        return state.withLock { s in
            var entry = s[key] ?? (now, 0)
            if now >= entry.start + 60 { entry = (now, 0) }
            entry.used += 1
            s[key] = entry
            return (Swift.max(0, RateLimitWindow.max - entry.used), RateLimitWindow.max, entry.start + 60)
        }
    }
}
