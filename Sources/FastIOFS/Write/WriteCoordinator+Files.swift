import FastIO
import Foundation
import Logging

/// Spool files from the operations' side: create, open for writing (lock first), handles, commit
/// (`close`), durability (`fsync`), discard (unlink) and readdress (rename).
extension WriteCoordinator {
    /// Seconds an open waits for a leaving spool file of the same node to finish releasing its lock.
    static let retireWait: Double = 60

    /// A new, empty file `name` in `target`, not on the server yet (uploaded after close), opened by
    /// `handle` for writing.
    func createFile(in target: FolderTarget, name: String, handle: UInt64) -> SpoolFile {
        let key = UUID().uuidString.lowercased()
        let now = clock.now()
        let mtime = FSTime(Date())
        let machine = SpoolFileMachine.created(key: key, address: ServerAddress(folderID: target.folderID, name: name),
                                               mtime: mtime, now: now)
        let file = SpoolFile(machine: machine, profileIndex: target.profileIndex,
                             profile: profiles[target.profileIndex].profile, spool: spool, journal: journal)
        register(file, as: file.pendingIdentity)
        rememberFolderPath(of: file)
        overlay.addSpooled(key: key, identity: file.pendingIdentity, in: folderKey(target.profileIndex, target.folderID),
                           name: PosixName.encode(name), metadata: NodeMetadata(kind: .file, size: 0, mtime: mtime))
        _ = attach(handle: handle, to: file, as: .writer)
        return file
    }

    /// The spool file of an existing server file opened for writing by `handle`, taking its lock
    /// first (EBUSY when someone else holds it). A spool file of the same node that is leaving is
    /// waited out (its lock release must not undo ours).
    func openExisting(profileIndex: Int, remoteID: String, folderID: String, name: String,
                      metadata: NodeMetadata, handle: UInt64) throws(FSError) -> SpoolFile {
        let identity = NodeIdentity.remote(profile: profileIndex, id: remoteID)
        let deadline = Date(timeIntervalSinceNow: Self.retireWait)
        var attached: SpoolFile?
        while attached == nil {
            let file = registry.withLock { registry -> SpoolFile in
                if let known = registry.byIdentity[identity] { return known }
                let machine = SpoolFileMachine.existing(
                    key: UUID().uuidString.lowercased(), remoteID: remoteID,
                    address: ServerAddress(folderID: folderID, name: name), size: metadata.size, mtime: metadata.mtime,
                    version: metadata.version)
                let created = SpoolFile(machine: machine, profileIndex: profileIndex,
                                        profile: profiles[profileIndex].profile, spool: spool, journal: journal)
                registry.byIdentity[identity] = created
                registry.all[ObjectIdentifier(created)] = created
                return created
            }
            if attach(handle: handle, to: file, as: .writer) {
                attached = file
                break
            }
            // Leaving: wait until it is gone, then take its slot.
            guard file.waitFor(until: deadline, { $0.phase == .retired ? true : nil }) == true else {
                throw FSError(EIO, detail: "a released spool file of \(name) stays registered")
            }
            registry.withLock { registry in
                if registry.byIdentity[identity] === file { registry.byIdentity[identity] = nil }
            }
        }
        guard let file = attached else { throw FSError(EIO) }
        rememberFolderPath(of: file)
        do {
            try markIfNote(file, remoteID: remoteID)
            try ensureLock(file)
        } catch {
            detach(handle: handle)
            throw error
        }
        return file
    }

    /// Counts a new handle of `file`; false when the file is leaving (open a fresh one).
    func attach(handle: UInt64, to file: SpoolFile, as role: SpoolFileMachine.Role) -> Bool {
        guard file.mutate({ $0.attach(role) }) else { return false }
        registry.withLock { $0.byHandle[handle] = (file, role) }
        return true
    }

    /// `release` of a handle. Once the last writer is gone (the machine then queues what is dirty),
    /// what no flush committed (a write through another path after the last flush) is committed
    /// too; a failure there is logged, and the upload goes ahead all the same.
    func detach(handle: UInt64) {
        guard let (file, role) = registry.withLock({ $0.byHandle.removeValue(forKey: handle) }) else { return }
        let now = clock.now()
        let draining = self.draining
        file.apply(self) { $0.detach(role, now: now, draining: draining) }
        let machine = file.machine
        if role == .writer, machine.writers == 0, machine.generation > max(machine.committed, machine.durable),
           !machine.isDiscarded, !machine.isLeaving {
            do {
                try file.commit(context: self)
            } catch {
                logger.error("close could not make the last changes crash-safe; they are uploaded all the same",
                             metadata: ["name": "\(machine.address.name)", "error": "\(error)"])
            }
        }
        if file.machine.isLeaving { noteProgress() }
    }

    // MARK: - durability

    /// `close`/`flush`: the bytes are on local disk and journaled, and the upload is queued. A
    /// standing server error (quota, permission ...) is reported here, with the data kept.
    func commitLocally(_ file: SpoolFile) throws(FSError) {
        try file.commit(context: self)
        if let standing = standingError(for: file) { throw standing }
    }

    /// `fsync`: returns once everything written so far is durable on the server.
    func waitDurable(_ file: SpoolFile, timeout: Double = 600) throws(FSError) {
        let target = file.mutate { machine -> UInt64 in
            machine.syncWanted = max(machine.syncWanted, machine.generation)
            return machine.generation
        }
        try file.commit(context: self)
        // Queued already with the quiet delay of an open writer: due now.
        let machine = file.machine
        if machine.phase == .queued { queue.schedule(file, due: machine.uploadDue(draining: draining)) }
        let deadline = Date(timeIntervalSinceNow: timeout)
        let outcome = file.waitFor(until: deadline) { machine -> Result<Void, FSError>? in
            if machine.isDiscarded || machine.isLeaving { return .success(()) }
            if machine.durable >= target && !machine.isBinding { return .success(()) }
            if let error = machine.lastError, Self.isStanding(error) { return .failure(error) }
            return nil
        }
        guard let outcome else { throw FSError(EIO, detail: "upload did not finish in \(Int(timeout)) s") }
        try outcome.get()
    }

    // MARK: - namespace

    /// Forgets a file's local content (unlink, or the source of a rename over a file). Returns the
    /// server id the caller must trash (nil: never placed, or its running upload trashes it).
    func discard(_ identity: NodeIdentity) -> String? {
        guard let file = file(identity) else {
            if case .remote(_, let id) = identity { return id }
            if case .remote(_, let id)? = overlay.alias(of: identity)?.identity { return id }
            return nil
        }
        let now = clock.now()
        let remoteID = file.transition(self) { machine in machine.discard(now: now) }
        unregister(file, keepingHandles: true)
        overlay.removeSpooled(key: file.key)
        if case .discarded(.some(let snapshot)) = file.machine.phase, snapshot.remoteID == nil {
            // Its upload is placing it right now: hide that name until the uploader trashed it.
            overlay.notePlacingAway(key: file.key, in: folderKey(file.profileIndex, snapshot.address.folderID),
                                    name: PosixName.encode(snapshot.address.name))
        }
        noteProgress()
        if case .remote(_, let id) = identity { return id }
        return remoteID
    }

    /// Where a rename of a spooled file must go; the overlay follows at once.
    func readdress(_ file: SpoolFile, to target: FolderTarget, name: String) -> SpoolFileMachine.Readdress {
        let address = ServerAddress(folderID: target.folderID, name: name)
        // While its upload binds (and may move the node to where it was renamed before), wait.
        let (outcome, effects) = file.waitTransition { machine -> (SpoolFileMachine.Readdress, [SpoolEffect])? in
            let answer = machine.readdress(to: address)
            return answer.0 == .wait ? nil : answer
        }
        file.perform(effects, self)
        rememberFolderPath(of: file)
        switch outcome {
        case .local:
            overlay.addSpooled(key: file.key, identity: file.pendingIdentity, in: folderKey(target.profileIndex, target.folderID),
                               name: PosixName.encode(name), metadata: NodeMetadata(kind: .file, size: file.machine.size,
                                                                                  mtime: file.machine.mtime))
        case .placingAway(let old):
            overlay.addSpooled(key: file.key, identity: file.pendingIdentity, in: folderKey(target.profileIndex, target.folderID),
                               name: PosixName.encode(name), metadata: NodeMetadata(kind: .file, size: file.machine.size,
                                                                                  mtime: file.machine.mtime))
            overlay.notePlacingAway(key: file.key, in: folderKey(file.profileIndex, old.folderID),
                                    name: PosixName.encode(old.name))
        case .placed, .wait:
            break
        }
        return outcome
    }

    // MARK: - locks

    /// Takes the server lock of `file` unless held (or lost: the keeper retakes it, and the upload
    /// compares versions). Another opener acquiring it meanwhile is waited for.
    func ensureLock(_ file: SpoolFile) throws(FSError) {
        let step = file.waitTransition { machine -> SpoolFileMachine.LockStep? in
            let step = machine.beginLockAcquire()
            return step == .wait ? nil : step
        }
        guard step == .acquire, let remoteID = file.machine.remoteID else { return }
        var grant: LockGrant?
        var failure: FSError?
        do {
            grant = try writer.acquireLock(file.profile, nodeID: remoteID, durationSeconds: SpoolFileMachine.lockDuration,
                                           clientInfo: Self.clientInfo)
        } catch {
            failure = FSError.from(error)
        }
        let now = clock.now()
        let draining = self.draining
        let timing = SpoolFileMachine.LockTiming(expiresAt: grant?.expiresAt, wallNow: Date())
        file.apply(self) { $0.lockAcquired(grant, timing: timing, now: now, draining: draining) }
        if let failure {
            if failure.errno == EBUSY {
                logger.warning("cannot open for writing: the file is locked by another user",
                               metadata: ["name": "\(file.machine.address.name)", "node": "\(remoteID)",
                                          "holder": "\(failure.detail ?? "another user")"])
            }
            throw failure
        }
    }

    /// Names this host and fastiofs' version in every lock we take.
    static let clientInfo: LockClientInfo = {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown host"
        return LockClientInfo(deviceName: host, clientVersion: "fastiofs \(FastIOFSVersion.current)")
    }()

    /// What the lock keeper asks of the server.
    func lockServer() -> LockKeeper.Server {
        let writer = self.writer
        let api = self.api
        let logger = self.logger
        return LockKeeper.Server(
            heartbeat: { file, nodeID, grant in
                try writer.heartbeatLock(file.profile, nodeID: nodeID, lockToken: grant.lockToken)
            },
            acquire: { file, nodeID in
                try writer.acquireLock(file.profile, nodeID: nodeID, durationSeconds: SpoolFileMachine.lockDuration,
                                       clientInfo: Self.clientInfo)
            },
            version: { file, nodeID in try api.nodeDetails(file.profile, nodeID: nodeID).version },
            release: { file, nodeID, grant in
                do {
                    try writer.releaseLock(file.profile, nodeID: nodeID, lockToken: grant.lockToken)
                } catch {
                    logger.debug("lock release failed (it expires by itself)",
                                 metadata: ["node": "\(nodeID)", "error": "\(error)"])
                }
            },
            perform: { [weak self] file, effects in
                guard let self else { return }
                file.perform(effects, self)
            })
    }
}
