import FastIO
import FastIOFS
import FuseBridge
import Prometheus

/// The mount's Prometheus registry: FUSE operations recorded as they finish, everything else read
/// from the API client and the core at each scrape.
///
/// Invariants: every series belongs to a `MetricFamily`; what a FUSE operation costs here is one
/// atomic increment and one histogram lock (plus one short dictionary lock when it failed), on
/// objects created up front; the counters that mirror the client's and the core's totals are
/// updated only under `scrape`, a lock no FUSE thread takes, so scrapes are serialized and each one
/// shows a consistent set of totals.
public final class MountMetrics: FuseOperationObserver, Sendable {
    /// Where the sampled values come from (the client and the core, or test doubles).
    ///
    /// Invariant: both closures are cheap, safe on any thread, and return cumulative totals that only
    /// grow (a lower one is taken as a reset of its source).
    public struct Sources: Sendable {
        public var api: @Sendable () -> APIStatistics
        public var core: @Sendable () -> CoreStatistics
        public init(api: @escaping @Sendable () -> APIStatistics, core: @escaping @Sendable () -> CoreStatistics) {
            self.api = api
            self.core = core
        }
    }

    /// Upper bounds of the latency buckets: 100 µs (a cached getattr) to 60 s (a stalled upload's fsync).
    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60),
    ]

    let registry = PrometheusCollectorRegistry()
    private let sources: Sources
    /// Indexed by `FuseOperation.rawValue`.
    private let operations: [Counter]
    private let durations: [DurationHistogram]
    /// Keyed by `errorKey(operation, errno)`; a counter is created the first time a pair is seen.
    private let errors = Locked<[Int: Counter]>([:])
    private let scrape = Locked(MirroredCounters())

    public init(sources: Sources) {
        self.sources = sources
        let registry = self.registry
        operations = FuseOperation.allCases.map { operation in
            registry.makeCounter(descriptor: MetricFamily.fuseOperations.descriptor,
                                 labels: MetricFamily.fuseOperations.labelled([operation.name]))
        }
        durations = FuseOperation.allCases.map { operation in
            registry.makeDurationHistogram(descriptor: MetricFamily.fuseDuration.descriptor,
                                           labels: MetricFamily.fuseDuration.labelled([operation.name]),
                                           buckets: Self.durationBuckets)
        }
        registry.makeGauge(descriptor: MetricFamily.buildInfo.descriptor,
                           labels: MetricFamily.buildInfo.labelled([FastIOFSVersion.current])).set(to: 1)
    }

    /// Samples the client and the core through `sources`.
    public convenience init(client: FastIOClient, filesystem: FastIOFileSystem) {
        self.init(sources: Sources(api: { client.statistics() }, core: { filesystem.statistics() }))
    }

    // MARK: - FUSE operations (FUSE worker threads)

    public func operationFinished(_ operation: FuseOperation, errno: Int32, duration: Duration) {
        operations[operation.rawValue].increment()
        durations[operation.rawValue].record(duration)
        guard errno != 0 else { return }
        let key = Self.errorKey(operation, errno)
        if let counter = errors.withLock({ $0[key] }) {
            counter.increment()
            return
        }
        // First time for this pair: the registry returns the same counter to racing threads.
        let counter = registry.makeCounter(descriptor: MetricFamily.fuseErrors.descriptor,
                                           labels: MetricFamily.fuseErrors.labelled([operation.name, ErrnoName.of(errno)]))
        errors.withLock { $0[key] = counter }
        counter.increment()
    }

    private static func errorKey(_ operation: FuseOperation, _ errno: Int32) -> Int {
        operation.rawValue << 32 | Int(UInt32(bitPattern: errno))
    }

    // MARK: - scrapes (the metrics server's thread)

    /// Samples the sources, brings the mirrored counters and the gauges up to date, and renders the
    /// whole registry in the Prometheus text format (version 0.0.4).
    public func exposition() -> [UInt8] {
        let api = sources.api()
        let core = sources.core()
        return scrape.withLock { mirrored in
            update(&mirrored, api: api)
            update(&mirrored, core: core)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(64 * 1024)
            registry.emit(into: &buffer)
            return buffer
        }
    }

    private func update(_ mirrored: inout MirroredCounters, api: APIStatistics) {
        for (key, count) in api.requests {
            let status = key.status == 0 ? "none" : String(key.status)
            mirrored.set(.apiRequests, [key.route, status], to: count, in: registry)
        }
        for (route, count) in api.retries { mirrored.set(.apiRetries, [route], to: count, in: registry) }
        for (route, count) in api.rateLimitWaits { mirrored.set(.apiRateLimitWaits, [route], to: count, in: registry) }
        mirrored.set(.apiRateLimitWaitSeconds, [], seconds: api.rateLimitWaitSeconds, in: registry)
        mirrored.set(.apiReadBytes, [], to: Int(api.bytesRead), in: registry)
        mirrored.set(.apiConnections, [], to: api.connectionsOpened, in: registry)
    }

    private func update(_ mirrored: inout MirroredCounters, core: CoreStatistics) {
        mirrored.set(.uploads, [], to: core.uploadedFiles, in: registry)
        mirrored.set(.uploadBytes, [], to: Int(core.uploadedBytes), in: registry)
        for kind in KernelInvalidation.Kind.allCases {
            mirrored.set(.invalidations, [kind.rawValue], to: core.invalidationsDelivered[kind] ?? 0, in: registry)
        }
        gauge(.uploadQueueFiles, []).set(to: Double(core.uploadQueueFiles))
        gauge(.uploadQueueBytes, []).set(to: Double(core.uploadQueueBytes))
        gauge(.readBudgetReserved, []).set(to: Double(core.readBudgetReservedBytes))
        gauge(.readBudgetLimit, []).set(to: Double(core.readBudgetLimitBytes))
        for channel in core.activityChannels {
            gauge(.activityHealthy, [channel.profile, channel.name]).set(to: channel.healthy ? 1 : 0)
        }
    }

    private func gauge(_ family: MetricFamily, _ values: [String]) -> Gauge {
        registry.makeGauge(descriptor: family.descriptor, labels: family.labelled(values))
    }
}

/// Prometheus counters that follow totals kept elsewhere (the client's and the core's own counts).
///
/// Invariant: after `set`, the counter shows exactly the total given; a total lower than the last
/// one (its source was reset) resets the counter first, which Prometheus reads as a counter reset.
/// Used only under `MountMetrics.scrape`.
struct MirroredCounters: Sendable {
    private struct Mirror: Sendable {
        let counter: Counter
        var last: Double
    }
    private var mirrors: [String: Mirror] = [:]

    mutating func set(_ family: MetricFamily, _ values: [String], to total: Int, in registry: PrometheusCollectorRegistry) {
        let (counter, last) = mirror(family, values, in: registry)
        let value = Double(total)
        if value < last {
            counter.reset()
            counter.increment(by: Int64(total))
        } else if value > last {
            counter.increment(by: Int64(total) - Int64(last))
        }
        mirrors[Self.key(family, values)]?.last = value
    }

    mutating func set(_ family: MetricFamily, _ values: [String], seconds total: Double, in registry: PrometheusCollectorRegistry) {
        let (counter, last) = mirror(family, values, in: registry)
        if total < last {
            counter.reset()
            counter.increment(by: total)
        } else if total > last {
            counter.increment(by: total - last)
        }
        mirrors[Self.key(family, values)]?.last = total
    }

    private mutating func mirror(_ family: MetricFamily, _ values: [String],
                                 in registry: PrometheusCollectorRegistry) -> (Counter, Double) {
        let key = Self.key(family, values)
        if let existing = mirrors[key] { return (existing.counter, existing.last) }
        let counter = registry.makeCounter(descriptor: family.descriptor, labels: family.labelled(values))
        mirrors[key] = Mirror(counter: counter, last: 0)
        return (counter, 0)
    }

    private static func key(_ family: MetricFamily, _ values: [String]) -> String {
        ([family.name] + values).joined(separator: "\u{1}")
    }
}
