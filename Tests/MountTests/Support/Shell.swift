import Foundation

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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mt-shell-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        var timedOut = false
        if process.isRunning { kill(process.processIdentifier, SIGKILL); timedOut = true }
        process.waitUntilExit()
        try? outHandle.close(); try? errHandle.close()
        return ShellResult(status: timedOut ? -9 : process.terminationStatus,
                           stdout: String(decoding: (try? Data(contentsOf: out)) ?? Data(), as: UTF8.self),
                           stderr: String(decoding: (try? Data(contentsOf: err)) ?? Data(), as: UTF8.self))
    }

    /// Single-quotes a path or argument for `/bin/sh`.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
