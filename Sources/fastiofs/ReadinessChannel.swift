import FastIO
import Foundation
import Glibc

/// The daemon's end of the readiness pipe: the launcher passes its write end as the descriptor named
/// by `FASTIOFS_READY_FD`; the daemon writes exactly one line, `ready` or `error: <message>`, then
/// closes it (so the launcher also sees EOF if the daemon dies first).
final class ReadinessChannel: Sendable {
    static let environmentVariable = "FASTIOFS_READY_FD"

    private let fd: Locked<Int32?>

    private init(fd: Int32) {
        // Keep it out of helper programs (fusermount3) the daemon starts.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        self.fd = Locked(fd)
    }

    static func fromEnvironment(_ environment: [String: String]) -> ReadinessChannel? {
        guard let text = environment[environmentVariable], let fd = Int32(text), fd > 2,
              fcntl(fd, F_GETFD) != -1 else { return nil }
        return ReadinessChannel(fd: fd)
    }

    func ready() { send("ready") }

    func fail(_ message: String) {
        send("error: " + message.replacingOccurrences(of: "\n", with: " "))
    }

    private func send(_ line: String) {
        fd.withLock { fd in
            guard let open = fd else { return }
            let text = line + "\n"
            _ = text.withCString { write(open, $0, strlen($0)) }
            close(open)
            fd = nil
        }
    }
}
