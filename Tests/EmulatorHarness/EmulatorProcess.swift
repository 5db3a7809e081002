import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A running `fastio-emulator` process on a free loopback port.
///
/// Invariants: while `isRunning`, `port`/`baseURL` address the live server; the process is stopped by
/// its PID only (SIGTERM, then SIGKILL after 5 s), `stop()` is idempotent and also runs in `deinit`;
/// the data directory survives `stop()`/`restart()`/`kill9()` and is removed in `deinit` only if the
/// harness created it. stdout and stderr go to files in the data directory for diagnostics.
public final class EmulatorProcess: @unchecked Sendable {  // unchecked: every var is guarded by `lock`
    public let dataDirectory: URL
    public let primaryToken: String
    public let users: [EmulatorUser]
    public let extraArguments: [String]
    private let ownsDataDirectory: Bool
    private let executable: URL

    private let lock = NSLock()
    private var process: ChildProcess?
    private var currentPort: Int = 0
    private var launchCount = 0
    /// The port the next launch listens on (0: any free port).
    private var listenPort = 0
    /// Extra arguments of the next launches, when a restart changed them.
    private var currentExtraArguments: [String]?

    /// Starts a server. `dataDirectory` nil -> a fresh temp dir (removed when this object dies).
    /// `prepare` runs on the data directory before the first launch (e.g. `runImport`).
    public static func start(token: String? = nil, users: [EmulatorUser] = [], extraArguments: [String] = [],
                             dataDirectory: URL? = nil,
                             prepare: (@Sendable (URL) throws -> Void)? = nil) async throws -> EmulatorProcess
    {
        let emulator = try EmulatorProcess(token: token, users: users, extraArguments: extraArguments,
                                           dataDirectory: dataDirectory)
        try prepare?(emulator.dataDirectory)
        try await emulator.launch()
        return emulator
    }

    private init(token: String?, users: [EmulatorUser], extraArguments: [String], dataDirectory: URL?) throws {
        executable = try BuildProducts.executable("fastio-emulator")
        primaryToken = token ?? "tok-primary-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
        self.users = users
        self.extraArguments = extraArguments
        if let dataDirectory {
            self.dataDirectory = dataDirectory
            ownsDataDirectory = false
        } else {
            self.dataDirectory = try Self.makeTempDirectory(prefix: "fastiofs-emu")
            ownsDataDirectory = true
        }
        try FileManager.default.createDirectory(at: self.dataDirectory, withIntermediateDirectories: true)
    }

    deinit {
        stop()
        if ownsDataDirectory { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    /// A fresh, empty directory under the system temp dir, removed when the test process exits
    /// (`-mnt` prefixes are mountpoints: only rmdir'ed).
    public static func makeTempDirectory(prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(12))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        TemporaryDirectories.register(url, isMountpoint: prefix.hasSuffix("-mnt"))
        return url
    }

    public var port: Int { lock.withLock { currentPort } }
    public var pid: Int32? { lock.withLock { process?.pid } }
    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }
    /// `http://127.0.0.1:PORT/current`
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/current")! }
    /// A client authenticated as the primary (`--token`) user.
    public var api: APIClient { APIClient(baseURL: baseURL, token: primaryToken) }
    public func client(token: String?) -> APIClient { APIClient(baseURL: baseURL, token: token) }
    public func client(as user: EmulatorUser) -> APIClient { client(token: user.token) }

    public var stderrLog: URL { dataDirectory.appendingPathComponent("emulator-stderr.log") }

    /// The last `lines` lines the emulator wrote to stderr (all launches).
    public func stderrTail(lines: Int = 40) -> String {
        guard let data = FileManager.default.contents(atPath: stderrLog.path) else { return "" }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .suffix(lines).joined(separator: "\n")
    }

    /// Command-line arguments for a launch (tokens included; never printed by the harness).
    private var arguments: [String] {
        var args = ["--listen", "127.0.0.1:\(lock.withLock { listenPort })", "--data", dataDirectory.path, "--token", primaryToken]
        for user in users { args += ["--user", user.argument] }
        return args + (lock.withLock { currentExtraArguments } ?? extraArguments)
    }

    private func launch() async throws {
        let (index, alreadyRunning) = lock.withLock { () -> (Int, Bool) in
            launchCount += 1
            return (launchCount, process?.isRunning ?? false)
        }
        precondition(!alreadyRunning, "emulator already running")
        let stdoutURL = dataDirectory.appendingPathComponent("emulator-stdout-\(index).log")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        if !FileManager.default.fileExists(atPath: stderrLog.path) {
            _ = FileManager.default.createFile(atPath: stderrLog.path, contents: nil)
        }
        let child = try ChildProcess.spawn(executable.path, arguments, stdout: stdoutURL.path, stderr: stderrLog.path)
        lock.withLock { process = child }

        let limit = TestTime.scaled(30)
        let deadline = Date().addingTimeInterval(limit)
        while Date() < deadline {
            if let port = Self.listeningPort(in: stdoutURL) {
                lock.withLock { currentPort = port }
                return
            }
            if !child.isRunning {
                throw HarnessError.startupFailed(reason: "exited with status \(child.exitStatus ?? -1)",
                                                 stderrTail: stderrTail())
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        stop()
        throw HarnessError.startupFailed(reason: "no 'listening on' line within \(Int(limit)) s", stderrTail: stderrTail())
    }

    /// Parses the first stdout line `listening on http://127.0.0.1:PORT`.
    static func listeningPort(in file: URL) -> Int? {
        guard let data = FileManager.default.contents(atPath: file.path),
              let newline = data.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = String(decoding: data[data.startIndex..<newline], as: UTF8.self)
        let prefix = "listening on http://127.0.0.1:"
        guard line.hasPrefix(prefix) else { return nil }
        return Int(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces))
    }

    /// SIGTERM by PID, wait up to 5 s, then SIGKILL. Idempotent.
    public func stop() {
        guard let child = lock.withLock({ () -> ChildProcess? in
            let p = process
            process = nil
            return p
        }) else { return }
        child.terminate(grace: 5)
    }

    /// SIGKILL at once (crash simulation). The data directory is kept.
    public func kill9() {
        guard let child = lock.withLock({ () -> ChildProcess? in
            let p = process
            process = nil
            return p
        }) else { return }
        child.send(SIGKILL)
        child.wait(timeout: 30)
    }

    /// Stops (if running) and starts again on the same data directory; the port may change.
    public func restart() async throws {
        stop()
        try await launch()
    }

    /// Stops (if running) and starts again on the same data directory AND the same port, so clients
    /// that keep the old URL (a mounted fastiofs) reconnect to it. Retries for a few seconds while the
    /// port is not yet free again. `downtime` seconds pass between the stop and the new launch.
    public func restartOnSamePort(downtime: Double = 0, extraArguments: [String]? = nil) async throws {
        let oldPort = port
        lock.withLock { currentExtraArguments = extraArguments }
        stop()
        if downtime > 0 { try await Task.sleep(nanoseconds: UInt64(downtime * 1e9)) }
        lock.withLock { listenPort = oldPort }
        defer { lock.withLock { listenPort = 0 } }
        var lastError: (any Error)?
        for _ in 0..<20 {
            do {
                try await launch()
                return
            } catch {
                lastError = error
                try await Task.sleep(nanoseconds: 250_000_000)
            }
        }
        throw lastError ?? HarnessError.startupFailed(reason: "cannot listen on port \(oldPort) again", stderrTail: stderrTail())
    }

    /// Starts again after `kill9()` or `stop()` without stopping first.
    public func relaunch() async throws {
        try await launch()
    }

    /// Runs `fastio-emulator import --data DIR --workspace NAME --from SRC`; returns its output, throws on failure.
    @discardableResult
    public static func runImport(dataDirectory: URL, workspace: String, from source: URL,
                                 extraArguments: [String] = []) throws -> String
    {
        let executable = try BuildProducts.executable("fastio-emulator")
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("fastiofs-import-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: output) }
        let child = try ChildProcess.spawn(
            executable.path,
            ["import", "--data", dataDirectory.path, "--workspace", workspace, "--from", source.path] + extraArguments,
            stdout: output.path, stderr: output.path)
        let status = child.wait(timeout: 600) ?? { child.terminate(grace: 1); return -1 }()
        let text = String(decoding: FileManager.default.contents(atPath: output.path) ?? Data(), as: UTF8.self)
        guard status == 0 else {
            throw HarnessError.commandFailed(command: "fastio-emulator import", status: status, output: text)
        }
        return text
    }

    /// Runs `import` into this emulator's data directory (stop it first: the server owns the database).
    @discardableResult
    public func runImport(workspace: String, from source: URL) throws -> String {
        try Self.runImport(dataDirectory: dataDirectory, workspace: workspace, from: source)
    }
}
