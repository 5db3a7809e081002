import FastIO
@testable import FastIOFS
import Foundation
import Testing

let writerContext = RequestContext(uid: 1000, gid: 1000, pid: 1)

/// Writes `bytes` at `offset` through `handle`.
func writeBytes(_ fs: FastIOFileSystem, ino: UInt64, handle: UInt64, offset: Int64, _ bytes: [UInt8]) throws {
    let written = try bytes.withUnsafeBytes { raw throws(FSError) in try fs.write(ino: ino, handle: handle, offset: offset, data: raw) }
    #expect(written == bytes.count)
}

/// Creates `name` in `parent` with `bytes`, closes it (flush + release) and fsyncs before the release.
@discardableResult
func createFile(_ fs: FastIOFileSystem, parent: UInt64, name: String, _ bytes: [UInt8], durable: Bool = true) throws -> UInt64 {
    let (entry, opened) = try fs.create(parent: parent, name: name, mode: 0o644, flags: O_WRONLY, context: writerContext)
    let ino = entry.attributes.ino
    try writeBytes(fs, ino: ino, handle: opened.handle, offset: 0, bytes)
    try fs.flush(ino: ino, handle: opened.handle)
    if durable { try fs.fsync(ino: ino, handle: opened.handle, dataOnly: false) }
    fs.release(ino: ino, handle: opened.handle)
    return ino
}

@Suite struct NamespaceWriteTests {
    @Test func mkdirUnlinkRmdirAndRenames() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let workspace = try resolve(fs, "workspaces/alpha").attributes.ino
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let made = try fs.mkdir(parent: workspace, name: "new", mode: 0o755, context: writerContext)
        #expect(made.attributes.mode & UInt32(S_IFMT) == UInt32(S_IFDIR))
        #expect(fixture.api.child(fixture.alpha, parent: "root", name: "new")?.type == .folder)
        #expect(throws: FSError(EEXIST)) { try fs.mkdir(parent: workspace, name: "new", mode: 0o755, context: writerContext) }
        #expect(throws: FSError(EEXIST)) { try fs.mkdir(parent: workspace, name: "big.bin", mode: 0o755, context: writerContext) }
        #expect(try resolve(fs, "workspaces/alpha/new").attributes.ino == made.attributes.ino)

        #expect(throws: FSError(ENOTEMPTY)) { try fs.rmdir(parent: workspace, name: "docs") }
        #expect(throws: FSError(ENOTDIR)) { try fs.rmdir(parent: workspace, name: "big.bin") }
        #expect(throws: FSError(EISDIR)) { try fs.unlink(parent: workspace, name: "docs") }

        // Rename within a folder, across folders, and of a folder.
        try fs.rename(parent: docs, name: "a.txt", newParent: docs, newName: "b.txt", flags: 0)
        #expect(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "b.txt") != nil)
        #expect(throws: FSError(ENOENT)) { try fs.lookup(parent: docs, name: "a.txt") }
        try fs.rename(parent: docs, name: "b.txt", newParent: made.attributes.ino, newName: "c.txt", flags: 0)
        let newID = fixture.api.child(fixture.alpha, parent: "root", name: "new")!.id
        #expect(fixture.api.child(fixture.alpha, parent: newID, name: "c.txt") != nil)
        #expect(try readAll(fs, try resolve(fs, "workspaces/alpha/new/c.txt").attributes.ino) == Array("hello\n".utf8))
        try fs.rename(parent: workspace, name: "new", newParent: docs, newName: "inner", flags: 0)
        #expect(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "inner")?.id == newID)
        #expect(throws: FSError(EEXIST)) {
            try fs.rename(parent: workspace, name: "big.bin", newParent: workspace, newName: "notes.md", flags: 1)
        }

        // unlink and rmdir (after emptying it).
        let inner = try resolve(fs, "workspaces/alpha/docs/inner").attributes.ino
        try fs.unlink(parent: inner, name: "c.txt")
        #expect(fixture.api.child(fixture.alpha, parent: newID, name: "c.txt") == nil)
        try fs.rmdir(parent: docs, name: "inner")
        #expect(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "inner") == nil)
        #expect(throws: FSError(ENOENT)) { try fs.lookup(parent: docs, name: "inner") }
    }

    @Test func linksAndRefusedNames() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let workspace = try resolve(fs, "workspaces/alpha").attributes.ino
        let big = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        #expect(throws: FSError(EPERM)) { try fs.symlink(target: "x", parent: workspace, name: "l", context: writerContext) }
        #expect(throws: FSError(EPERM)) { try fs.link(ino: big, newParent: workspace, newName: "h") }
        // A POSIX name no server name encodes to, and one the server refuses (a decoded "/").
        #expect(throws: FSError(EINVAL)) { try fs.mkdir(parent: workspace, name: "\u{201B}x", mode: 0o755, context: writerContext) }
        #expect(throws: FSError(EINVAL)) { try fs.mkdir(parent: workspace, name: "a\u{FF0F}b", mode: 0o755, context: writerContext) }
        #expect(throws: FSError(EACCES)) { try fs.mkdir(parent: 1, name: "x", mode: 0o755, context: writerContext) }
    }
}

/// Every byte of `ino` through a fresh read-only handle.
func readAll(_ fs: FastIOFileSystem, _ ino: UInt64) throws -> [UInt8] {
    let size = try fs.getattr(ino: ino).0.size
    let opened = try fs.open(ino: ino, flags: O_RDONLY, context: writerContext)
    defer { fs.release(ino: ino, handle: opened.handle) }
    return try readBytes(fs, ino: ino, handle: opened.handle, offset: 0, size: Int(size))
}

@Suite struct SpoolAndUploadTests {
    @Test(arguments: [0, 5_000, 9 << 20])
    func newFileIsUploadedAndBoundToItsIDUnderTheSameInode(size: Int) throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let bytes = randomBytes(size, seed: UInt64(size) + 7)
        let ino = try createFile(fs, parent: docs, name: "new.bin", bytes)
        let node = try #require(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "new.bin"))
        #expect(fixture.api.content(fixture.alpha, id: node.id) == bytes)
        #expect(try resolve(fs, "workspaces/alpha/docs/new.bin").attributes.ino == ino)
        #expect(String(decoding: try fs.getxattr(ino: ino, name: "user.fastio.id"), as: UTF8.self) == node.id)
        #expect(try fs.getattr(ino: ino).0.size == UInt64(size))
        #expect(try readAll(fs, ino) == bytes)
        if size > 4 << 20 { #expect(fixture.api.count("POST upload/chunk") == 2) } else {
            #expect(fixture.api.count("POST upload") == 1)
        }
    }

    @Test func partialOverwriteAppendAndTruncateOfAnExistingFileMakeANewVersion() throws {
        let fixture = Fixture(bigSize: 6 << 20)
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        var expected = fixture.big
        let opened = try fs.open(ino: ino, flags: O_RDWR, context: writerContext)
        #expect(fixture.api.heldLocks() == [fixture.bigID])
        let info = try #require(fixture.api.lockClientInfo(fixture.bigID))
        #expect(info.clientVersion == "fastiofs \(FastIOFSVersion.current)")
        #expect(!info.deviceName.isEmpty)
        let patch = randomBytes(10_000, seed: 3)
        try writeBytes(fs, ino: ino, handle: opened.handle, offset: 1_000_000, patch)
        expected.replaceSubrange(1_000_000..<1_010_000, with: patch)
        try writeBytes(fs, ino: ino, handle: opened.handle, offset: Int64(expected.count), [1, 2, 3])
        expected += [1, 2, 3]
        #expect(try fs.getattr(ino: ino).0.size == UInt64(expected.count))
        #expect(try readBytes(fs, ino: ino, handle: opened.handle, offset: 999_990, size: 30)
                == Array(expected[999_990..<1_000_020]))
        _ = try fs.setattr(ino: ino, changes: AttributeChanges(size: 5_000_000, handle: opened.handle), context: writerContext)
        expected.removeSubrange(5_000_000...)
        try fs.flush(ino: ino, handle: opened.handle)
        try fs.fsync(ino: ino, handle: opened.handle, dataOnly: false)
        fs.release(ino: ino, handle: opened.handle)
        #expect(fixture.api.content(fixture.alpha, id: fixture.bigID) == expected)
        #expect(fixture.api.versionCount(fixture.alpha, id: fixture.bigID) == 2)
        #expect(fixture.api.heldLocks().isEmpty)
    }

    @Test func openWithoutWritingReleasesTheLockAndSendsNothing() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        let opened = try fs.open(ino: ino, flags: O_WRONLY, context: writerContext)
        try fs.flush(ino: ino, handle: opened.handle)
        fs.release(ino: ino, handle: opened.handle)
        #expect(fixture.api.heldLocks().isEmpty)
        #expect(fixture.api.count("POST upload") == 0)
        #expect(fixture.api.versionCount(fixture.alpha, id: fixture.bigID) == 1)
    }

    @Test func fileLockedByAnotherUserIsBusy() throws {
        let fixture = Fixture()
        fixture.api.lockAsAnotherUser(fixture.bigID)
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        #expect(throws: FSError(EBUSY)) { try fs.open(ino: ino, flags: O_WRONLY, context: writerContext) }
        #expect(throws: FSError(EBUSY)) { try fs.open(ino: ino, flags: O_WRONLY | O_TRUNC, context: writerContext) }
        #expect(try readAll(fs, ino) == fixture.big)
    }

    @Test func renameOverAFileKeepsItsIdentityAndAddsAVersion() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let targetID = try #require(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "a.txt")).id
        let saved = Array("edited by an editor\n".utf8)
        let temp = try createFile(fs, parent: docs, name: ".a.txt.swp", saved, durable: false)
        try fs.rename(parent: docs, name: ".a.txt.swp", newParent: docs, newName: "a.txt", flags: 0)
        let after = try resolve(fs, "workspaces/alpha/docs/a.txt").attributes.ino
        #expect(after == temp)
        #expect(String(decoding: try fs.getxattr(ino: after, name: "user.fastio.id"), as: UTF8.self) == targetID)
        #expect(try readAll(fs, after) == saved)
        let opened = try fs.open(ino: after, flags: O_RDONLY, context: writerContext)
        try fs.fsync(ino: after, handle: opened.handle, dataOnly: false)
        fs.release(ino: after, handle: opened.handle)
        #expect(fixture.api.content(fixture.alpha, id: targetID) == saved)
        #expect(fixture.api.versionCount(fixture.alpha, id: targetID) == 2)
        // The temp file's own upload may have placed it: that node goes to the trash (from the
        // uploader when the rename came first); the lock goes just after the commit fsync waited for.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && (!fixture.api.heldLocks().isEmpty
            || fixture.api.child(fixture.alpha, parent: fixture.docsID, name: ".a.txt.swp") != nil) { usleep(10_000) }
        #expect(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: ".a.txt.swp") == nil)
        #expect(fixture.api.heldLocks().isEmpty)
    }

    /// git's lock files: `x.lock` is written, renamed over `x` (or to `x`), and made again at once
    /// with O_EXCL. The server lists `x.lock` from the moment its upload places it until the
    /// uploader, back from that call, renames or deletes it: no listing may show it meanwhile, and
    /// the next `x.lock` must reach the server under its own name, not as a conflict copy.
    @Test(arguments: [true, false])
    func aLockFileRenamedWhileItsUploadPlacesItNeverReappears(targetExists: Bool) throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let target = targetExists ? "a.txt" : "fresh.txt"
        let hold = fixture.api.placementHold
        hold.start()
        defer { hold.release() }

        try createFile(fs, parent: docs, name: target + ".lock", Array("first\n".utf8), durable: false)
        #expect(hold.waitHeld(1), "the upload placed the lock file and waits")
        try fs.rename(parent: docs, name: target + ".lock", newParent: docs, newName: target, flags: 0)
        // The activity poller lists the folder again, and a lookup lists it after the cache expired.
        _ = fs.refreshDirectory(docs, profileIndex: 0)
        fs.listings.invalidate(docs)
        #expect(throws: FSError(ENOENT)) { try fs.lookup(parent: docs, name: target + ".lock") }
        let renamed = try readAll(fs, try fs.lookup(parent: docs, name: target).attributes.ino)
        #expect(renamed == Array("first\n".utf8), "\(String(decoding: renamed, as: UTF8.self))")

        // The next lock file, while the server still holds the first one's name.
        try createFile(fs, parent: docs, name: target + ".lock", Array("second\n".utf8), durable: false)
        try fs.rename(parent: docs, name: target + ".lock", newParent: docs, newName: target, flags: 0)
        hold.release()
        #expect(fs.writes?.waitIdle(timeout: 10, progress: nil) == true)
        let deadline = Date().addingTimeInterval(5)
        var names: [String] = []
        repeat {
            names = try fixture.api.listFolder(fixture.alpha, folderID: fixture.docsID, pageSize: 500, cursor: nil)
                .items.map(\.name)
            if !names.contains(target + ".lock") && fixture.api.heldLocks().isEmpty { break }
            usleep(10_000)
        } while Date() < deadline
        #expect(names.filter { $0.hasPrefix(target) } == [target], "\(names)")
        let id = try #require(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: target)).id
        #expect(fixture.api.content(fixture.alpha, id: id) == Array("second\n".utf8))
    }

    /// A reader that opened a file while it had local changes keeps reading those bytes after the
    /// upload committed them and the last writer closed (it used to fall back to the version pinned
    /// at open, which predates the upload: the random-operations mount test saw such stale bytes).
    @Test func aReaderOfAChangedFileKeepsSeeingItsBytesAfterTheUpload() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/docs/a.txt").attributes.ino
        let changed = Array("HELLO, longer world\n".utf8)
        let writer = try fs.open(ino: ino, flags: O_RDWR, context: writerContext)
        try writeBytes(fs, ino: ino, handle: writer.handle, offset: 0, changed)
        let reader = try fs.open(ino: ino, flags: O_RDONLY, context: writerContext)
        #expect(!reader.keepCache, "the kernel's cache of the old version must not serve local bytes")
        try fs.flush(ino: ino, handle: writer.handle)
        try fs.fsync(ino: ino, handle: writer.handle, dataOnly: false)
        fs.release(ino: ino, handle: writer.handle)
        #expect(fs.writes?.waitIdle(timeout: 10, progress: nil) == true)
        usleep(100_000)   // the uploader retires an idle spool file just after the commit

        var got: [UInt8] = []
        try fs.read(ino: ino, handle: reader.handle, offset: 0, size: 4096) { got = Array($0) }
        #expect(got == changed)
        fs.release(ino: ino, handle: reader.handle)
        #expect(try readAll(fs, ino) == changed)
    }

    /// Creates `name` in docs and opens it a second time for writing: (inode, create's handle, the
    /// other handle), as `dd` or a shell redirection holds a file before closing one descriptor.
    private func createWithTwoWriters(_ fs: FastIOFileSystem, name: String) throws -> (UInt64, UInt64, OpenedFile) {
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let (entry, opened) = try fs.create(parent: docs, name: name, mode: 0o644, flags: O_WRONLY, context: writerContext)
        let ino = entry.attributes.ino
        return (ino, opened.handle, try fs.open(ino: ino, flags: O_WRONLY, context: writerContext))
    }

    /// `dd of=` and shell redirections close a duplicate descriptor first: that flush must not start
    /// an upload while the writing goes on (each would freeze, copy and send the file so far); the
    /// file goes up once, after its last writer closes.
    @Test func aFlushWhileAnotherWriterHasTheFileOpenDoesNotUploadIt() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let (ino, first, duplicate) = try createWithTwoWriters(fs, name: "dd.bin")
        try fs.flush(ino: ino, handle: first)   // dd closes the descriptor it dup2'ed
        fs.release(ino: ino, handle: first)
        var expected: [UInt8] = []
        for round in 0..<6 {
            let piece = randomBytes(64 << 10, seed: UInt64(round) + 40)
            try writeBytes(fs, ino: ino, handle: duplicate.handle, offset: Int64(expected.count), piece)
            expected += piece
            usleep(100_000)
        }
        #expect(fixture.api.count("POST upload") == 0, "nothing is uploaded while the file is being written")
        try fs.flush(ino: ino, handle: duplicate.handle)
        fs.release(ino: ino, handle: duplicate.handle)
        #expect(fs.writes?.waitIdle(timeout: 10, progress: nil) == true)
        #expect(fixture.api.count("POST upload") == 1)
        let node = try #require(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "dd.bin"))
        #expect(fixture.api.content(fixture.alpha, id: node.id) == expected)
    }

    /// A writer that keeps its file open still gets it uploaded once it stops changing, and at once
    /// on `fsync`.
    @Test func aFileLeftOpenIsUploadedWhenQuietOrOnFsync() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let (ino, first, duplicate) = try createWithTwoWriters(fs, name: "log.txt")
        try writeBytes(fs, ino: ino, handle: first, offset: 0, Array("one\n".utf8))
        try fs.flush(ino: ino, handle: first)
        fs.release(ino: ino, handle: first)
        let started = MonotonicClock.now()
        #expect(fs.writes?.waitIdle(timeout: 10, progress: nil) == true)
        #expect(MonotonicClock.now() - started >= SpoolFileMachine.openWriterQuiet - 0.2, "waited for the quiet period")
        let node = try #require(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "log.txt"))
        #expect(fixture.api.content(fixture.alpha, id: node.id) == Array("one\n".utf8))

        try writeBytes(fs, ino: ino, handle: duplicate.handle, offset: 4, Array("two\n".utf8))
        let beforeSync = MonotonicClock.now()
        try fs.fsync(ino: ino, handle: duplicate.handle, dataOnly: false)
        #expect(MonotonicClock.now() - beforeSync < SpoolFileMachine.openWriterQuiet, "fsync does not wait to be quiet")
        #expect(fixture.api.content(fixture.alpha, id: node.id) == Array("one\ntwo\n".utf8))
        fs.release(ino: ino, handle: duplicate.handle)
    }

    /// A listing fetched before an upload committed must not put the old version back on the node
    /// (a lookup answered from it, then an open, read the old bytes after a rename over the file).
    @Test func aListingOlderThanTheNodesMetadataDoesNotReplaceIt() throws {
        let fixture = Fixture()
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let entry = try fs.lookup(parent: docs, name: "a.txt")
        let record = try #require(fs.nodes.record(entry.attributes.ino))
        let fetchedBefore = MonotonicClock.now()
        var committed = record.metadata
        committed.version = "3newversion"
        committed.size = 42
        fs.nodes.refresh(record.ino, metadata: committed, at: MonotonicClock.now())

        let stale = ListedEntry(name: "a.txt", identity: record.identity, metadata: record.metadata)
        let answer = fs.retainEntry(stale, parent: docs, fetchedAt: fetchedBefore)
        #expect(answer.attributes.size == 42)
        #expect(fs.nodes.record(record.ino)?.metadata.version == "3newversion")
        var newer = committed
        newer.version = "3newerstill"
        _ = fs.retainEntry(ListedEntry(name: "a.txt", identity: record.identity, metadata: newer), parent: docs,
                           fetchedAt: MonotonicClock.now())
        #expect(fs.nodes.record(record.ino)?.metadata.version == "3newerstill")
    }

    @Test func journalSurvivesAndResumesAtTheNextMount() throws {
        let fixture = Fixture()
        let cache = NSTemporaryDirectory() + "fastiofs-journal-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: cache) }
        fixture.api.failUploads(with: EDQUOT)
        let bytes = randomBytes(70_000, seed: 11)
        do {
            let fs = try fixture.mount(cacheDirectory: cache)
            let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
            let (kept, keptHandle) = try fs.create(parent: docs, name: "kept.bin", mode: 0o644, flags: O_WRONLY, context: writerContext)
            try writeBytes(fs, ino: kept.attributes.ino, handle: keptHandle.handle, offset: 0, bytes)
            // The upload may already have failed when close returns: then close reports it.
            do { try fs.flush(ino: kept.attributes.ino, handle: keptHandle.handle) } catch { #expect(error.errno == EDQUOT) }
            fs.release(ino: kept.attributes.ino, handle: keptHandle.handle)
            // A standing server error surfaces on fsync; the data stays in the journal.
            let (entry, opened) = try fs.create(parent: docs, name: "later.bin", mode: 0o644, flags: O_WRONLY, context: writerContext)
            #expect(throws: FSError(EDQUOT)) { try fs.fsync(ino: entry.attributes.ino, handle: opened.handle, dataOnly: false) }
            fs.release(ino: entry.attributes.ino, handle: opened.handle)
            #expect(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "kept.bin") == nil)
            fs.writes?.shutdown(grace: 0)
        }
        let journaled = try FileManager.default.contentsOfDirectory(atPath: cache + "/write/journal")
        #expect(journaled.filter { $0.hasSuffix(".json") }.count == 2)
        fixture.api.failUploads(with: nil)
        let fs = try fixture.mount(cacheDirectory: cache)
        defer { fs.destroy() }
        #expect(fs.writes?.waitIdle(timeout: 10, progress: nil) == true)
        let node = try #require(fixture.api.child(fixture.alpha, parent: fixture.docsID, name: "kept.bin"))
        #expect(fixture.api.content(fixture.alpha, id: node.id) == bytes)
        // Idle means nothing left to upload; a file's record leaves the journal when the file retires,
        // just after (its worker binds it first).
        let deadline = Date(timeIntervalSinceNow: 10)
        var records: [String] = []
        repeat {
            records = try FileManager.default.contentsOfDirectory(atPath: cache + "/write/journal").filter { $0.hasSuffix(".json") }
            if records.isEmpty { break }
            Thread.sleep(forTimeInterval: 0.01)
        } while Date() < deadline
        #expect(records.isEmpty)
    }

    @Test func statusAttributeListsTheQueue() throws {
        let fixture = Fixture()
        fixture.api.failUploads(with: EACCES)
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let (entry, opened) = try fs.create(parent: docs, name: "q.txt", mode: 0o644, flags: O_WRONLY, context: writerContext)
        try writeBytes(fs, ino: entry.attributes.ino, handle: opened.handle, offset: 0, [1, 2, 3])
        // The refusal may already be known when close returns: then close reports it.
        do { try fs.flush(ino: entry.attributes.ino, handle: opened.handle) } catch { #expect(error.errno == EACCES) }
        fs.release(ino: entry.attributes.ino, handle: opened.handle)
        let status = String(decoding: try fs.getxattr(ino: 1, name: "user.fastio.status"), as: UTF8.self)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
        #expect(json["pending_files"] as? Int == 1)
        let queue = try #require(json["queue"] as? [[String: Any]])
        #expect(queue.first?["name"] as? String == "q.txt")
        #expect(queue.first?["bytes_total"] as? Int == 3)
        fixture.api.failUploads(with: nil)
        #expect(fs.writes?.waitIdle(timeout: 10, progress: nil) == true)
    }
}

@Suite struct ConflictNameTests {
    @Test func conflictNamesKeepTheExtension() {
        let date = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14 22:13:20 UTC
        #expect(ConflictName.make("report.txt", at: date) == "report (conflict 2023-11-14 221320).txt")
        #expect(ConflictName.make("Makefile", at: date) == "Makefile (conflict 2023-11-14 221320)")
        #expect(ConflictName.make(".bashrc", at: date) == ".bashrc (conflict 2023-11-14 221320)")
        #expect(ConflictName.make("a.tar.gz", at: date) == "a.tar (conflict 2023-11-14 221320).gz")
    }
}
