import FastIO
import Foundation

/// A name in a server folder.
struct ServerAddress: Sendable, Hashable {
    var folderID: String
    var name: String
}

/// The life of one file being written through the mount, as a pure state machine: every event is a
/// mutating method that changes the state and answers what the caller must do (a `Step` to perform
/// on its own thread, or `SpoolEffect`s for the driver). No method reads a clock, touches a file or
/// the network; `SpoolFile` performs what they answer outside any lock.
///
/// Three axes, each an enum: `content` (where the bytes are: on the server only, being fetched, in
/// the data file, being copied away from a frozen upload), `phase` (the upload pipeline: idle,
/// queued, deferred, uploading, binding, discarded, retiring, retired) and `lock` (the server lock:
/// none, acquiring, held with its heartbeat due time, lost). Clean and dirty are not states of their
/// own but follow from the generation counters.
///
/// Invariants:
/// - `committed <= generation` and `durable <= generation`; the file is dirty iff `generation > durable`.
/// - Exactly one thread fetches (`.materializing`) or copies (`.copying`); changes wait meanwhile.
/// - `files.frozen` is the data file an upload reads, or whose chunks a resumable session holds: it
///   is never written (a change copies it first), so a resumed session never mixes contents.
/// - A data file is deleted only when it is not current, frozen, journaled, nor pinned by a read or
///   a commit in flight; every data file the machine made is in `files.known` until an effect deletes
///   it (or a refused upload sets it aside).
/// - A removal or update of the journal record is published only while it still holds (nothing a
///   commit covered is lost to a decision taken before that commit landed).
/// - Journal records are published in sequence order (`journal.published` only grows), so an older
///   record never replaces a newer one, and none is published after a removal.
/// - `.uploading`/`.binding` belong to one upload worker; `.retiring`/`.retired` have no handle, no
///   change in flight and nothing left to upload.
/// - The server lock is acquired by one thread at a time and never while it is being released
///   (`.releasing`): the server hands one user the same token, so a late release would drop it.
struct SpoolFileMachine: Sendable, Equatable {
    /// Seconds a file some writer still has open must go unchanged before its upload starts.
    static let openWriterQuiet: Double = 2
    static let maximumBackoff: Double = 60
    static let lockDuration = 120

    // MARK: - state

    enum Content: Sendable, Equatable {
        /// Nothing local: the content is the server version `baseVersion` cut to `keep` bytes, then
        /// extended with zeros to `size`.
        case remote(keep: Int64)
        /// One thread fetches the first `keep` original bytes into the current data file.
        case materializing(keep: Int64)
        /// The current data file holds the content.
        case local
        /// One thread fills data file `to`: a copy of the frozen file before a change, or the whole
        /// new content of a replacement. If that fails the content is `previous` again.
        indirect case copying(to: String, previous: Content)
    }

    enum Phase: Sendable, Equatable {
        /// Not in the upload queue: clean, or dirty and waiting for a commit.
        case idle
        /// In the upload queue (`UploadQueue` holds its due time).
        case queued
        /// Due, but a change or fetch was in flight: queued again when it ends.
        case deferred
        /// One worker uploads `snapshot`; changes made meanwhile raise `generation` past it.
        case uploading(Snapshot)
        /// The server committed `snapshot`; the worker is updating the node table.
        case binding(Snapshot)
        /// Unlinked or renamed over: nothing more is uploaded. `uploading`: an upload still runs (its
        /// worker reports with `uploaded`/`bound` or `uploadFailed`); a node it places for a new file
        /// goes to the trash.
        case discarded(uploading: Snapshot?)
        /// Leaving: its lock is being released; no handle may attach.
        case retiring
        /// Gone from the registry.
        case retired
    }

    enum LockState: Sendable, Equatable {
        /// Not held: a new file, a resumed upload, or released after the commit.
        case none
        /// One thread is acquiring it; other openers wait.
        case acquiring
        /// Held; its next heartbeat is due at `due` (monotonic seconds); the server lets it lapse at
        /// `expires` (wall clock: a suspended machine's monotonic clock stands still, the lock's does not).
        case held(LockGrant, due: Double, expires: Date)
        /// It could not be renewed: someone else may have changed the file, so the upload compares
        /// the server's version first. The keeper tries to take it again.
        case lost
        /// Being given back: an acquire waits until the release is done (the server hands the same
        /// user the same token, so a late release would drop the new lock).
        case releasing
    }

    struct DataFiles: Sendable, Equatable {
        /// The file changes go to (it may not exist yet while the content is remote).
        var current: String
        /// The file an upload reads.
        var frozen: String?
        /// The file the published journal record names.
        var journaled: String?
        /// Files a commit in flight is syncing and about to name in a record.
        var pinned: [String: Int] = [:]
        /// Every file made and not deleted yet.
        var known: Set<String>
        var made = 0
    }

    struct JournalState: Sendable, Equatable {
        /// The last sequence number handed out.
        var issued: UInt64 = 0
        /// The sequence of the record on disk (or of its removal); only grows.
        var published: UInt64 = 0
        /// A record is on disk.
        var present = false
    }

    /// A chunked upload session under way for one data file's content (resumable after a crash).
    struct ChunkedSession: Sendable, Equatable {
        var uploadID: String
        var chunkSize: Int64
        var dataFile: String
    }

    /// What one upload sends: a frozen data file and where it goes.
    struct Snapshot: Sendable, Equatable {
        let dataFile: String
        let size: Int64
        let generation: UInt64
        let remoteID: String?
        let address: ServerAddress
        let baseVersion: String?
        /// The server lock was not held without a break since `baseVersion`: compare versions first.
        let mustCheckVersion: Bool
        let isNote: Bool
        let session: ChunkedSession?
    }

    let key: String
    var address: ServerAddress
    var remoteID: String?
    var baseVersion: String?
    var isNote: Bool
    var content: Content
    var phase: Phase = .idle
    var lock: LockState = .none
    var size: Int64
    var mtime: FSTime
    var generation: UInt64 = 0
    var committed: UInt64 = 0
    var durable: UInt64 = 0
    /// The newest generation an `fsync` waits for (uploaded even while writers keep the file open).
    var syncWanted: UInt64 = 0
    /// Monotonic second of the last change.
    var lastChange: Double = 0
    var changesInFlight = 0
    var writers = 0
    var readers = 0
    var files: DataFiles
    var journal = JournalState()
    var session: ChunkedSession?
    var retries = 0
    /// Permanent refusals in a row (`UploadRefusal`); reset by anything else.
    var refusals = 0
    var lastError: FSError?
    var nextAttempt: Double = 0
    var bytesDone: Int64 = 0

    /// An existing server file opened for writing: nothing local until the first change.
    static func existing(key: String, remoteID: String, address: ServerAddress, size: Int64, mtime: FSTime,
                         version: String?) -> SpoolFileMachine {
        SpoolFileMachine(key: key, address: address, remoteID: remoteID, baseVersion: version, isNote: false,
                         content: .remote(keep: size), size: size, mtime: mtime,
                         files: DataFiles(current: key + ".0", known: [key + ".0"]))
    }

    /// A file created on the mount: empty, local, one change (its creation) to upload.
    static func created(key: String, address: ServerAddress, mtime: FSTime, now: Double) -> SpoolFileMachine {
        var machine = SpoolFileMachine(key: key, address: address, remoteID: nil, baseVersion: nil, isNote: false,
                                       content: .local, size: 0, mtime: mtime,
                                       files: DataFiles(current: key + ".0", known: [key + ".0"]))
        machine.generation = 1
        machine.lastChange = now
        return machine
    }

    /// A journaled upload of an earlier mount, queued: its data file, as it is now, is the content
    /// to send. No lock survives a restart, so an update compares versions first.
    static func resumed(_ record: JournalRecord, size: Int64, mtime: FSTime) -> SpoolFileMachine {
        // Data files are named `<key>.<n>`: new ones continue after the journaled one's number.
        let made = record.dataFile.hasPrefix(record.key + ".") ? Int(record.dataFile.dropFirst(record.key.count + 1)) : nil
        var machine = SpoolFileMachine(
            key: record.key, address: ServerAddress(folderID: record.folderID, name: record.name),
            remoteID: record.remoteID, baseVersion: record.baseVersion, isNote: record.isNote ?? false,
            content: .local, size: size, mtime: mtime,
            files: DataFiles(current: record.dataFile, journaled: record.dataFile, known: [record.dataFile],
                             made: max(0, made ?? 0)))
        machine.generation = 1
        machine.committed = 1
        machine.journal = JournalState(issued: 1, published: 1, present: true)
        machine.lock = record.remoteID == nil ? .none : .lost
        machine.phase = .queued
        if let uploadID = record.uploadID, let chunkSize = record.chunkSize,
           (record.sessionDataFile ?? record.dataFile) == record.dataFile {
            machine.session = ChunkedSession(uploadID: uploadID, chunkSize: chunkSize, dataFile: record.dataFile)
            machine.files.frozen = record.dataFile
        }
        return machine
    }

    // MARK: - derived

    var isDirty: Bool { generation > durable }
    var isDiscarded: Bool { if case .discarded = phase { return true }; return false }
    var isLeaving: Bool { phase == .retiring || phase == .retired }
    var isUploading: Bool { if case .uploading = phase { return true }; return false }
    var isBinding: Bool { if case .binding = phase { return true }; return false }
    /// Local bytes differ from the server's, or a writer has it open (size and mtime come from here).
    var overridesServerAttributes: Bool { !isLeaving && !isDiscarded && (generation > 0 || writers > 0) }
    /// Counted as pending by status and unmount.
    var isPending: Bool { !isLeaving && !isDiscarded && isDirty }

    /// The monotonic second from which an upload may start: the retry time, and while a writer has
    /// the file open (no `fsync` waiting, not unmounting) once it has been quiet for a while.
    func uploadDue(draining: Bool) -> Double {
        guard writers > 0, syncWanted <= durable, !draining else { return nextAttempt }
        return max(nextAttempt, lastChange + Self.openWriterQuiet)
    }

    // MARK: - handles

    enum Role: Sendable { case writer, reader }

    /// A handle opens the file; false when the file is leaving (open a fresh one).
    mutating func attach(_ role: Role) -> Bool {
        guard !isLeaving else { return false }
        switch role {
        case .writer: writers += 1
        case .reader: readers += 1
        }
        return true
    }

    /// A handle closes. The last writer of a dirty file queues its upload (uncommitted changes
    /// included: nothing is stranded); a clean file with no writer releases its lock; an unused one
    /// retires.
    mutating func detach(_ role: Role, now: Double, draining: Bool) -> [SpoolEffect] {
        switch role {
        case .writer: writers = max(0, writers - 1)
        case .reader: readers = max(0, readers - 1)
        }
        return settle(now: now, draining: draining)
    }

    // MARK: - changes (write, truncate, replace)

    /// What a thread must do before it may change (or read) the data file.
    enum Step: Sendable, Equatable {
        /// Go ahead with data file `dataFile`; report the end with `endChange` (changes only).
        case proceed(dataFile: String)
        /// Fetch the first `keep` bytes of version `version` into `dataFile` (truncated to `size`
        /// after), then report with `materialized`.
        case fetchOriginal(keep: Int64, version: String?, dataFile: String, size: Int64)
        /// Copy `length` bytes of `from` into the new file `to`, then report with `copied`.
        case copy(from: String, to: String, length: Int64)
        /// Write the whole new content into the new file `dataFile`, then report with
        /// `copied(replacedSize:)`.
        case fill(dataFile: String)
        /// Another thread is fetching or copying: wait for a change of state and ask again.
        case wait
        /// Nothing to do (reads: the server's bytes are current; commits: nothing new).
        case nothing
    }

    /// Before a write or truncate: the content must be local and not frozen.
    mutating func beginChange() -> Step {
        switch content {
        case .materializing, .copying: return .wait
        case .remote(let keep): return startMaterializing(keep: keep)
        case .local:
            if files.frozen == files.current {
                let copy = nextDataFile()
                content = .copying(to: copy, previous: .local)
                return .copy(from: files.current, to: copy, length: size)
            }
            changesInFlight += 1
            return .proceed(dataFile: files.current)
        }
    }

    enum Change: Sendable, Equatable {
        /// Bytes written up to `end`.
        case write(end: Int64)
        /// Cut or extended to `size`.
        case truncate(size: Int64)
    }

    /// A change that `beginChange` let through has been applied to the data file (or failed).
    mutating func endChange(_ change: Change?, mtime: FSTime, now: Double, draining: Bool) -> [SpoolEffect] {
        changesInFlight = max(0, changesInFlight - 1)
        if let change {
            switch change {
            case .write(let end): size = max(size, end)
            case .truncate(let newSize): size = newSize
            }
            touch(mtime: mtime, now: now)
        }
        return changesInFlight == 0 ? resumeDeferred(now: now, draining: draining) : []
    }

    /// `truncate` while nothing is local: no fetch, only fewer original bytes to keep. False when the
    /// content is local or on its way (then truncate like any change).
    mutating func truncateRemote(to newSize: Int64, mtime: FSTime, now: Double) -> Bool {
        guard case .remote(let keep) = content else { return false }
        content = .remote(keep: min(keep, newSize))
        size = newSize
        touch(mtime: mtime, now: now)
        return true
    }

    /// Before a read of local bytes: `.nothing` when the server's version is the content (nothing
    /// local yet, or the file is leaving). A `.proceed` pins its data file until `endRead`.
    mutating func beginRead() -> Step {
        // Leaving: its data is going away, and the server has all of it.
        guard !isLeaving else { return .nothing }
        switch content {
        case .remote(let keep):
            guard generation > 0 else { return .nothing }
            return startMaterializing(keep: keep)
        case .materializing, .copying: return .wait
        case .local:
            files.pinned[files.current, default: 0] += 1
            return .proceed(dataFile: files.current)
        }
    }

    /// The read `beginRead` let through is done.
    mutating func endRead(_ dataFile: String, now: Double, draining: Bool) -> [SpoolEffect] {
        unpin(dataFile)
        return obsoleteFiles() + settleIfUnused(now: now, draining: draining)
    }

    /// The fetch of `materializing` ended.
    mutating func materialized(_ error: FSError?, now: Double, draining: Bool) -> [SpoolEffect] {
        guard case .materializing(let keep) = content else { return [] }
        content = error == nil ? .local : .remote(keep: keep)
        guard changesInFlight == 0 else { return [] }
        return resumeDeferred(now: now, draining: draining) + settleIfUnused(now: now, draining: draining)
    }

    /// Replaces the whole content (a rename over this file): the caller fills the new data file
    /// outside the lock and reports with `copied(replacedSize:)`.
    mutating func beginReplace() -> Step {
        switch content {
        case .materializing, .copying: return .wait
        case .remote, .local:
            guard changesInFlight == 0 else { return .wait }
            let fresh = nextDataFile()
            content = .copying(to: fresh, previous: content)
            return .fill(dataFile: fresh)
        }
    }

    /// The copy (or replacement) into `copying(to:)` ended; `replacedSize` is set for a replacement.
    mutating func copied(_ error: FSError?, replacedSize: Int64?, mtime: FSTime, now: Double,
                         draining: Bool) -> [SpoolEffect] {
        guard case .copying(let target, let previous) = content else { return [] }
        if error != nil {
            content = previous
        } else {
            files.current = target
            content = .local
            if let replacedSize {
                size = replacedSize
                touch(mtime: mtime, now: now)
            }
        }
        var effects = obsoleteFiles()
        if changesInFlight == 0 {
            effects += resumeDeferred(now: now, draining: draining) + settleIfUnused(now: now, draining: draining)
        }
        return effects
    }

    // MARK: - commit (close, fsync)

    /// A commit to write: sync `dataFile`, then publish `record` under `sequence`.
    struct Commit: Sendable, Equatable {
        let dataFile: String
        let generation: UInt64
        let sequence: UInt64
        let record: JournalRecordFields
    }

    enum CommitStep: Sendable, Equatable {
        case commit(Commit)
        /// Fetch the original bytes first (a truncate left the content remote), then commit again.
        case fetchFirst(Step)
        case wait
        /// Nothing new to make durable.
        case nothing
    }

    /// `close`/`fsync`: make the bytes written so far survive a crash. The upload is queued once the
    /// record is published (`endCommit`).
    mutating func beginCommit() -> CommitStep {
        // Nothing to make crash-safe: journaled already, or everything is on the server.
        guard !isDiscarded, !isLeaving, generation > committed, generation > durable else { return .nothing }
        switch content {
        case .materializing, .copying: return .wait
        case .remote(let keep):
            return .fetchFirst(startMaterializing(keep: keep))
        case .local:
            let sequence = issueSequence()
            files.pinned[files.current, default: 0] += 1
            return .commit(Commit(dataFile: files.current, generation: generation, sequence: sequence,
                                  record: recordFields(dataFile: files.current)))
        }
    }

    /// Whether a record of `sequence` may be put on disk now (newer than what is there, and the file
    /// not discarded nor leaving): the driver renames it into place under the lock when true.
    func mayWriteRecord(_ sequence: UInt64) -> Bool {
        sequence > journal.published && !isDiscarded && !isLeaving
    }

    /// Whether the removal of `sequence` may unlink the record: nothing newer was written since, and
    /// what the record covers is still on the server (a commit that landed after the removal was
    /// decided would otherwise lose its record), or the file is gone.
    func mayRemoveRecord(_ sequence: UInt64) -> Bool {
        sequence > journal.published && (durable >= committed || isDiscarded || isLeaving)
    }

    /// Whether an update of the record (not a commit) may be published: newer than what is on disk,
    /// and still about the data file the record names (a commit that landed meanwhile names a newer
    /// one; its own follow-up carries the newer facts).
    func mayUpdateRecord(_ sequence: UInt64, dataFile: String) -> Bool {
        mayWriteRecord(sequence) && journal.present && files.journaled == dataFile
    }

    /// The record was unlinked under `sequence`.
    mutating func recordRemoved(_ sequence: UInt64) {
        journal.published = max(journal.published, sequence)
        journal.present = false
    }

    /// The commit of `commit` ended: `published` when its record is on disk. A commit whose record a
    /// newer one superseded before it was written is not counted: the caller commits again.
    mutating func endCommit(_ commit: Commit, published: Bool, now: Double, draining: Bool) -> [SpoolEffect] {
        unpin(commit.dataFile)
        var effects: [SpoolEffect] = []
        if published {
            journal.published = commit.sequence
            journal.present = true
            files.journaled = commit.dataFile
            committed = max(committed, commit.generation)
            // Renamed, placed or given a session while this commit was written: say so too.
            if recordFields(dataFile: commit.dataFile) != commit.record, let update = recordUpdate() {
                effects.append(.writeJournal(sequence: update.sequence, record: update.record))
            }
        }
        effects += obsoleteFiles()
        if phase == .idle, isDirty, !isDiscarded { effects += queue(now: now, draining: draining) }
        return effects + settleIfUnused(now: now, draining: draining)
    }

    /// A journal record written outside a commit (an upload session started, a rename, a placement):
    /// nil when the file has no record to keep up to date.
    mutating func recordUpdate() -> (sequence: UInt64, record: JournalRecordFields)? {
        guard journal.present, !isDiscarded, !isLeaving, let journaled = files.journaled else { return nil }
        return (issueSequence(), recordFields(dataFile: journaled))
    }

    /// An out-of-commit record of `sequence` was published (or not).
    mutating func recordUpdated(_ sequence: UInt64, published: Bool) {
        if published { journal.published = max(journal.published, sequence) }
    }

    // MARK: - uploads

    enum UploadStart: Sendable, Equatable {
        /// Upload this snapshot now; report with `uploaded` or `uploadFailed`.
        case start(Snapshot)
        /// Not yet: queue it again for `due`.
        case notDue(Double)
        /// Fetch the original bytes first (on the worker), then ask again.
        case fetchFirst(Step)
        /// A change or fetch is in flight: it queues the file again when it ends.
        case deferred
        /// Nothing to send (clean, discarded or leaving); `effects` settle the file.
        case nothing([SpoolEffect])
    }

    /// An upload worker took the file from the queue (`wallNow`: to tell a lapsed lock).
    mutating func startUpload(now: Double, draining: Bool, wallNow: Date = .distantPast) -> UploadStart {
        guard phase == .queued else { return .nothing([]) }
        guard isDirty else {
            phase = .idle
            return .nothing(settle(now: now, draining: draining))
        }
        let due = uploadDue(draining: draining)
        if due > now { return .notDue(due) }
        switch content {
        case .remote(let keep):
            return .fetchFirst(startMaterializing(keep: keep))
        case .materializing, .copying:
            phase = .deferred
            return .deferred
        case .local:
            if changesInFlight > 0 {
                phase = .deferred
                return .deferred
            }
        }
        // Without the lock held since `baseVersion` (never taken, lost, or lapsed unnoticed),
        // someone else may have committed meanwhile. A file this mount placed itself has no known
        // version (the placement does not say): nothing to compare, and nobody had it before us.
        let mustCheck: Bool
        switch lock {
        case .held: mustCheck = lockLapsed(wallNow: wallNow) && remoteID != nil && baseVersion != nil
        case .none, .acquiring, .lost, .releasing: mustCheck = remoteID != nil && baseVersion != nil
        }
        if session?.dataFile != files.current {
            // Its chunks are of content that changed since (copied away): of no use.
            session = nil
        }
        let resumable = session
        let snapshot = Snapshot(dataFile: files.current, size: size, generation: generation, remoteID: remoteID,
                                address: address, baseVersion: baseVersion, mustCheckVersion: mustCheck,
                                isNote: isNote, session: resumable)
        files.frozen = files.current
        phase = .uploading(snapshot)
        bytesDone = 0
        return .start(snapshot)
    }

    /// A chunked session was created for the running upload: journaled (when the record names the
    /// frozen file), so that a crash resumes it instead of sending every chunk again.
    mutating func sessionStarted(uploadID: String, chunkSize: Int64) -> [SpoolEffect] {
        guard case .uploading(let snapshot) = phase else { return [] }
        session = ChunkedSession(uploadID: uploadID, chunkSize: chunkSize, dataFile: snapshot.dataFile)
        guard files.journaled == snapshot.dataFile, let update = recordUpdate() else { return [] }
        return [.writeJournal(sequence: update.sequence, record: update.record)]
    }

    mutating func uploadProgress(_ bytes: Int64) {
        if isUploading { bytesDone = bytes }
    }

    /// The server committed the snapshot as node `nodeID` at `version`, placed at `placedAt`. A new
    /// file may have been placed under a conflict name; an existing file whose lock was lost while
    /// someone else changed it gets its bytes in a conflict copy (another node), and from then on
    /// this spool file stands for that copy. Next: the worker binds (`bound`), or trashes the node a
    /// discarded new file placed.
    mutating func uploaded(_ snapshot: Snapshot, nodeID: String, version: String?, placedAt: ServerAddress,
                           now: Double) -> [SpoolEffect] {
        var effects: [SpoolEffect] = []
        files.frozen = nil
        session = nil
        lastError = nil
        retries = 0
        refusals = 0
        bytesDone = snapshot.size
        if case .discarded(let running) = phase {
            if running == snapshot, snapshot.remoteID == nil { effects.append(.trashPlaced(nodeID: nodeID)) }
            return effects + obsoleteFiles()
        }
        guard phase == .uploading(snapshot) else { return effects + obsoleteFiles() }
        durable = max(durable, snapshot.generation)
        defer { phase = .binding(snapshot) }
        if let original = snapshot.remoteID, nodeID != original {
            // A conflict copy: the original's lock (if any came back) is of no use any more.
            effects += giveUpLock(of: original)
            address = placedAt
        } else if address == snapshot.address {
            // Not renamed meanwhile: the name it got is its name (a conflict name for a new file).
            address = placedAt
        }
        remoteID = nodeID
        baseVersion = version
        // Newer commits wait: their record learns the node and version now, before anything it
        // covered is deleted (a crash must not make a conflict copy of our own upload).
        if durable < committed, let update = recordUpdate() {
            effects.append(.writeJournal(sequence: update.sequence, record: update.record))
        }
        return effects + obsoleteFiles()
    }

    /// Whether one more permanent refusal confirms it (the worker then sets the bytes aside).
    var nextRefusalConfirms: Bool { refusals + 1 >= UploadRefusal.confirmations }

    /// The upload of `snapshot` failed (it is retried with backoff); `permanent`: a refusal retrying
    /// cannot change, counted until confirmed.
    mutating func uploadFailed(_ snapshot: Snapshot, error: FSError, permanent: Bool = false, now: Double,
                               draining: Bool) -> [SpoolEffect] {
        refusals = permanent ? refusals + 1 : 0
        // A chunked session of this content may be resumed: its file stays frozen.
        files.frozen = session?.dataFile == snapshot.dataFile ? snapshot.dataFile : nil
        lastError = error
        retries += 1
        nextAttempt = now + Self.backoff(retries: retries)
        if case .discarded = phase {
            phase = .discarded(uploading: nil)
            return obsoleteFiles() + settle(now: now, draining: draining)
        }
        guard phase == .uploading(snapshot) else { return obsoleteFiles() }
        phase = .queued
        return obsoleteFiles() + [.schedule(due: uploadDue(draining: draining))]
    }

    /// The server refused the upload of `snapshot` for good and the worker moved data file `setAside`
    /// out of the spool (with a manifest line): the file stops being pending, like a discarded one.
    mutating func setAside(_ snapshot: Snapshot, dataFile: String, reason: FSError, now: Double) -> [SpoolEffect] {
        lastError = reason
        files.frozen = nil
        files.known.remove(dataFile)
        session = nil
        var effects: [SpoolEffect] = []
        if journal.present { effects.append(.removeJournal(sequence: issueSequence())) }
        effects += giveUpLock(of: remoteID)
        phase = .discarded(uploading: nil)
        return effects + obsoleteFiles() + settle(now: now, draining: false)
    }

    /// A failure before any snapshot was taken (the original bytes could not be fetched).
    mutating func preparationFailed(_ error: FSError, now: Double, draining: Bool) -> [SpoolEffect] {
        lastError = error
        retries += 1
        nextAttempt = now + Self.backoff(retries: retries)
        guard phase == .queued || phase == .deferred else { return [] }
        phase = .queued
        return [.schedule(due: uploadDue(draining: draining))]
    }

    /// The worker is done with the upload it reported with `uploaded`: the node table knows the
    /// committed snapshot. Newer changes are queued; the journal record goes once everything
    /// committed is durable (or names the placed node while newer commits wait).
    mutating func bound(now: Double, draining: Bool) -> [SpoolEffect] {
        if case .discarded(.some) = phase {
            phase = .discarded(uploading: nil)
            return settle(now: now, draining: draining)
        }
        guard case .binding = phase else { return [] }
        phase = .idle
        var effects: [SpoolEffect] = []
        if journal.present, durable >= committed {
            effects.append(.removeJournal(sequence: issueSequence()))
        }
        return effects + settle(now: now, draining: draining)
    }

    static func backoff(retries: Int) -> Double {
        min(maximumBackoff, 0.5 * Double(1 << min(max(retries, 1) - 1, 8)))
    }

    // MARK: - namespace

    /// Unlinked, or the source of a rename over another file: nothing more goes to the server. The
    /// answer's `remoteID` is the node the caller trashes (nil: never placed, or being placed right
    /// now, in which case the uploader trashes it).
    mutating func discard(now: Double) -> (remoteID: String?, effects: [SpoolEffect]) {
        guard !isDiscarded, !isLeaving else { return (nil, []) }
        var effects: [SpoolEffect] = []
        if journal.present { effects.append(.removeJournal(sequence: issueSequence())) }
        effects += giveUpLock(of: remoteID)
        switch phase {
        case .uploading(let snapshot):
            phase = .discarded(uploading: snapshot)
            // A new file's node does not exist yet: its uploader trashes it once placed.
            return (snapshot.remoteID == nil ? nil : remoteID, effects)
        case .binding(let snapshot):
            phase = .discarded(uploading: snapshot)
            return (remoteID, effects)
        default:
            phase = .discarded(uploading: nil)
        }
        return (remoteID, effects + settle(now: now, draining: false))
    }

    /// Where a rename must go.
    enum Readdress: Sendable, Equatable {
        /// Not on the server yet: the upload places it under the new address.
        case local
        /// An upload is placing it under `old` right now: the uploader moves it once it returns.
        case placingAway(old: ServerAddress)
        /// On the server as `id`: rename that node.
        case placed(id: String)
        /// Its upload is binding (and may be moving it to the address it had): ask again after.
        case wait
    }

    /// A rename of the file to `newAddress`. Effects keep the journal record in step.
    mutating func readdress(to newAddress: ServerAddress) -> (Readdress, [SpoolEffect]) {
        if isBinding { return (.wait, []) }
        address = newAddress
        var effects: [SpoolEffect] = []
        if let update = recordUpdate() { effects.append(.writeJournal(sequence: update.sequence, record: update.record)) }
        if let id = remoteID { return (.placed(id: id), effects) }
        if case .uploading(let snapshot) = phase, snapshot.remoteID == nil, snapshot.address != newAddress {
            return (.placingAway(old: snapshot.address), effects)
        }
        return (.local, effects)
    }

    mutating func markNote() { isNote = true }

    // MARK: - lock

    enum LockStep: Sendable, Equatable {
        /// This thread acquires it and reports with `lockAcquired`.
        case acquire
        /// Another thread is acquiring it: wait and ask again.
        case wait
        /// Held already, lost (the keeper takes it again; the upload compares versions) or not needed.
        case nothing
    }

    /// An opener for writing wants the server lock.
    mutating func beginLockAcquire() -> LockStep {
        switch lock {
        case .none:
            guard remoteID != nil, !isDiscarded, !isLeaving else { return .nothing }
            lock = .acquiring
            return .acquire
        case .acquiring, .releasing: return .wait
        case .held, .lost: return .nothing
        }
    }

    /// The release asked for by a `.releaseLock` effect is done (whatever the server said); a file
    /// nobody uses retires now.
    mutating func lockReleased(now: Double, draining: Bool) -> [SpoolEffect] {
        guard lock == .releasing else { return [] }
        lock = .none
        return settleIfUnused(now: now, draining: draining)
    }

    /// When a lock the server granted (or renewed) until `expiresAt` is renewed and when it lapses,
    /// seen at wall time `wallNow`: renewed at half its life, and at half the duration we asked for
    /// at the latest (nil: the server did not say; the asked duration holds).
    struct LockTiming: Sendable, Equatable {
        let renewIn: Double
        let expires: Date

        init(expiresAt: Date?, wallNow: Date) {
            let asked = Double(SpoolFileMachine.lockDuration)
            let remaining = expiresAt.map { $0.timeIntervalSince(wallNow) } ?? asked
            renewIn = min(asked / 2, max(0.5, remaining / 2))
            expires = wallNow.addingTimeInterval(min(asked, max(0, remaining)))
        }
    }

    /// The acquire begun by `beginLockAcquire` ended (nil: refused or failed).
    mutating func lockAcquired(_ grant: LockGrant?, timing: LockTiming, now: Double, draining: Bool) -> [SpoolEffect] {
        guard lock == .acquiring else {
            // Discarded meanwhile: give the lock back at once.
            if let grant, let id = remoteID { return [.releaseLock(grant, remoteID: id)] }
            return []
        }
        guard let grant else {
            lock = .none
            return settle(now: now, draining: draining)
        }
        lock = .held(grant, due: now + timing.renewIn, expires: timing.expires)
        return [.keepLock]
    }

    /// Gives up the server lock taken for node `nodeID`: a held grant is released (`.releasing` until
    /// `lockReleased`), a release under way stays one, and any other lock state ends as `.none`.
    private mutating func giveUpLock(of nodeID: String?) -> [SpoolEffect] {
        if case .held(let grant, _, _) = lock, let nodeID {
            lock = .releasing
            return [.releaseLock(grant, remoteID: nodeID)]
        }
        if lock != .releasing { lock = .none }
        return []
    }

    /// True when the held lock's life ended before it was renewed (the machine slept, the process
    /// was stopped, the network was away): a heartbeat would recreate it, but someone else may have
    /// changed the file meanwhile, so the keeper takes it again and compares versions.
    func lockLapsed(wallNow: Date) -> Bool {
        if case .held(_, _, let expires) = lock { return wallNow >= expires }
        return false
    }

    /// When the lock next needs the keeper (nil: not held nor lost).
    func lockAttention(now: Double) -> Double? {
        switch lock {
        case .held(_, let due, _): return due
        case .lost: return nextLockRetry
        case .none, .acquiring, .releasing: return nil
        }
    }

    /// Monotonic second of the keeper's next attempt to take a lost lock again.
    var nextLockRetry: Double = 0

    mutating func heartbeat(_ grant: LockGrant, succeeded: Bool, timing: LockTiming, now: Double) {
        guard case .held(let held, _, _) = lock, held == grant else { return }
        if succeeded {
            lock = .held(grant, due: now + timing.renewIn, expires: timing.expires)
        } else {
            lock = .lost
            nextLockRetry = now
        }
    }

    /// The held lock lapsed (see `lockLapsed`): treated as lost until the keeper took it again.
    mutating func lockLapsed() {
        guard case .held = lock else { return }
        lock = .lost
        nextLockRetry = 0
    }

    /// The keeper took a lost lock again and read the server's version: held again when nobody
    /// changed the file meanwhile (no longer lock-lost); otherwise the grant goes back and the upload
    /// makes a conflict copy.
    mutating func relocked(_ grant: LockGrant?, serverVersion: String?, timing: LockTiming, now: Double) -> [SpoolEffect] {
        guard lock == .lost else {
            // Released, retired or taken again meanwhile. The server hands one user the same token
            // for a node, so this grant may be another spool file's lock now: leave it to expire.
            return []
        }
        guard let grant else {
            nextLockRetry = now + Double(Self.lockDuration) / 4
            return []
        }
        if serverVersion == baseVersion {
            guard writers > 0 || isDirty else {
                // Nobody needs it any more.
                lock = .none
                guard let id = remoteID else { return [] }
                return [.releaseLock(grant, remoteID: id)]
            }
            lock = .held(grant, due: now + timing.renewIn, expires: timing.expires)
            return []
        }
        nextLockRetry = .infinity
        guard let id = remoteID else { return [] }
        return [.releaseLock(grant, remoteID: id)]
    }

    // MARK: - retiring

    /// The lock release of `.retiring` is done: the file is gone.
    mutating func retired() {
        if phase == .retiring { phase = .retired }
    }

    // MARK: - private

    private mutating func touch(mtime: FSTime, now: Double) {
        generation += 1
        self.mtime = mtime
        lastChange = now
    }

    private mutating func startMaterializing(keep: Int64) -> Step {
        content = .materializing(keep: keep)
        files.known.insert(files.current)
        return .fetchOriginal(keep: keep, version: baseVersion, dataFile: files.current, size: size)
    }

    private mutating func unpin(_ dataFile: String) {
        guard let pins = files.pinned[dataFile] else { return }
        files.pinned[dataFile] = pins > 1 ? pins - 1 : nil
    }

    private mutating func issueSequence() -> UInt64 {
        journal.issued += 1
        return journal.issued
    }

    private mutating func nextDataFile() -> String {
        files.made += 1
        let name = key + "." + String(files.made)
        files.known.insert(name)
        return name
    }

    /// Data files nothing refers to any more.
    private mutating func obsoleteFiles() -> [SpoolEffect] {
        var keep: Set<String> = [files.current]
        if let frozen = files.frozen { keep.insert(frozen) }
        if let journaled = files.journaled, journal.present { keep.insert(journaled) }
        if case .copying(let target, _) = content { keep.insert(target) }
        keep.formUnion(files.pinned.keys)
        let obsolete = files.known.subtracting(keep)
        guard !obsolete.isEmpty else { return [] }
        files.known.subtract(obsolete)
        return [.deleteDataFiles(obsolete.sorted())]
    }

    private mutating func queue(now: Double, draining: Bool) -> [SpoolEffect] {
        phase = .queued
        return [.schedule(due: uploadDue(draining: draining))]
    }

    /// A deferred upload is queued again once nothing is in flight.
    private mutating func resumeDeferred(now: Double, draining: Bool) -> [SpoolEffect] {
        guard phase == .deferred else { return [] }
        return queue(now: now, draining: draining)
    }

    /// `settle` for the end of something in flight (a read, a fetch, a copy, a commit): the last user
    /// of a file may be gone by then.
    private mutating func settleIfUnused(now: Double, draining: Bool) -> [SpoolEffect] {
        guard isUnused, phase == .idle || isDiscarded else { return [] }
        return settle(now: now, draining: draining)
    }

    /// After a handle closed or an upload ended: queue what is dirty, release a lock nobody needs,
    /// retire what nobody uses.
    private mutating func settle(now: Double, draining: Bool) -> [SpoolEffect] {
        var effects: [SpoolEffect] = []
        switch phase {
        case .idle:
            if isDirty {
                // Committed changes, or the last writer left uncommitted ones: upload them.
                if committed > durable || writers == 0 { effects += queue(now: now, draining: draining) }
            }
        case .queued:
            if writers == 0 { effects.append(.schedule(due: uploadDue(draining: draining))) }
        default: break
        }
        if writers == 0, !isDirty || isDiscarded, case .held(let grant, _, _) = lock, let id = remoteID {
            lock = .releasing
            effects.append(.releaseLock(grant, remoteID: id))
        }
        let unused = writers == 0 && readers == 0 && changesInFlight == 0 && files.pinned.isEmpty
        let settled: Bool
        switch phase {
        case .idle: settled = !isDirty
        case .discarded(let running): settled = running == nil
        default: settled = false
        }
        switch content {
        case .materializing, .copying: return effects
        case .remote, .local: break
        }
        guard unused, settled, lock != .acquiring, lock != .releasing else { return effects }
        phase = .retiring
        var leaving: [SpoolEffect] = []
        if journal.present {
            journal.present = false
            leaving.append(.removeJournal(sequence: issueSequence()))
        }
        leaving += giveUpLock(of: remoteID)
        let all = files.known.sorted()
        files.known = []
        files.journaled = nil
        return effects + leaving + [.deleteDataFiles(all), .retire]
    }
}

/// What a transition asks the driver (`SpoolFile`, `WriteCoordinator`) to do, outside the lock.
enum SpoolEffect: Sendable, Equatable {
    /// Put the file in the upload queue for `due`.
    case schedule(due: Double)
    /// Unlink these data files.
    case deleteDataFiles([String])
    /// Give the server lock back.
    case releaseLock(LockGrant, remoteID: String)
    /// Track the held lock in the lock keeper.
    case keepLock
    /// Trash the node a discarded new file's upload placed.
    case trashPlaced(nodeID: String)
    /// Write the record with this sequence (published only if still the newest).
    case writeJournal(sequence: UInt64, record: JournalRecordFields)
    /// Remove the record (published only if still the newest).
    case removeJournal(sequence: UInt64)
    /// The file is leaving: release done, drop it from the registry, then `retired()`.
    case retire
}

/// What a journal record says about a file, apart from where it belongs (`SpoolFile` adds the key
/// and the profile).
struct JournalRecordFields: Sendable, Equatable {
    var remoteID: String?
    var folderID: String
    var name: String
    var size: Int64
    var baseVersion: String?
    var dataFile: String
    var session: SpoolFileMachine.ChunkedSession?
    var isNote: Bool
}

extension SpoolFileMachine {
    func recordFields(dataFile: String) -> JournalRecordFields {
        JournalRecordFields(remoteID: remoteID, folderID: address.folderID, name: address.name, size: size,
                            baseVersion: baseVersion, dataFile: dataFile,
                            session: session?.dataFile == dataFile ? session : nil, isNote: isNote)
    }
}
