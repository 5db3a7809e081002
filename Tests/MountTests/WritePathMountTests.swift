import EmulatorHarness
import Foundation
import Glibc
import Testing

/// The write path through the real kernel against a real emulator: copies in and out, editor saves,
/// appends, truncation, git, and durability across an unmount and a remount.
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct WritePathMountTests {
    private func sh(_ command: String) throws -> String {
        let result = try Shell.run(command)
        guard result.status == 0 else {
            throw MountTestError("`\(command)` failed (\(result.status)): \(result.stderr)")
        }
        return result.stdout
    }

    @Test func copyInAndOutEditorSaveAppendTruncateSurviveARemount() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        var mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              cacheDirectory: cache)
        defer { mount.unmount() }
        let m = mount.path
        let src = SourceTree.root.path
        let out = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-out").path

        // cp -r in, and back out with identical bytes.
        _ = try sh("mkdir \(m)/in && cp -r \(src)/small \(src)/sizes \(src)/deep \(m)/in/")
        _ = try sh("cp -r \(m)/in \(out)/back && diff -r \(src)/small \(out)/back/small && diff -r \(src)/sizes \(out)/back/sizes && diff -r \(src)/deep \(out)/back/deep")

        // Editor-style save: write a temp file, rename it over the target; the node id stays.
        let target = m + "/small/hello.txt"
        let idBefore = try XAttr.string(target, "user.fastio.id")
        _ = try sh("printf 'saved by an editor\\n' > \(m)/small/.hello.txt.tmp && mv \(m)/small/.hello.txt.tmp \(target)")
        #expect(try sh("cat \(target)") == "saved by an editor\n")
        #expect(try XAttr.string(target, "user.fastio.id") == idBefore)

        // Append, truncate, partial overwrite of an existing (server) file.
        _ = try sh("printf 'more\\n' >> \(target)")
        _ = try sh("truncate -s 5 \(m)/small/one.bin")
        _ = try sh("printf 'XY' | dd of=\(m)/sizes/4096.bin bs=1 seek=100 conv=notrunc status=none")
        var expected4096 = try SourceTree.bytes("sizes/4096.bin")
        expected4096.replaceSubrange(100..<102, with: Array("XY".utf8))
        #expect(try sh("cat \(target)") == "saved by an editor\nmore\n")
        #expect(try POSIX.stat(m + "/small/one.bin").st_size == 5)
        #expect(try Shell.run("rmdir \(m)/in/deep/a/b/c/d").status != 0, "not empty")
        _ = try sh("rm \(m)/in/deep/a/b/c/d/leaf.txt && rmdir \(m)/in/deep/a/b/c/d")

        // git clone of a local repository, then status/log/fsck.
        let repo = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-repo").path
        _ = try sh("cd \(repo) && git init -q && git config user.email t@e && git config user.name t && cp -r \(src)/small . && git add . && git commit -qm one")
        _ = try sh("git clone -q \(repo) \(m)/clone")
        #expect(try sh("cd \(m)/clone && git status --porcelain").isEmpty)
        #expect(try sh("cd \(m)/clone && git log --oneline").contains("one"))
        _ = try sh("cd \(m)/clone && git fsck --strict 2>&1")

        // `fastiofs unmount` waits for the queue; a remount on the same cache dir shows everything.
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(m)", timeout: 120)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        mount.unmount()
        mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                          cacheDirectory: cache)
        let m2 = mount.path
        _ = try sh("diff -r \(src)/small \(m2)/in/small && diff -r \(src)/sizes \(m2)/in/sizes")
        #expect(try sh("cat \(m2)/small/hello.txt") == "saved by an editor\nmore\n")
        #expect(throws: (any Error).self) { try POSIX.stat(m2 + "/in/deep/a/b/c/d") }
        #expect(try XAttr.string(m2 + "/small/hello.txt", "user.fastio.id") == idBefore)
        #expect(try POSIX.readAll(m2 + "/small/one.bin").count == 5)
        #expect(ByteMismatch.of(try POSIX.readAll(m2 + "/sizes/4096.bin"), expected4096) == nil)
        #expect(try sh("cd \(m2)/clone && git status --porcelain").isEmpty)
        _ = try sh("cd \(m2)/clone && git fsck --strict 2>&1")
    }

    @Test func readOnlyMountRefusesWrites() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName, "--read-only"])
        defer { mount.unmount() }
        let result = try Shell.run("printf x > \(mount.path)/small/new.txt")
        #expect(result.status != 0)
        #expect(result.stderr.contains("Read-only"))
    }
}
}
