import FastIO
import Foundation
import Logging

/// The upload workers: each takes a due file from the `UploadQueue`, freezes a snapshot, sends it
/// (a new file, a new version, or a conflict copy when the lock was lost and someone else changed
/// the file), then binds the node table and listings to what the server committed.
extension WriteCoordinator {
    /// Where an upload left the content.
    struct Placement: Sendable {
        let nodeID: String
        let version: String?
        let address: ServerAddress
        /// The original node as the server has it, when our bytes went to a conflict copy.
        let original: RemoteNode?
    }

    /// Retries of a rename or move that a file renamed during its first upload still needs.
    static let readdressAttempts = 3

    func startWorkers() {
        for index in 0..<max(1, workers) {
            let thread = Thread { [self] in
                while let file = queue.next() {
                    process(file)
                    // The queue drained: what the burst's uploads allocated goes back to the system
                    // (rate-limited by MemoryTrim; no walk over the spool files on this per-upload path).
                    if queue.isEmpty { memoryTrim.trimIfDue(now: clock.now()) }
                }
                progress.withLock { $0.liveWorkers -= 1 }
            }
            thread.name = "fastiofs-upload-\(index)"
            thread.stackSize = 1 << 20
            progress.withLock { $0.liveWorkers += 1 }
            thread.start()
        }
    }

    /// Unmount: every queued upload becomes due; waits up to `grace` seconds for the queue to
    /// empty, then stops the workers and the lock keeper. What is left stays journaled.
    func shutdown(grace: Double) {
        queue.drain()
        _ = waitIdle(timeout: grace, progress: nil)
        queue.stop()
        let stopped = progress.wait(until: Date(timeIntervalSinceNow: 5)) { $0.liveWorkers == 0 ? true : nil }
        if stopped == nil { logger.notice("upload workers still busy at unmount; their files stay journaled") }
        keeper.stop()
        let left = pendingTotals().files
        if left > 0 { logger.notice("unmounting with \(left) spooled file(s); the journal resumes them next mount") }
        cacheLock.release()
    }

    /// Waits until no file has changes the server lacks (false on timeout), reporting the totals
    /// whenever an upload ends and at least once a second.
    func waitIdle(timeout: Double, progress report: ((Int, Int64) -> Void)?) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            let seen = progress.peek { $0.events }
            let (count, bytes) = pendingTotals()
            if count == 0 { return true }
            report?(count, bytes)
            if Date() >= deadline { return false }
            _ = progress.wait(until: min(deadline, Date(timeIntervalSinceNow: 1))) { $0.events != seen ? true : nil }
        }
    }

    func pendingTotals() -> (files: Int, bytes: Int64) {
        let summary = queueSummary()
        return (summary.files, summary.bytes)
    }

    // MARK: - one upload

    /// One upload attempt of `file`'s current content.
    func process(_ file: SpoolFile) {
        defer { noteProgress() }
        var started: SpoolFileMachine.Snapshot?
        while started == nil {
            let now = clock.now()
            let draining = self.draining
            let start = file.transition(self) { machine -> (SpoolFileMachine.UploadStart, [SpoolEffect]) in
                let start = machine.startUpload(now: now, draining: draining, wallNow: Date())
                if case .nothing(let effects) = start { return (start, effects) }
                return (start, [])
            }
            switch start {
            case .nothing, .deferred: return
            case .notDue(let due):
                queue.schedule(file, due: due)
                return
            case .fetchFirst(let step):
                do {
                    try file.perform(step, self)
                } catch {
                    let failure = error
                    let later = clock.now()
                    file.apply(self) { $0.preparationFailed(failure, now: later, draining: draining) }
                    recordFailure(file, failure)
                    return
                }
            case .start(let snapshot):
                started = snapshot
            }
        }
        guard let snapshot = started else { return }
        do {
            let placement = try send(file, snapshot: snapshot)
            let now = clock.now()
            file.apply(self) { machine in
                machine.uploaded(snapshot, nodeID: placement.nodeID, version: placement.version,
                                 placedAt: placement.address, now: now)
            }
            if file.machine.isBinding { bind(file, snapshot: snapshot, placement: placement) }
            tallyUpload(bytes: snapshot.size)
            logger.debug("uploaded", metadata: ["name": "\(placement.address.name)", "bytes": "\(snapshot.size)"])
            let later = clock.now()
            let draining = self.draining
            file.apply(self) { $0.bound(now: later, draining: draining) }
        } catch {
            let failure = FSError.from(error)
            let permanent = UploadRefusal.isPermanent(error)
            if permanent, file.machine.nextRefusalConfirms, setAside(file, snapshot: snapshot, reason: failure) { return }
            let now = clock.now()
            let draining = self.draining
            file.apply(self) { $0.uploadFailed(snapshot, error: failure, permanent: permanent, now: now, draining: draining) }
            recordFailure(file, failure)
        }
    }

    /// A refusal confirmed: the newest bytes go to the unsent directory and the file stops being
    /// pending. False (logged) when they could not be moved: the upload is retried as before.
    private func setAside(_ file: SpoolFile, snapshot: SpoolFileMachine.Snapshot, reason: FSError) -> Bool {
        let (dataFile, size) = file.mutate { ($0.files.current, $0.size) }
        do {
            _ = try setAside(file, dataFile: dataFile, size: size, reason: reason)
        } catch {
            logger.error("cannot set aside the bytes of a refused upload; retrying it", metadata: [
                "name": "\(snapshot.address.name)", "error": "\(error)"])
            return false
        }
        let now = clock.now()
        file.apply(self) { $0.setAside(snapshot, dataFile: dataFile, reason: reason, now: now) }
        unregister(file, keepingHandles: true)
        overlay.removeSpooled(key: file.key)
        registry.withLock { $0.lastError = (reason, now) }
        return true
    }

    private func recordFailure(_ file: SpoolFile, _ error: FSError) {
        let now = clock.now()
        registry.withLock { $0.lastError = (error, now) }
        let machine = file.machine
        let metadata: Logger.Metadata = ["name": "\(machine.address.name)", "error": "\(error)",
                                         "retries": "\(machine.retries)"]
        if error.errno == EAGAIN {
            // Waiting for a name this mount is freeing: expected with lock-file renames, not a failure.
            logger.debug("upload waits", metadata: metadata)
        } else if Self.isStanding(error) {
            logger.error("upload refused by the server; the data stays in the journal and is retried", metadata: metadata)
        } else {
            logger.warning("upload failed; retrying", metadata: metadata)
        }
    }

    // MARK: - sending

    private func procedure(_ file: SpoolFile, _ snapshot: SpoolFileMachine.Snapshot, resume: Bool) -> UploadProcedure {
        UploadProcedure(
            writer: writer, profile: file.profile, path: spool.filePath(snapshot.dataFile), size: snapshot.size,
            resumeUploadID: resume ? snapshot.session?.uploadID : nil, logger: logger,
            onSession: { [self] id, chunk in file.apply(self) { $0.sessionStarted(uploadID: id, chunkSize: chunk) } },
            onProgress: { done in file.mutate { $0.uploadProgress(done) } })
    }

    /// The API calls for one snapshot: a new file, a new version, or a conflict copy.
    private func send(_ file: SpoolFile, snapshot: SpoolFileMachine.Snapshot) throws -> Placement {
        guard let remoteID = snapshot.remoteID else { return try placeNewFile(file, snapshot: snapshot) }
        let upload = procedure(file, snapshot, resume: true)
        if snapshot.mustCheckVersion {
            let current = try api.nodeDetails(file.profile, nodeID: remoteID)
            if current.version != snapshot.baseVersion {
                if try ContentHash.matches(serverHash: current.hash, algorithm: current.hashAlgo, path: upload.path,
                                           length: snapshot.size) {
                    logger.notice("the server already has this content (an earlier upload's answer was lost)",
                                  metadata: ["name": "\(snapshot.address.name)"])
                    return Placement(nodeID: remoteID, version: current.version, address: snapshot.address, original: nil)
                }
                let copy = ConflictName.make(snapshot.address.name, at: Date())
                logger.warning("the file changed on the server while our lock was lost; keeping both",
                               metadata: ["name": "\(snapshot.address.name)", "copy": "\(copy)"])
                let placed = try procedure(file, snapshot, resume: false).placeNewFile(name: copy, folderID: current.parentID)
                return Placement(nodeID: placed.nodeID, version: placed.version,
                                 address: ServerAddress(folderID: current.parentID, name: copy), original: current)
            }
        }
        let outcome = snapshot.isNote
            ? try upload.updateNote(nodeID: remoteID, name: snapshot.address.name)
            : try upload.replace(nodeID: remoteID, name: snapshot.address.name)
        return Placement(nodeID: outcome.nodeID, version: outcome.version, address: snapshot.address, original: nil)
    }

    /// A new file in its folder. When the name is taken: by a node of ours on its way out (try
    /// again shortly), by our own earlier attempt (its hash is ours: adopt it), or by someone else
    /// (keep both: ours goes in a conflict copy).
    private func placeNewFile(_ file: SpoolFile, snapshot: SpoolFileMachine.Snapshot) throws -> Placement {
        let address = snapshot.address
        let upload = procedure(file, snapshot, resume: true)
        do {
            let placed = try upload.placeNewFile(name: address.name, folderID: address.folderID)
            return Placement(nodeID: placed.nodeID, version: placed.version, address: address, original: nil)
        } catch where [EINVAL, EEXIST].contains(FSError.from(error).errno) {
            let folder = folderKey(file.profileIndex, address.folderID)
            let taken = try existingChild(file.profile, folderID: address.folderID, name: address.name)
            if taken.map({ overlay.isRemoving($0.id, from: folder, now: clock.now()) }) == true
                || overlay.namesPlacedAway(in: folder, except: file.key).contains(PosixName.encode(address.name)) {
                throw FSError(EAGAIN, detail: "the name is still held by a node this mount is removing")
            }
            guard let taken else {
                // Free now (its holder was just deleted), or the server refuses the name itself.
                if file.machine.retries < 3 { throw FSError(EAGAIN, detail: "the name was taken a moment ago") }
                throw error
            }
            if try ContentHash.matches(serverHash: taken.hash, algorithm: taken.hashAlgo, path: upload.path,
                                       length: snapshot.size) {
                logger.notice("adopting a node with our content (an earlier upload's answer was lost)",
                              metadata: ["name": "\(address.name)", "node": "\(taken.id)"])
                return Placement(nodeID: taken.id, version: taken.version, address: address, original: nil)
            }
            let copy = ConflictName.make(address.name, at: Date())
            logger.warning("name taken on the server; uploading a conflict copy",
                           metadata: ["name": "\(address.name)", "copy": "\(copy)"])
            let placed = try procedure(file, snapshot, resume: false).placeNewFile(name: copy, folderID: address.folderID)
            return Placement(nodeID: placed.nodeID, version: placed.version,
                             address: ServerAddress(folderID: address.folderID, name: copy), original: nil)
        }
    }

    /// The server's child `name` of `folderID`, as the server lists it (no overlay). A listing that
    /// makes no progress (`PagingProgress`) ends in EIO, logged.
    func existingChild(_ profile: StorageProfile, folderID: String, name: String) throws -> RemoteNode? {
        var progress = PagingProgress()
        var cursor: String?
        repeat {
            let page = try api.listFolder(profile, folderID: folderID, pageSize: FolderPager.pageSize, cursor: cursor)
            if let found = page.items.first(where: { $0.name == name }) { return found }
            do {
                try progress.admit(itemCount: page.items.count, nextCursor: page.nextCursor)
            } catch {
                logger.warning("listing of \(profile) folder \(folderID) ended with EIO: \(error.detail ?? "no progress")")
                throw error
            }
            cursor = page.nextCursor
        } while cursor != nil
        return nil
    }
}
