import FastIO
import Foundation
import Logging

/// What a spool file's driver needs from its owner: the time, whether the mount is draining, the
/// original bytes from the server, and the effects that reach beyond the file (queue, locks,
/// registry, server).
protocol SpoolFileContext: Sendable {
    var now: Double { get }
    var draining: Bool { get }
    var logger: Logger { get }
    /// Writes the first `keep` bytes of `version` of the file's server node into `descriptor`.
    func fetchOriginal(of file: SpoolFile, version: String?, keep: Int64, into descriptor: Int32) throws(FSError)
    /// Performs one effect that is not about the file's own data or record.
    func perform(_ effect: SpoolEffect, of file: SpoolFile)
}

/// The driver of one `SpoolFileMachine`: it asks the machine (under a short lock) what to do, does
/// the I/O (fetching the original, copying, reading, writing, syncing, journaling) with no lock
/// held, and reports the outcome back. Threads that must wait for another's fetch or copy sleep on
/// the file's condition.
///
/// Invariants: the lock is held only for machine transitions, descriptor bookkeeping and the
/// rename or unlink that publishes a journal record (so records land in sequence order), never
/// across a network call, an fsync or a copy; a descriptor is closed only when its data file is
/// deleted or nothing uses the file (no handle, no change, read, commit, fetch or copy in flight),
/// so no pending file holds a descriptor while idle.
final class SpoolFile: Sendable {
    let key: String
    let profileIndex: Int
    let profile: StorageProfile
    let spool: SpoolDirectory
    let journal: WriteJournal

    struct Guarded: Sendable {
        var machine: SpoolFileMachine
        var descriptors: [String: Int32] = [:]
    }
    private let guarded: ConditionLocked<Guarded>

    init(machine: SpoolFileMachine, profileIndex: Int, profile: StorageProfile, spool: SpoolDirectory,
         journal: WriteJournal) {
        key = machine.key
        self.profileIndex = profileIndex
        self.profile = profile
        self.spool = spool
        self.journal = journal
        guarded = ConditionLocked(Guarded(machine: machine))
    }

    var pendingIdentity: NodeIdentity { .pending(profile: profileIndex, key: key) }

    /// The machine as it is now (a copy).
    var machine: SpoolFileMachine { guarded.peek { $0.machine } }

    /// Applies a transition and performs what it asks.
    @discardableResult
    func transition<Result>(_ context: some SpoolFileContext,
                            _ body: (inout SpoolFileMachine) -> (Result, [SpoolEffect])) -> Result {
        let (result, effects) = guarded.withLock { guarded -> (Result, [SpoolEffect]) in
            let answer = body(&guarded.machine)
            closeDescriptorsIfUnused(&guarded)
            return answer
        }
        perform(effects, context)
        return result
    }

    /// Applies a transition that only answers effects.
    func apply(_ context: some SpoolFileContext, _ body: (inout SpoolFileMachine) -> [SpoolEffect]) {
        transition(context) { machine in ((), body(&machine)) }
    }

    /// Waits (on the condition) until `body` answers non-nil; nil when `deadline` passed first.
    func waitFor<Result>(until deadline: Date?, _ body: (SpoolFileMachine) -> Result?) -> Result? {
        guarded.wait(until: deadline) { body($0.machine) }
    }

    /// Waits until `body` answers non-nil, changing the machine as it asks (transitions without
    /// effects, such as starting a lock acquire).
    func waitTransition<Result>(_ body: (inout SpoolFileMachine) -> Result?) -> Result {
        while true {
            if let answer = guarded.wait(until: nil, { body(&$0.machine) }) { return answer }
        }
    }

    // MARK: - data

    /// Writes `data` at `offset` (fetching the original first, or copying away from a frozen upload).
    func write(offset: Int64, data: UnsafeRawBufferPointer, context: some SpoolFileContext) throws(FSError) -> Int {
        guard offset >= 0, offset <= Int64.max - Int64(data.count) else { throw FSError(EFBIG) }
        let descriptor = try beginChange(context)
        do {
            try SpoolDirectory.writeAll(descriptor, data, at: offset)
        } catch {
            endChange(nil, context)
            throw error
        }
        endChange(.write(end: offset + Int64(data.count)), context)
        return data.count
    }

    /// Cuts or extends the content to `size` (without a fetch while nothing is local).
    func truncate(to size: Int64, context: some SpoolFileContext) throws(FSError) {
        guard size >= 0 else { throw FSError(EINVAL) }
        let mtime = FSTime(Date())
        let now = context.now
        if transition(context, { machine in (machine.truncateRemote(to: size, mtime: mtime, now: now), []) }) {
            return
        }
        let descriptor = try beginChange(context)
        do {
            try SpoolDirectory.truncate(descriptor, to: size)
        } catch {
            endChange(nil, context)
            throw error
        }
        endChange(.truncate(size: size), context)
    }

    /// Local bytes from `offset`; nil when the server's version is the content (read it there).
    func read(offset: Int64, size: Int, context: some SpoolFileContext) throws(FSError) -> [UInt8]? {
        guard offset >= 0, size >= 0 else { throw FSError(EINVAL) }
        var ready: (dataFile: String, descriptor: Int32, fileSize: Int64)?
        while ready == nil {
            let step = nextStep(context) { $0.beginRead() }
            switch step {
            case .nothing: return nil
            case .proceed(let dataFile):
                do {
                    ready = try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> (String, Int32, Int64) in
                        (dataFile, try descriptor(dataFile, in: &guarded), guarded.machine.size)
                    }
                } catch {
                    let now = context.now
                    let draining = context.draining
                    apply(context) { $0.endRead(dataFile, now: now, draining: draining) }
                    throw error
                }
            default: try perform(step, context)
            }
        }
        guard let ready else { return nil }
        defer {
            let now = context.now
            let draining = context.draining
            apply(context) { $0.endRead(ready.dataFile, now: now, draining: draining) }
        }
        guard offset < ready.fileSize else { return [] }
        let count = Int(min(Int64(size), ready.fileSize - offset))
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { raw in
            Result { () throws(FSError) -> Int in try SpoolDirectory.readAll(ready.descriptor, into: raw, at: offset) }
        }
        let got = try read.get()
        if got < count { bytes.removeLast(count - got) }
        return bytes
    }

    /// Replaces the whole content with `size` bytes that `fill` writes into a new data file (a
    /// rename over this file: it takes the source's content as its next version).
    func replaceContent(size: Int64, context: some SpoolFileContext,
                        fill: (Int32) throws(FSError) -> Void) throws(FSError) {
        while true {
            let step = nextStep(context) { $0.beginReplace() }
            guard case .fill(let dataFile) = step else {
                try perform(step, context)
                continue
            }
            var failure: FSError?
            do throws(FSError) {
                let fd = try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> Int32 in
                    try descriptor(dataFile, in: &guarded)
                }
                try SpoolDirectory.truncate(fd, to: 0)
                try fill(fd)
                try SpoolDirectory.truncate(fd, to: size)
            } catch {
                failure = error
            }
            let mtime = FSTime(Date())
            let now = context.now
            let draining = context.draining
            apply(context) { $0.copied(failure, replacedSize: size, mtime: mtime, now: now, draining: draining) }
            if let failure { throw failure }
            return
        }
    }

    // MARK: - commit

    /// `close`/`fsync`: the bytes written so far are synced and named by a published journal
    /// record before this returns (the upload is queued by the machine once it is).
    func commit(context: some SpoolFileContext) throws(FSError) {
        let target = machine.generation
        while true {
            let step = guarded.wait(until: nil) { guarded -> SpoolFileMachine.CommitStep? in
                guard guarded.machine.committed < target else { return .nothing }
                let step = guarded.machine.beginCommit()
                return step == .wait ? nil : step
            }
            switch step {
            case .nothing, .wait, nil: return
            case .fetchFirst(let fetch): try perform(fetch, context)
            case .commit(let commit):
                if try publish(commit, context) { return }
            }
        }
    }

    /// Syncs the commit's data file and publishes its record; false when a newer record superseded
    /// it before it could be published (commit again).
    private func publish(_ commit: SpoolFileMachine.Commit, _ context: some SpoolFileContext) throws(FSError) -> Bool {
        var failure: FSError?
        var temporary: String?
        do throws(FSError) {
            let fd = try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> Int32 in
                try descriptor(commit.dataFile, in: &guarded)
            }
            try SpoolDirectory.syncData(fd)
            // The record must never name a file whose directory entry a crash could still lose.
            try spool.syncDirectory()
            temporary = try journal.prepare(record(commit.record), sequence: commit.sequence)
        } catch {
            failure = error
        }
        let now = context.now
        let draining = context.draining
        var published = false
        let effects = guarded.withLock { guarded -> [SpoolEffect] in
            if let temporary {
                if failure == nil, guarded.machine.mayWriteRecord(commit.sequence) {
                    do throws(FSError) {
                        try journal.publish(temporary, key: key)
                        published = true
                    } catch {
                        failure = error
                    }
                } else {
                    journal.discard(temporary)
                }
            }
            let effects = guarded.machine.endCommit(commit, published: published, now: now, draining: draining)
            closeDescriptorsIfUnused(&guarded)
            return effects
        }
        if published {
            do throws(FSError) {
                try journal.syncDirectory()
            } catch {
                failure = error
            }
        }
        perform(effects, context)
        if let failure { throw failure }
        return published || machine.isDiscarded || machine.isLeaving
    }

    /// The full journal record for `fields`.
    func record(_ fields: JournalRecordFields) -> JournalRecord {
        JournalRecord(key: key, profileKind: profile.kind.rawValue, profileID: profile.id, fields: fields)
    }

    // MARK: - steps

    /// Asks `begin` until it answers something other than `.wait` (sleeping on the condition).
    func nextStep(_ context: some SpoolFileContext,
                  _ begin: @escaping (inout SpoolFileMachine) -> SpoolFileMachine.Step) -> SpoolFileMachine.Step {
        guarded.wait(until: nil) { guarded -> SpoolFileMachine.Step? in
            let step = begin(&guarded.machine)
            return step == .wait ? nil : step
        } ?? .wait
    }

    /// Waits until a change may go ahead, doing the fetch or copy it needs on this thread; answers
    /// the descriptor of the data file to change. Pair with `endChange`.
    private func beginChange(_ context: some SpoolFileContext) throws(FSError) -> Int32 {
        while true {
            let step = nextStep(context) { $0.beginChange() }
            guard case .proceed(let dataFile) = step else {
                try perform(step, context)
                continue
            }
            do {
                return try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> Int32 in
                    try descriptor(dataFile, in: &guarded)
                }
            } catch {
                endChange(nil, context)
                throw error
            }
        }
    }

    private func endChange(_ change: SpoolFileMachine.Change?, _ context: some SpoolFileContext) {
        let mtime = FSTime(Date())
        let now = context.now
        let draining = context.draining
        apply(context) { $0.endChange(change, mtime: mtime, now: now, draining: draining) }
    }

    /// Performs a fetch or copy step (anything else is not this thread's to do).
    func perform(_ step: SpoolFileMachine.Step, _ context: some SpoolFileContext) throws(FSError) {
        switch step {
        case .fetchOriginal(let keep, let version, let dataFile, let size):
            var failure: FSError?
            do throws(FSError) {
                let fd = try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> Int32 in
                    try descriptor(dataFile, in: &guarded)
                }
                try SpoolDirectory.truncate(fd, to: 0)
                if keep > 0 { try context.fetchOriginal(of: self, version: version, keep: keep, into: fd) }
                try SpoolDirectory.truncate(fd, to: size)
            } catch {
                failure = error
            }
            let now = context.now
            let draining = context.draining
            apply(context) { $0.materialized(failure, now: now, draining: draining) }
            if let failure {
                context.logger.warning("cannot fetch the original bytes of a file being written",
                                       metadata: ["name": "\(machine.address.name)", "error": "\(failure)"])
                throw failure
            }
        case .copy(let from, let to, let length):
            var failure: FSError?
            do throws(FSError) {
                let (source, target) = try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> (Int32, Int32) in
                    (try descriptor(from, in: &guarded), try descriptor(to, in: &guarded))
                }
                try SpoolDirectory.copy(from: source, to: target, length: length)
            } catch {
                failure = error
            }
            let now = context.now
            let draining = context.draining
            let mtime = machine.mtime
            apply(context) { $0.copied(failure, replacedSize: nil, mtime: mtime, now: now, draining: draining) }
            if let failure { throw failure }
        case .proceed, .fill, .wait, .nothing:
            break
        }
    }

    // MARK: - effects

    /// Performs the effects about the file's own data and record here; passes the rest on.
    func perform(_ effects: [SpoolEffect], _ context: some SpoolFileContext) {
        for effect in effects {
            switch effect {
            case .deleteDataFiles(let names):
                guarded.withLock { guarded in
                    for name in names {
                        if let fd = guarded.descriptors.removeValue(forKey: name) { close(fd) }
                    }
                }
                for failure in spool.remove(names) {
                    context.logger.warning("cannot delete a spooled data file (it stays on disk)",
                                           metadata: ["file": "\(failure.name)", "error": "\(failure.error)"])
                }
            case .writeJournal(let sequence, let fields):
                writeRecord(sequence: sequence, fields: fields, context)
            case .removeJournal(let sequence):
                removeRecord(sequence: sequence, context)
            default:
                context.perform(effect, of: self)
            }
        }
    }

    /// A record update outside a commit (rename, session, placement). On failure the older record
    /// stays, which a resume still handles (it compares with the server before placing anything).
    private func writeRecord(sequence: UInt64, fields: JournalRecordFields, _ context: some SpoolFileContext) {
        do {
            let temporary = try journal.prepare(record(fields), sequence: sequence)
            let published = try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> Bool in
                guard guarded.machine.mayUpdateRecord(sequence, dataFile: fields.dataFile) else {
                    journal.discard(temporary)
                    return false
                }
                try journal.publish(temporary, key: key)
                guarded.machine.recordUpdated(sequence, published: true)
                return true
            }
            if published { try journal.syncDirectory() }
        } catch {
            context.logger.warning("cannot update a journal record; the previous one stays",
                                   metadata: ["name": "\(fields.name)", "error": "\(error)"])
        }
    }

    /// Removes the record. On failure it stays and the next mount sends the content again, where the
    /// server's hash shows it is already there.
    private func removeRecord(sequence: UInt64, _ context: some SpoolFileContext) {
        do {
            let removed = try guarded.withLock { (guarded: inout Guarded) throws(FSError) -> Bool in
                guard guarded.machine.mayRemoveRecord(sequence) else { return false }
                try journal.remove(key)
                guarded.machine.recordRemoved(sequence)
                return true
            }
            if removed { try journal.syncDirectory() }
        } catch {
            context.logger.warning("cannot remove a journal record; the next mount checks it against the server",
                                   metadata: ["key": "\(key)", "error": "\(error)"])
        }
    }

    // MARK: - descriptors

    private func descriptor(_ dataFile: String, in guarded: inout Guarded) throws(FSError) -> Int32 {
        if let known = guarded.descriptors[dataFile] { return known }
        let opened = try spool.open(dataFile)
        guarded.descriptors[dataFile] = opened
        return opened
    }

    private func closeDescriptorsIfUnused(_ guarded: inout Guarded) {
        guard !guarded.descriptors.isEmpty, guarded.machine.isUnused else { return }
        for fd in guarded.descriptors.values { close(fd) }
        guarded.descriptors.removeAll()
    }
}

extension SpoolFileMachine {
    /// No handle and nothing in flight: the driver keeps no descriptor open.
    var isUnused: Bool {
        guard writers == 0, readers == 0, changesInFlight == 0, files.pinned.isEmpty else { return false }
        switch content {
        case .materializing, .copying: return false
        case .remote, .local: return true
        }
    }
}
