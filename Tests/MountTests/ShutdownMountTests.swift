import EmulatorHarness
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Ending the daemon while it is busy: SIGTERM during reads and a storm of kernel invalidations.
extension MountSuites {
@Suite(.timeLimit(.minutes(5)))
struct ShutdownMountTests {
    /// Readers stream files in a loop (their pages stay locked while their reads are in flight) while
    /// another user keeps replacing those files, so the mount keeps sending `inval_inode` for them,
    /// which waits in the kernel for those page locks. SIGTERM then ends the daemon within 30 s and
    /// the mount is gone: no notification holds up the teardown, and none is left blocked on a read
    /// that a stopped loop will never answer. (Before the fix about one SIGTERM in three hung the
    /// daemon for good, so the test mounts and ends it several times.)
    @Test func sigtermDuringReadsAndAnInvalidationStormEndsTheDaemon() async throws {
        try FuseAvailability.require()
        let otherUser = EmulatorUser.random("other")
        // Every request takes 300 ms: reads stay in flight (their pages locked) long enough that most
        // invalidations of the storm wait in the kernel for one.
        let emulator = try await EmulatorProcess.start(users: [otherUser], extraArguments: ["--latency-ms", "300"])
        defer { emulator.stop() }
        let owner = Fixtures(emulator.api)
        let workspace = try await owner.createWorkspace(folderName: "storm")
        let other = Fixtures(emulator.client(as: otherUser))
        try await owner.addMember(workspace: workspace.id, user: try await other.userId())
        // Many files, so that each activity report asks for many invalidations and the queue of
        // notifications is rarely empty.
        let size = 512 << 10
        var files: [(name: String, id: String)] = []
        for index in 0..<12 {
            let name = "big-\(index).bin"
            files.append((name, try await owner.uploadSingle(workspace.context, name: name,
                                                              data: Data.pseudoRandom(count: size, seed: UInt64(index + 1)))))
        }

        for cycle in 1...4 {
            let ended = try await stormAndTerminate(emulator, workspace: workspace, other: other, files: files, cycle: cycle)
            if !ended { break }
        }
    }

    /// One mount: readers and a storm, then SIGTERM at a moment a notification waits for a page lock.
    /// Returns whether the daemon ended (expectations record why not).
    private func stormAndTerminate(_ emulator: EmulatorProcess, workspace: Fixtures.Workspace, other: Fixtures,
                                   files: [(name: String, id: String)], cycle: Int) async throws -> Bool {
        let size = 512 << 10
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", workspace.id])
        var rescued = false
        defer {
            if !rescued { mount.unmount() }
        }
        let device = UInt64(try POSIX.stat(mount.path).st_dev)
        try await waitForPolling(mount)

        // Readers: each streams its own file again and again, dropping its pages after each pass so
        // every pass reads through FUSE.
        let progress = StormProgress()
        let readersDone = DispatchGroup()
        for file in files {
            let path = mount.path + "/" + file.name
            readersDone.enter()
            Thread {
                defer { readersDone.leave() }
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while !progress.stop.load(ordering: .relaxed) {
                    let fd = open(path, O_RDONLY)
                    guard fd >= 0 else { return }
                    while read(fd, &buffer, buffer.count) > 0 {}
                    _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED)
                    close(fd)
                    progress.passes.add(1, ordering: .relaxed)
                }
            }.start()
        }

        // The storm: the other user replaces every file, round after round.
        let targets = files
        let storm = Task {
            var round = 0
            while !progress.stop.load(ordering: .relaxed) {
                let data = Data.pseudoRandom(count: size, seed: UInt64(100 * cycle + round))
                await withTaskGroup(of: Void.self) { group in
                    for file in targets {
                        let fields: [(String, String)] = [
                            ("name", file.name), ("size", String(data.count)), ("action", "update"),
                            ("instance_id", workspace.context.profileId), ("file_id", file.id),
                            ("profile_type", workspace.context.profileType),
                        ]
                        // Failures once the daemon is gone do not matter: the storm only has to be there.
                        group.addTask {
                            _ = try? await other.api.postMultipart("upload/", fields: fields,
                                                                    file: MultipartFile(fileName: file.name, data: data))
                        }
                    }
                }
                round += 1
                progress.rounds.store(round, ordering: .relaxed)
            }
            return round
        }

        // SIGTERM once the storm has been going for a while with the readers busy, at a moment when
        // a notification of the daemon waits in the kernel for a page lock (the case that hung).
        let deadline = Date().addingTimeInterval(60)
        var blocked = false
        while !blocked && Date() < deadline {
            try await Task.sleep(nanoseconds: 5_000_000)
            blocked = progress.passes.load(ordering: .relaxed) >= 12 && progress.rounds.load(ordering: .relaxed) >= 3
                && Self.threadWaitsForAPageLock(pid: mount.pid)
        }
        #expect(blocked, "no notification of the daemon was seen waiting for a page lock")
        let start = Date()
        let status = mount.terminate(timeout: 30)
        let took = Date().timeIntervalSince(start)
        progress.stop.store(true, ordering: .relaxed)
        let rounds = await storm.value

        if status == nil {
            // Free what the hung daemon holds, so the readers and the cleanup can finish.
            rescued = true
            Self.abortConnection(device: device)
            _ = readersDone.wait(timeout: .now() + 30)
            mount.unmount()
        }
        #expect(status != nil, "cycle \(cycle): the daemon did not exit within 30 s of SIGTERM (storm rounds: \(rounds))\n\(mount.logTail())")
        #expect(took < 30, "cycle \(cycle)")
        #expect(!MountTable.isFastIOFSMounted(at: mount.path), "cycle \(cycle): the mount is gone")
        #expect(readersDone.wait(timeout: .now() + 30) == .success, "cycle \(cycle): the readers were released")
        #expect(rounds >= 1 && progress.passes.load(ordering: .relaxed) >= 12, "cycle \(cycle): there was a storm to end in")
        return status != nil
    }

    /// What the readers and the storm did, and the signal for them to stop.
    final class StormProgress: Sendable {
        let stop = Atomic<Bool>(false)
        let passes = Atomic<Int>(0)
        let rounds = Atomic<Int>(0)
    }

    /// Waits until the mount's first activity poll answered (changes are seen from then on).
    private func waitForPolling(_ mount: MountedFastIOFS) async throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try mount.requestCounts()["GET activity/poll"] ?? 0) >= 1 { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw MountTestError("the mount never polled activity:\n\(mount.logTail())")
    }

    /// True when a thread of process `pid` sleeps in the kernel waiting for a folio (page) lock: in
    /// the daemon, only a kernel notification (`inval_inode`) does.
    static func threadWaitsForAPageLock(pid: Int32) -> Bool {
        guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return false }
        return tasks.contains { task in
            let wchan = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/wchan", encoding: .utf8)) ?? ""
            return wchan.contains("folio_lock")
        }
    }

    /// Aborts the FUSE connection of the mount on `device` through fusectl (mounted for this on a
    /// temporary directory): what unsticks a daemon blocked in the kernel, so a failing test cleans up.
    /// In this process, with no child: a child would inherit the readers' descriptors on the hung
    /// mount and block closing them.
    static func abortConnection(device: UInt64) {
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        guard let directory = try? EmulatorProcess.makeTempDirectory(prefix: "fusectl") else { return }
        guard mount("fusectl", directory.path, "fusectl", 0, nil) == 0 else {
            Issue.record("cannot mount fusectl to abort the hung mount: errno \(errno)")
            return
        }
        defer { umount2(directory.path, 0) }
        let fd = open(directory.path + "/\(minor)/abort", O_WRONLY)
        guard fd >= 0 else {
            Issue.record("cannot open the connection's abort file: errno \(errno)")
            return
        }
        _ = write(fd, "1", 1)
        close(fd)
    }
}
}
