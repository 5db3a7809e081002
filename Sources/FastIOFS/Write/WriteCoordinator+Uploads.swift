import FastIO
import Foundation
import Logging

/// The upload queue: worker threads take queued files, freeze a snapshot, send it, then bind the
/// node to its server id (same inode) and drop the local copy once nothing newer waits.
extension WriteCoordinator {
    static let maximumBackoff: Double = 60

    /// How long a file some writer still has open must go unchanged before its upload starts (a
    /// close of another descriptor, as in `dd` or a shell redirection, queues it while the writing
    /// goes on: uploading then would freeze, copy and send the file again and again).
    static let openWriterQuiet: Double = 2

    /// Queues `file` (or wakes the workers: a queued file may have become due, its last writer gone).
    func enqueue(_ file: SpoolFile) {
        let add = file.state.withLock { state -> Bool in
            guard !state.queued else { return false }
            state.queued = true
            return true
        }
        wakeup.lock()
        if add { registry.withLock { $0.queue.append(file) } }
        wakeup.broadcast()
        wakeup.unlock()
    }

    /// The monotonic second at which `state`'s upload may start: its retry time, and while a writer
    /// has the file open (no `fsync` waiting, not unmounting) once it has been quiet for a while.
    static func uploadDue(_ state: SpoolFile.State, draining: Bool) -> Double {
        guard state.writers > 0, state.syncWanted <= state.durableGeneration, !draining else { return state.nextAttempt }
        return max(state.nextAttempt, state.lastChange + openWriterQuiet)
    }

    func startWorkers() {
        for index in 0..<workers {
            let thread = Thread { [self] in workerLoop() }
            thread.name = "fastiofs-upload-\(index)"
            thread.stackSize = 1 << 20
            registry.withLock { $0.liveWorkers += 1 }
            thread.start()
        }
    }

    /// Stops the workers (after the queue drained or the grace time passed) and the lock keeper.
    func shutdown(grace: Double) {
        wakeup.lock()
        registry.withLock { $0.draining = true }
        wakeup.broadcast()
        wakeup.unlock()
        _ = waitIdle(timeout: grace, progress: nil)
        wakeup.lock()
        registry.withLock { $0.stopping = true }
        wakeup.broadcast()
        wakeup.unlock()
        let deadline = MonotonicClock.now() + 5
        while registry.withLock({ $0.liveWorkers }) > 0 && MonotonicClock.now() < deadline { usleep(10_000) }
        let held = registry.withLock { Array(Set($0.files.values.map(ObjectIdentifier.init))).count }
        if held > 0 { logger.notice("unmounting with \(held) spooled file(s); the journal resumes them next mount") }
    }

    /// Waits until no file has changes the server lacks; false on timeout.
    func waitIdle(timeout: Double, progress: ((Int, Int64) -> Void)?) -> Bool {
        let deadline = MonotonicClock.now() + timeout
        while true {
            let (count, bytes) = pendingTotals()
            if count == 0 { return true }
            progress?(count, bytes)
            if MonotonicClock.now() > deadline { return false }
            usleep(50_000)
        }
    }

    func pendingTotals() -> (files: Int, bytes: Int64) {
        let files = registry.withLock { registry in
            Array(registry.files.values.reduce(into: [ObjectIdentifier: SpoolFile]()) { $0[ObjectIdentifier($1)] = $1 }.values)
        }
        var count = 0
        var bytes: Int64 = 0
        for file in files {
            let state = file.snapshotState()
            if !state.discarded && state.generation > state.durableGeneration {
                count += 1
                bytes += state.size - (state.uploading ? state.bytesDone : 0)
            }
        }
        return (count, bytes)
    }

    private func nextJob() -> SpoolFile? {
        wakeup.lock()
        defer { wakeup.unlock() }
        while true {
            let now = MonotonicClock.now()
            let (job, stopping, soonest) = registry.withLock { registry -> (SpoolFile?, Bool, Double?) in
                if registry.stopping { return (nil, true, nil) }
                var soonest: Double?
                for (index, file) in registry.queue.enumerated() {
                    let due = file.state.withLock { Self.uploadDue($0, draining: registry.draining) }
                    if due <= now {
                        registry.queue.remove(at: index)
                        return (file, false, nil)
                    }
                    soonest = min(soonest ?? due, due)
                }
                return (nil, false, soonest)
            }
            if stopping { return nil }
            if let job { return job }
            let wait = min(1, max(0.01, (soonest ?? (now + 1)) - now))
            _ = wakeup.wait(until: Date(timeIntervalSinceNow: wait))
        }
    }

    private func workerLoop() {
        while let file = nextJob() {
            file.state.withLock { $0.queued = false }
            process(file)
        }
        registry.withLock { $0.liveWorkers -= 1 }
    }

    /// One upload attempt of `file`'s current content.
    func process(_ file: SpoolFile) {
        let snapshot: SpoolFile.Snapshot
        do {
            guard let frozen = try file.beginUpload(fetch: fetcher(for: file)) else {
                finishIdle(file)
                return
            }
            snapshot = frozen
        } catch {
            fail(file, snapshot: nil, error: error)
            return
        }
        if snapshot.remoteID == nil {
            file.state.withLock { $0.placingAs = .init(folderID: snapshot.folderID, name: snapshot.name) }
        }
        // Until the node's placement is settled (bound, renamed, or deleted when discarded).
        defer {
            file.state.withLock { $0.placingAs = nil }
            _ = registry.withLock { $0.retiring.removeValue(forKey: ObjectIdentifier(file)) }
        }
        do {
            let outcome = try send(file, snapshot: snapshot)
            let more = file.finishUpload(snapshot, placedID: outcome.nodeID, version: outcome.version, error: nil)
            bind(file, snapshot: snapshot, outcome: outcome)
            file.state.withLock { $0.binding = false }
            logger.debug("uploaded", metadata: ["name": "\(snapshot.name)", "bytes": "\(snapshot.size)"])
            if more {
                try? writeJournal(file)
                enqueue(file)
            } else {
                journal.remove(file.key)
                finishIdle(file)
            }
        } catch {
            fail(file, snapshot: snapshot, error: FSError.from(error))
        }
    }

    private func fail(_ file: SpoolFile, snapshot: SpoolFile.Snapshot?, error: FSError) {
        if let snapshot { _ = file.finishUpload(snapshot, placedID: nil, version: nil, error: error) } else {
            file.state.withLock { $0.lastError = error; $0.retries += 1 }
        }
        let retries = file.state.withLock { state -> Int in
            let delay = min(Self.maximumBackoff, 0.5 * pow(2, Double(min(state.retries, 8) - 1)))
            state.nextAttempt = MonotonicClock.now() + delay
            return state.retries
        }
        registry.withLock { $0.lastError = (error, MonotonicClock.now()) }
        let name = file.snapshotState().name
        if error.errno == EAGAIN {
            // Waiting for a name this mount is freeing: expected with lock-file renames, not a failure.
            logger.debug("upload waits", metadata: ["name": "\(name)", "reason": "\(error)", "retries": "\(retries)"])
        } else if Self.isStanding(error) {
            logger.error("upload refused by the server; the data stays in the journal and is retried",
                         metadata: ["name": "\(name)", "error": "\(error)", "retries": "\(retries)"])
        } else {
            logger.warning("upload failed; retrying", metadata: ["name": "\(name)", "error": "\(error)",
                                                                 "retries": "\(retries)"])
        }
        enqueue(file)
    }

    /// The API calls for one snapshot: a new file, a new version, or a conflict copy when our lock
    /// was lost and someone else changed the file meanwhile.
    private func send(_ file: SpoolFile, snapshot: SpoolFile.Snapshot) throws -> UploadProcedure.Outcome {
        let profile = profiles[file.profileIndex].profile
        let state = file.snapshotState()
        let journalSession: @Sendable (String, Int64) -> Void = { [self] id, chunk in
            file.state.withLock { $0.uploadID = id; $0.chunkSize = chunk }
            try? writeJournal(file)
        }
        let procedure = UploadProcedure(writer: writer, profile: profile, snapshot: snapshot,
                                        resumeUploadID: state.uploadID, onSession: journalSession,
                                        onProgress: { done in file.state.withLock { $0.bytesDone = done } })
        guard let remoteID = snapshot.remoteID else {
            do {
                return try procedure.placeNewFile(name: snapshot.name, folderID: snapshot.folderID)
            } catch where [EINVAL, EEXIST].contains(FSError.from(error).errno) {
                // The name is taken: by a node of ours on its way out (try again shortly), by our own
                // earlier attempt that did arrive (adopt it), or by someone else (keep both).
                let taken = try existingChild(profile, folderID: snapshot.folderID, name: snapshot.name)
                if taken.map({ isDeleting($0.id) }) == true
                    || namesBeingPlacedAway(profileIndex: file.profileIndex, folderID: snapshot.folderID, except: file)
                        .contains(PosixName.encode(snapshot.name)) {
                    throw FSError(EAGAIN, detail: "the name is still held by a node this mount is removing")
                }
                guard let taken else {
                    // Free now (its holder was just deleted), or the server refuses the name itself.
                    if state.retries < 3 { throw FSError(EAGAIN, detail: "the name was taken a moment ago") }
                    throw error
                }
                if state.retries > 0, state.lastError?.errno != EAGAIN, taken.size == snapshot.size {
                    return UploadProcedure.Outcome(nodeID: taken.id, version: taken.version)
                }
                let copy = ConflictName.make(snapshot.name, at: Date())
                logger.warning("name taken on the server; uploading a conflict copy",
                               metadata: ["name": "\(snapshot.name)", "copy": "\(copy)"])
                file.state.withLock { state in
                    state.name = copy
                    state.placingAs = .init(folderID: snapshot.folderID, name: copy)
                }
                return try procedure.placeNewFile(name: copy, folderID: snapshot.folderID)
            }
        }
        if snapshot.lockLost || state.lock == nil {
            let current = try api.nodeDetails(profile, nodeID: remoteID)
            if let base = snapshot.baseVersion, current.version != base {
                let copy = ConflictName.make(snapshot.name, at: Date())
                logger.warning("the file changed on the server while our lock was lost; keeping both",
                               metadata: ["name": "\(snapshot.name)", "copy": "\(copy)"])
                _ = try procedure.placeNewFile(name: copy, folderID: current.parentID)
                // The original keeps the other writer's version; our bytes live in the copy.
                return UploadProcedure.Outcome(nodeID: remoteID, version: current.version)
            }
        }
        if snapshot.isNote { return try procedure.updateNote(nodeID: remoteID) }
        return try procedure.replace(nodeID: remoteID, name: snapshot.name)
    }

    private func existingChild(_ profile: StorageProfile, folderID: String, name: String) throws -> RemoteNode? {
        var cursor: String?
        repeat {
            let page = try api.listFolder(profile, folderID: folderID, pageSize: 500, cursor: cursor)
            if let found = page.items.first(where: { $0.name == name }) { return found }
            cursor = page.nextCursor
        } while cursor != nil
        return nil
    }

    /// After a commit: a pending node becomes `.remote(id)` under the same inode; the node table and
    /// the cached listing get the new size and version.
    private func bind(_ file: SpoolFile, snapshot: SpoolFile.Snapshot, outcome: UploadProcedure.Outcome) {
        let state = file.snapshotState()
        let remote = NodeIdentity.remote(profile: file.profileIndex, id: outcome.nodeID)
        let metadata = NodeMetadata(kind: .file, size: snapshot.size, mtime: state.mtime, version: outcome.version)
        registry.withLock { registry in
            if snapshot.remoteID == nil || registry.placements[file.key] != nil {
                registry.placements[file.key] = (outcome.nodeID, metadata)
            }
        }
        if snapshot.remoteID == nil {
            if state.discarded {
                // Deleted or renamed over while its upload ran: the node it placed goes to the trash.
                noteDeleting(outcome.nodeID)
                do {
                    try writer.delete(profiles[file.profileIndex].profile, nodeID: outcome.nodeID)
                } catch {
                    deleteFailed(outcome.nodeID)
                    logger.notice("could not trash the node of a file deleted while it uploaded",
                                  metadata: ["name": "\(state.name)", "error": "\(error)"])
                }
                return
            }
            registry.withLock { $0.files[remote] = file }
            if let ino = nodes.inode(of: file.pendingIdentity) {
                nodes.rebind(ino, to: remote, displacing: true, from: file.pendingIdentity)
            }
            // Renamed or moved while the first upload ran: apply it now.
            if state.name != snapshot.name || state.folderID != snapshot.folderID {
                let profile = profiles[file.profileIndex].profile
                if state.folderID != snapshot.folderID {
                    try? writer.move(profile, nodeID: outcome.nodeID, toParentID: state.folderID)
                }
                if state.name != snapshot.name { _ = try? writer.rename(profile, nodeID: outcome.nodeID, to: state.name) }
            }
        }
        // A cached listing of the folder may hold the file under its pending identity (merged from the
        // spool while the kernel had no inode for it): point it at the server node.
        let pending = file.pendingIdentity
        if let folder = nodes.inode(of: .remote(profile: file.profileIndex, id: state.folderID)) {
            listings.patch(folder) { entries in
                entries.map { $0.identity == pending ? ListedEntry(name: $0.name, identity: remote, metadata: metadata) : $0 }
            }
        }
        // A rename over another file may rebind the inode to that file at any moment: touch only
        // what still stands for this node.
        guard let ino = nodes.inode(of: remote) else { return }
        nodes.refresh(ino, metadata: metadata, at: MonotonicClock.now(), identity: remote)
        if let record = nodes.record(ino), record.identity == remote {
            listings.patch(record.parent) { entries in
                entries.map {
                    $0.name == record.name && ($0.identity == remote || $0.identity == pending)
                        ? ListedEntry(name: record.name, identity: remote, metadata: metadata) : $0
                }
            }
        }
    }

    private func finishIdle(_ file: SpoolFile) {
        // dropIfIdle keeps the file (and its lock) while a writer still has it open.
        dropIfIdle(file)
    }
}
