import CFuseShim
import FastIO
import Glibc
import Logging

/// Routes libfuse's own messages (e.g. "fuse: unknown option(s)", mount errors) into swift-log, and
/// remembers the last error so `FuseSessionError` can say what went wrong even when stderr is
/// /dev/null (daemon mode).
///
/// Invariant: process-wide, like libfuse's log function; the last installed logger wins.
enum LibfuseLog {
    private struct State {
        var logger: Logger?
        var lastError: String?
        /// libfuse often logs one line in several calls ("unknown option(s): `", "-o ", "x'", "\n").
        var pendingLine = ""
    }

    private static let state = Locked(State())

    static func install(_ logger: Logger) {
        state.withLock { $0.logger = logger }
        fuse_set_log_func(libfuseLogFunction)
    }

    /// Returns and clears the last error-level message libfuse logged.
    static func takeLastError() -> String? {
        state.withLock { state in
            defer { state.lastError = nil }
            return state.lastError
        }
    }

    /// Collects fragments and logs each completed line once.
    fileprivate static func record(level: fuse_log_level, fragment: String) {
        let (logger, message): (Logger?, String?) = state.withLock { state in
            state.pendingLine += fragment
            guard state.pendingLine.hasSuffix("\n") else { return (nil, nil) }
            let line = String(state.pendingLine.dropLast())
            state.pendingLine = ""
            if level.rawValue <= FUSE_LOG_ERR.rawValue { state.lastError = line }
            return (state.logger, line)
        }
        guard let logger, let message else { return }
        switch level {
        case FUSE_LOG_EMERG, FUSE_LOG_ALERT, FUSE_LOG_CRIT: logger.critical("libfuse: \(message)")
        case FUSE_LOG_ERR: logger.error("libfuse: \(message)")
        case FUSE_LOG_WARNING: logger.warning("libfuse: \(message)")
        case FUSE_LOG_NOTICE, FUSE_LOG_INFO: logger.info("libfuse: \(message)")
        default: logger.debug("libfuse: \(message)")
        }
    }
}

/// libfuse's `fuse_log_func_t`: a capture-free C callback formatting with vsnprintf.
private func libfuseLogFunction(_ level: fuse_log_level, _ format: UnsafePointer<CChar>?, _ arguments: CVaListPointer?) {
    guard let format, let arguments else { return }
    var buffer = [CChar](repeating: 0, count: 1024)
    _ = vsnprintf(&buffer, buffer.count, format, arguments)
    let fragment = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    LibfuseLog.record(level: level, fragment: fragment)
}
