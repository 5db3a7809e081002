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
    }
    private let counts = Mutex(Counts())

    func record(route: String, newConnections: Int) {
        counts.withLock {
            $0.byRoute[route, default: 0] += 1
            $0.connectionsOpened += newConnections
        }
    }

    func snapshot() -> [String: Int] { counts.withLock { $0.byRoute } }
    func connectionsOpened() -> Int { counts.withLock { $0.connectionsOpened } }
    func reset() { counts.withLock { $0 = Counts() } }
}
