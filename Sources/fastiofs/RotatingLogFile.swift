import FastIO
import Foundation
import Glibc

/// The daemon's log file, rotated by size: when a line would take it past `maxBytes`, `fastiofs.log`
/// becomes `fastiofs.log.1` (`.1` becomes `.2`, ... up to `keep`, the oldest is dropped) and a new
/// file starts; `reopen()` starts a new descriptor on the same path (after an outside logrotate).
///
/// Invariants: opened with O_NOFOLLOW (a symlink planted at the path is refused, never followed),
/// mode 0600, O_APPEND; every line is one `write(2)` under the lock, so rotation never splits or
/// reorders lines; when `redirectStandardError` is set, fd 2 follows the current file (libfuse's and a
/// crash's messages land in the live log). Write failures are counted, never thrown.
final class RotatingLogFile: LogLineSink {
    private struct State {
        var fd: Int32
        var size: Int64
    }

    let path: String
    let maxBytes: Int64
    let keep: Int
    let redirectStandardError: Bool
    private let state: Locked<State>

    init(path: String, maxBytes: Int64, keep: Int, redirectStandardError: Bool) throws(CommandFailure) {
        self.path = path
        self.maxBytes = max(4096, maxBytes)
        self.keep = max(1, keep)
        self.redirectStandardError = redirectStandardError
        let fd = try Self.open(path)
        state = Locked(State(fd: fd, size: Self.size(of: fd)))
        if redirectStandardError { dup2(fd, 2) }
    }

    deinit { _ = state.withLock { close($0.fd) } }

    static func open(_ path: String) throws(CommandFailure) -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno))
            throw CommandFailure("cannot open the log file \(path): \(reason)")
        }
        return fd
    }

    func write(_ line: String) {
        let bytes = Int64(line.utf8.count)
        state.withLock { state in
            if state.size > 0, state.size + bytes > maxBytes { rotate(&state) }
            let written = line.withCString { Glibc.write(state.fd, $0, strlen($0)) }
            if written > 0 { state.size += Int64(written) }
        }
    }

    /// A new descriptor on `path` (SIGUSR1); the old one is closed. False when it cannot be opened
    /// (the old descriptor is kept).
    @discardableResult
    func reopen() -> Bool {
        state.withLock { state in
            let fd: Int32
            do {
                fd = try Self.open(path)
            } catch {
                Self.note("cannot reopen the log file, writing on: \(error)", to: state.fd)
                return false
            }
            close(state.fd)
            state = State(fd: fd, size: Self.size(of: fd))
            if redirectStandardError { dup2(fd, 2) }
            return true
        }
    }

    /// Shifts the kept files and starts a new one; on any failure keeps writing where it was (and
    /// counts from zero again, so a failure is not retried at every line). When the path no longer
    /// names the open file (deleted or moved away without SIGUSR1), a new file is started there and
    /// nothing is shifted.
    private func rotate(_ state: inout State) {
        var current = stat()
        var named = stat()
        if fstat(state.fd, &current) == 0, stat(path, &named) != 0 || named.st_ino != current.st_ino || named.st_dev != current.st_dev {
            do {
                let fd = try Self.open(path)
                close(state.fd)
                state = State(fd: fd, size: Self.size(of: fd))
                if redirectStandardError { dup2(fd, 2) }
            } catch {
                Self.note("cannot start a new log file, writing on: \(error)", to: state.fd)
                state.size = 0
            }
            return
        }
        unlink("\(path).\(keep)")
        for index in stride(from: keep - 1, through: 1, by: -1) {
            rename("\(path).\(index)", "\(path).\(index + 1)")
        }
        guard rename(path, "\(path).1") == 0 else {
            Self.note("cannot rotate the log file: \(String(cString: strerror(errno)))", to: state.fd)
            state.size = 0
            return
        }
        let fd: Int32
        do {
            fd = try Self.open(path)
        } catch {
            Self.note("cannot start a new log file after rotating, writing on: \(error)", to: state.fd)
            state.size = 0
            return
        }
        close(state.fd)
        state = State(fd: fd, size: 0)
        if redirectStandardError { dup2(fd, 2) }
    }

    /// A line about the log itself, into the file still in use (the only place it can go).
    private static func note(_ message: String, to fd: Int32) {
        let line = "fastiofs log: \(message)\n"
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    private static func size(of fd: Int32) -> Int64 {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int64(st.st_size) : 0
    }
}
