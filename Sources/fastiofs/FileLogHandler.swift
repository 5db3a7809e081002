import Foundation
import Glibc
import Logging

/// A swift-log handler appending one line per message to an open file (the daemon's fastiofs.log).
///
/// Invariant: each message is one `write(2)` on an O_APPEND descriptor, so lines from concurrent
/// threads never interleave. Callers never put tokens into messages.
struct FileLogHandler: LogHandler {
    /// The shared descriptor; owned for the life of the process.
    final class Sink: Sendable {
        let fd: Int32
        init(fd: Int32) { self.fd = fd }
    }

    let label: String
    let sink: Sink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let fields = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(Self.timestamp()) \(event.level) \(label): \(event.message)\(fields)\n"
        _ = line.withCString { write(sink.fd, $0, strlen($0)) }
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

/// Builds the process logger: stderr in the foreground, `<cache-dir>/fastiofs.log` as a daemon.
enum LogSetup {
    static func makeLogger(for request: MountRequest, daemon: Bool) throws(CommandFailure) -> Logger {
        let level = Logger.Level(rawValue: request.logLevel) ?? .info
        var logger: Logger
        if daemon {
            let fd = try openLogFile(request)
            let sink = FileLogHandler.Sink(fd: fd)
            logger = Logger(label: "fastiofs") { FileLogHandler(label: $0, sink: sink) }
        } else {
            logger = Logger(label: "fastiofs") { StreamLogHandler.standardError(label: $0) }
        }
        logger.logLevel = level
        return logger
    }

    /// Creates the cache directory (0700: it will hold spooled file contents) and opens the log.
    static func openLogFile(_ request: MountRequest) throws(CommandFailure) -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: request.cacheDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw CommandFailure("cannot create the cache directory \(request.cacheDirectory): \(error.localizedDescription)")
        }
        let fd = open(request.logFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CommandFailure("cannot open the log file \(request.logFile): \(String(cString: strerror(errno)))")
        }
        return fd
    }
}
