import Foundation
import Glibc

/// A child process started with `posix_spawn` and reaped with `waitpid`.
///
/// Why not Foundation's `Process`: in these test processes it sometimes never notices a child's exit
/// (the child stays a zombie and `waitUntilExit` blocks forever). Here the exit is read by polling
/// `waitpid(WNOHANG)`, which cannot miss it. The child starts with an empty signal mask and default
/// dispositions, whatever the test process blocks, and only descriptors 0-2.
///
/// Invariant: the child is reaped exactly once; after that `exitStatus` is fixed and `isRunning` false.
public final class ChildProcess: @unchecked Sendable {  // unchecked: `status` is guarded by `lock`
    public let pid: pid_t
    private let lock = NSLock()
    private var status: Int32?

    private init(pid: pid_t) { self.pid = pid }

    /// Spawns `executable` with `arguments`. stdin is /dev/null; stdout/stderr go to the given files
    /// (appended; created if missing) or /dev/null. `environment` nil -> this process's environment.
    public static func spawn(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                             stdout: String? = nil, stderr: String? = nil) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderr ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        // Tests run in parallel in one process: a child must not inherit another test's descriptors
        // (an emulator holding a file open in a mount made that mount's unmount fail with EBUSY).
        // (closefrom_np is not visible to Swift; a descriptor closed meanwhile is ignored by glibc.)
        for descriptor in openDescriptors() where descriptor > 2 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw HarnessError.commandFailed(command: executable, status: rc, output: String(cString: strerror(rc)))
        }
        return ChildProcess(pid: pid)
    }

    /// The descriptors open in this process now.
    private static func openDescriptors() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
    }

    /// Reaps the child if it has exited. Returns the exit status (exit code, or 128 + signal).
    @discardableResult
    private func poll() -> Int32? {
        lock.withLock {
            if let status { return status }
            var raw: Int32 = 0
            let r = waitpid(pid, &raw, WNOHANG)
            guard r == pid else { return nil }
            let signal = raw & 0x7f
            status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return status
        }
    }

    public var isRunning: Bool { poll() == nil }

    /// The exit status once exited (exit code, or 128 + signal number), else nil.
    public var exitStatus: Int32? { poll() }

    /// Waits until the child exits or `timeout` passes; returns the exit status or nil on timeout.
    @discardableResult
    public func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = poll() { return status }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// SIGTERM, wait up to `grace` seconds, then SIGKILL and reap. Returns the exit status.
    @discardableResult
    public func terminate(grace: TimeInterval = 5) -> Int32 {
        send(SIGTERM)
        if let status = wait(timeout: grace) { return status }
        send(SIGKILL)
        return wait(timeout: 30) ?? -1
    }
}
