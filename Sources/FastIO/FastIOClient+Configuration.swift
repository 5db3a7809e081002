extension FastIOClient {
    /// Transport and retry settings. Defaults suit the real API over the internet; tests shrink them.
    ///
    /// Invariant: every request is bounded: connect by `connectTimeout`, progress by the stall
    /// guard (`stallSeconds` below `stallMinimumBytesPerSecond`), JSON calls also by
    /// `jsonRequestTimeout`, long-polls by their `wait` + `longPollGrace`; retries by `retry`.
    public struct Configuration: Sendable {
        public var connectTimeout: Double = 10
        /// A transfer with less than `stallMinimumBytesPerSecond` for this many whole seconds fails
        /// with ETIMEDOUT (also covers a server that accepts and never answers).
        public var stallSeconds: Int = 15
        public var stallMinimumBytesPerSecond: Int = 1
        /// Total time limit of one JSON call attempt.
        public var jsonRequestTimeout: Double = 60
        /// Added to a long-poll's `wait` for its stall guard and total limit.
        public var longPollGrace: Double = 15
        /// libcurl's receive buffer (`CURLOPT_BUFFERSIZE`); large for fast ranged reads.
        public var receiveBufferSize: Int = 512 * 1024
        /// Largest JSON body accepted.
        public var maxResponseBytes: Int = 64 * 1024 * 1024
        /// Items per `/workspaces/all/` and `/shares/all/` page.
        public var discoveryPageSize: Int = 500
        public var retry = RetryPolicy()
        public var userAgent = "fastiofs/0.1"
        /// A CA bundle to trust instead of the system store (tests with a private CA).
        public var caBundlePath: String?

        public init() {}
    }
}
