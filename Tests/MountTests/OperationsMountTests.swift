import EmulatorHarness
import Foundation
import Glibc
import Testing

/// Running fastiofs unattended: an fstab line through mount(8) and mount.fuse3, the installed
/// `mount.fastiofs` helper at `mount -a`, systemd's notify protocol (a datagram socket stands in for
/// systemd), journald-style logs, the daemon's rotating log with SIGUSR1/SIGUSR2, completions.
extension MountSuites {
@Suite(.timeLimit(.minutes(4)))
struct OperationsMountTests {
    static func binDirectory() throws -> String {
        (try BuildProducts.executable("fastiofs").path as NSString).deletingLastPathComponent
    }

    /// A token file (0600) holding the emulator's primary token.
    static func tokenFile(_ emulator: EmulatorProcess) throws -> String {
        let dir = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-token")
        let path = dir.appendingPathComponent("token").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(emulator.primaryToken.utf8),
                                               attributes: [.posixPermissions: 0o600]))
        return path
    }

    /// Best-effort cleanup after a test that may have failed half-way (each command ends in `true`; a
    /// shell that cannot even start leaves nothing more to do here).
    static func cleanUp(_ mountpoint: String) {
        _ = try? Shell.run("fusermount3 -u \(Shell.quote(mountpoint)) 2>/dev/null; fusermount3 -u -z \(Shell.quote(mountpoint)) 2>/dev/null; true")
        _ = try? Shell.run("pkill -KILL -f \(Shell.quote("[f]astiofs mount \(mountpoint)")); true")
    }

    /// Installs into /usr/local (where the helpers look: mount(8) runs `/sbin/mount.fastiofs` for
    /// `-t fastiofs`, and mount.fuse3 runs `fastiofs` through /bin/sh with no PATH of the caller's for
    /// `-t fuse.fastiofs`, so the shell's default PATH), mounts an fstab line of each type with
    /// `mount -T` and `mount -a -T`, and uninstalls.
    @Test func anInstalledFastiofsMountsFstabLinesOfBothTypes() async throws {
        try FuseAvailability.require()
        let prefix = "/usr/local"
        for path in ["/sbin/mount.fastiofs", prefix + "/bin/fastiofs"] {
            try #require(!FileManager.default.fileExists(atPath: path), "\(path) exists already: this test installs its own")
        }
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let root = try #require(BuildProducts.packageRoot()).path
        let install = Shell.quote(root + "/scripts/install.sh")
        // Best effort, also after a failure; the success path uninstalls again and checks it.
        defer { _ = try? Shell.run("\(install) --uninstall \(prefix)") }
        let installed = try Shell.run("\(install) \(prefix)",
                                      environment: ["FASTIOFS_INSTALL_FROM": try Self.binDirectory(), "FASTIOFS_SKIP_MAN": "1"],
                                      timeout: 120)
        #expect(installed.status == 0, "\(installed.stdout)\(installed.stderr)")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: "/sbin/mount.fastiofs")) == prefix + "/bin/fastiofs")
        #expect(FileManager.default.fileExists(atPath: prefix + "/share/bash-completion/completions/fastiofs"))
        #expect(FileManager.default.fileExists(atPath: prefix + "/lib/systemd/system/fastiofs@.service"))

        let token = try Self.tokenFile(emulator)
        let files = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-fstab-file")
        // mount(8) hands helpers no PATH at all: prove nothing of ours needs one.
        let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]

        // -t fuse.fastiofs, read-only, with the options only mount(8) and systemd care about.
        let fuseMount = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-fstab").path
        defer { Self.cleanUp(fuseMount) }
        let fuseFstab = files.appendingPathComponent("fstab-fuse").path
        let fuseOptions = "api_url=\(emulator.baseURL.absoluteString),token_file=\(token),"
            + "cache_dir=\(try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-fstab-cache").path),"
            + "log_level=debug,read_only,_netdev,nofail,x-systemd.automount,x-systemd.mount-timeout=30"
        try "workspace:\(SourceTree.workspaceName) \(fuseMount) fuse.fastiofs \(fuseOptions) 0 0\n"
            .write(toFile: fuseFstab, atomically: true, encoding: .utf8)
        let mounted = try Shell.run("mount -T \(Shell.quote(fuseFstab)) \(Shell.quote(fuseMount))", environment: environment, timeout: 60)
        #expect(mounted.status == 0, "\(mounted.stdout)\(mounted.stderr)")
        #expect(try POSIX.readAll(fuseMount + "/small/hello.txt") == Array("hello fastio\n".utf8), "live once mount returned")
        let refused = try Shell.run("touch \(Shell.quote(fuseMount + "/new.txt"))")
        #expect(refused.stderr.contains("Read-only file system"), "read_only became --read-only: \(refused.stderr)")
        let unmountedFuse = try Shell.run("\(prefix)/bin/fastiofs unmount \(Shell.quote(fuseMount))", timeout: 60)
        #expect(unmountedFuse.status == 0, "\(unmountedFuse.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: fuseMount))

        // -t fastiofs through /sbin/mount.fastiofs, at `mount -a`.
        let helperMount = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mounta").path
        defer { Self.cleanUp(helperMount) }
        let helperFstab = files.appendingPathComponent("fstab-helper").path
        let line = "workspace:\(SourceTree.workspaceName) \(helperMount) fastiofs api_url=\(emulator.baseURL.absoluteString),"
            + "token_file=\(token),cache_dir=\(try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mounta-cache").path),_netdev,nofail 0 0\n"
        try line.write(toFile: helperFstab, atomically: true, encoding: .utf8)
        let mountedAll = try Shell.run("mount -a -T \(Shell.quote(helperFstab))", environment: environment, timeout: 60)
        #expect(mountedAll.status == 0, "\(mountedAll.stdout)\(mountedAll.stderr)")
        #expect(try POSIX.readAll(helperMount + "/small/hello.txt") == Array("hello fastio\n".utf8))
        let written = try Shell.run("printf 'via fstab\\n' > \(Shell.quote(helperMount + "/from-fstab.txt"))")
        #expect(written.status == 0, "\(written.stderr)")
        let unmounted = try Shell.run("\(prefix)/bin/fastiofs unmount \(Shell.quote(helperMount))", timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        #expect(try await ServerFiles(emulator).names("").contains("from-fstab.txt"))

        let removed = try Shell.run("\(install) --uninstall \(prefix)")
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/sbin/mount.fastiofs") && !FileManager.default.fileExists(atPath: prefix + "/bin/fastiofs"))
    }

    @Test func systemdIsToldReadyStatusAndStoppingAndJournaldGetsPriorities() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator(extraArguments: ["--commit-delay-ms", "1500"])
        defer { emulator.stop() }
        let socketDirectory = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-notify")
        let systemd = try DatagramListener(path: socketDirectory.appendingPathComponent("notify").path)
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-notify-cache")
        // The foreground process's stderr is this file: name it as the journal stream.
        let logFile = cache.appendingPathComponent("foreground.log").path
        #expect(FileManager.default.createFile(atPath: logFile, contents: nil))
        var st = stat()
        try #require(stat(logFile, &st) == 0)
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName], cacheDirectory: cache,
                                              environment: ["NOTIFY_SOCKET": systemd.path,
                                                            "JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino)"])
        defer { mount.unmount() }
        let ready = try systemd.receive(until: { $0.contains("READY=1") }, timeout: 10)
        #expect(ready.contains { $0.contains("READY=1") && $0.contains("STATUS=Mounted") }, "\(ready)")
        #expect(MountTable.isFastIOFSMounted(at: mount.path))

        let written = try Shell.run("printf 'queued\\n' > \(Shell.quote(mount.path + "/queued.txt"))")
        #expect(written.status == 0, "\(written.stderr)")
        let queued = try systemd.receive(until: { $0.contains("1 file") }, timeout: 10)
        #expect(queued.contains { $0.contains("STATUS=") && $0.contains("upload queue: 1 file") }, "\(queued)")
        let drained = try systemd.receive(until: { $0.contains("queue empty") }, timeout: 15)
        #expect(drained.contains { $0.contains("STATUS=Mounted; upload queue empty") }, "\(drained)")

        #expect(mount.terminate() == 0)
        let stopping = try systemd.receive(until: { $0.contains("STOPPING=1") }, timeout: 10)
        #expect(stopping.contains { $0.contains("STOPPING=1") }, "\(stopping)")
        let lines = try String(contentsOfFile: logFile, encoding: .utf8).split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("<6>info fastiofs:") }, "journald priorities: \(lines.prefix(5))")
        #expect(!lines.contains { $0.first?.isNumber == true }, "no timestamps under journald")
    }

    @Test func theDaemonLogRotatesReopensAndChangesLevelOnSignals() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mnt = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-logs").path
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-logs-cache").path
        defer { Self.cleanUp(mnt) }
        let bin = try Self.binDirectory() + "/fastiofs"
        let env = ["FASTIO_TOKEN": emulator.primaryToken]
        let mounted = try Shell.run("\(Shell.quote(bin)) mount \(Shell.quote(mnt)) --api-url \(emulator.baseURL.absoluteString) "
                                    + "--workspace \(SourceTree.workspaceName) --cache-dir \(Shell.quote(cache)) --log-level info "
                                    + "--log-max-size 4K --log-keep 2", environment: env, timeout: 60)
        #expect(mounted.status == 0, "\(mounted.stderr)")
        let pidText = try Shell.run("pgrep -f \(Shell.quote("[f]astiofs mount \(mnt)"))").stdout
        let pid = try #require(pidText.split(separator: "\n").first.flatMap { Int32($0) }, "daemon pid: \(pidText)")
        let log = cache + "/fastiofs.log"

        // SIGUSR2: one step more verbose; debug lines (one per opened file) then fill the log.
        kill(pid, SIGUSR2)
        try waitFor(timeout: 10) { (try? String(contentsOfFile: log, encoding: .utf8))?.contains("log level is now debug") == true }
        for round in 0..<40 {
            _ = try POSIX.readAll(mnt + "/small/hello.txt")
            _ = try POSIX.listNames(mnt + "/small")
            if round % 10 == 9 { _ = try Shell.run("cat \(Shell.quote(mnt))/small/* >/dev/null") }
        }
        try waitFor(timeout: 10) { FileManager.default.fileExists(atPath: log + ".2") }
        #expect(!FileManager.default.fileExists(atPath: log + ".3"), "only --log-keep old files")
        for path in [log, log + ".1", log + ".2"] {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            #expect(size <= 4096 + 2048, "\(path) is \(size) bytes")
        }

        // SIGUSR1 after an outside rotation: a new file at the same path.
        try FileManager.default.moveItem(atPath: log, toPath: cache + "/moved.log")
        kill(pid, SIGUSR1)
        try waitFor(timeout: 10) { (try? String(contentsOfFile: log, encoding: .utf8))?.contains("log file reopened") == true }

        let unmounted = try Shell.run("\(Shell.quote(bin)) unmount \(Shell.quote(mnt))", environment: env, timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
    }

    @Test func completionsAndVersion() throws {
        let bin = try Self.binDirectory() + "/fastiofs"
        for shell in ["bash", "zsh", "fish"] {
            let script = try Shell.run("\(Shell.quote(bin)) completion \(shell)")
            #expect(script.status == 0 && script.stdout.contains("fastiofs") && script.stdout.contains("unmount"), "\(shell)")
        }
        #expect(try Shell.run("\(Shell.quote(bin)) completion tcsh").status != 0)
        #expect(try Shell.run("\(Shell.quote(bin)) --version").stdout.hasPrefix("fastiofs "))
    }

    /// Polls `condition` until it holds (a file another process writes; there is nothing to wait on).
    private func waitFor(timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        throw MountTestError("condition not met within \(timeout) s")
    }
}
}

/// A Unix datagram socket standing in for systemd's notification socket.
final class DatagramListener {
    let path: String
    private let fd: Int32
    private var received: [String] = []

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MountTestError("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw MountTestError("bind \(path): \(errno)") }
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Every message so far, once one satisfies `condition` (or throws after `timeout`).
    func receive(until condition: (String) -> Bool, timeout: TimeInterval) throws -> [String] {
        let deadline = Date(timeIntervalSinceNow: timeout)
        if received.contains(where: condition) { return received }
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&poller, 1, remaining) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let message = String(decoding: buffer[..<count], as: UTF8.self)
            received.append(message)
            if condition(message) { return received }
        }
        throw MountTestError("no matching notification within \(timeout) s; got \(received)")
    }
}
