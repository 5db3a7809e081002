@testable import FastIO
import Foundation
import Logging

/// Collects every log line a client emits, so tests can check that no token leaks.
final class CapturedLog: Sendable {
    private let lines = Locked<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "fastio-test") { _ in CapturingHandler(sink: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct CapturingHandler: LogHandler {
        let sink: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)")
        }
    }
}

/// A configuration with short bounds, for tests that exercise failure paths.
func fastTestConfiguration(retry: RetryPolicy = .none) -> FastIOClient.Configuration {
    var configuration = FastIOClient.Configuration()
    configuration.connectTimeout = 2
    configuration.stallSeconds = 1
    configuration.jsonRequestTimeout = 30
    configuration.retry = retry
    return configuration
}

/// Seconds taken by `body`.
func measure<T>(_ body: () throws -> T) rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try body()
    let duration = ContinuousClock.now - start
    return (value, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}

/// A deterministic byte pattern for read tests.
func patternBytes(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &* 31) ^ ($0 >> 8)) }
}

/// Serves `content` for `/read/` honoring `Range` (206/416) unless `ignoreRange`.
func rangeReply(_ request: TestHTTPServer.Request, content: [UInt8], ignoreRange: Bool = false) -> TestHTTPServer.Reply {
    guard !ignoreRange, let header = request.headers["range"], header.hasPrefix("bytes=") else {
        return .respond(status: 200, headers: [:], body: content)
    }
    let spec = header.dropFirst("bytes=".count).split(separator: "-", omittingEmptySubsequences: false)
    let start = Int(spec[0]) ?? 0
    let end = min(Int(spec[1]) ?? (content.count - 1), content.count - 1)
    guard start < content.count else {
        return .respond(status: 416, headers: ["Content-Range": "bytes */\(content.count)"], body: [])
    }
    return .respond(status: 206, headers: ["Content-Range": "bytes \(start)-\(end)/\(content.count)"],
                    body: Array(content[start...end]))
}
