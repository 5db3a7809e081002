import Synchronization

/// Counts HTTP requests sent, per route template (`GET storage/list`, `GET storage/read`, …), and
/// the TCP/TLS connections libcurl had to open for them.
///
/// Invariant: every attempt that reached libcurl is counted once, retries included; thread-safe
/// under one `Mutex` held only for a dictionary increment.
final class RequestCounters: Sendable {
    private struct Counts {
        var byRoute: [String: Int] = [:]
        var connectionsOpened = 0
        var inFlight: [String: Int] = [:]
    }
    private let counts = Mutex(Counts())

    /// A request of `route` is about to be sent (pair with `record`).
    func started(route: String) {
        counts.withLock { $0.inFlight[route, default: 0] += 1 }
    }

    /// A request ended (answered or failed).
    func record(route: String, newConnections: Int) {
        counts.withLock {
            $0.byRoute[route, default: 0] += 1
            $0.connectionsOpened += newConnections
            if let running = $0.inFlight[route] { $0.inFlight[route] = running > 1 ? running - 1 : nil }
        }
    }

    func inFlight() -> [String: Int] { counts.withLock { $0.inFlight } }

    func snapshot() -> [String: Int] { counts.withLock { $0.byRoute } }
    func connectionsOpened() -> Int { counts.withLock { $0.connectionsOpened } }
    func reset() { counts.withLock { $0 = Counts(inFlight: $0.inFlight) } }
}
