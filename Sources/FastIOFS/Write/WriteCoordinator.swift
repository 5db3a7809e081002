import FastIO
import Foundation
import Logging
import Synchronization

/// The write-back side of a mount: spooled files by identity, write handles, the upload queue and
/// its workers, server locks and the journal.
///
/// Invariants: a file has at most one `SpoolFile`, registered under its current identity (and, once
/// a pending file is placed, under both); a file with changes not yet durable has a journal record
/// written before `flush`/`fsync` returned; a spool file leaves the map only when it has no open
/// writer and nothing left to upload; a lock is held from the first open for writing until the
/// content is committed (or, when nothing was written, until the last writer closes). Thread-safe.
final class WriteCoordinator: Sendable {
    static let lockDuration = 120

    let writer: any FastIOWriteAPI
    let api: any FastIOAPI
    let profiles: [MountedProfile]
    let nodes: NodeTable
    let listings: ListingCache
    let logger: Logger
    let journal: WriteJournal
    let spoolDirectory: String
    let workers: Int

    struct Registry: Sendable {
        var files: [NodeIdentity: SpoolFile] = [:]
        var handles: [UInt64: SpoolFile] = [:]
        var queue: [SpoolFile] = []
        var lastError: (error: FSError, at: Double)?
        /// Where each file created by this mount was placed (pending key -> server id and metadata),
        /// so an inode or listing entry that still names the pending file finds the server node.
        var placements: [String: (id: String, metadata: NodeMetadata)] = [:]
        var stopping = false
        /// Unmounting: files still open for writing upload without waiting to be quiet.
        var draining = false
        var liveWorkers = 0
        /// Server nodes this mount is deleting or just deleted (id -> monotonic second until which
        /// listings hide them).
        var tombstones: [String: Double] = [:]
        /// Files discarded while an upload that places them ran, until it finished (the uploader
        /// then deletes the node it placed).
        var retiring: [ObjectIdentifier: SpoolFile] = [:]
    }
    let registry = Mutex(Registry())
    /// Wakes the upload workers (queue changes) and the lock keeper; paired with `registry` state.
    let wakeup = NSCondition()

    init(writer: any FastIOWriteAPI, api: any FastIOAPI, profiles: [MountedProfile], nodes: NodeTable,
         listings: ListingCache, configuration: MountConfiguration, logger: Logger) throws(FSError) {
        self.writer = writer
        self.api = api
        self.profiles = profiles
        self.nodes = nodes
        self.listings = listings
        self.logger = logger
        workers = configuration.uploadWorkers
        let base = configuration.cacheDirectory
            ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/fastiofs")
        spoolDirectory = base + "/write/data"
        do {
            try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        } catch {
            throw FSError(EIO, detail: "cannot create the spool directory \(spoolDirectory): \(error)")
        }
        journal = try WriteJournal(directory: base + "/write/journal")
        resumeJournal()
        startWorkers()
        startLockKeeper()
    }

    // MARK: - files

    /// The live spool file of `identity` (a retired one, on its way out, counts as none).
    func file(_ identity: NodeIdentity) -> SpoolFile? {
        guard let file = registry.withLock({ $0.files[identity] }), !file.state.withLock({ $0.retired }) else { return nil }
        return file
    }

    func file(handle: UInt64) -> SpoolFile? {
        registry.withLock { $0.handles[handle] }
    }

    /// Size and mtime of a file whose local content differs from the server's.
    func overlay(_ identity: NodeIdentity) -> (size: Int64, mtime: FSTime)? {
        guard let file = file(identity) else { return nil }
        let state = file.snapshotState()
        guard state.generation > 0 || state.writers > 0 else { return nil }
        return (state.size, state.mtime)
    }

    /// A new, empty file `name` in `target`, not on the server yet (uploaded after close).
    func createFile(in target: FolderTarget, name: String) -> SpoolFile {
        let key = UUID().uuidString.lowercased()
        var state = SpoolFile.State(folderID: target.folderID, name: name, size: 0, mtime: FSTime(Date()),
                                    materialized: true, fetchLimit: 0, dataPath: spoolDirectory + "/" + key)
        state.generation = 1
        state.lastChange = MonotonicClock.now()
        let file = SpoolFile(key: key, profileIndex: target.profileIndex, spoolDirectory: spoolDirectory, state: state)
        registry.withLock { $0.files[file.pendingIdentity] = file }
        return file
    }

    /// The spool file of an existing server file opened for writing, taking its lock first (EBUSY
    /// when someone else holds it).
    func openExisting(profileIndex: Int, remoteID: String, folderID: String, name: String,
                      metadata: NodeMetadata) throws(FSError) -> SpoolFile {
        let identity = NodeIdentity.remote(profile: profileIndex, id: remoteID)
        let deadline = MonotonicClock.now() + 10
        var found: SpoolFile?
        while found == nil {
            found = registry.withLock { registry -> SpoolFile? in
                if let known = registry.files[identity] {
                    // A retired file is still releasing its lock: wait until it is gone.
                    return known.state.withLock { $0.retired } ? nil : known
                }
                let key = UUID().uuidString.lowercased()
                let state = SpoolFile.State(remoteID: remoteID, folderID: folderID, name: name, size: metadata.size,
                                            mtime: metadata.mtime, materialized: false, fetchLimit: metadata.size,
                                            baseVersion: metadata.version, dataPath: spoolDirectory + "/" + key)
                let created = SpoolFile(key: key, profileIndex: profileIndex, spoolDirectory: spoolDirectory, state: state)
                registry.files[identity] = created
                return created
            }
            if found == nil {
                guard MonotonicClock.now() < deadline else { throw FSError(EIO, detail: "a released spool file stays registered") }
                usleep(1_000)
            }
        }
        guard let file = found else { throw FSError(EIO) }
        do {
            try markIfNote(file, remoteID: remoteID)
            try ensureLock(file, remoteID: remoteID)
        } catch {
            dropIfIdle(file)
            throw error
        }
        return file
    }

    /// Counts a new writer of `file`; false when the file was retired meanwhile (open it again).
    func attach(handle: UInt64, to file: SpoolFile) -> Bool {
        let attached = file.state.withLock { state -> Bool in
            guard !state.retired else { return false }
            state.writers += 1
            return true
        }
        if attached { registry.withLock { $0.handles[handle] = file } }
        return attached
    }

    /// `close` of a write handle: the last writer of an unchanged file releases its lock at once.
    func detach(handle: UInt64) {
        guard let file = registry.withLock({ $0.handles.removeValue(forKey: handle) }) else { return }
        let dirty = file.state.withLock { state -> Bool in
            state.writers -= 1
            return state.generation > state.durableGeneration
        }
        if dirty {
            try? commitLocally(file)
        } else {
            dropIfIdle(file)
        }
    }

    /// Fetches the original bytes a change needs from the server version the file was opened at.
    func fetcher(for file: SpoolFile) -> SpoolFile.Fetcher {
        let profile = profiles[file.profileIndex].profile
        let remoteID = file.snapshotState().remoteID
        let api = self.api
        return { (descriptor: Int32, version: String?, limit: Int64) throws(FSError) in
            guard let remoteID else { return }
            var buffer = [UInt8](repeating: 0, count: 4 << 20)
            var offset: Int64 = 0
            while offset < limit {
                let want = Int(min(Int64(buffer.count), limit - offset))
                let got: Int
                do {
                    got = try buffer.withUnsafeMutableBytes { raw in
                        try api.read(profile, nodeID: remoteID, versionID: version, offset: offset,
                                     into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]))
                    }
                } catch {
                    throw FSError.from(error)
                }
                if got == 0 { break }
                let written = buffer.withUnsafeBytes { pwrite(descriptor, $0.baseAddress!, got, off_t(offset)) }
                guard written == got else { throw FSError(written < 0 ? errno : ENOSPC, detail: "spool fill") }
                offset += Int64(got)
            }
        }
    }

    // MARK: - durability

    /// `close`/`flush`: the bytes are on local disk and journaled, and the upload is queued. A
    /// standing server error (quota, permission ...) is reported here, with the data kept.
    func commitLocally(_ file: SpoolFile) throws(FSError) {
        let state = file.snapshotState()
        guard !state.discarded, state.generation > state.durableGeneration else { return }
        try file.materialize(fetch: fetcher(for: file))
        try file.syncData()
        try writeJournal(file)
        enqueue(file)
        if let standing = standingError(for: file) { throw standing }
    }

    /// `fsync`: returns once everything written so far is durable on the server.
    func waitDurable(_ file: SpoolFile, timeout: Double = 600) throws(FSError) {
        let target = file.state.withLock { state -> UInt64 in
            state.syncWanted = max(state.syncWanted, state.generation)
            return state.generation
        }
        try commitLocally(file)
        let deadline = MonotonicClock.now() + timeout
        while true {
            let state = file.snapshotState()
            if state.discarded || (state.durableGeneration >= target && !state.binding) { return }
            if let error = state.lastError, Self.isStanding(error) { throw error }
            if MonotonicClock.now() > deadline { throw FSError(EIO, detail: "upload did not finish in \(Int(timeout)) s") }
            usleep(10_000)
        }
    }

    /// Records `file` in the journal, unless it was discarded (unlinked, or the source of a rename
    /// over another file): `discard` sets the flag before it removes the record, so checking again
    /// after the write leaves no record behind whichever runs first.
    func writeJournal(_ file: SpoolFile) throws(FSError) {
        let state = file.snapshotState()
        guard !state.discarded else { return }
        defer { if file.snapshotState().discarded { journal.remove(file.key) } }
        let profile = profiles[file.profileIndex].profile
        let record = JournalRecord(key: file.key, profileKind: profile.kind.rawValue, profileID: profile.id,
                                   remoteID: state.remoteID, folderID: state.folderID, name: state.name,
                                   size: state.size, baseVersion: state.baseVersion,
                                   dataFile: (state.dataPath as NSString).lastPathComponent,
                                   uploadID: state.uploadID, chunkSize: state.chunkSize,
                                   isNote: state.isNote ? true : nil)
        try journal.write(record)
    }

    /// Errors that waiting will not cure (quota, payment, permission, refused names): reported to
    /// the writer; the data stays in the journal and is retried later.
    static func isStanding(_ error: FSError) -> Bool {
        [EDQUOT, EACCES, EPERM, ENOSPC, EFBIG, EINVAL, EROFS].contains(error.errno)
    }

    /// Standing errors that refuse every upload of the account, not just one file's.
    static func isAccountWide(_ error: FSError) -> Bool {
        [EDQUOT, ENOSPC].contains(error.errno)
    }

    /// The file's own standing error, else an account-wide one (quota, storage full) another upload
    /// met in the last minute. Errors about one file (a refused name, a permission on one folder) stay
    /// with that file: they must not fail the close of every other file.
    private func standingError(for file: SpoolFile) -> FSError? {
        if let own = file.snapshotState().lastError, Self.isStanding(own) { return own }
        return registry.withLock { registry in
            guard let last = registry.lastError, Self.isAccountWide(last.error),
                  MonotonicClock.now() - last.at < 60 else { return nil }
            return last.error
        }
    }

    // MARK: - namespace changes

    /// Forgets a file's local content (unlink, or the source of a rename over a file). Returns the
    /// server id when the file was placed already (the caller deletes that node; listings hide it
    /// from now on, unless the caller reports `deleteFailed`).
    func discard(_ identity: NodeIdentity) -> String? {
        guard let id = discardLocally(identity) else { return nil }
        noteDeleting(id)
        return id
    }

    private func discardLocally(_ identity: NodeIdentity) -> String? {
        guard let file = file(identity) else {
            if case .remote(_, let id) = identity { return id }
            // A pending file whose upload placed it and retired its spool just now.
            if case .remote(_, let id)? = placement(of: identity)?.identity { return id }
            return nil
        }
        let state = file.state.withLock { state -> SpoolFile.State in
            state.discarded = true
            return state
        }
        journal.remove(file.key)
        releaseLock(file)
        registry.withLock { registry in
            for (key, value) in registry.files where value === file { registry.files[key] = nil }
            // Its upload may be placing it right now: the uploader deletes that node when done.
            if state.uploading { registry.retiring[ObjectIdentifier(file)] = file }
        }
        if !state.uploading { file.removeData() }
        if case .remote(_, let id) = identity { return id }
        return state.remoteID
    }

    /// Where a rename of a file the server may not have yet must go.
    enum LocalAddress: Equatable {
        /// Not placed yet: the new folder and name are applied when its upload places it.
        case readdressed
        /// Placed on the server meanwhile (the node may not be rebound yet): rename node `id` there.
        case placed(id: String)
        /// No spooled file behind the inode.
        case unknown
    }

    /// A pending file's new folder and name (rename before its first upload completes).
    func readdress(ino: UInt64, folderID: String, name: String) -> LocalAddress {
        guard let record = nodes.record(ino), let file = file(record.identity) else { return .unknown }
        let placedID = file.state.withLock { state -> String? in
            // Once placed, the uploader no longer applies local renames: the server must be told.
            if let id = state.remoteID { return id }
            state.folderID = folderID
            state.name = name
            return nil
        }
        if let placedID { return .placed(id: placedID) }
        if file.snapshotState().generation > file.snapshotState().durableGeneration { try? writeJournal(file) }
        return .readdressed
    }

    /// Keeps a spooled file's folder and name in step with a server-side rename.
    func readdress(remoteID: String, folderID: String, name: String) {
        let found = registry.withLock { registry in
            registry.files.first { key, _ in if case .remote(_, remoteID) = key { return true }; return false }?.value
        }
        guard let found else { return }
        found.state.withLock { $0.folderID = folderID; $0.name = name }
    }

    /// Retires `file` when nobody writes it and the server has all of it: releases its lock, then
    /// forgets it and its data. The idle check and `retired` are one step, so a writer attaching at
    /// the same moment either keeps the file alive or sees it retired and opens afresh.
    func dropIfIdle(_ file: SpoolFile) {
        let idle = file.state.withLock { state -> Bool in
            // Not while binding: until the node table knows the committed version, a new open
            // would start a spool file from the previous one and its upload would undo this one.
            guard !state.retired, state.writers == 0, !state.uploading, !state.binding,
                  state.generation <= state.durableGeneration || state.discarded else { return false }
            state.retired = true
            return true
        }
        guard idle else { return }
        releaseLock(file)
        registry.withLock { registry in
            for (key, value) in registry.files where value === file { registry.files[key] = nil }
        }
        file.removeData()
    }
}
