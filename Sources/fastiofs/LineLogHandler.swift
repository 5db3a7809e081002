import Foundation
import Glibc
import Logging
import Synchronization

/// The log level every logger of the process shares, changeable at run time (SIGUSR2).
///
/// Invariant: one value per process; every `LineLogHandler` reads it on each message.
final class LogLevelSwitch: Sendable {
    private let raw: Atomic<UInt8>
    /// The level the mount started with (SIGUSR2 wraps around to it).
    let initial: Logger.Level

    init(_ level: Logger.Level) {
        initial = level
        raw = Atomic(Self.code(level))
    }

    var level: Logger.Level {
        get { Logger.Level.allCases[Int(raw.load(ordering: .relaxed))] }
        set { raw.store(Self.code(newValue), ordering: .relaxed) }
    }

    /// One step more verbose; from `trace` back to the starting level. Returns the new level.
    func cycle() -> Logger.Level {
        let current = level
        let next: Logger.Level = current == .trace ? initial
            : Logger.Level.allCases[max(0, (Logger.Level.allCases.firstIndex(of: current) ?? 2) - 1)]
        level = next
        return next
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }
}

/// Where log lines go: one `write(2)` per line.
protocol LogLineSink: Sendable {
    func write(_ line: String)
}

/// Standard error, as is (the foreground mode and systemd's journal).
struct StandardErrorSink: LogLineSink {
    func write(_ line: String) {
        _ = line.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}

/// A swift-log handler writing one line per message.
///
/// Invariants: each message is one `write` on its sink (lines from concurrent threads never
/// interleave); the level comes from the shared `LogLevelSwitch`; callers never put tokens into
/// messages. `.timestamped` lines start with an ISO-8601 UTC time; `.journal` lines start with the
/// syslog priority as `<N>` (journald reads it and adds its own time).
struct LineLogHandler: LogHandler {
    enum Style: Sendable { case timestamped, journal }

    let label: String
    let sink: any LogLineSink
    let style: Style
    let levels: LogLevelSwitch
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    var logLevel: Logger.Level {
        get { levels.level }
        set { levels.level = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let message = "\(event.message)\(fields)".replacingOccurrences(of: "\n", with: " ")
        switch style {
        case .timestamped:
            sink.write("\(Self.timestamp()) \(event.level) \(label): \(message)\n")
        case .journal:
            sink.write("<\(Self.priority(event.level))>\(event.level) \(label): \(message)\n")
        }
    }

    /// syslog priorities (sd-daemon.h): journald files a line under the `<N>` it starts with.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, now.tv_nsec / 1_000_000)
    }
}
