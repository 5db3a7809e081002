import EmulatorHarness
import Foundation
import Glibc
import Testing

/// kill -9 of the daemon at each step of the write path, then a remount on the same cache
/// directory: what `close` acknowledged reaches the server, and nothing of ours turns into a
/// conflict copy of itself. (A kill during the upload itself is in WriteDurabilityMountTests.)
extension MountSuites {
@Suite(.timeLimit(.minutes(6)))
struct WriteCrashMountTests {
    private func status(_ mount: MountedFastIOFS) throws -> [String: Any] {
        let bytes = try XAttr.get(mount.path, "user.fastio.status")
        return try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
    }

    private func write(_ fd: Int32, _ text: String) throws {
        let data = Array(text.utf8)
        guard Glibc.write(fd, data, data.count) == data.count else { throw MountTestError("write: errno \(errno)") }
    }

    /// Remounts on `cache` and runs `fastiofs unmount`, which returns once the resumed queue is empty.
    private func remountAndDrain(_ emulator: EmulatorProcess, mountpoint: URL, cache: URL) throws {
        let second = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                               mountpoint: mountpoint, cacheDirectory: cache)
        defer { second.unmount() }
        let fastiofs = try BuildProducts.executable("fastiofs").path
        let unmounted = try Shell.run("\(fastiofs) unmount \(Shell.quote(mountpoint.path))", timeout: 180)
        #expect(unmounted.status == 0, "\(unmounted.stderr)\n\(second.logTail())")
    }

    /// A log opened with `>>` by a writer that keeps its descriptor while a duplicate is closed: the
    /// close commits, the writer goes on writing into the same data file, the daemon dies before the
    /// upload. The committed bytes (or the later ones) must arrive; the old resume skipped the record
    /// because the data file had grown past the size it recorded, and the new file disappeared.
    @Test func aFileWrittenAgainAfterItsCloseArrivesAfterACrash() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        let first = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              cacheDirectory: cache)
        defer { first.unmount() }
        let mnt = first.mountpoint
        let original = try SourceTree.bytes("small/hello.txt")

        let newFile = open(mnt.path + "/small/new.log", O_WRONLY | O_CREAT | O_EXCL, 0o644)
        let oldFile = open(mnt.path + "/small/hello.txt", O_WRONLY | O_APPEND)
        #expect(newFile >= 0 && oldFile >= 0, "errno \(errno)")
        guard newFile >= 0, oldFile >= 0 else { return }
        for fd in [newFile, oldFile] {
            try write(fd, "committed\n")
            let duplicate = dup(fd)
            #expect(close(duplicate) == 0, "the close of a duplicate commits")
            try write(fd, "written after the close\n")
        }
        // Within the quiet period of a file still open for writing: nothing was uploaded yet.
        let queue = try status(first)["queue"] as? [[String: Any]] ?? []
        #expect(queue.allSatisfy { ($0["uploading"] as? Bool) == false }, "\(queue)")
        first.crash()
        close(newFile)
        close(oldFile)

        try remountAndDrain(emulator, mountpoint: mnt, cache: cache)
        let server = ServerFiles(emulator)
        let newContent = String(decoding: try await server.content("small/new.log"), as: UTF8.self)
        #expect(["committed\n", "committed\nwritten after the close\n"].contains(newContent), "\(newContent)")
        let oldContent = [UInt8](try await server.content("small/hello.txt"))
        #expect(oldContent.starts(with: original + Array("committed\n".utf8)), "\(String(decoding: oldContent, as: UTF8.self))")
        #expect(try await server.names("small").filter { $0.contains("conflict") }.isEmpty)
    }

    /// The server committed our upload, and the daemon died before it heard back (so the journal
    /// still held the record): after the remount, the resume recognises our content by its hash,
    /// for a new file (whose name is now taken by our own node) and for a new version of an existing
    /// one (whose version is no longer the one we started from). No conflict copy of our own bytes.
    @Test(arguments: [("small/adopt.txt", O_WRONLY | O_CREAT | O_EXCL), ("small/hello.txt", O_WRONLY | O_TRUNC)])
    func aCrashAfterTheServerCommittedMakesNoConflictCopyOfOurOwnContent(path: String, flags: Int32) async throws {
        try FuseAvailability.require()
        // Every answer that commits content comes 6 s after it took effect: the window to kill in.
        let emulator = try await SourceTree.emulator(extraArguments: ["--commit-delay-ms", "6000"])
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-cache")
        let first = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              cacheDirectory: cache)
        defer { first.unmount() }
        let mnt = first.mountpoint
        let mine = Data("our own bytes for \(path)\n".utf8)
        let fd = open(mnt.path + "/" + path, flags, 0o644)
        #expect(fd >= 0, "\(path): errno \(errno)")
        try write(fd, String(decoding: mine, as: UTF8.self))
        #expect(close(fd) == 0)

        // Kill once the server holds it (its answer is still on its way).
        let server = ServerFiles(emulator)
        let deadline = Date().addingTimeInterval(40)
        var committed = false
        while Date() < deadline && !committed {
            if try await server.nodeID(path) != nil, try await server.content(path) == mine {
                committed = true
            } else {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        #expect(committed, "the server never committed it:\n\(first.logTail())")
        first.crash()
        let journal = cache.appendingPathComponent("write/journal").path
        let records = try FileManager.default.contentsOfDirectory(atPath: journal).filter { $0.hasSuffix(".json") }
        #expect(records.count == 1, "the record was still journaled at the crash: \(records)")

        try remountAndDrain(emulator, mountpoint: mnt, cache: cache)
        let names = try await server.names("small")
        #expect(names.filter { $0.contains("conflict") }.isEmpty, "no conflict copy of our own content: \(names)")
        #expect(try await server.content(path) == mine)
        #expect(try FileManager.default.contentsOfDirectory(atPath: journal).filter { $0.hasSuffix(".json") }.isEmpty)
    }
}
}
