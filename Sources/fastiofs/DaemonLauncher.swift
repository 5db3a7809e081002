import Foundation
import Glibc

/// Starts the mount daemon and returns only once its mount is live.
///
/// Never fork()s (unsafe in a multithreaded Swift process): re-executes this binary with
/// posix_spawn as `fastiofs mount <mountpoint> --foreground ...`, its stdin/stdout on /dev/null and
/// stderr appended to the log, and the write end of a pipe as fd 3 named by FASTIOFS_READY_FD; no
/// other descriptor is inherited.
/// The daemon calls setsid itself. Exit status: 0 on `ready`; 1 when the daemon reports an error,
/// exits, or is not live within `timeout` (then it is sent SIGTERM).
struct DaemonLauncher {
    let request: MountRequest
    var timeout: TimeInterval = 30
    static let readyDescriptor: Int32 = 3

    func launch() -> Int32 {
        do {
            // Before the daemon's stderr is opened in it; the daemon checks again and opens (and
            // rotates) the log itself.
            try CacheDirectoryPreflight.prepare(request.cacheDirectory)
        } catch {
            return fail(error.description)
        }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else { return fail("cannot create a pipe: \(String(cString: strerror(errno)))") }
        // pipe2 is not visible to Swift (_GNU_SOURCE); nothing else spawns concurrently here.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        let readEnd = pipeEnds[0]
        var writeEnd = pipeEnds[1]
        defer { close(readEnd) }
        if writeEnd == Self.readyDescriptor {   // dup2 onto itself would keep FD_CLOEXEC
            writeEnd = fcntl(writeEnd, F_DUPFD_CLOEXEC, 10)
            close(Self.readyDescriptor)
        }

        let pid: pid_t
        do {
            pid = try spawn(writeEnd: writeEnd)
        } catch {
            close(writeEnd)
            return fail(error.description)
        }
        close(writeEnd)
        return awaitReadiness(pid: pid, readEnd: readEnd)
    }

    private func spawn(writeEnd: Int32) throws(CommandFailure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, request.logFile, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, Self.readyDescriptor)
        // The daemon outlives the caller: an inherited descriptor (say, a file open in another mount)
        // would stay open for the mount's whole life.
        // (closefrom_np is not visible to Swift; nothing else opens descriptors while we spawn.)
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap({ Int32($0) }) where descriptor > Self.readyDescriptor {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }

        let executable = Self.currentExecutable()
        let arguments = [executable] + request.foregroundArguments
        var environment = ProcessInfo.processInfo.environment
        environment[ReadinessChannel.environmentVariable] = String(Self.readyDescriptor)
        let environmentStrings = environment.map { "\($0.key)=\($0.value)" }

        let argv = CStringArray(arguments)
        let envp = CStringArray(environmentStrings)
        defer { argv.free(); envp.free() }
        var pid = pid_t()
        let rc = posix_spawn(&pid, executable, &actions, nil, argv.pointer, envp.pointer)
        guard rc == 0 else { throw CommandFailure("cannot start the mount daemon: \(String(cString: strerror(rc)))") }
        return pid
    }

    private func awaitReadiness(pid: pid_t, readEnd: Int32) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        var received = Data()
        while true {
            if let line = received.firstIndex(of: UInt8(ascii: "\n")).map({ String(decoding: received[..<$0], as: UTF8.self) }) {
                if line == "ready" {
                    print("fastiofs: mounted at \(request.mountpoint) (daemon pid \(pid), log \(request.logFile))")
                    return 0
                }
                let message = line.hasPrefix("error: ") ? String(line.dropFirst(7)) : line
                reap(pid)
                return fail(message)
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                kill(pid, SIGTERM)
                return fail("the mount at \(request.mountpoint) did not become live within \(Int(timeout)) s; see \(request.logFile)")
            }
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(readEnd, &buffer, buffer.count)
            if count > 0 {
                received.append(contentsOf: buffer[..<count])
            } else if count == 0 {
                let status = reap(pid)
                return fail("the mount daemon exited (\(status)) before the mount was live; see \(request.logFile)")
            }
        }
    }

    /// Waits for the daemon to exit (it is about to after an error) and describes how it ended.
    @discardableResult
    private func reap(_ pid: pid_t) -> String {
        var status: Int32 = 0
        for _ in 0..<50 {
            if waitpid(pid, &status, WNOHANG) == pid {
                let signal = status & 0x7f
                return signal == 0 ? "status \((status >> 8) & 0xff)" : "signal \(signal)"
            }
            usleep(100_000)
        }
        return "still running"
    }

    private func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("fastiofs: \(message)\n".utf8))
        return 1
    }

    static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return CommandLine.arguments[0] }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A NULL-terminated `char *[]` for posix_spawn, freed explicitly.
struct CStringArray {
    let pointer: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointer = .allocate(capacity: strings.count + 1)
        for (index, string) in strings.enumerated() { pointer[index] = strdup(string) }
        pointer[strings.count] = nil
    }

    func free() {
        for index in 0..<count { Glibc.free(pointer[index]) }
        pointer.deallocate()
    }
}
