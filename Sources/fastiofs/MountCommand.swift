import ArgumentParser
import FastIOFSMetrics
import Foundation
import FuseBridge
import Logging

/// `fastiofs mount MOUNTPOINT ...`: parses, then mounts in the foreground or starts the daemon.
struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount Fast.io at MOUNTPOINT; returns once the mount is live (unless --foreground).")

    @Argument(help: "An existing, empty directory.")
    var mountpoint: String

    @Option(name: .customLong("api-url"), help: "API base URL (default: $FASTIO_API_URL, else https://api.fast.io/current).")
    var apiURL: String?

    @Option(name: .customLong("token-file"), help: "File holding the API token (after $FASTIO_TOKEN and $FASTIO_API_KEY).")
    var tokenFile: String?

    @Option(name: .customLong("workspace"), help: "A workspace (id or folder name) to mount; repeatable.")
    var workspaces: [String] = []

    @Option(name: .customLong("share"), help: "A share (id or custom name) to mount; repeatable.")
    var shares: [String] = []

    @Flag(name: .customLong("read-only"), help: "Refuse every change (EROFS); send no modifying request.")
    var readOnly = false

    @Flag(help: "Stay in the foreground and log to stderr.")
    var foreground = false

    @Option(name: .customLong("cache-dir"), help: "Cache and log directory (default: $XDG_CACHE_HOME/fastiofs or ~/.cache/fastiofs).")
    var cacheDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (SIGUSR2: one step more verbose).")
    var logLevel: String = "info"

    @Option(name: .customLong("log-max-size"), help: "The daemon's log file rotates past this size (bytes, or with K, M, G; default 10M).")
    var logMaxSize: String = "10M"

    @Option(name: .customLong("log-keep"), help: "Rotated log files kept (default 3).")
    var logKeep: Int = 3

    @Option(name: .customLong("read-cache-size"),
            help: "Bytes of file contents kept on disk under <cache-dir>/read (K, M, G, T; default 10 % of that filesystem, at most 10G; 0 turns it off).")
    var readCacheSize: String?

    @Option(name: .customLong("read-cache-min-free"),
            help: "Free space the read cache leaves on its filesystem (default 5 % of it, at most 1G).")
    var readCacheMinFree: String?

    @Option(name: .customShort("o", allowingJoined: true),
            help: "Mount options: ro, allow_other, uid=N, gid=N, umask=OCTAL, nonempty, direct_io (reads bypass the page cache); others go to libfuse.")
    var options: [String] = []

    @Option(name: .customLong("metadata-ttl"), help: "Seconds to cache names and attributes.")
    var metadataTTL: Double?

    @Option(name: .customLong("coherent-ttl"),
            help: "Seconds to cache names, attributes and listings while activity polling is healthy (default 300; 0 turns polling off and uses --metadata-ttl).")
    var coherentTTL: Double?

    @Option(name: .customLong("activity-wait"), help: "Activity long-poll wait in seconds, 1-95 (default 90).")
    var activityWait: Int?

    @Option(name: .customLong("metrics-addr"),
            help: "Serve Prometheus metrics at http://HOST:PORT/metrics (off by default). PORT alone or localhost means 127.0.0.1; another address only as typed, with a warning.")
    var metricsAddress: String?

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level \(logLevel)")
        }
        if let metadataTTL, !(metadataTTL >= 0) { throw ValidationError("--metadata-ttl must be >= 0") }
        if let coherentTTL, !(coherentTTL >= 0) { throw ValidationError("--coherent-ttl must be >= 0") }
        if let activityWait, !(1...95).contains(activityWait) { throw ValidationError("--activity-wait must be 1...95") }
        guard let bytes = ByteSize.parse(logMaxSize), bytes >= 4096 else {
            throw ValidationError("--log-max-size must be a size of at least 4K (e.g. 10M)")
        }
        if !(1...100).contains(logKeep) { throw ValidationError("--log-keep must be 1...100") }
        if let readCacheSize, ByteSize.parse(readCacheSize) == nil {
            throw ValidationError("--read-cache-size must be a size (e.g. 2G, or 0 to turn the cache off)")
        }
        if let readCacheMinFree, ByteSize.parse(readCacheMinFree) == nil {
            throw ValidationError("--read-cache-min-free must be a size (e.g. 1G)")
        }
        do { _ = try MountOptionList(parsing: options) } catch { throw ValidationError(error.description) }
        _ = try parsedMetricsAddress()
    }

    private func parsedMetricsAddress() throws(ValidationError) -> MetricsAddress? {
        guard let metricsAddress else { return nil }
        do {
            return try MetricsAddress(parsing: metricsAddress)
        } catch {
            throw ValidationError("--metrics-addr: \(error)")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let request = MountRequest(
            mountpoint: AbsolutePath.make(mountpoint),
            apiURL: apiURL,
            tokenFile: tokenFile.map(AbsolutePath.make),
            workspaces: workspaces,
            shares: shares,
            readOnly: readOnly,
            cacheDirectory: cacheDir.map(AbsolutePath.make) ?? CacheDirectory.default(environment: environment),
            logLevel: logLevel,
            rawOptions: options,
            options: try MountOptionList(parsing: options),
            metadataTTL: metadataTTL,
            coherentTTL: coherentTTL,
            activityWait: activityWait,
            logMaxBytes: ByteSize.parse(logMaxSize) ?? 10 << 20,
            logKeep: logKeep,
            metricsAddress: try parsedMetricsAddress(),
            readCacheSize: readCacheSize.flatMap(ByteSize.parse),
            readCacheMinFree: readCacheMinFree.flatMap(ByteSize.parse))
        let status = foreground
            ? ForegroundMount(request: request, readiness: ReadinessChannel.fromEnvironment(environment)).run()
            : DaemonLauncher(request: request).launch()
        if status != 0 { throw ExitCode(status) }
    }
}
