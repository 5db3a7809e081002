import EmulatorHarness
import Foundation
import Glibc
import Testing

/// One file's slow work never stalls the rest of the mount: while a first write fetches a big
/// original from a slow server, and while a big dirty file is synced, `ls -l` of other folders,
/// `stat`, `fastiofs status` and activity polling all answer promptly, and the lock of another file
/// open for writing is renewed throughout. (Before, the file's lock was
/// held across the download and the sync, and every listing, status and refresh of the workspace
/// took every spool file's lock, the lock keeper too.)
extension MountSuites {
@Suite(.timeLimit(.minutes(6)))
struct WriteStallMountTests {
    /// Folders nobody listed yet (each `ls -l` of one costs a listing request).
    static let spreadCount = 60
    static let originalSize = 96 << 20
    /// The life of a server lock: shorter than the fetch, so a keeper that stalled behind it lets the
    /// lock of another open file lapse, visibly to the server.
    static let lockSeconds = 4

    /// The test tree plus a 96 MiB original and many small folders, in workspace `mt`.
    static let extraTree: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fastiofs-stall-src-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        TemporaryDirectories.register(root, isMountpoint: false)
        let fm = FileManager.default
        try! fm.createDirectory(at: root.appendingPathComponent("huge"), withIntermediateDirectories: true)
        try! Data(count: originalSize).write(to: root.appendingPathComponent("huge/original.bin"))
        for index in 0..<spreadCount {
            let folder = root.appendingPathComponent(String(format: "spread/f%02d", index))
            try! fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try! Data("file \(index)\n".utf8).write(to: folder.appendingPathComponent("x.txt"))
        }
        return root
    }()

    /// Runs `body` on its own thread; `finished` turns true when it returned.
    final class Background: @unchecked Sendable {  // unchecked: `done` is touched only under `lock`
        private let lock = NSLock()
        private var done: (finished: Bool, error: String?) = (false, nil)
        init(_ body: @escaping @Sendable () throws -> Void) {
            let thread = Thread { [self] in
                var failure: String?
                do { try body() } catch { failure = "\(error)" }
                lock.withLock { done = (true, failure) }
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        var finished: Bool { lock.withLock { done.finished } }
        var error: String? { lock.withLock { done.error } }
    }

    /// Seconds `body` took.
    private func timed(_ body: () throws -> Void) rethrows -> Double {
        let start = Date()
        try body()
        return Date().timeIntervalSince(start)
    }

    @Test func aBigFetchOrSyncOfOneFileStallsNothingElse() async throws {
        try FuseAvailability.require()
        let other = EmulatorUser.random("other")
        let extra = Self.extraTree
        let source = SourceTree.root
        let emulator = try await EmulatorProcess.start(users: [other], extraArguments: ["--latency-ms", "300", "--max-lock-seconds", "\(Self.lockSeconds)"]) { data in
            try EmulatorProcess.runImport(dataDirectory: data, workspace: SourceTree.workspaceName, from: source)
            try EmulatorProcess.runImport(dataDirectory: data, workspace: SourceTree.workspaceName, from: extra)
        }
        defer { emulator.stop() }
        let owner = Fixtures(emulator.api)
        let others = Fixtures(emulator.client(as: other))
        try await owner.addMember(workspace: SourceTree.workspaceName, user: try await others.userId())
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName])
        defer { mount.unmount() }
        let m = mount.path
        // Polling runs (its first answer came) before anything is measured.
        let pollDeadline = Date().addingTimeInterval(20)
        while (try mount.requestCounts()["GET activity/poll"] ?? 0) < 1 && Date() < pollDeadline {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        _ = try POSIX.listNames(m + "/text")
        let textID = try #require(try await ServerFiles(emulator).nodeID("text"))
        // Another file held open for writing: its lock must be renewed throughout.
        let helloID = try #require(try await ServerFiles(emulator).nodeID("small/hello.txt"))
        let holder = open(m + "/small/hello.txt", O_WRONLY)
        #expect(holder >= 0, "errno \(errno)")
        defer { if holder >= 0 { close(holder) } }
        /// True when the server still sees the lock of the file held open (never given up by a stall).
        func otherFileStillLocked() async throws -> Bool {
            try await owner.details(.workspace(SourceTree.workspaceName), helloID)["locked"].bool == true
        }
        #expect(try await otherFileStillLocked(), "the open for writing took the lock")

        var nextFolder = 0
        /// `ls -l` of a folder nobody listed yet, `stat` of a file elsewhere, and `fastiofs status`.
        func measureRound() throws -> Double {
            let folder = m + String(format: "/spread/f%02d", nextFolder % Self.spreadCount)
            nextFolder += 1
            let list = try timed {
                for name in try POSIX.listNames(folder) { _ = try POSIX.stat(folder + "/" + name) }
            }
            let stat = try timed { _ = try POSIX.stat(m + "/small/hello.txt") }
            let status = try timed { _ = try XAttr.get(m, "user.fastio.status") }
            return max(list, stat, status)
        }

        // 1. A first write to a 96 MiB file: the original comes down in 24 ranged reads at 300 ms.
        let append = Background {
            let fd = open(m + "/huge/original.bin", O_WRONLY | O_APPEND)
            guard fd >= 0 else { throw MountTestError("open: errno \(errno)") }
            defer { close(fd) }
            guard write(fd, "x", 1) == 1 else { throw MountTestError("append: errno \(errno)") }
        }
        var slowest = 0.0
        var rounds = 0
        var createdAt: Date?
        var visibleAfter: Double?
        var lockLapsed = false
        let fetchStarted = Date()
        while !append.finished {
            slowest = max(slowest, try measureRound())
            rounds += 1
            if try await !otherFileStillLocked() { lockLapsed = true }
            if createdAt == nil, rounds == 2 {
                _ = try await others.uploadSingle(.workspace(SourceTree.workspaceName), parent: textID,
                                                  name: "during-fetch.txt", data: Data("theirs\n".utf8))
                createdAt = Date()
            }
            if let createdAt, visibleAfter == nil, (try? POSIX.stat(m + "/text/during-fetch.txt")) != nil {
                visibleAfter = Date().timeIntervalSince(createdAt)
            }
        }
        #expect(append.error == nil, "\(append.error ?? "")")
        #expect(rounds >= 4, "the fetch lasted a while (\(rounds) rounds)")
        let fetchSeconds = Date().timeIntervalSince(fetchStarted)
        #expect(fetchSeconds > Double(Self.lockSeconds), "the fetch outlived a lock (\(fetchSeconds) s)")
        #expect(!lockLapsed, "another open file's lock lapsed during the fetch: its heartbeat waited")
        #expect(slowest < 1, "the slowest ls -l / stat / status during the fetch took \(slowest) s")
        if let createdAt, visibleAfter == nil {
            let deadline = createdAt.addingTimeInterval(2)
            while Date() < deadline, (try? POSIX.stat(m + "/text/during-fetch.txt")) == nil { usleep(20_000) }
            if (try? POSIX.stat(m + "/text/during-fetch.txt")) != nil { visibleAfter = Date().timeIntervalSince(createdAt) }
        }
        #expect(visibleAfter.map { $0 <= 2 } == true, "another user's file showed after \(String(describing: visibleAfter)) s")

        // 2. fsync of 256 MiB written into the page cache: the sync and the upload take seconds.
        let bigPath = m + "/huge/dirty.bin"
        let fd = open(bigPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0, "errno \(errno)")
        let block = [UInt8](repeating: 0x5A, count: 1 << 20)
        for _ in 0..<256 { #expect(write(fd, block, block.count) == block.count) }
        let sync = Background {
            guard fsync(fd) == 0 else { throw MountTestError("fsync: errno \(errno)") }
        }
        var syncSlowest = 0.0
        var syncRounds = 0
        var lockLapsedDuringSync = false
        while !sync.finished {
            syncSlowest = max(syncSlowest, try measureRound())
            syncRounds += 1
            if try await !otherFileStillLocked() { lockLapsedDuringSync = true }
        }
        close(fd)
        #expect(sync.error == nil, "\(sync.error ?? "")")
        #expect(syncRounds >= 2, "the sync lasted a while (\(syncRounds) rounds)")
        #expect(!lockLapsedDuringSync, "another open file's lock lapsed during the sync")
        #expect(syncSlowest < 1, "the slowest ls -l / stat / status during the sync took \(syncSlowest) s")
    }
}
}
