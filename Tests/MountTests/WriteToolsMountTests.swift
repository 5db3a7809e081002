import EmulatorHarness
import Foundation
import Testing

/// Archive and sync tools writing into the mount: `rsync -a` and `tar x`, compared byte for byte
/// through the mount and, after `fastiofs unmount`, on the server through a fresh mount.
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct WriteToolsMountTests {
    @Test func rsyncAndTarIntoTheMountArriveIntact() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let m = mount.path
        let src = SourceTree.root.path
        let archive = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-tar").path + "/tree.tar"
        let script = """
            set -e
            rsync -a \(src)/small \(src)/sizes \(src)/deep \(src)/names \(src)/text \(m)/rsynced/
            diff -r \(src)/small \(m)/rsynced/small
            diff -r \(src)/sizes \(m)/rsynced/sizes
            diff -r \(src)/deep \(m)/rsynced/deep
            diff -r \(src)/names \(m)/rsynced/names
            diff -r \(src)/text \(m)/rsynced/text
            cd \(src) && tar cf \(archive) small sizes deep text
            mkdir \(m)/untarred && cd \(m)/untarred && tar xf \(archive)
            for d in small sizes deep text; do diff -r \(src)/$d \(m)/untarred/$d; done
            """
        let result = try Shell.run(script, timeout: 240)
        #expect(result.status == 0, "\(result.stderr)\n\(result.stdout.suffix(2000))\n\(mount.logTail())")

        // Everything is on the server: a fresh mount (empty cache) reads it back from there.
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(m)", timeout: 120)
        #expect(unmounted.status == 0, "\(unmounted.stderr)")
        mount.unmount()
        let fresh = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName, "--read-only"])
        defer { fresh.unmount() }
        let f = fresh.path
        let check = """
            set -e
            for d in small sizes deep names text; do diff -r \(src)/$d \(f)/rsynced/$d; done
            for d in small sizes deep text; do diff -r \(src)/$d \(f)/untarred/$d; done
            """
        let verified = try Shell.run(check, timeout: 240)
        #expect(verified.status == 0, "\(verified.stderr)\n\(verified.stdout.suffix(2000))")
    }
}
}
