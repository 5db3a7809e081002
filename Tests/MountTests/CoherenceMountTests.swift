import EmulatorHarness
import Foundation
import Glibc
import Testing

/// Activity-driven coherence through the real kernel: a second user changes the workspace through the
/// API while `fastiofs` has it mounted (with long cache timeouts), and the mount follows within seconds.
@Suite(.enabled(if: FuseAvailability.shouldRun), .timeLimit(.minutes(5)), .serialized)
struct CoherenceMountTests {
    /// A workspace owned by the primary user, with `other` as a member, mounted as the root.
    struct Setup {
        let emulator: EmulatorProcess
        let mount: MountedFastIOFS
        let workspace: Fixtures.Workspace
        /// Fixtures acting as the second user.
        let other: Fixtures
        let subID: String
        let aID: String
        var ctx: StorageContext { workspace.context }
        func path(_ rel: String) -> String { mount.path + "/" + rel }
    }

    private func setUp(mountArguments: [String] = [], prepare: ((Fixtures, StorageContext, String) async throws -> Void)? = nil)
        async throws -> Setup
    {
        try FuseAvailability.require()
        let otherUser = EmulatorUser.random("other")
        let emulator = try await EmulatorProcess.start(users: [otherUser])
        let owner = Fixtures(emulator.api)
        let workspace = try await owner.createWorkspace()
        let otherID = try await Fixtures(emulator.client(as: otherUser)).userId()
        try await owner.addMember(workspace: workspace.id, user: otherID)
        let subID = try await owner.createFolder(workspace.context, name: "sub")
        let aID = try await owner.uploadSingle(workspace.context, name: "a.txt", data: Data("alpha\n".utf8))
        try await prepare?(owner, workspace.context, subID)
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", workspace.id] + mountArguments)
        let setup = Setup(emulator: emulator, mount: mount, workspace: workspace,
                          other: Fixtures(emulator.client(as: otherUser)), subID: subID, aID: aID)
        try await waitForPolling(setup)
        return setup
    }

    /// Waits until the mount's first activity poll answered (long timeouts from then on; requests are
    /// counted when they end, so the long-poll in flight is not counted yet).
    private func waitForPolling(_ setup: Setup) async throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try setup.mount.requestCounts()["GET activity/poll"] ?? 0) >= 1 {
                try await Task.sleep(nanoseconds: 300_000_000)
                return
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw MountTestError("the mount never polled activity:\n\(setup.mount.logTail())")
    }

    /// Seconds until `condition` holds, or nil when `limit` seconds pass first.
    private func secondsUntil(_ limit: Double, _ condition: () -> Bool) async throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < limit {
            if condition() { return Date().timeIntervalSince(start) }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return condition() ? Date().timeIntervalSince(start) : nil
    }

    private func exists(_ path: String) -> Bool { (try? POSIX.stat(path)) != nil }
    private func listed(_ directory: String, _ name: String) -> Bool {
        (try? POSIX.listNames(directory))?.contains(name) ?? false
    }

    private func replaceContent(_ fixtures: Fixtures, _ ctx: StorageContext, fileID: String, name: String,
                                data: Data) async throws {
        let fields: [(String, String)] = [
            ("name", name), ("size", String(data.count)), ("action", "update"), ("instance_id", ctx.profileId),
            ("file_id", fileID), ("profile_type", ctx.profileType),
        ]
        try fixtures.expectOK(await fixtures.api.postMultipart("upload/", fields: fields,
                                                                file: MultipartFile(fileName: name, data: data)))
    }

    @Test func createDeleteRenameAndMoveByAnotherUserShowWithinTwoSeconds() async throws {
        let s = try await setUp()
        defer { s.mount.unmount(); s.emulator.stop() }
        // Warm every cache (the kernel's included) with long timeouts.
        #expect(Set(try POSIX.listNames(s.mount.path)) == ["sub", "a.txt"])
        #expect(try POSIX.listNames(s.path("sub")).isEmpty)
        _ = try POSIX.stat(s.path("a.txt"))
        #expect(!exists(s.path("new.txt")))

        let newID = try await s.other.uploadSingle(s.ctx, name: "new.txt", data: Data("new\n".utf8))
        let created = try await secondsUntil(5) { exists(s.path("new.txt")) && listed(s.mount.path, "new.txt") }
        #expect(created != nil && created! <= 2, "create: \(String(describing: created)) s\n\(s.mount.logTail())")

        try s.other.expectOK(await s.other.api.post(s.ctx.node(newID, "update"), form: ["name": "renamed.txt"]))
        let renamed = try await secondsUntil(5) {
            !exists(s.path("new.txt")) && exists(s.path("renamed.txt")) && listed(s.mount.path, "renamed.txt")
        }
        #expect(renamed != nil && renamed! <= 2, "rename: \(String(describing: renamed)) s")

        try s.other.expectOK(await s.other.api.post(s.ctx.node(newID, "move"), form: ["parent": s.subID]))
        let moved = try await secondsUntil(5) {
            !exists(s.path("renamed.txt")) && exists(s.path("sub/renamed.txt")) && listed(s.path("sub"), "renamed.txt")
        }
        #expect(moved != nil && moved! <= 2, "move: \(String(describing: moved)) s")

        try s.other.expectOK(await s.other.api.delete(s.ctx.node(s.aID, "delete")))
        let deleted = try await secondsUntil(5) { !exists(s.path("a.txt")) && !listed(s.mount.path, "a.txt") }
        #expect(deleted != nil && deleted! <= 2, "delete: \(String(describing: deleted)) s")
    }

    /// A folder where this mount has a file open for writing (an editor's swap file) and another one
    /// waiting to upload (a duplicate closed while the writer goes on) is refreshed like any other:
    /// another user's new file shows within 2 s, and ours stay listed.
    @Test func anotherUsersChangeShowsBesideOurLocalWork() async throws {
        let s = try await setUp()
        defer { s.mount.unmount(); s.emulator.stop() }
        let swap = open(s.path("sub/.notes.swp"), O_WRONLY | O_CREAT | O_EXCL, 0o600)
        let queued = open(s.path("sub/queued.log"), O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(swap >= 0 && queued >= 0, "errno \(errno)")
        defer { close(swap); close(queued) }
        #expect(write(swap, "swap", 4) == 4)
        #expect(write(queued, "one\n", 4) == 4)
        #expect(close(dup(queued)) == 0, "a closed duplicate commits: queued, waiting for its writer to go quiet")
        #expect(Set(try POSIX.listNames(s.path("sub"))) == [".notes.swp", "queued.log"])

        _ = try await s.other.uploadSingle(s.ctx, parent: s.subID, name: "theirs.txt", data: Data("theirs\n".utf8))
        let shown = try await secondsUntil(5) { listed(s.path("sub"), "theirs.txt") && exists(s.path("sub/theirs.txt")) }
        #expect(shown != nil && shown! <= 2, "another user's file: \(String(describing: shown)) s\n\(s.mount.logTail())")
        #expect(Set(try POSIX.listNames(s.path("sub"))) == [".notes.swp", "queued.log", "theirs.txt"])
    }

    @Test func nextOpenSeesNewContentWhileAnOpenReaderKeepsItsVersion() async throws {
        // Small enough for few parallel range reads (the emulator has been seen to wedge under many).
        let old = Data((0..<(640 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        let new = Data((0..<(640 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) })
        let s = try await setUp { owner, ctx, _ in
            _ = try await owner.uploadSingle(ctx, name: "data.bin", data: old)
        }
        defer { s.mount.unmount(); s.emulator.stop() }
        let path = s.path("data.bin")
        let fileID = try XAttr.string(path, "user.fastio.id")
        let oldVersion = try XAttr.string(path, "user.fastio.version")
        #expect(ByteMismatch.of(try POSIX.readAll(path), [UInt8](old)) == nil)

        // A reader opens the old version and reads the first 128 KiB.
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 128 << 10)
        #expect(pread(fd, &head, head.count, 0) == head.count)

        try await replaceContent(s.other, s.ctx, fileID: fileID, name: "data.bin", data: new)
        let seen = try await secondsUntil(5) { (try? XAttr.string(path, "user.fastio.version")) != oldVersion }
        #expect(seen != nil && seen! <= 2, "new version: \(String(describing: seen)) s\n\(s.mount.logTail())")

        // Meanwhile another process opens the file and reads the new version through the same inode.
        #expect(ByteMismatch.of(try POSIX.readAll(path), [UInt8](new)) == nil, "a new open reads the new content")

        // The old reader keeps reading the version it opened, to its end (not the new reader's bytes).
        let total = old.count - head.count
        var rest = [UInt8](repeating: 0, count: total)
        var got = 0
        while got < total {
            let offset = got
            let n = rest.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + offset, total - offset, off_t(head.count + offset)) }
            if n <= 0 { break }
            got += n
        }
        #expect(got == total, "read to the end of the opened version (\(got) of \(total))")
        #expect(ByteMismatch.of(rest, [UInt8](old.suffix(from: head.count))) == nil, "the opened version's bytes, not the new ones")

        // The next open sees the new content.
        #expect(ByteMismatch.of(try POSIX.readAll(path), [UInt8](new)) == nil, "the next open reads the new content")
        #expect(try POSIX.stat(path).st_size == new.count)
    }

    @Test func aStormOfAThousandRemoteChangesStaysBoundedAndEndsConsistent() async throws {
        let s = try await setUp()
        defer { s.mount.unmount(); s.emulator.stop() }
        let stormID = try await s.other.createFolder(s.ctx, name: "storm")
        let appeared = try await secondsUntil(5) { exists(s.path("storm")) }
        #expect(appeared != nil)
        _ = try POSIX.listNames(s.path("storm"))
        let before = try s.mount.requestCounts()
        let started = Date()
        var ids: [String] = []
        for index in 0..<500 {
            ids.append(try await s.other.uploadSingle(s.ctx, parent: stormID, name: String(format: "f%04d", index),
                                                      data: Data([UInt8(index & 0xff)])))
        }
        for index in stride(from: 0, to: 500, by: 2) {   // 250 renames, 250 deletes
            if index % 4 == 0 {
                try s.other.expectOK(await s.other.api.post(s.ctx.node(ids[index], "update"),
                                                            form: ["name": String(format: "r%04d", index)]))
            } else {
                try s.other.expectOK(await s.other.api.delete(s.ctx.node(ids[index], "delete")))
            }
        }
        let expected = Set(try await s.other.listAll(s.ctx, stormID).compactMap { $0["name"].string })
        #expect(expected.count == 375)
        let consistent = try await secondsUntil(10) { (try? Set(POSIX.listNames(s.path("storm")))) == expected }
        let elapsed = Date().timeIntervalSince(started)
        #expect(consistent != nil, "the mount ends with the server's listing\n\(s.mount.logTail())")
        let after = try s.mount.requestCounts()
        var delta: [String: Int] = [:]
        for (key, value) in after { delta[key] = value - (before[key] ?? 0) }
        let polls = delta["GET activity/poll"] ?? 0
        let lists = delta["GET storage/list"] ?? 0
        let other = delta.filter { $0.key != "GET activity/poll" && $0.key != "GET storage/list" }.values.reduce(0, +)
        // At most one poll per 250 ms (+ slack), and about one listing page per dirty directory per poll.
        #expect(Double(polls) <= elapsed * 4 + 4, "polls \(polls) in \(elapsed) s")
        #expect(Double(lists) <= Double(polls) * 3 + 10, "listings \(lists) for \(polls) polls: \(delta)")
        #expect(other <= 20, "no request per change: \(delta)")
    }

    @Test func thePollerSurvivesAnEmulatorRestartOnTheSamePort() async throws {
        let s = try await setUp()
        defer { s.mount.unmount(); s.emulator.stop() }
        _ = try POSIX.listNames(s.mount.path)
        try await s.emulator.restartOnSamePort(downtime: 2)
        _ = try await s.other.uploadSingle(s.ctx, name: "after-restart.txt", data: Data("x".utf8))
        let seen = try await secondsUntil(15) { exists(s.path("after-restart.txt")) }
        #expect(seen != nil, "change after restart never showed\n\(s.mount.logTail())")
        // And polling is live again: the next change shows quickly.
        _ = try await s.other.uploadSingle(s.ctx, name: "second.txt", data: Data("y".utf8))
        let quick = try await secondsUntil(5) { exists(s.path("second.txt")) }
        #expect(quick != nil && quick! <= 2, "second change: \(String(describing: quick)) s")
        #expect(s.mount.isRunning)
    }

    @Test func anIdleMountSendsOnlyAboutOnePollPerWaitPeriod() async throws {
        let s = try await setUp(mountArguments: ["--activity-wait", "2"])
        defer { s.mount.unmount(); s.emulator.stop() }
        _ = try POSIX.listNames(s.mount.path)
        _ = try POSIX.stat(s.path("a.txt"))
        try await Task.sleep(nanoseconds: 500_000_000)
        let idle = try s.mount.requestsDuring {
            Thread.sleep(forTimeInterval: 8.2)
            _ = try? POSIX.listNames(s.mount.path)   // warm: answered from the caches
            _ = try? POSIX.stat(s.path("a.txt"))
        }
        let polls = idle["GET activity/poll"] ?? 0
        #expect((3...6).contains(polls), "8 s with wait=2: about 4 polls, got \(idle)")
        #expect(idle.keys.allSatisfy { $0 == "GET activity/poll" }, "nothing but polls: \(idle)")
    }
}
