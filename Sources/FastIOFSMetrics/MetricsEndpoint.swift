import FastIO
import FastIOFS
import Logging

/// `--metrics-addr`: the mount's metrics and the HTTP server that exposes them, started together.
///
/// Invariant: once `init` returns the address is bound and served (or `init` threw and nothing was
/// left open); a non-loopback address has been warned about in the log; `stop()` ends the server
/// (idempotent). `metrics` is the observer to hand to the FUSE session.
public final class MetricsEndpoint: Sendable {
    public let metrics: MountMetrics
    public let server: MetricsHTTPServer

    public init(address: MetricsAddress, metrics: MountMetrics, logger: Logger) throws(MetricsServerError) {
        self.metrics = metrics
        server = try MetricsHTTPServer(address: address, logger: logger) { metrics.exposition() }
        server.start()
        if server.address.isLoopback {
            logger.info("serving metrics on http://\(server.address)/metrics")
        } else {
            logger.warning("serving metrics on http://\(server.address)/metrics, which is not a loopback address: anyone who can reach it can read them (no authentication)")
        }
    }

    public convenience init(address: MetricsAddress, client: FastIOClient, filesystem: FastIOFileSystem,
                            logger: Logger) throws(MetricsServerError) {
        try self.init(address: address, metrics: MountMetrics(client: client, filesystem: filesystem), logger: logger)
    }

    public func stop() {
        server.stop()
    }
}
