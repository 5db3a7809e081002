import FastIO
import Foundation
import Logging

/// The write-back side of a mount: which spool file stands for which node and handle, and the
/// driver of the effects their machines ask for (queue an upload, take or give back a lock, trash a
/// node, leave the registry). The parts with rules of their own are their own types: `SpoolFile`
/// (one file's life), `LocalOverlay` (what the server does not show yet), `UploadQueue`,
/// `LockKeeper`, `WriteJournal`, `SpoolDirectory`.
///
/// Invariants: a file has at most one live `SpoolFile`, registered under its current identities (a
/// placed new file under both its pending and its server identity until it retires); a discarded
/// or retired file is in no identity slot; the registry lock is innermost (taken inside a file's
/// lock, never around one) and never held across I/O. Thread-safe.
final class WriteCoordinator: SpoolFileContext, Sendable {
    let writer: any FastIOWriteAPI
    let api: any FastIOAPI
    let profiles: [MountedProfile]
    let nodes: NodeTable
    let listings: ListingCache
    let logger: Logger
    let journal: WriteJournal
    let spool: SpoolDirectory
    let overlay: LocalOverlay
    let queue: UploadQueue
    let clock: any WriteClock
    let workers: Int
    /// `--cache-dir` (or its default): the spool, the journal and the unsent bytes live under it.
    let cacheDirectory: String
    /// This mount's claim on the cache directory (held until the process ends).
    let cacheLock: CacheDirectoryLock
    let memoryTrim = MemoryTrim()
    /// Sends kernel invalidations (through the coherence queue, never from inside an operation).
    let invalidate: @Sendable ([KernelInvalidation]) -> Void
    /// The mounting user, as the creator of the nodes this mount places.
    let caller: @Sendable () -> CreatorTag
    /// Set once, right after init (it needs the coordinator's own closures).
    private let keeperSlot = Locked<LockKeeper?>(nil)

    struct Registry: Sendable {
        var byIdentity: [NodeIdentity: SpoolFile] = [:]
        var byHandle: [UInt64: (file: SpoolFile, role: SpoolFileMachine.Role)] = [:]
        var all: [ObjectIdentifier: SpoolFile] = [:]
        var lastError: (error: FSError, at: Double)?
        /// Files whose bytes were set aside this mount (the latest `unsentShown`), and how many.
        var unsent: [UnsentFile] = []
        var unsentCount = 0
        /// Where each live file's folder is in the mount, as last seen (for the unsent manifest,
        /// which must name the file even after its folder vanished from the node table).
        var folderPaths: [ObjectIdentifier: String] = [:]
        var tally = UploadTally()
    }
    let registry = Locked(Registry())

    /// Counts upload outcomes, discards and retirements (what `waitIdle` waits for), and the live
    /// upload workers.
    struct Progress: Sendable {
        var events: UInt64 = 0
        var liveWorkers = 0
    }
    let progress = ConditionLocked(Progress())

    init(writer: any FastIOWriteAPI, api: any FastIOAPI, profiles: [MountedProfile], nodes: NodeTable,
         listings: ListingCache, configuration: MountConfiguration, logger: Logger,
         clock: any WriteClock = SystemClock(), overlay: LocalOverlay = LocalOverlay(),
         caller: @escaping @Sendable () -> CreatorTag = { .unknown },
         invalidate: @escaping @Sendable ([KernelInvalidation]) -> Void) throws(FSError) {
        self.writer = writer
        self.api = api
        self.profiles = profiles
        self.nodes = nodes
        self.listings = listings
        self.logger = logger
        self.clock = clock
        self.overlay = overlay
        self.invalidate = invalidate
        self.caller = caller
        workers = configuration.uploadWorkers
        let base = configuration.cacheDirectory
            ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/fastiofs")
        cacheDirectory = base
        spool = try SpoolDirectory(path: base + "/write/data")
        cacheLock = try CacheDirectoryLock(directory: base + "/write", mountpoint: configuration.mountpoint)
        journal = try WriteJournal(directory: base + "/write/journal")
        queue = UploadQueue(clock: clock)
        keeperSlot.withLock { $0 = LockKeeper(clock: clock, logger: logger, server: lockServer()) }
        resumeJournal()
        startWorkers()
        keeper.start()
    }

    var keeper: LockKeeper {
        guard let keeper = keeperSlot.withLock({ $0 }) else { preconditionFailure("the lock keeper is set in init") }
        return keeper
    }

    // MARK: - SpoolFileContext

    var now: Double { clock.now() }
    var draining: Bool { queue.isDraining }

    func perform(_ effect: SpoolEffect, of file: SpoolFile) {
        switch effect {
        case .schedule(let due):
            queue.schedule(file, due: due)
        case .releaseLock(let grant, let remoteID):
            // The machine holds the lock in `.releasing` meanwhile: no acquire of this file starts
            // before this release is done (the server would answer the same token, then drop it).
            keeper.untrack(file)
            releaseLock(grant, of: file, nodeID: remoteID)
            let now = clock.now()
            let draining = self.draining
            file.apply(self) { $0.lockReleased(now: now, draining: draining) }
        case .keepLock:
            keeper.track(file)
        case .trashPlaced(let nodeID):
            trashPlacedNode(nodeID, of: file)
        case .retire:
            unregister(file, keepingHandles: false)
            overlay.removeSpooled(key: file.key)
            overlay.clearPlacingAway(key: file.key)
            keeper.untrack(file)
            file.mutate { $0.retired() }
            noteProgress()
        case .deleteDataFiles, .writeJournal, .removeJournal:
            // The file's own data and record: `SpoolFile.perform` handles them.
            file.perform([effect], self)
        }
    }

    /// Writes the first `keep` bytes of `version` of `file`'s node into `descriptor`.
    func fetchOriginal(of file: SpoolFile, version: String?, keep: Int64, into descriptor: Int32) throws(FSError) {
        guard let remoteID = file.machine.remoteID else { return }
        try ServerCopy.fetch(api: api, profile: file.profile, nodeID: remoteID, version: version, length: keep,
                             into: descriptor)
    }

    // MARK: - registry

    /// The live spool file of `identity` (one discarded or leaving counts as none).
    func file(_ identity: NodeIdentity) -> SpoolFile? {
        guard let file = registry.withLock({ $0.byIdentity[identity] }) else { return nil }
        let machine = file.machine
        return machine.isLeaving || machine.isDiscarded ? nil : file
    }

    func file(handle: UInt64) -> SpoolFile? {
        registry.withLock { $0.byHandle[handle]?.file }
    }

    /// Every spool file of the mount (a copy of the list).
    func allFiles() -> [SpoolFile] {
        registry.withLock { Array($0.all.values) }
    }

    /// Registers `file` under `identity`. Called inside the file's lock by binding (registry
    /// innermost): it touches no other lock.
    func register(_ file: SpoolFile, as identity: NodeIdentity) {
        registry.withLock { registry in
            registry.byIdentity[identity] = file
            registry.all[ObjectIdentifier(file)] = file
        }
    }

    /// Remembers where `file`'s folder is in the mount (at registration, after a rename). Takes the
    /// file's lock: never call it inside one.
    func rememberFolderPath(of file: SpoolFile) {
        guard let ino = nodes.inode(of: .remote(profile: file.profileIndex, id: file.machine.address.folderID)),
              let path = nodes.path(of: ino) else { return }
        registry.withLock { $0.folderPaths[ObjectIdentifier(file)] = path }
    }

    /// Removes `file` from every identity slot (and, unless kept, from the list of files).
    func unregister(_ file: SpoolFile, keepingHandles: Bool) {
        registry.withLock { registry in
            for (identity, known) in registry.byIdentity where known === file { registry.byIdentity[identity] = nil }
            if !keepingHandles {
                registry.all[ObjectIdentifier(file)] = nil
                registry.folderPaths[ObjectIdentifier(file)] = nil
            }
        }
    }

    /// Size and mtime of a file whose local content differs from the server's (or is open for writing).
    func overlay(_ identity: NodeIdentity) -> (size: Int64, mtime: FSTime)? {
        guard let file = registry.withLock({ $0.byIdentity[identity] }) else { return nil }
        let machine = file.machine
        guard machine.overridesServerAttributes else { return nil }
        return (machine.size, machine.mtime)
    }

    /// The folder key of a folder of profile `profileIndex` in the overlay.
    func folderKey(_ profileIndex: Int, _ folderID: String) -> LocalOverlay.FolderKey {
        LocalOverlay.FolderKey(profile: profileIndex, folderID: folderID)
    }

    func noteProgress() {
        progress.withLock { $0.events += 1 }
    }

    // MARK: - server effects

    func releaseLock(_ grant: LockGrant, of file: SpoolFile, nodeID: String) {
        do {
            try writer.releaseLock(file.profile, nodeID: nodeID, lockToken: grant.lockToken)
        } catch {
            logger.debug("lock release failed (it expires by itself)", metadata: ["node": "\(nodeID)", "error": "\(error)"])
        }
    }

    /// The node a discarded new file's upload placed goes to the trash (hidden from listings meanwhile).
    private func trashPlacedNode(_ nodeID: String, of file: SpoolFile) {
        let folder = folderKey(file.profileIndex, file.machine.address.folderID)
        let placedFolder: LocalOverlay.FolderKey
        if case .discarded(.some(let snapshot)) = file.machine.phase {
            placedFolder = folderKey(file.profileIndex, snapshot.address.folderID)
        } else {
            placedFolder = folder
        }
        overlay.noteRemoving(nodeID, from: placedFolder, name: nil)
        overlay.clearPlacingAway(key: file.key)
        do {
            try writer.delete(file.profile, nodeID: nodeID)
            overlay.removed(nodeID, from: placedFolder, now: clock.now())
        } catch {
            overlay.removalFailed(nodeID, from: placedFolder)
            logger.error("could not trash the node of a file deleted while it uploaded; it stays on the server",
                         metadata: ["name": "\(file.machine.address.name)", "node": "\(nodeID)", "error": "\(error)"])
        }
    }

    // MARK: - errors

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
    func standingError(for file: SpoolFile) -> FSError? {
        if let own = file.machine.lastError, Self.isStanding(own) { return own }
        let now = clock.now()
        return registry.withLock { registry in
            guard let last = registry.lastError, Self.isAccountWide(last.error), now - last.at < 60 else { return nil }
            return last.error
        }
    }
}

extension SpoolFile {
    /// A transition with no effects to perform (the lock keeper's, the coordinator's bookkeeping).
    @discardableResult
    func mutate<Result>(_ body: (inout SpoolFileMachine) -> Result) -> Result {
        transition(NoEffects()) { machine in (body(&machine), []) }
    }
}

/// A context for transitions that ask for no effects (asserted: none may be lost).
private struct NoEffects: SpoolFileContext {
    var now: Double { MonotonicClock.now() }
    var draining: Bool { false }
    var logger: Logger { Logger(label: "fastiofs.write") }
    func fetchOriginal(of file: SpoolFile, version: String?, keep: Int64, into descriptor: Int32) throws(FSError) {
        throw FSError(EIO, detail: "no fetch in a bookkeeping transition")
    }
    func perform(_ effect: SpoolEffect, of file: SpoolFile) {
        assertionFailure("a bookkeeping transition asked for \(effect)")
    }
}
