import EmulatorHarness
import Foundation
import Glibc

/// Runs commands for the tests (tools over the mount, fusermount3) and returns their outcome.
struct ShellResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Shell {
    /// Runs `/bin/sh -c command` with an optional environment overlay; waits at most `timeout` seconds
    /// (then SIGKILL and status -9).
    @discardableResult
    static func run(_ command: String, environment: [String: String] = [:], timeout: TimeInterval = 300) throws -> ShellResult {
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mt-shell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        let child = try ChildProcess.spawn("/bin/sh", ["-c", command], environment: env, stdout: out.path, stderr: err.path)
        let status = child.wait(timeout: timeout) ?? { child.send(SIGKILL); child.wait(timeout: 10); return -9 }()
        return ShellResult(status: status,
                           stdout: String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
                           stderr: String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self))
    }

    /// Single-quotes a path or argument for `/bin/sh`.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
