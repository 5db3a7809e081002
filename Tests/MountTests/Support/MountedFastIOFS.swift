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
final class MountedFastIOFS: @unchecked Sendable {  // unchecked: `unmounted` is guarded by `lock`
    let mountpoint: URL
    let cacheDirectory: URL
    private let process: ChildProcess
    private let logURL: URL
    private let lock = NSLock()
    private var unmounted = false

    var pid: Int32 { process.pid }
    var path: String { mountpoint.path }

    /// Mounts with `fastiofs mount MNT --foreground --api-url URL --cache-dir DIR ARGS...`, the token in
    /// `FASTIO_TOKEN`. `mountpoint` nil -> a fresh temp dir. The process's output goes to `logFile`
    /// (default `DIR/foreground.log`; give one elsewhere for a cache directory that does not exist yet).
    static func mount(_ emulator: EmulatorProcess, token: String? = nil, arguments: [String] = [],
                      mountpoint: URL? = nil, cacheDirectory: URL? = nil, logFile: URL? = nil,
                      environment: [String: String] = [:], timeout: TimeInterval = 30) throws -> MountedFastIOFS {
        let mnt = try mountpoint ?? EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mnt")
        let cache = try cacheDirectory ?? EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        let m = try MountedFastIOFS(mountpoint: mnt, cacheDirectory: cache, logFile: logFile,
                                    apiURL: emulator.baseURL.absoluteString, token: token ?? emulator.primaryToken,
                                    arguments: arguments, environment: environment)
        try m.waitUntilMounted(timeout: timeout)
        return m
    }

    /// Starts the daemon like `mount` and returns at once, before it has mounted.
    static func start(_ emulator: EmulatorProcess, arguments: [String] = []) throws -> MountedFastIOFS {
        try MountedFastIOFS(mountpoint: try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mnt"),
                            cacheDirectory: try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache"), logFile: nil,
                            apiURL: emulator.baseURL.absoluteString, token: emulator.primaryToken,
                            arguments: arguments, environment: [:])
    }

    private init(mountpoint: URL, cacheDirectory: URL, logFile: URL?, apiURL: String, token: String, arguments: [String],
                 environment: [String: String]) throws {
        self.mountpoint = mountpoint
        self.cacheDirectory = cacheDirectory
        logURL = logFile ?? cacheDirectory.appendingPathComponent("foreground.log")
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

    /// The daemon's exit status once it exited (exit code, or 128 + signal), else nil.
    var exitStatus: Int32? { process.exitStatus }

    /// The file the process's stdout and stderr go to.
    var logPath: String { logURL.path }

    /// Waits until the mountpoint resolves to a live FUSE filesystem: `statfs` answers with FUSE's
    /// magic. A stale mount left by a crash answers ENOTCONN; and once the new daemon has lazily
    /// detached it, the bare directory answers with its own filesystem's magic, so the window between
    /// that detach and the new mount does not count either (checking the mount table, then `statvfs`,
    /// let that window through: the table still listed the stale mount, the bare directory answered).
    private func waitUntilMounted(timeout: TimeInterval) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if MountTable.isLiveFUSEMount(mountpoint.path) { return }
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
            // A daemon that mounted after the checks above leaves a stale mount when killed.
            if MountTable.isFastIOFSMounted(at: mountpoint.path) {
                _ = try? Shell.run("fusermount3 -u -z \(Shell.quote(mountpoint.path))", timeout: 10)
            }
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

    /// `path` resolves to a FUSE mount at `path` whose daemon answers: `statvfs` succeeds (a stale
    /// mount answers ENOTCONN), and then the device `stat` finds there is one the mount table lists as
    /// a FUSE mount at `path` (the bare directory under it has its own filesystem's device). Once a
    /// stale mount has failed the first check it is never the one the second finds: it cannot come back.
    static func isLiveFUSEMount(_ path: String) -> Bool {
        var fs = statvfs()
        var st = stat()
        guard statvfs(path, &fs) == 0, stat(path, &st) == 0 else { return false }
        return fuseDevices(at: path).contains(UInt64(st.st_dev))
    }

    /// The devices (`st_dev`, glibc's encoding of mountinfo's major:minor) of the FUSE mounts at `path`.
    static func fuseDevices(at path: String) -> Set<UInt64> {
        var devices: Set<UInt64> = []
        for fields in mountinfoLines() where fuseMount(fields, at: path) {
            let numbers = fields[2].split(separator: ":").compactMap { UInt64($0) }
            guard numbers.count == 2 else { continue }
            let (major, minor) = (numbers[0], numbers[1])
            devices.insert((major & 0xfff) << 8 | (major & ~0xfff) << 32 | (minor & 0xff) | (minor & ~0xff) << 12)
        }
        return devices
    }

    /// The mount ids of the FUSE mounts at `path` (stacked mounts, e.g. a stale one, give several).
    static func mountIDs(at path: String) -> Set<Int> {
        Set(mountinfoLines().filter { fuseMount($0, at: path) }.compactMap { Int($0[0]) })
    }

    private static func mountinfoLines() -> [[Substring]] {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { $0.split(separator: " ") }
    }

    private static func fuseMount(_ fields: [Substring], at path: String) -> Bool {
        guard fields.count > 5, let dash = fields.firstIndex(of: "-"), dash + 1 < fields.count else { return false }
        return fields[4].replacingOccurrences(of: "\\040", with: " ") == path && fields[dash + 1].hasPrefix("fuse")
    }
}
