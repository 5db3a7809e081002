import FastIO
import FastIOFS
@testable import FastIOFSMetrics
import Foundation
import FuseBridge
import Glibc
import Testing

/// The exposition: FUSE operations as recorded, the client's and the core's totals as sampled.
@Suite struct MountMetricsTests {
    /// Sources a test sets by hand.
    final class FakeSources: Sendable {
        let api = Locked(APIStatistics())
        let core = Locked(CoreStatistics())
        var sources: MountMetrics.Sources {
            MountMetrics.Sources(api: { self.api.withLock { $0 } }, core: { self.core.withLock { $0 } })
        }
    }

    /// `name{labels}` -> value, for every sample line; TYPE lines by name.
    struct Scrape {
        var samples: [String: Double] = [:]
        var types: [String: String] = [:]

        init(_ bytes: [UInt8]) {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                if line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ")
                    types[String(parts[2])] = String(parts[3])
                    continue
                }
                if line.hasPrefix("#") { continue }
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                    Issue.record("not a sample line: \(line)")
                    continue
                }
                samples[String(line[..<space])] = value
            }
        }

        subscript(_ series: String) -> Double? { samples[series] }
    }

    @Test func fuseOperationsAreCountedTimedAndTheirErrorsNamed() {
        let metrics = MountMetrics(sources: FakeSources().sources)
        metrics.operationFinished(.lookup, errno: 0, duration: .microseconds(50))
        metrics.operationFinished(.lookup, errno: 0, duration: .microseconds(300))
        metrics.operationFinished(.lookup, errno: ENOENT, duration: .microseconds(80))
        metrics.operationFinished(.read, errno: 0, duration: .milliseconds(2))
        metrics.operationFinished(.read, errno: EIO, duration: .seconds(90))
        let scrape = Scrape(metrics.exposition())

        #expect(scrape.types["fastiofs_fuse_operations_total"] == "counter")
        #expect(scrape.types["fastiofs_fuse_operation_errors_total"] == "counter")
        #expect(scrape.types["fastiofs_fuse_operation_duration_seconds"] == "histogram")
        #expect(scrape[#"fastiofs_fuse_operations_total{op="lookup"}"#] == 3)
        #expect(scrape[#"fastiofs_fuse_operations_total{op="read"}"#] == 2)
        #expect(scrape[#"fastiofs_fuse_operations_total{op="mkdir"}"#] == 0, "every operation is shown from the start")
        #expect(scrape[#"fastiofs_fuse_operation_errors_total{op="lookup",errno="ENOENT"}"#] == 1)
        #expect(scrape[#"fastiofs_fuse_operation_errors_total{op="read",errno="EIO"}"#] == 1)
        #expect(scrape[#"fastiofs_fuse_operation_errors_total{op="lookup",errno="EIO"}"#] == nil)

        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_count{op="lookup"}"#] == 3)
        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_bucket{op="lookup",le="0.0001"}"#] == 2)
        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_bucket{op="lookup",le="0.00025"}"#] == 2)
        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_bucket{op="lookup",le="0.0005"}"#] == 3)
        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_bucket{op="read",le="0.001"}"#] == 0)
        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_bucket{op="read",le="0.0025"}"#] == 1)
        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_bucket{op="read",le="60.0"}"#] == 1)
        #expect(scrape[#"fastiofs_fuse_operation_duration_seconds_bucket{op="read",le="+Inf"}"#] == 2)
        let sum = scrape[#"fastiofs_fuse_operation_duration_seconds_sum{op="lookup"}"#] ?? 0
        #expect(abs(sum - 0.00043) < 1e-9)
        #expect(scrape[#"fastiofs_build_info{version="\#(FastIOFSVersion.current)"}"#] == 1)
    }

    @Test func apiTotalsAreMirroredAtEachScrapeAndFollowAReset() {
        let fake = FakeSources()
        let metrics = MountMetrics(sources: fake.sources)
        fake.api.withLock {
            $0.requests = [.init(route: "GET storage/list", status: 200): 3, .init(route: "GET storage/read", status: 0): 1,
                           .init(route: "GET storage/read", status: 429): 2]
            $0.retries = ["GET storage/read": 1]
            $0.rateLimitWaits = ["GET storage/read": 2]
            $0.rateLimitWaitSeconds = 1.5
            $0.bytesRead = 1_048_576
            $0.connectionsOpened = 2
        }
        var scrape = Scrape(metrics.exposition())
        #expect(scrape[#"fastiofs_api_requests_total{route="GET storage/list",status="200"}"#] == 3)
        #expect(scrape[#"fastiofs_api_requests_total{route="GET storage/read",status="none"}"#] == 1)
        #expect(scrape[#"fastiofs_api_requests_total{route="GET storage/read",status="429"}"#] == 2)
        #expect(scrape[#"fastiofs_api_retries_total{route="GET storage/read"}"#] == 1)
        #expect(scrape[#"fastiofs_api_rate_limit_waits_total{route="GET storage/read"}"#] == 2)
        #expect(scrape["fastiofs_api_rate_limit_wait_seconds_total"] == 1.5)
        #expect(scrape["fastiofs_api_read_bytes_total"] == 1_048_576)
        #expect(scrape["fastiofs_api_connections_opened_total"] == 2)
        #expect(scrape.types["fastiofs_api_requests_total"] == "counter")

        // The same scrape twice shows the same totals (mirrored, not added again).
        #expect(Scrape(metrics.exposition()).samples == scrape.samples)

        fake.api.withLock {
            $0.requests[.init(route: "GET storage/list", status: 200)] = 10
            $0.requests[.init(route: "GET storage/details", status: 404)] = 1
            $0.rateLimitWaitSeconds = 4.25
            $0.bytesRead += 10
        }
        scrape = Scrape(metrics.exposition())
        #expect(scrape[#"fastiofs_api_requests_total{route="GET storage/list",status="200"}"#] == 10)
        #expect(scrape[#"fastiofs_api_requests_total{route="GET storage/details",status="404"}"#] == 1)
        #expect(scrape["fastiofs_api_rate_limit_wait_seconds_total"] == 4.25)
        #expect(scrape["fastiofs_api_read_bytes_total"] == 1_048_586)

        // A source reset (the client's counters reset) shows as a counter reset, not a negative step.
        fake.api.withLock { $0 = APIStatistics(requests: [.init(route: "GET storage/list", status: 200): 4]) }
        scrape = Scrape(metrics.exposition())
        #expect(scrape[#"fastiofs_api_requests_total{route="GET storage/list",status="200"}"#] == 4)
        #expect(scrape["fastiofs_api_read_bytes_total"] == 0)
    }

    @Test func coreLevelsAreGaugesAndItsTotalsCounters() {
        let fake = FakeSources()
        let metrics = MountMetrics(sources: fake.sources)
        fake.core.withLock {
            $0.uploadQueueFiles = 3
            $0.uploadQueueBytes = 12_345
            $0.uploadedFiles = 7
            $0.uploadedBytes = 70_000
            $0.readBudgetReservedBytes = 8 << 20
            $0.readBudgetLimitBytes = 256 << 20
            $0.invalidationsDelivered = [.entry: 4, .inode: 1]
            $0.activityChannels = [.init(profile: "workspace/1234", name: "mt", healthy: true),
                                   .init(profile: "share/5678", name: "shared \"docs\"", healthy: false)]
        }
        var scrape = Scrape(metrics.exposition())
        #expect(scrape.types["fastiofs_upload_queue_files"] == "gauge")
        #expect(scrape["fastiofs_upload_queue_files"] == 3)
        #expect(scrape["fastiofs_upload_queue_bytes"] == 12_345)
        #expect(scrape["fastiofs_uploads_total"] == 7)
        #expect(scrape["fastiofs_upload_bytes_total"] == 70_000)
        #expect(scrape["fastiofs_read_budget_reserved_bytes"] == Double(8 << 20))
        #expect(scrape["fastiofs_read_budget_limit_bytes"] == Double(256 << 20))
        #expect(scrape[#"fastiofs_kernel_invalidations_total{kind="entry"}"#] == 4)
        #expect(scrape[#"fastiofs_kernel_invalidations_total{kind="inode"}"#] == 1)
        #expect(scrape[#"fastiofs_kernel_invalidations_total{kind="delete"}"#] == 0)
        #expect(scrape[#"fastiofs_kernel_invalidations_total{kind="attributes"}"#] == 0)
        #expect(scrape[#"fastiofs_activity_channel_healthy{profile="workspace/1234",name="mt"}"#] == 1)
        #expect(scrape[#"fastiofs_activity_channel_healthy{profile="share/5678",name="shared \"docs\""}"#] == 0,
                "label values are escaped: \(scrape.samples.keys.filter { $0.contains("share/") })")

        fake.core.withLock {
            $0.uploadQueueFiles = 0
            $0.uploadQueueBytes = 0
            $0.uploadedFiles = 10
            $0.activityChannels[1].healthy = true
        }
        scrape = Scrape(metrics.exposition())
        #expect(scrape["fastiofs_upload_queue_files"] == 0)
        #expect(scrape["fastiofs_uploads_total"] == 10)
        #expect(scrape[#"fastiofs_activity_channel_healthy{profile="share/5678",name="shared \"docs\""}"#] == 1)
    }

    /// Every family shows up (with full sources), and docs/OPERATIONS.md lists each one.
    @Test func everyFamilyIsExposedAndDocumented() throws {
        let fake = FakeSources()
        fake.api.withLock {
            $0.requests = [.init(route: "GET storage/list", status: 200): 1]
            $0.retries = ["GET storage/list": 1]
            $0.rateLimitWaits = ["GET storage/list": 1]
        }
        fake.core.withLock { $0.activityChannels = [.init(profile: "workspace/1", name: "w", healthy: true)] }
        let metrics = MountMetrics(sources: fake.sources)
        metrics.operationFinished(.getattr, errno: EACCES, duration: .zero)
        let scrape = Scrape(metrics.exposition())
        let expectedType: [MetricFamily.Kind: String] = [.counter: "counter", .gauge: "gauge", .histogram: "histogram"]
        for family in MetricFamily.all {
            #expect(scrape.types[family.name] == expectedType[family.kind], "\(family.name)")
            let isCounter = family.kind == .counter
            #expect(family.name.hasSuffix("_total") == isCounter, "\(family.name): counters, and only they, end in _total")
        }

        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/OPERATIONS.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        for family in MetricFamily.all {
            #expect(text.contains("`\(family.name)`"), "docs/OPERATIONS.md lists \(family.name)")
        }
    }

    @Test func errnoNames() {
        #expect(ErrnoName.of(ENOENT) == "ENOENT")
        #expect(ErrnoName.of(EROFS) == "EROFS")
        #expect(ErrnoName.of(EAGAIN) == "EAGAIN")
        #expect(ErrnoName.of(ENODATA) == "ENODATA")
        #expect(ErrnoName.of(4095) == "E4095")
    }
}
