import EmulatorHarness
import Foundation
import Glibc
import Testing

/// Server locks seen from the mount: another user's lock makes an open for writing fail with EBUSY
/// (reads still work, and the log names the holder); once released, the open succeeds.
extension MountSuites {
@Suite(.timeLimit(.minutes(3)))
struct WriteLockMountTests {
    @Test func anotherUsersLockGivesEBUSY() async throws {
        try FuseAvailability.require()
        let other = EmulatorUser.random("other")
        let emulator = try await SourceTree.emulator(users: [other])
        defer { emulator.stop() }
        let owner = Fixtures(emulator.api)
        let otherFixtures = Fixtures(emulator.client(as: other))
        let otherID = try await otherFixtures.userId()
        try await owner.addMember(workspace: SourceTree.workspaceName, user: otherID)

        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let path = mount.path + "/small/hello.txt"
        let nodeID = try XAttr.string(path, "user.fastio.id")
        let context = StorageContext.workspace(SourceTree.workspaceName)
        let locked = try owner.expectOK(await otherFixtures.api.post(context.node(nodeID, "lock"), form: ["duration": "300"]))
        let token = try #require(locked.payload["lock_token"].string)

        let busy = POSIX.errnoOf { let fd = open(path, O_WRONLY); if fd >= 0 { close(fd) }; return fd }
        #expect(busy == EBUSY)
        #expect(POSIX.errnoOf { let fd = open(path, O_RDONLY); if fd >= 0 { close(fd) }; return fd } == 0)
        #expect(mount.logTail(200).contains("locked by another user"), "\(mount.logTail())")

        try owner.expectOK(await otherFixtures.api.delete(context.node(nodeID, "lock"), form: ["lock_token": token]))
        let fd = open(path, O_WRONLY | O_APPEND)
        #expect(fd >= 0, "errno \(errno)")
        if fd >= 0 {
            // While we write, the lock is ours, and it says who we are.
            let state = try owner.expectOK(await owner.api.get(context.node(nodeID, "lock")))
            #expect(state.payload["locked"].bool == true)
            // The emulator keeps the lock's client_info (not in its answers): read its database.
            let database = emulator.dataDirectory.appendingPathComponent("meta.sqlite").path
            let stored = try Shell.run("sqlite3 -readonly \(Shell.quote(database)) \"SELECT client_info FROM locks\"")
            let info = try JSONSerialization.jsonObject(with: Data(stored.stdout.utf8)) as? [String: String]
            #expect(info?["client_version"]?.hasPrefix("fastiofs ") == true, "\(stored.stdout) \(stored.stderr)")
            #expect(info?["device_name"]?.isEmpty == false)
            #expect(write(fd, "x", 1) == 1)
            close(fd)
        }
    }
}
}
