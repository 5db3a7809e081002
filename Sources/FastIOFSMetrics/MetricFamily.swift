import Prometheus

/// Every metric the mount exposes: name, help, type and label names, in one place.
///
/// Invariant: each family is registered only through these values, so one name never comes with two
/// helps, two types or labelled and unlabelled series at once (swift-prometheus traps on either).
/// docs/OPERATIONS.md lists the same families.
struct MetricFamily: Sendable {
    enum Kind: Sendable { case counter, gauge, histogram }
    let name: String
    let help: String
    let kind: Kind
    let labels: [String]

    var descriptor: MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    // FUSE operations (pushed by `MountMetrics.operationFinished`).
    static let fuseOperations = MetricFamily(
        name: "fastiofs_fuse_operations_total", help: "FUSE operations handed to the core, by operation.",
        kind: .counter, labels: ["op"])
    static let fuseErrors = MetricFamily(
        name: "fastiofs_fuse_operation_errors_total", help: "FUSE operations answered with an error, by operation and errno.",
        kind: .counter, labels: ["op", "errno"])
    static let fuseDuration = MetricFamily(
        name: "fastiofs_fuse_operation_duration_seconds", help: "Time the core took to answer a FUSE operation.",
        kind: .histogram, labels: ["op"])

    // The API client (sampled from `APIStatistics`).
    static let apiRequests = MetricFamily(
        name: "fastiofs_api_requests_total",
        help: "HTTP requests sent to the Fast.io API, retries included, by route and status (none: no HTTP answer).",
        kind: .counter, labels: ["route", "status"])
    static let apiRetries = MetricFamily(
        name: "fastiofs_api_retries_total", help: "Backoff retries after a transport failure, 408 or 5xx, by route.",
        kind: .counter, labels: ["route"])
    static let apiRateLimitWaits = MetricFamily(
        name: "fastiofs_api_rate_limit_waits_total", help: "Waits for the rate limit to reset after a 429, by route.",
        kind: .counter, labels: ["route"])
    static let apiRateLimitWaitSeconds = MetricFamily(
        name: "fastiofs_api_rate_limit_wait_seconds_total", help: "Seconds spent waiting after 429 answers.",
        kind: .counter, labels: [])
    static let apiReadBytes = MetricFamily(
        name: "fastiofs_api_read_bytes_total", help: "File content bytes received from the server by ranged reads.",
        kind: .counter, labels: [])
    static let apiConnections = MetricFamily(
        name: "fastiofs_api_connections_opened_total", help: "TCP/TLS connections opened to the API.",
        kind: .counter, labels: [])

    // The core (sampled from `CoreStatistics`).
    static let uploads = MetricFamily(
        name: "fastiofs_uploads_total", help: "Uploads of changed files finished.", kind: .counter, labels: [])
    static let uploadBytes = MetricFamily(
        name: "fastiofs_upload_bytes_total", help: "Bytes of the files whose uploads finished.", kind: .counter, labels: [])
    static let uploadQueueFiles = MetricFamily(
        name: "fastiofs_upload_queue_files", help: "Files with changes the server does not have yet.",
        kind: .gauge, labels: [])
    static let uploadQueueBytes = MetricFamily(
        name: "fastiofs_upload_queue_bytes", help: "Bytes still to upload for those files.", kind: .gauge, labels: [])
    static let readBudgetReserved = MetricFamily(
        name: "fastiofs_read_budget_reserved_bytes", help: "Read-ahead memory budget in use.", kind: .gauge, labels: [])
    static let readBudgetLimit = MetricFamily(
        name: "fastiofs_read_budget_limit_bytes", help: "Read-ahead memory budget.", kind: .gauge, labels: [])
    static let invalidations = MetricFamily(
        name: "fastiofs_kernel_invalidations_total", help: "Kernel cache invalidations sent, by kind.",
        kind: .counter, labels: ["kind"])
    static let activityHealthy = MetricFamily(
        name: "fastiofs_activity_channel_healthy",
        help: "1 while a profile's activity long-poll succeeds, else 0 (metadata then cached for --metadata-ttl only).",
        kind: .gauge, labels: ["profile", "name"])
    static let buildInfo = MetricFamily(
        name: "fastiofs_build_info", help: "Always 1; the version label names the running fastiofs.",
        kind: .gauge, labels: ["version"])

    static let all: [MetricFamily] = [
        fuseOperations, fuseErrors, fuseDuration,
        apiRequests, apiRetries, apiRateLimitWaits, apiRateLimitWaitSeconds, apiReadBytes, apiConnections,
        uploads, uploadBytes, uploadQueueFiles, uploadQueueBytes, readBudgetReserved, readBudgetLimit,
        invalidations, activityHealthy, buildInfo,
    ]

    /// Pairs label names with `values` (same count and order as `labels`).
    func labelled(_ values: [String]) -> [(String, String)] {
        precondition(values.count == labels.count, "\(name) takes labels \(labels)")
        return Array(zip(labels, values))
    }
}
