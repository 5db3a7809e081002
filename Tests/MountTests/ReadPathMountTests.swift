import EmulatorHarness
import CFuseShim  // only for <sys/xattr.h>
import Foundation
import Glibc
import Testing

/// Per-operation tests of the read path through the real kernel: `fastiofs` mounted on a real emulator.
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct ReadPathMountTests {
    /// Mounts workspace `mt` as the root (single-profile layout).
    private func mountTree(_ arguments: [String] = ["--read-only"]) async throws -> (EmulatorProcess, MountedFastIOFS) {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName] + arguments)
        return (emulator, mount)
    }

    @Test func lookupAndGetattrShowTheNodes() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        let file = try POSIX.stat(mount.path + "/small/hello.txt")
        #expect(file.st_size == 13)
        #expect(file.st_mode & S_IFMT == S_IFREG)
        #expect(file.st_mode & 0o777 == 0o444, "read-only mount: files 0444")
        #expect(file.st_uid == getuid() && file.st_gid == getgid())
        #expect(file.st_nlink == 1)
        let dir = try POSIX.stat(mount.path + "/deep/a/b")
        #expect(dir.st_mode & S_IFMT == S_IFDIR)
        #expect(dir.st_mode & 0o777 == 0o555)
        #expect(try POSIX.stat(mount.path + "/small/empty.txt").st_size == 0)
        #expect(try POSIX.stat(mount.path + "/big/random.bin").st_size == SourceTree.bigSize)

        // mtime is the node's `modified` (Y-m-d H:i:s UTC, whole seconds), not the mount time.
        let fixtures = Fixtures(emulator.api)
        let ws = try await emulator.api.get("workspace/\(SourceTree.workspaceName)/details/").payload["workspace"]["id"].string
        let small = try await fixtures.listAll(.workspace(try #require(ws)), "root").first { $0["name"].string == "small" }
        let smallID = try #require(small?["id"].string)
        let hello = try await fixtures.listAll(.workspace(ws!), smallID).first { $0["name"].string == "hello.txt" }
        let modified = try #require(hello?["modified"].string)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        let expected = try #require(formatter.date(from: modified))
        #expect(Int(file.st_mtim.tv_sec) == Int(expected.timeIntervalSince1970))

        #expect(throws: SyscallError(errno: ENOENT, call: "stat \(mount.path)/small/missing.txt")) {
            _ = try POSIX.stat(mount.path + "/small/missing.txt")
        }
    }

    @Test func readdirAcrossSeveralPagesListsEveryEntryOnceWithoutPerEntryRequests() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        var names: [String] = []
        let requests = try mount.requestsDuring {
            names = try POSIX.listNames(mount.path + "/many")
            for name in names { _ = try POSIX.stat(mount.path + "/many/" + name) }   // ls -l
        }
        #expect(names.count == SourceTree.manyCount)
        #expect(Set(names).count == names.count, "no entry twice")
        #expect(Set(names) == Set((0..<SourceTree.manyCount).map { String(format: "f%05d.txt", $0) }))
        let listRequests = requests.filter { $0.key.contains("storage/list") }.values.reduce(0, +)
        #expect(listRequests <= 4, "1,234 entries in pages of 500 (+ the parent lookup): \(requests)")
        #expect(requests.filter { $0.key.contains("details") }.values.reduce(0, +) <= 1, "no request per entry: \(requests)")

        let warm = try mount.requestsDuring {
            for name in try POSIX.listNames(mount.path + "/many") { _ = try POSIX.stat(mount.path + "/many/" + name) }
        }
        #expect(warm.isEmpty, "a warm ls -l sends no request: \(warm)")
    }

    @Test func readsAtEveryKindOfOffsetMatchTheSource() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        let rel = "big/random.bin"
        let source = try SourceTree.bytes(rel)
        let path = mount.path + "/" + rel
        let size = source.count
        let cases: [(Int, Int)] = [
            (0, 1), (0, 4096), (1, 4095), (4093, 10_000), (65_535, 3), ((1 << 20) - 7, 14),
            ((3 << 20) + 11, 2 << 20), (size - 100, 100), (size - 1, 1), (size - 10, 4096),
            (12_345_678, 1_000_001), (5 << 20, 1 << 20),
        ]
        for (offset, count) in cases {
            let got = try POSIX.pread(path, offset: offset, count: count)
            let end = min(offset + count, size)
            #expect(ByteMismatch.of(got, Array(source[offset..<end])) == nil, "pread(\(offset), \(count))")
        }
        #expect(try POSIX.pread(path, offset: size, count: 10).isEmpty, "read at EOF returns 0 bytes")
        #expect(try POSIX.pread(path, offset: size + 4096, count: 10).isEmpty, "read past EOF returns 0 bytes")
        for size in [4095, 4096, 4097, 1_048_579] {
            #expect(ByteMismatch.of(try POSIX.readAll(mount.path + "/sizes/\(size).bin", chunk: 4096), try SourceTree.bytes("sizes/\(size).bin")) == nil)
        }
        #expect(try POSIX.readAll(mount.path + "/small/empty.txt").isEmpty)
        #expect(try POSIX.readAll(mount.path + "/small/one.bin") == [0x2A])
    }

    @Test func checksumOfALargeFileAndRereadWithoutRequests() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        let path = mount.path + "/big/random.bin"
        let sum = try Shell.run("sha256sum \(Shell.quote(path)) | cut -d' ' -f1")
        #expect(sum.status == 0)
        #expect(sum.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ==
                EmulatorHarness.SHA256.hex(of: Data(try SourceTree.bytes("big/random.bin"))))
        // The pages are pinned for the reread: this VM runs DAMON proactive reclaim (kdamond, pageout
        // on physical memory), which evicts scattered page-cache pages within seconds, and the kernel
        // would read those again. Pinning reads any evicted page back before the measured reread; a
        // reopen that dropped the cache (no FOPEN_KEEP_CACHE) would still fetch the whole file.
        var reread: [UInt8] = []
        let again = try POSIX.withPagesLocked(path) {
            try mount.requestsDuring { reread = try POSIX.readAll(path) }
        }
        #expect(ByteMismatch.of(reread, try SourceTree.bytes("big/random.bin")) == nil)
        #expect(again.isEmpty, "rereading an unchanged file in the same mount sends no request: \(again)")
    }

    /// `-o direct_io`: reads bypass the page cache, so a reread reaches the server again, with the
    /// same bytes; a private mapping still reads the file, a shared one fails with ENODEV.
    @Test func directIOReadsBypassThePageCache() async throws {
        let (emulator, mount) = try await mountTree(["--read-only", "-o", "direct_io"])
        defer { mount.unmount(); emulator.stop() }
        let path = mount.path + "/big/random.bin"
        let source = try SourceTree.bytes("big/random.bin")
        var first: [UInt8] = [], second: [UInt8] = []
        let firstRead = try mount.requestsDuring { first = try POSIX.readAll(path) }
        let secondRead = try mount.requestsDuring { second = try POSIX.readAll(path) }
        #expect(ByteMismatch.of(first, source) == nil)
        #expect(ByteMismatch.of(second, source) == nil)
        #expect((firstRead["GET storage/read"] ?? 0) > 0)
        #expect((secondRead["GET storage/read"] ?? 0) > 0, "a reread with direct_io fetches again: \(secondRead)")
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let mapped = mmap(nil, 4096, PROT_READ, MAP_PRIVATE, fd, 0)
        #expect(mapped != MAP_FAILED)
        if let mapped, mapped != MAP_FAILED {
            #expect(Array(UnsafeRawBufferPointer(start: mapped, count: 4096)) == Array(source[0..<4096]))
            munmap(mapped, 4096)
        }
        let shared = mmap(nil, 4096, PROT_READ, MAP_SHARED, fd, 0)
        let sharedErrno = errno
        if let shared, shared != MAP_FAILED { munmap(shared, 4096) }
        #expect(shared == MAP_FAILED && sharedErrno == ENODEV, "MAP_SHARED on a direct_io file fails with ENODEV")
    }

    @Test func concurrentReadersAllSeeTheRightBytes() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        let source = try SourceTree.bytes("big/random.bin")
        let path = mount.path + "/big/random.bin"
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for reader in 0..<8 {
                group.addTask {
                    let offset = reader * 3_000_017 % (source.count - 2_000_000)
                    let got = try POSIX.pread(path, offset: offset, count: 2_000_000)
                    return got == Array(source[offset..<(offset + 2_000_000)])
                }
            }
            group.addTask { try POSIX.readAll(mount.path + "/sizes/1048579.bin") == SourceTree.bytes("sizes/1048579.bin") }
            for try await ok in group { #expect(ok) }
        }
    }

    @Test func readOnlyMountRefusesEveryWriteWithEROFSAndSendsNoChange() async throws {
        for option in [["--read-only"], ["-o", "ro"]] {
            let (emulator, mount) = try await mountTree(option)
            defer { mount.unmount(); emulator.stop() }
            let p = mount.path
            var results: [String: Int32] = [:]
            let requests = try mount.requestsDuring {
                results["create"] = POSIX.errnoOf { let fd = open(p + "/new.txt", O_CREAT | O_WRONLY, 0o644); if fd >= 0 { close(fd) }; return fd }
                results["open-write"] = POSIX.errnoOf { let fd = open(p + "/small/hello.txt", O_WRONLY); if fd >= 0 { close(fd) }; return fd }
                results["open-trunc"] = POSIX.errnoOf { let fd = open(p + "/small/hello.txt", O_RDONLY | O_TRUNC); if fd >= 0 { close(fd) }; return fd }
                results["mkdir"] = POSIX.errnoOf { mkdir(p + "/newdir", 0o755) }
                results["unlink"] = POSIX.errnoOf { unlink(p + "/small/hello.txt") }
                results["rmdir"] = POSIX.errnoOf { rmdir(p + "/deep/a/b/c/d") }
                results["rename"] = POSIX.errnoOf { rename(p + "/small/hello.txt", p + "/small/moved.txt") }
                results["truncate"] = POSIX.errnoOf { truncate(p + "/small/hello.txt", 1) }
                results["chmod"] = POSIX.errnoOf { chmod(p + "/small/hello.txt", 0o600) }
                results["utimes"] = POSIX.errnoOf { utimes(p + "/small/hello.txt", nil) }
                results["symlink"] = POSIX.errnoOf { symlink("hello.txt", p + "/small/link") }
                results["link"] = POSIX.errnoOf { link(p + "/small/hello.txt", p + "/small/hard") }
                results["mknod"] = POSIX.errnoOf { mknod(p + "/fifo", S_IFIFO | 0o644, 0) }
                results["setxattr"] = POSIX.errnoOf { setxattr(p + "/small/hello.txt", "user.x", "v", 1, 0) }
                results["removexattr"] = POSIX.errnoOf { removexattr(p + "/small/hello.txt", "user.fastio.id") }
            }
            for (op, err) in results.sorted(by: { $0.key < $1.key }) {
                #expect(err == EROFS, "\(option): \(op) gave \(err), want EROFS")
            }
            #expect(requests.keys.allSatisfy { $0.hasPrefix("GET") }, "a read-only mount changes nothing: \(requests)")
            #expect(try POSIX.readAll(p + "/small/hello.txt") == Array("hello fastio\n".utf8))
        }
    }

    @Test func xattrsDescribeTheNode() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        let path = mount.path + "/sizes/4096.bin"
        let names = try XAttr.list(path)
        for name in ["user.fastio.id", "user.fastio.version", "user.fastio.hash", "user.fastio.hash_algo", "user.fastio.mimetype"] {
            #expect(names.contains(name), "\(names)")
        }
        let id = try XAttr.string(path, "user.fastio.id")
        #expect(id.count == 29 || id.count == 30, "canonical OpaqueId: \(id)")
        #expect(try XAttr.string(path, "user.fastio.hash") == EmulatorHarness.SHA256.hex(of: Data(try SourceTree.bytes("sizes/4096.bin"))))
        #expect(try XAttr.string(path, "user.fastio.hash_algo") == "sha256")
        #expect(!(try XAttr.string(path, "user.fastio.version")).isEmpty)
        let ws = try #require(try await emulator.api.get("workspace/\(SourceTree.workspaceName)/details/").payload["workspace"]["id"].string)
        let details = try await Fixtures(emulator.api).details(.workspace(ws), id)
        #expect(details["name"].string == "4096.bin")
        #expect(throws: SyscallError(errno: ENODATA, call: "getxattr user.other")) { _ = try XAttr.get(path, "user.other") }
    }

    @Test func toolsSeeExactlyTheWorkspaceContents() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        let src = Shell.quote(SourceTree.root.path), mnt = Shell.quote(mount.path)
        let out = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mt-out")
        defer { try? FileManager.default.removeItem(at: out) }
        let o = Shell.quote(out.path)
        let script = """
            set -e
            ls -lR \(mnt) > \(o)/ls.txt
            diff -r \(src) \(mnt)
            cp -r \(mnt) \(o)/cp && diff -r \(src) \(o)/cp
            rsync -a \(mnt)/ \(o)/rsync/ && diff -r \(src) \(o)/rsync
            tar c -C \(mnt) . | (mkdir \(o)/tar && tar x -C \(o)/tar) && diff -r \(src) \(o)/tar
            test "$(cd \(mnt) && grep -r needle . | sort)" = "$(cd \(src) && grep -r needle . | sort)"
            test "$(cd \(mnt) && find . -type f -exec sha256sum {} + | sort)" = "$(cd \(src) && find . -type f -exec sha256sum {} + | sort)"
            """
        let result = try Shell.run(script, timeout: 240)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(2000))")
    }

    @Test func inodesAreStableAcrossRemountsAndAStaleMountIsRecovered() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let args = ["--workspace", SourceTree.workspaceName, "--read-only"]
        let first = try MountedFastIOFS.mount(emulator, arguments: args)
        let mnt = first.mountpoint
        let ino1 = try POSIX.stat(mnt.path + "/deep/a/b/c/d/leaf.txt").st_ino
        let dirIno1 = try POSIX.stat(mnt.path + "/many").st_ino
        first.crash()   // kill -9: the kernel keeps a dead mount
        // A listing needs the daemon (a stat may still be answered from the kernel's attribute cache).
        #expect(throws: SyscallError(errno: ENOTCONN, call: "opendir \(mnt.path)/many")) { _ = try POSIX.listNames(mnt.path + "/many") }
        let second = try MountedFastIOFS.mount(emulator, arguments: args, mountpoint: mnt)
        defer { second.unmount() }
        #expect(try POSIX.stat(mnt.path + "/deep/a/b/c/d/leaf.txt").st_ino == ino1)
        #expect(try POSIX.stat(mnt.path + "/many").st_ino == dirIno1)
        #expect(try POSIX.readAll(mnt.path + "/deep/a/b/c/d/leaf.txt") == Array("leaf\n".utf8))
    }

    @Test func aDeadOrFailingServerGivesAnErrnoWithoutHanging() async throws {
        // Faults injected at a rate the retries absorb: every byte still arrives intact.
        do {
            try FuseAvailability.require()
            let emulator = try await SourceTree.emulator(extraArguments: ["--fail-rate", "0.2"])
            defer { emulator.stop() }
            let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName, "--read-only"])
            defer { mount.unmount() }
            #expect(ByteMismatch.of(try POSIX.readAll(mount.path + "/sizes/1048579.bin"), try SourceTree.bytes("sizes/1048579.bin")) == nil)
            #expect(try POSIX.listNames(mount.path + "/many").count == SourceTree.manyCount)
        }
        // The server goes away: reads of uncached data fail with an errno, quickly.
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        _ = try POSIX.stat(mount.path + "/sizes/4097.bin")
        emulator.stop()
        let started = Date()
        let err = POSIX.errnoOf {
            let fd = open(mount.path + "/sizes/4097.bin", O_RDONLY)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            var buf = [UInt8](repeating: 0, count: 4097)
            return Int32(read(fd, &buf, 4097) < 0 ? -1 : 0)
        }
        #expect(err == EIO || err == ETIMEDOUT || err == EHOSTUNREACH || err == ECONNREFUSED, "errno \(err)")
        #expect(Date().timeIntervalSince(started) < 60, "bounded time")
        #expect(mount.isRunning, "the mount survives a dead server")
    }

    @Test func sigtermUnmountsCleanly() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        _ = try POSIX.listNames(mount.path)
        let status = mount.terminate()
        #expect(status == 0)
        #expect(!MountTable.isFastIOFSMounted(at: mount.path))
    }

    /// `fastiofs unmount` of a mount a process still uses: it retries while the process lets go within
    /// seconds, and fails naming `fuser` when it does not.
    @Test func unmountOfABusyMountWaitsBrieflyThenExplains() async throws {
        let (emulator, mount) = try await mountTree()
        defer { mount.unmount(); emulator.stop() }
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let file = mount.path + "/small/hello.txt"

        let holder = try ChildProcess.spawn("/bin/sh", ["-c", "exec 3<\(file); exec sleep 60"])
        defer { _ = holder.terminate(grace: 1) }
        try waitUntilHolding(holder)
        let started = ContinuousClock.now
        let refused = try Shell.run("\(fastiofs) unmount \(mount.path)", timeout: 60)
        let waited = ContinuousClock.now - started
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("fuser -vm"), "\(refused.stderr)")
        #expect(waited >= .seconds(9), "it retried for about 10 s first (took \(waited))")
        #expect(MountTable.isFastIOFSMounted(at: mount.path))

        let brief = try ChildProcess.spawn("/bin/sh", ["-c", "exec 3<\(file); exec sleep 2"])
        defer { _ = brief.terminate(grace: 1) }
        try waitUntilHolding(brief)
        _ = holder.terminate(grace: 1)
        let unmounted = try Shell.run("\(fastiofs) unmount \(mount.path)", timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        #expect(unmounted.stderr.contains("busy"), "it had to wait for the brief holder: \(unmounted.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: mount.path))
    }

    /// Waits until `process` has the mounted file open as descriptor 3 (its shell ran the `exec 3<`).
    private func waitUntilHolding(_ process: ChildProcess) throws {
        let deadline = Date().addingTimeInterval(10)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process.pid)/fd/3")) == nil {
            guard Date() < deadline, process.isRunning else { throw MountTestError("pid \(process.pid) never opened the file") }
            usleep(10_000)
        }
    }

    /// `fastiofs unmount` run while the daemon is still starting (every request takes 300 ms, so it
    /// mounts about a second later): it waits for the mount, then unmounts it, and the daemon exits.
    @Test func unmountWhileTheDaemonIsStillStartingUnmountsItOnceItIsUp() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator(extraArguments: ["--latency-ms", "300"])
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.start(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        #expect(!MountTable.isFastIOFSMounted(at: mount.path), "the daemon has not mounted yet")
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(mount.path)", timeout: 120)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(mount.logTail())")
        #expect(mount.exitStatus == 0, "the daemon exited cleanly")
        #expect(!MountTable.isFastIOFSMounted(at: mount.path))
        #expect(mount.logTail(200).contains("is live"), "it did mount before it was unmounted")
    }
}
}
