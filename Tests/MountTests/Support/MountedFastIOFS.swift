import EmulatorHarness
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `fastiofs mount --foreground` child process serving one mountpoint against an emulator.
///
/// Invariants: once `mount` returns, the kernel lists the mountpoint as `fuse.fastiofs` and the process
/// serves it; `unmount()` is idempotent, unmounts (lazily as a last resort) and reaps the process by
/// its PID; `deinit` calls it, so a failing test never leaves a mount or a process behind.
final class MountedFastIOFS: @unchecked Sendable {
    let mountpoint: URL
    let cacheDirectory: URL
    private let process: ChildProcess
    private let logURL: URL
    private let lock = NSLock()
    private var unmounted = false

    var pid: Int32 { process.pid }
    var path: String { mountpoint.path }

    /// Mounts with `fastiofs mount MNT --foreground --api-url URL --cache-dir DIR ARGS...`, the token in
    /// `FASTIO_TOKEN`. `mountpoint` nil -> a fresh temp dir.
    static func mount(_ emulator: EmulatorProcess, token: String? = nil, arguments: [String] = [],
                      mountpoint: URL? = nil, cacheDirectory: URL? = nil, environment: [String: String] = [:],
                      timeout: TimeInterval = 30) throws -> MountedFastIOFS {
        let mnt = try mountpoint ?? EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mnt")
        let cache = try cacheDirectory ?? EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        let m = try MountedFastIOFS(mountpoint: mnt, cacheDirectory: cache,
                                    apiURL: emulator.baseURL.absoluteString, token: token ?? emulator.primaryToken,
                                    arguments: arguments, environment: environment)
        try m.waitUntilMounted(timeout: timeout)
        return m
    }

    private init(mountpoint: URL, cacheDirectory: URL, apiURL: String, token: String, arguments: [String],
                 environment: [String: String]) throws {
        self.mountpoint = mountpoint
        self.cacheDirectory = cacheDirectory
        logURL = cacheDirectory.appendingPathComponent("foreground.log")
        // Kept when the test made it (its inode may be named in JOURNAL_STREAM).
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        var env = ProcessInfo.processInfo.environment
        env["FASTIO_TOKEN"] = token
        env.removeValue(forKey: "FASTIO_API_KEY")
        env.merge(environment) { $1 }
        process = try ChildProcess.spawn(
            try BuildProducts.executable("fastiofs").path,
            ["mount", mountpoint.path, "--foreground", "--api-url", apiURL,
             "--cache-dir", cacheDirectory.path, "--log-level", "debug"] + arguments,
            environment: env, stdout: logURL.path, stderr: logURL.path)
    }

    deinit { unmount() }

    /// The tail of the process's log, for failure messages.
    func logTail(_ lines: Int = 40) -> String {
        let text = String(decoding: (try? Data(contentsOf: logURL)) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    var isRunning: Bool { process.isRunning }

    /// The file the process's stdout and stderr go to.
    var logPath: String { logURL.path }

    /// Waits for a FUSE mount at the mountpoint that answers statvfs (a stale mount left by a crash
    /// answers ENOTCONN, so it does not count; mount ids are reused, so they cannot tell).
    private func waitUntilMounted(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var fs = statvfs()
            if MountTable.isFastIOFSMounted(at: mountpoint.path), statvfs(mountpoint.path, &fs) == 0 { return }
            if !process.isRunning {
                throw MountTestError("fastiofs exited (\(process.exitStatus ?? -1)) before mounting:\n\(logTail())")
            }
            usleep(20_000)
        }
        unmount()
        throw MountTestError("fastiofs did not mount within \(timeout) s:\n\(logTail())")
    }

    /// Unmounts (fusermount3 -u, retried while busy; -z as a last resort) and reaps the process.
    func unmount() {
        let first = lock.withLock { () -> Bool in
            defer { unmounted = true }
            return !unmounted
        }
        guard first else { return }
        var tries = 0
        while MountTable.isFastIOFSMounted(at: mountpoint.path) && tries < 50 {
            _ = try? Shell.run("fusermount3 -u \(Shell.quote(mountpoint.path))", timeout: 10)
            if MountTable.isFastIOFSMounted(at: mountpoint.path) { usleep(100_000) }
            tries += 1
        }
        if MountTable.isFastIOFSMounted(at: mountpoint.path) {
            _ = try? Shell.run("fusermount3 -u -z \(Shell.quote(mountpoint.path))", timeout: 10)
        }
        if process.wait(timeout: 10) == nil {
            process.send(SIGKILL)
            process.wait(timeout: 10)
        }
    }

    /// SIGKILL the daemon without unmounting: leaves a stale mount ("Transport endpoint is not connected").
    func crash() {
        lock.withLock { unmounted = true }
        process.send(SIGKILL)
        process.wait(timeout: 10)
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    func terminate(timeout: TimeInterval = 15) -> Int32? {
        process.send(SIGTERM)
        guard let status = process.wait(timeout: timeout) else { return nil }
        lock.withLock { unmounted = true }
        return status
    }

    /// The client's request counters (`user.fastio.requests` on the mount root).
    func requestCounts() throws -> [String: Int] {
        let bytes = try XAttr.get(mountpoint.path, "user.fastio.requests")
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw MountTestError("user.fastio.requests is not a JSON object")
        }
        return object.compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    /// Waits until the client has no request in flight but the activity long-poll (a request is
    /// counted when it ends, so one started earlier must end before a count is taken).
    func waitUntilNoRequestInFlight(timeout: TimeInterval = 30) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let bytes = try XAttr.get(mountpoint.path, "user.fastio.requests_in_flight")
            guard let running = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw MountTestError("user.fastio.requests_in_flight is not a JSON object")
            }
            let others = running.filter { $0.key != "GET activity/poll" }
            if others.isEmpty { return }
            guard Date() < deadline else { throw MountTestError("still in flight after \(timeout) s: \(others)") }
            usleep(5_000)
        }
    }

    /// Requests sent while `body` ran, keyed like `requestCounts()`; zero entries removed. Requests
    /// in flight before are waited out first, and those `body` started are waited for after.
    func requestsDuring(_ body: () throws -> Void) throws -> [String: Int] {
        try waitUntilNoRequestInFlight()
        let before = try requestCounts()
        try body()
        try waitUntilNoRequestInFlight()
        let after = try requestCounts()
        var delta: [String: Int] = [:]
        for (k, v) in after where v - (before[k] ?? 0) != 0 { delta[k] = v - (before[k] ?? 0) }
        return delta
    }
}

struct MountTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Reads /proc/self/mountinfo.
enum MountTable {
    static func isFastIOFSMounted(at path: String) -> Bool { !mountIDs(at: path).isEmpty }

    /// The mount ids of the FUSE mounts at `path` (stacked mounts, e.g. a stale one, give several).
    static func mountIDs(at path: String) -> Set<Int> {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        var ids: Set<Int> = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 5, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { continue }
            let mnt = fields[4].replacingOccurrences(of: "\\040", with: " ")
            if mnt == path && fields[dash + 1].hasPrefix("fuse"), let id = Int(fields[0]) { ids.insert(id) }
        }
        return ids
    }
}
