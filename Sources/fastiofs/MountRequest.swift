import FastIOFSMetrics
import FuseBridge

/// Everything `fastiofs mount` was asked to do, after parsing and with every path absolute.
///
/// Invariant: holds no credential (the token is resolved from the environment or files by the
/// process that mounts), so it can be logged and turned back into a command line.
struct MountRequest: Sendable {
    var mountpoint: String
    var apiURL: String?
    var tokenFile: String?
    var workspaces: [String]
    var shares: [String]
    var readOnly: Bool
    var cacheDirectory: String
    var logLevel: String
    var rawOptions: [String]
    var options: MountOptionList
    var metadataTTL: Double?
    /// `--coherent-ttl`: seconds to cache while activity polling is healthy (0: no activity polling).
    var coherentTTL: Double? = nil
    /// `--activity-wait`: long-poll wait in seconds.
    var activityWait: Int? = nil
    /// `--log-max-size`: the daemon's log file rotates past this many bytes.
    var logMaxBytes: Int64 = 10 << 20
    /// `--log-keep`: rotated log files kept.
    var logKeep: Int = 3
    /// `--metrics-addr`: where to serve Prometheus metrics (nil: not served).
    var metricsAddress: MetricsAddress? = nil
    /// `--read-cache-size` in bytes (nil: the default policy, `ReadCachePolicy`).
    var readCacheSize: Int64? = nil
    /// `--read-cache-min-free` in bytes (nil: the default policy).
    var readCacheMinFree: Int64? = nil

    /// `--read-only` or `-o ro`.
    var effectiveReadOnly: Bool { readOnly || options.readOnly }

    var logFile: String { cacheDirectory + "/fastiofs.log" }

    /// The arguments (after the executable) that reproduce this request in the foreground.
    var foregroundArguments: [String] {
        var arguments = ["mount", mountpoint, "--foreground", "--cache-dir", cacheDirectory, "--log-level", logLevel]
        if let apiURL { arguments += ["--api-url", apiURL] }
        if let tokenFile { arguments += ["--token-file", tokenFile] }
        for workspace in workspaces { arguments += ["--workspace", workspace] }
        for share in shares { arguments += ["--share", share] }
        if readOnly { arguments.append("--read-only") }
        for option in rawOptions { arguments += ["-o", option] }
        if let metadataTTL { arguments += ["--metadata-ttl", String(metadataTTL)] }
        if let coherentTTL { arguments += ["--coherent-ttl", String(coherentTTL)] }
        if let activityWait { arguments += ["--activity-wait", String(activityWait)] }
        arguments += ["--log-max-size", String(logMaxBytes), "--log-keep", String(logKeep)]
        if let metricsAddress { arguments += ["--metrics-addr", metricsAddress.description] }
        if let readCacheSize { arguments += ["--read-cache-size", String(readCacheSize)] }
        if let readCacheMinFree { arguments += ["--read-cache-min-free", String(readCacheMinFree)] }
        return arguments
    }
}
