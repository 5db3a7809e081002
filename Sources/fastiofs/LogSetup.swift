import Foundation
import Glibc
import Logging

/// The process's logging, as built for a mount: the logger, its shared level, and the log file when
/// there is one (the daemon's). SIGUSR1 reopens the file, SIGUSR2 makes the level more verbose.
///
/// Invariants: a daemon logs to `<cache-dir>/fastiofs.log` (rotated by size, `--log-keep` old files);
/// the foreground logs to stderr, without timestamps and with journald priorities when stderr is
/// systemd's journal stream (`JOURNAL_STREAM` names its device and inode).
struct LogControl: Sendable {
    let logger: Logger
    let levels: LogLevelSwitch
    let file: RotatingLogFile?

    func reopen() {
        guard let file else {
            logger.notice("SIGUSR1: logging to stderr, no log file to reopen")
            return
        }
        if file.reopen() { logger.notice("SIGUSR1: log file reopened") }
    }

    func cycleLevel() {
        let level = levels.cycle()
        logger.notice("SIGUSR2: log level is now \(level)")
    }
}

enum LogSetup {
    static func make(for request: MountRequest, daemon: Bool, environment: [String: String]) throws(CommandFailure) -> LogControl {
        let levels = LogLevelSwitch(Logger.Level(rawValue: request.logLevel) ?? .info)
        let file: RotatingLogFile?
        let sink: any LogLineSink
        let style: LineLogHandler.Style
        if daemon {
            // The cache directory passed `CacheDirectoryPreflight` before this.
            let log = try RotatingLogFile(path: request.logFile, maxBytes: request.logMaxBytes, keep: request.logKeep,
                                          redirectStandardError: true)
            file = log
            sink = log
            style = .timestamped
        } else {
            file = nil
            sink = StandardErrorSink()
            style = isJournalStream(environment) ? .journal : .timestamped
        }
        let logger = Logger(label: "fastiofs") { LineLogHandler(label: $0, sink: sink, style: style, levels: levels) }
        return LogControl(logger: logger, levels: levels, file: file)
    }

    /// True when stderr is the stream systemd named in `JOURNAL_STREAM` (`<device>:<inode>`).
    static func isJournalStream(_ environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }
}
