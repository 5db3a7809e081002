
/// Counts HTTP requests sent, per route template (`GET storage/list`, `GET storage/read`, …) and per
/// route and status, the retries and 429 waits between them, the file bytes read, and the TCP/TLS
/// connections libcurl had to open for them.
///
/// Invariant: every attempt that reached libcurl is counted once, retries included; counts only grow
/// (until `reset`); thread-safe under one `Locked` held only for a few dictionary increments.
final class RequestCounters: Sendable {
    private struct Counts {
        var byRoute: [String: Int] = [:]
        var byRouteAndStatus: [APIStatistics.RequestKey: Int] = [:]
        var retries: [String: Int] = [:]
        var rateLimitWaits: [String: Int] = [:]
        var rateLimitWaitSeconds = 0.0
        var bytesRead: Int64 = 0
        var connectionsOpened = 0
        var inFlight: [String: Int] = [:]
    }
    private let counts = Locked(Counts())

    /// A request of `route` is about to be sent (pair with `record`).
    func started(route: String) {
        counts.withLock { $0.inFlight[route, default: 0] += 1 }
    }

    /// A request ended: answered with `status`, or 0 when no HTTP answer arrived in full (a transport
    /// failure, a timeout, a cancelled transfer).
    func record(route: String, status: Int, newConnections: Int) {
        counts.withLock {
            $0.byRoute[route, default: 0] += 1
            $0.byRouteAndStatus[APIStatistics.RequestKey(route: route, status: status), default: 0] += 1
            $0.connectionsOpened += newConnections
            if let running = $0.inFlight[route] { $0.inFlight[route] = running > 1 ? running - 1 : nil }
        }
    }

    /// A call of `route` waits `delay` seconds and tries again: a 429 wait when `rateLimited`, else
    /// a backoff retry.
    func retrying(route: String, rateLimited: Bool, delay: Double) {
        counts.withLock {
            if rateLimited {
                $0.rateLimitWaits[route, default: 0] += 1
                $0.rateLimitWaitSeconds += max(0, delay)
            } else {
                $0.retries[route, default: 0] += 1
            }
        }
    }

    /// File content received from the server (ranged reads).
    func read(bytes: Int) {
        guard bytes > 0 else { return }
        counts.withLock { $0.bytesRead += Int64(bytes) }
    }

    func inFlight() -> [String: Int] { counts.withLock { $0.inFlight } }

    func snapshot() -> [String: Int] { counts.withLock { $0.byRoute } }
    func connectionsOpened() -> Int { counts.withLock { $0.connectionsOpened } }
    func reset() { counts.withLock { $0 = Counts(inFlight: $0.inFlight) } }

    func statistics() -> APIStatistics {
        counts.withLock {
            APIStatistics(requests: $0.byRouteAndStatus, retries: $0.retries, rateLimitWaits: $0.rateLimitWaits,
                          rateLimitWaitSeconds: $0.rateLimitWaitSeconds, bytesRead: $0.bytesRead,
                          connectionsOpened: $0.connectionsOpened)
        }
    }
}

/// What the client has sent and received so far (the source of the API metrics).
///
/// Invariant: a snapshot of cumulative counts; a later snapshot of the same client has every count
/// at least as large, unless `FastIOClient.resetRequestCounts()` ran in between.
public struct APIStatistics: Sendable, Equatable {
    /// One route template and the HTTP status its attempt ended with (0: no HTTP answer).
    public struct RequestKey: Sendable, Hashable {
        public var route: String
        public var status: Int
        public init(route: String, status: Int) { self.route = route; self.status = status }
    }

    /// Attempts by route and status, retries included.
    public var requests: [RequestKey: Int]
    /// Backoff retries (after a transport failure, 408 or 5xx) by route; 429 waits are not among them.
    public var retries: [String: Int]
    /// Waits for a rate limit's reset after a 429, by route.
    public var rateLimitWaits: [String: Int]
    /// Seconds spent in those waits.
    public var rateLimitWaitSeconds: Double
    /// File content bytes received by ranged reads (`GET storage/read`).
    public var bytesRead: Int64
    /// TCP/TLS connections libcurl opened.
    public var connectionsOpened: Int

    public init(requests: [RequestKey: Int] = [:], retries: [String: Int] = [:], rateLimitWaits: [String: Int] = [:],
                rateLimitWaitSeconds: Double = 0, bytesRead: Int64 = 0, connectionsOpened: Int = 0) {
        self.requests = requests
        self.retries = retries
        self.rateLimitWaits = rateLimitWaits
        self.rateLimitWaitSeconds = rateLimitWaitSeconds
        self.bytesRead = bytesRead
        self.connectionsOpened = connectionsOpened
    }
}
