/// Everything the command line configures for one server run.
public struct EmulatorConfig: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    /// Token of the primary user (owner of imported/seeded workspaces).
    public var primaryToken: String?
    /// Extra users of the same org, keyed by name.
    public var users: [UserToken]
    public var seedDemo: Bool
    public var latencyMs: Int
    public var failRate: Double
    public var rateLimitRate: Double
    public var envelope: EnvelopeMode
    /// Fault injection: requests that commit file content (an upload that stores a file, a storage
    /// `update`, `updatenote`) are answered this many milliseconds after they took effect (0: at once).
    public var commitDelayMs = 0
    /// Fault injection: locks are granted (and renewed) for at most this many seconds (nil: as asked).
    public var maxLockSeconds: Int?
    /// Fault injection: probability that a request to an upload route answers 503 (the rest works).
    public var uploadFailRate: Double = 0

    public init(
        host: String, port: Int, dataDirectory: String, primaryToken: String?, users: [UserToken], seedDemo: Bool,
        latencyMs: Int, failRate: Double, rateLimitRate: Double, envelope: EnvelopeMode
    ) {
        self.host = host; self.port = port; self.dataDirectory = dataDirectory; self.primaryToken = primaryToken
        self.users = users; self.seedDemo = seedDemo; self.latencyMs = latencyMs; self.failRate = failRate
        self.rateLimitRate = rateLimitRate; self.envelope = envelope
    }
}

/// A `--user NAME:TOKEN` pair.
public struct UserToken: Sendable {
    public let name: String
    public let token: String
    public init(name: String, token: String) { self.name = name; self.token = token }
}
