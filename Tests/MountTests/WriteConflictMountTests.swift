import EmulatorHarness
import Foundation
import Glibc
import Testing

/// Both conflict paths end with both versions kept, each with its own size and bytes: our lock
/// lapsed while another user changed the file (the daemon was stopped, as on a sleeping laptop),
/// and our new file's name was taken by another user before our upload placed it. A lock that
/// lapsed while nobody changed the file is simply taken again (no conflict copy).
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct WriteConflictMountTests {
    struct Setup {
        let emulator: EmulatorProcess
        let mount: MountedFastIOFS
        let owner: Fixtures
        let other: Fixtures
        var ctx: StorageContext { .workspace(SourceTree.workspaceName) }
    }

    /// The test tree with a second user as member; locks last 3 s (renewed every 1.5 s).
    private func setUp() async throws -> Setup {
        try FuseAvailability.require()
        let otherUser = EmulatorUser.random("other")
        let emulator = try await SourceTree.emulator(extraArguments: ["--max-lock-seconds", "3"], users: [otherUser])
        let owner = Fixtures(emulator.api)
        let other = Fixtures(emulator.client(as: otherUser))
        try await owner.addMember(workspace: SourceTree.workspaceName, user: try await other.userId())
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        return Setup(emulator: emulator, mount: mount, owner: owner, other: other)
    }

    private func waitQueueEmpty(_ mount: MountedFastIOFS, timeout: Double = 60) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let bytes = try XAttr.get(mount.path, "user.fastio.status")
            let status = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
            if (status["pending_files"] as? Int) == 0 { return }
            usleep(50_000)
        }
        throw MountTestError("the upload queue did not empty:\n\(mount.logTail())")
    }

    /// A new version by another user (`update` from an upload, as the web app does). Answers false
    /// while our lock still holds (409).
    private func replaceByOther(_ s: Setup, path: String, data: Data) async throws -> Bool {
        guard let id = try await ServerFiles(s.emulator).nodeID(path) else { throw MountTestError("no \(path)") }
        let name = String(path.split(separator: "/").last!)
        let fields: [(String, String)] = [
            ("name", name), ("size", String(data.count)), ("action", "update"), ("instance_id", s.ctx.profileId),
            ("file_id", id), ("profile_type", s.ctx.profileType),
        ]
        let response = try await s.other.api.postMultipart("upload/", fields: fields,
                                                            file: MultipartFile(fileName: name, data: data))
        if response.status == 409 { return false }
        try s.other.expectOK(response)
        return true
    }

    /// Stops the daemon until its lock lapsed (3 s), runs `whileStopped`, and lets it go on.
    private func sleepThroughTheLock(_ s: Setup, whileStopped: () async throws -> Void) async throws {
        kill(s.mount.pid, SIGSTOP)
        do {
            try await Task.sleep(nanoseconds: 3_500_000_000)
            try await whileStopped()
        } catch {
            kill(s.mount.pid, SIGCONT)
            throw error
        }
        kill(s.mount.pid, SIGCONT)
    }

    @Test func aLockLostWhileAnotherUserChangedTheFileKeepsBothVersions() async throws {
        let s = try await setUp()
        defer { s.mount.unmount(); s.emulator.stop() }
        let path = s.mount.path + "/small/hello.txt"
        let original = try SourceTree.bytes("small/hello.txt")
        let fd = open(path, O_WRONLY | O_APPEND)
        #expect(fd >= 0, "errno \(errno)")
        guard fd >= 0 else { return }
        let ours = Array("our appended line\n".utf8)
        #expect(write(fd, ours, ours.count) == ours.count)
        let theirs = Data("another user's whole new version, longer than ours\n".utf8)
        try await sleepThroughTheLock(s) {
            var replaced = false
            let deadline = Date().addingTimeInterval(10)
            while !replaced && Date() < deadline {
                replaced = try await replaceByOther(s, path: "small/hello.txt", data: theirs)
                if !replaced { try await Task.sleep(nanoseconds: 200_000_000) }
            }
            #expect(replaced, "the lapsed lock let the other user write")
        }
        #expect(close(fd) == 0)
        try waitQueueEmpty(s.mount)

        let server = ServerFiles(s.emulator)
        let names = try await server.names("small")
        let copies = names.filter { $0.hasPrefix("hello (conflict ") && $0.hasSuffix(").txt") }
        #expect(copies.count == 1, "\(names)\n\(s.mount.logTail())")
        #expect(try await server.content("small/hello.txt") == theirs, "the original keeps the other user's version")
        if let copy = copies.first {
            #expect([UInt8](try await server.content("small/" + copy)) == original + ours, "our bytes are in the copy")
            // The mount shows both, each with its own size and bytes.
            let copyPath = s.mount.path + "/small/" + copy
            #expect(try POSIX.stat(copyPath).st_size == Int(original.count + ours.count))
            #expect(try POSIX.readAll(copyPath) == original + ours)
        }
        #expect(try POSIX.stat(path).st_size == theirs.count, "not our size with their version")
        #expect(try POSIX.readAll(path) == [UInt8](theirs))
    }

    @Test func aLockThatLapsedWhileNobodyChangedTheFileIsTakenAgainWithoutAConflict() async throws {
        let s = try await setUp()
        defer { s.mount.unmount(); s.emulator.stop() }
        let path = s.mount.path + "/small/hello.txt"
        let original = try SourceTree.bytes("small/hello.txt")
        let fd = open(path, O_WRONLY | O_APPEND)
        #expect(fd >= 0, "errno \(errno)")
        guard fd >= 0 else { return }
        let ours = Array("appended after a nap\n".utf8)
        try await sleepThroughTheLock(s) {}
        // The keeper notices the lapse and takes the lock again (same version: no longer lost).
        let deadline = Date().addingTimeInterval(10)
        while !s.mount.logTail(400).contains("a lock lapsed") && Date() < deadline { usleep(50_000) }
        #expect(s.mount.logTail(400).contains("a lock lapsed"), "\(s.mount.logTail())")
        #expect(write(fd, ours, ours.count) == ours.count)
        #expect(close(fd) == 0)
        try waitQueueEmpty(s.mount)
        let server = ServerFiles(s.emulator)
        #expect(try await server.names("small").filter { $0.contains("conflict") }.isEmpty)
        #expect([UInt8](try await server.content("small/hello.txt")) == original + ours)
    }

    @Test func aNewFileWhoseNameAnotherUserTookMeanwhileKeepsBoth() async throws {
        let s = try await setUp()
        defer { s.mount.unmount(); s.emulator.stop() }
        let path = s.mount.path + "/small/race.txt"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0, "errno \(errno)")
        guard fd >= 0 else { return }
        let ours = Array("ours\n".utf8)
        #expect(write(fd, ours, ours.count) == ours.count)
        // Still open for writing: not uploaded yet. Another user places the same name first.
        let smallID = try #require(try await ServerFiles(s.emulator).nodeID("small"))
        let theirs = Data("theirs, and longer\n".utf8)
        _ = try await s.other.uploadSingle(s.ctx, parent: smallID, name: "race.txt", data: theirs)
        #expect(close(fd) == 0)
        try waitQueueEmpty(s.mount)

        let server = ServerFiles(s.emulator)
        let names = try await server.names("small")
        let copies = names.filter { $0.hasPrefix("race (conflict ") }
        #expect(copies.count == 1, "\(names)\n\(s.mount.logTail())")
        #expect(try await server.content("small/race.txt") == theirs)
        guard let copy = copies.first else { return }
        #expect([UInt8](try await server.content("small/" + copy)) == ours)
        // The mount shows the server's truth: theirs under the name, ours as the copy.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, (try? POSIX.stat(path).st_size) != theirs.count { usleep(50_000) }
        #expect(try POSIX.readAll(path) == [UInt8](theirs))
        #expect(try POSIX.readAll(s.mount.path + "/small/" + copy) == ours)
        #expect(Set(try POSIX.listNames(s.mount.path + "/small")).isSuperset(of: ["race.txt", copy]))
    }
}
}
