import FastIOFS
import Foundation
import Glibc
import Logging

/// Tells systemd about a `--foreground` mount through `$NOTIFY_SOCKET` (sd_notify's protocol, one
/// datagram per message, no libsystemd): `READY=1` once the mount is live, a `STATUS=` line with the
/// upload queue whenever it changed (sampled once a second), `STOPPING=1` when the mount ends.
///
/// Invariants: nothing at all without `NOTIFY_SOCKET`; a failed send is logged once and never stops
/// the mount; the status thread ends with `stop()`; the same status is never sent twice in a row.
final class SystemdNotifier: Sendable {
    private let socket: Int32
    private let address: Data
    private let logger: Logger
    private let state = ConditionLocked(State())

    private struct State {
        var lastStatus: String?
        var stopping = false
        var reportedFailure = false
    }

    /// The notifier for `$NOTIFY_SOCKET` (an absolute path, or `@name` for the abstract namespace),
    /// or nil when it is unset or unusable (logged).
    static func fromEnvironment(_ environment: [String: String], logger: Logger) -> SystemdNotifier? {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        guard path.hasPrefix("/") || path.hasPrefix("@") else {
            logger.warning("NOTIFY_SOCKET is neither a path nor an abstract socket name; not notifying systemd")
            return nil
        }
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard bytes.count < capacity else {
            logger.warning("NOTIFY_SOCKET is too long; not notifying systemd")
            return nil
        }
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            logger.warning("cannot create the systemd notification socket: \(String(cString: strerror(errno)))")
            return nil
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: bytes) }
        let length = MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1)
        let data = withUnsafeBytes(of: &address) { Data($0.prefix(length)) }
        return SystemdNotifier(socket: fd, address: data, logger: logger)
    }

    private init(socket: Int32, address: Data, logger: Logger) {
        self.socket = socket
        self.address = address
        self.logger = logger
    }

    deinit { close(socket) }

    /// The `STATUS=` text for a queue summary (nil: a mount that writes nothing).
    static func statusText(_ summary: UploadQueueSummary?) -> String {
        guard let summary else { return "Mounted read-only" }
        if summary.files == 0 && summary.locks == 0 { return "Mounted; upload queue empty" }
        return "Mounted; upload queue: \(summary.files) file\(summary.files == 1 ? "" : "s"), "
            + "\(summary.bytes) bytes; \(summary.locks) lock\(summary.locks == 1 ? "" : "s") held"
    }

    /// `READY=1` with the first status, then a thread sending the status when it changes.
    func ready(status: @escaping @Sendable () -> UploadQueueSummary?) {
        let first = Self.statusText(status())
        state.withLock { $0.lastStatus = first }
        send("READY=1\nSTATUS=\(first)")
        let thread = Thread { [self] in
            while true {
                let stopped = state.wait(until: Date(timeIntervalSinceNow: 1)) { $0.stopping ? true : nil } ?? false
                if stopped { return }
                let text = Self.statusText(status())
                let changed = state.withLock { state -> Bool in
                    guard state.lastStatus != text else { return false }
                    state.lastStatus = text
                    return true
                }
                if changed { send("STATUS=\(text)") }
            }
        }
        thread.name = "fastiofs-sd-notify"
        thread.start()
    }

    /// `STOPPING=1` (with what is left to upload) and the end of the status thread.
    func stopping(status: UploadQueueSummary?) {
        state.withLock { $0.stopping = true }
        let left = status.map { $0.files > 0 ? "; uploading \($0.files) files, \($0.bytes) bytes first" : "" } ?? ""
        send("STOPPING=1\nSTATUS=Unmounting\(left)")
    }

    private func send(_ message: String) {
        let sent = message.withCString { text in
            address.withUnsafeBytes { raw in
                sendto(socket, text, strlen(text), Int32(MSG_NOSIGNAL),
                       raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
            }
        }
        guard sent < 0 else { return }
        let reason = String(cString: strerror(errno))
        let first = state.withLock { state -> Bool in
            defer { state.reportedFailure = true }
            return !state.reportedFailure
        }
        if first { logger.warning("cannot notify systemd: \(reason)") }
    }
}
