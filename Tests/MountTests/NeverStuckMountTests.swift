import EmulatorHarness
import Foundation
import Glibc
import Testing

/// Nothing a user can do keeps the mount or `fastiofs unmount` waiting for ever: names the server
/// cannot hold are refused at once; an upload the server refuses for good is set aside (and said
/// so); thousands of pending files hold no descriptor and show in `fastiofs status`; a cache
/// directory serves one mount.
extension MountSuites {
@Suite(.timeLimit(.minutes(8)))
struct NeverStuckMountTests {
    private func fastiofs() throws -> String { try BuildProducts.executable("fastiofs").path }

    private func errnoOf(_ body: () -> Int32) -> Int32 { POSIX.errnoOf(body) }

    @Test func namesTheServerCannotHoldAreRefusedAtOnceAndNothingWaits() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let small = mount.path + "/small/"
        let long = String(repeating: "x", count: 256)
        // What POSIX test suites try: create, mkdir, mknod and rename to a 256-character name.
        #expect(errnoOf { open(small + long, O_WRONLY | O_CREAT | O_EXCL, 0o644) } == ENAMETOOLONG)
        #expect(errnoOf { mkdir(small + long, 0o755) } == ENAMETOOLONG)
        #expect(errnoOf { mknod(small + long, S_IFREG | 0o644, 0) } == ENAMETOOLONG)
        #expect(errnoOf { rename(small + "hello.txt", small + long) } == ENAMETOOLONG)
        for bad in ["trailing.", "trailing ", "tab\tinside", "back\\slash", "zero\u{200B}width"] {
            #expect(errnoOf { open(small + bad, O_WRONLY | O_CREAT | O_EXCL, 0o644) } == EINVAL, "\(bad)")
        }
        #expect(errnoOf { mkdir(small + "dir.", 0o755) } == EINVAL)
        // 255 characters of two bytes each: the server counts characters.
        let wide = String(repeating: "é", count: 255)
        let fd = open(small + wide, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0, "errno \(errno)")
        if fd >= 0 { #expect(write(fd, "wide\n", 5) == 5); close(fd) }
        var fs = statvfs()
        #expect(statvfs(mount.path, &fs) == 0)
        #expect(fs.f_namemax == 255)

        let started = Date()
        let unmounted = try Shell.run("\(try fastiofs()) unmount \(Shell.quote(mount.path))", timeout: 60)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(mount.logTail())")
        #expect(Date().timeIntervalSince(started) < 30, "nothing refused stays pending")
        mount.unmount()
        #expect(try await ServerFiles(emulator).content("small/" + wide) == Data("wide\n".utf8))
    }

    /// The folder of a file being written is deleted on the server before the file is uploaded:
    /// every upload answers 404. Once confirmed, the bytes go to `<cache>/unsent/` with a manifest
    /// line; status names the file; `fastiofs unmount` finishes, exits non-zero and says where.
    @Test func anUploadRefusedForGoodIsSetAsideAndUnmountSaysWhere() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let folder = mount.path + "/doomed"
        #expect(mkdir(folder, 0o755) == 0)
        let fd = open(folder + "/orphan.txt", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0, "errno \(errno)")
        let bytes = Array("written into a folder someone deleted\n".utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
        let server = ServerFiles(emulator)
        let folderID = try #require(try await server.nodeID("doomed"))
        try server.fixtures.expectOK(await server.fixtures.api.delete(server.context.node(folderID, "delete")))
        #expect(close(fd) == 0)

        // Refused three times (backoff 0.5 s, 1 s, 2 s), then set aside.
        let deadline = Date().addingTimeInterval(60)
        var status: [String: Any] = [:]
        while Date() < deadline {
            let raw = try XAttr.get(mount.path, "user.fastio.status")
            status = try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] ?? [:]
            if (status["unsent_count"] as? Int) == 1 { break }
            usleep(100_000)
        }
        #expect(status["unsent_count"] as? Int == 1, "\(status)\n\(mount.logTail())")
        #expect(status["pending_files"] as? Int == 0)
        let listed = try Shell.run("\(try fastiofs()) status \(Shell.quote(mount.path))")
        #expect(listed.stdout.contains("doomed/orphan.txt"), "\(listed.stdout)")

        let unmounted = try Shell.run("\(try fastiofs()) unmount \(Shell.quote(mount.path))", timeout: 60)
        #expect(unmounted.status != 0, "unmount says something was not uploaded")
        let unsent = mount.cacheDirectory.appendingPathComponent("unsent").path
        #expect(unmounted.stderr.contains(unsent), "\(unmounted.stderr)")
        mount.unmount()
        let manifest = try String(contentsOfFile: unsent + "/manifest.jsonl", encoding: .utf8)
        let lines = manifest.split(separator: "\n")
        #expect(lines.count == 1)
        let line = try JSONSerialization.jsonObject(with: Data(lines.first.map(String.init)?.utf8 ?? "".utf8)) as? [String: Any]
        #expect(line?["path"] as? String == "doomed/orphan.txt", "\(manifest)")
        #expect(line?["size"] as? Int == bytes.count)
        #expect((line?["reason"] as? String)?.isEmpty == false)
        #expect((line?["profile_name"] as? String) == SourceTree.workspaceName || line?["profile"] != nil)
        let file = try #require(line?["file"] as? String)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: unsent + "/" + file))) == bytes, "the bytes are kept")
    }

    /// 5,000 files copied in while every upload answers 503: no descriptor is held per pending file
    /// (no EMFILE anywhere), `fastiofs status --json` lists all 5,000 (the queue comes in pages below
    /// the 64 KiB attribute cap), and once the server recovers every file arrives.
    @Test func fiveThousandPendingFilesNeitherRunOutOfDescriptorsNorOutgrowTheStatus() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        // The same server, now refusing every upload (503) while the rest works.
        try await emulator.restartOnSamePort(extraArguments: ["--upload-fail-rate", "1"])
        let count = 5_000
        let copied = try Shell.run("""
            python3 - \(Shell.quote(mount.path + "/many5k")) \(count) <<'PY'
            import os, sys
            d, n = sys.argv[1], int(sys.argv[2])
            os.mkdir(d)
            for i in range(n):
                fd = os.open("%s/f%05d.txt" % (d, i), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.write(fd, b"pending file %d\\n" % i)
                os.close(fd)
            PY
            """, timeout: 300)
        #expect(copied.status == 0, "no EMFILE while 5,000 files wait: \(copied.stderr)\n\(mount.logTail())")
        let status = try Shell.run("\(try fastiofs()) status --json \(Shell.quote(mount.path))")
        #expect(status.status == 0, "\(status.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(document["pending_files"] as? Int == count, "\(document["pending_files"] ?? "?")")
        #expect((document["queue"] as? [Any])?.count == count, "the whole queue, page by page")
        // Reading a file back works too (descriptors are not exhausted).
        #expect(try POSIX.readAll(mount.path + "/many5k/f04999.txt") == Array("pending file 4999\n".utf8))

        try await emulator.restartOnSamePort()
        let unmounted = try Shell.run("\(try fastiofs()) unmount \(Shell.quote(mount.path))", timeout: 400)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(mount.logTail())")
        mount.unmount()
        #expect(try await ServerFiles(emulator).names("many5k").count == count)
    }

    /// Two mounts on one cache directory would resume and delete each other's journal: the second
    /// is refused with a message naming the first; once the first is gone (even killed), it mounts.
    @Test func aSecondMountOnACacheDirectoryInUseIsRefusedNamingTheFirst() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        let first = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              cacheDirectory: cache)
        defer { first.unmount() }
        let second = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-mnt")
        let env = ["FASTIO_TOKEN": emulator.primaryToken]
        let refused = try Shell.run("\(try fastiofs()) mount \(Shell.quote(second.path)) --api-url \(emulator.baseURL.absoluteString)"
                                    + " --workspace \(SourceTree.workspaceName) --cache-dir \(Shell.quote(cache.path))",
                                    environment: env, timeout: 60)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains(first.path), "names the mount using it: \(refused.stderr)")
        #expect(!MountTable.isFastIOFSMounted(at: second.path))
        first.crash()
        let again = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              mountpoint: second, cacheDirectory: cache)
        again.unmount()
        _ = try? Shell.run("fusermount3 -u -z \(Shell.quote(first.path))")
    }
}
}
