import FastIO
@testable import FastIOFS
import Foundation
import Testing

/// Every transition of a spool file's life, driven without threads, files or a server: the machine
/// answers what to do, the test plays the driver.
@Suite struct SpoolFileMachineTests {
    let folder = "4folder0000000000000000000000000000"
    let mtime = FSTime(seconds: 1_700_000_000)
    let grant = LockGrant(lockToken: "token", expiresAt: nil)
    /// A lock of the asked duration (120 s), granted at wall time 0: renewed after 60 s.
    let timing = SpoolFileMachine.LockTiming(expiresAt: nil, wallNow: Date(timeIntervalSince1970: 0))

    func created(now: Double = 0) -> SpoolFileMachine {
        SpoolFileMachine.created(key: "k", address: ServerAddress(folderID: folder, name: "a.txt"), mtime: mtime, now: now)
    }

    func existing(size: Int64 = 100) -> SpoolFileMachine {
        SpoolFileMachine.existing(key: "e", remoteID: "2node", address: ServerAddress(folderID: folder, name: "b.txt"),
                                  size: size, mtime: mtime, version: "v1")
    }

    /// Plays a writer's change: begin (must proceed), end.
    func write(_ machine: inout SpoolFileMachine, end: Int64, now: Double) -> [SpoolEffect] {
        guard case .proceed = machine.beginChange() else {
            Issue.record("a change did not proceed: \(machine.content)")
            return []
        }
        return machine.endChange(.write(end: end), mtime: mtime, now: now, draining: false)
    }

    /// Plays a commit to its published record.
    func commit(_ machine: inout SpoolFileMachine, now: Double) -> [SpoolEffect] {
        guard case .commit(let commit) = machine.beginCommit() else {
            Issue.record("nothing to commit")
            return []
        }
        #expect(machine.mayWriteRecord(commit.sequence))
        return machine.endCommit(commit, published: true, now: now, draining: false)
    }

    func schedules(_ effects: [SpoolEffect]) -> Double? {
        for case .schedule(let due) in effects { return due }
        return nil
    }

    // MARK: - the life of a new file

    @Test func aNewFileIsCommittedQueuedUploadedBoundAndRetired() {
        var machine = created()
        let answer1 = machine.attach(.writer)
        #expect(answer1)
        #expect(write(&machine, end: 5, now: 1).isEmpty)
        #expect(machine.generation == 2 && machine.size == 5)
        // A commit while the writer still has it open: queued once quiet.
        let queued = commit(&machine, now: 1)
        #expect(machine.phase == .queued)
        #expect(schedules(queued) == 1 + SpoolFileMachine.openWriterQuiet)
        let answer2 = machine.startUpload(now: 1.5, draining: false)
        #expect(answer2 == .notDue(3))
        // The last writer leaves: due at once.
        let detached = machine.detach(.writer, now: 2, draining: false)
        #expect(schedules(detached) == 0)
        guard case .start(let snapshot) = machine.startUpload(now: 2, draining: false) else {
            Issue.record("no upload started")
            return
        }
        #expect(snapshot.generation == 2 && snapshot.size == 5 && snapshot.remoteID == nil && !snapshot.mustCheckVersion)
        #expect(machine.files.frozen == snapshot.dataFile)
        _ = machine.uploaded(snapshot, nodeID: "2new", version: nil, placedAt: snapshot.address, now: 3)
        #expect(machine.isBinding && machine.remoteID == "2new" && machine.durable == 2)
        let bound = machine.bound(now: 3, draining: false)
        #expect(bound.contains(.removeJournal(sequence: 2)))
        #expect(bound.contains(.retire))
        #expect(bound.contains(.deleteDataFiles(["k.0"])))
        #expect(machine.phase == .retiring)
        let answer3 = machine.attach(.writer)
        #expect(!answer3, "no handle attaches to a leaving file")
        machine.retired()
        #expect(machine.phase == .retired)
    }

    /// The old race: retiring while the node table learns the commit let the next open start from
    /// the previous version.
    @Test func aFileIsNotRetiredWhileItsCommitIsBeingBound() {
        var machine = created()
        _ = commit(&machine, now: 0)
        guard case .start(let snapshot) = machine.startUpload(now: 0, draining: false) else {
            Issue.record("no upload")
            return
        }
        let effects = machine.uploaded(snapshot, nodeID: "2n", version: nil, placedAt: snapshot.address, now: 1)
        #expect(!effects.contains(.retire))
        let answer4 = machine.attach(.reader)
        #expect(answer4, "a reader may still attach while binding")
        let answer5 = machine.detach(.reader, now: 1, draining: false)
        #expect(!answer5.contains(.retire), "not retired while binding")
        let answer6 = machine.bound(now: 1, draining: false)
        #expect(answer6.contains(.retire))
    }

    // MARK: - materializing

    @Test func theFirstChangeOfAnExistingFileFetchesTheOriginalOnceWhileOthersWait() {
        var machine = existing(size: 100)
        let answer7 = machine.attach(.writer)
        #expect(answer7)
        let answer8 = machine.beginRead()
        #expect(answer8 == .nothing, "nothing local yet: reads go to the server")
        let fetch = machine.beginChange()
        #expect(fetch == .fetchOriginal(keep: 100, version: "v1", dataFile: "e.0", size: 100))
        let answer9 = machine.beginChange()
        #expect(answer9 == .wait, "a second writer waits for the fetch")
        let answer10 = machine.beginRead()
        #expect(answer10 == .wait)
        let answer11 = machine.beginCommit()
        #expect(answer11 == .nothing, "nothing written yet: nothing to commit")
        #expect(machine.isDirty == false)
        _ = machine.materialized(nil, now: 1, draining: false)
        #expect(machine.content == .local)
        let answer12 = machine.beginChange()
        #expect(answer12 == .proceed(dataFile: "e.0"))
    }

    @Test func aFailedFetchLeavesTheContentRemoteForTheNextTry() {
        var machine = existing(size: 100)
        _ = machine.beginChange()
        _ = machine.materialized(FSError(EIO), now: 1, draining: false)
        #expect(machine.content == .remote(keep: 100))
        let answer13 = machine.beginChange()
        #expect(answer13 == .fetchOriginal(keep: 100, version: "v1", dataFile: "e.0", size: 100))
    }

    @Test func truncatingBeforeAnyChangeFetchesNothingUntilTheCommit() {
        var machine = existing(size: 100)
        let answer14 = machine.truncateRemote(to: 10, mtime: mtime, now: 1)
        #expect(answer14)
        #expect(machine.content == .remote(keep: 10) && machine.size == 10 && machine.generation == 1)
        let answer15 = machine.truncateRemote(to: 40, mtime: mtime, now: 1)
        #expect(answer15)
        #expect(machine.content == .remote(keep: 10) && machine.size == 40, "extending keeps only the bytes kept")
        // The commit needs the bytes: it fetches what is kept first.
        let answer16 = machine.beginCommit()
        #expect(answer16 == .fetchFirst(.fetchOriginal(keep: 10, version: "v1", dataFile: "e.0", size: 40)))
    }

    // MARK: - changes during an upload

    @Test func aChangeDuringAnUploadCopiesTheFrozenFileFirst() {
        var machine = created()
        let answer17 = machine.attach(.writer)
        #expect(answer17)
        _ = write(&machine, end: 5, now: 0)
        _ = commit(&machine, now: 0)
        guard case .start(let snapshot) = machine.startUpload(now: 10, draining: false) else {
            Issue.record("no upload")
            return
        }
        #expect(snapshot.dataFile == "k.0")
        let copy = machine.beginChange()
        #expect(copy == .copy(from: "k.0", to: "k.1", length: 5), "the frozen file is never written")
        let answer18 = machine.beginChange()
        #expect(answer18 == .wait)
        _ = machine.copied(nil, replacedSize: nil, mtime: mtime, now: 10, draining: false)
        #expect(machine.files.current == "k.1" && machine.files.frozen == "k.0")
        #expect(write(&machine, end: 8, now: 10).isEmpty)
        // The upload ends: the frozen file is still what the journal names, so it stays.
        _ = machine.uploaded(snapshot, nodeID: "2n", version: nil, placedAt: snapshot.address, now: 11)
        #expect(machine.files.known.contains("k.0"))
        // The next commit names the new file: the old one goes.
        let bound = machine.bound(now: 11, draining: false)
        #expect(!bound.contains(.retire), "newer changes wait")
        let committed = commit(&machine, now: 12)
        #expect(committed.contains(.deleteDataFiles(["k.0"])))
        #expect(machine.phase == .queued)
    }

    @Test func anUploadWaitsForChangesInFlight() {
        var machine = created()
        let answer19 = machine.attach(.writer)
        #expect(answer19)
        _ = commit(&machine, now: 0)
        let answer20 = machine.beginChange()
        #expect(answer20 == .proceed(dataFile: "k.0"))
        _ = machine.detach(.writer, now: 0, draining: false)
        let answer21 = machine.startUpload(now: 5, draining: false)
        #expect(answer21 == .deferred)
        let ended = machine.endChange(.write(end: 3), mtime: mtime, now: 5, draining: false)
        #expect(schedules(ended) == 0, "queued again when the change ends")
        #expect(machine.phase == .queued)
    }

    // MARK: - the journal

    @Test func recordsArePublishedInSequenceOrderAndNoneAfterARemoval() {
        var machine = created()
        let answer22 = machine.attach(.writer)
        #expect(answer22)
        guard case .commit(let first) = machine.beginCommit() else { return }
        _ = write(&machine, end: 4, now: 1)
        guard case .commit(let second) = machine.beginCommit() else { return }
        #expect(second.sequence > first.sequence)
        // The second commit's record lands first: the first one must not replace it.
        #expect(machine.mayWriteRecord(second.sequence))
        _ = machine.endCommit(second, published: true, now: 1, draining: false)
        #expect(!machine.mayWriteRecord(first.sequence))
        _ = machine.endCommit(first, published: false, now: 1, draining: false)
        #expect(machine.committed == second.generation)
        // Discarded: nothing may be written after the removal.
        let (_, effects) = machine.discard(now: 2)
        guard case .removeJournal(let removal)? = effects.first(where: { if case .removeJournal = $0 { true } else { false } }) else {
            Issue.record("no removal")
            return
        }
        #expect(machine.mayRemoveRecord(removal))
        machine.recordRemoved(removal)
        #expect(!machine.mayWriteRecord(removal + 1), "a discarded file writes no record")
    }

    @Test func aFileWrittenAgainAfterACommitResumesWithItsDataFileAsItIsNow() {
        // The record of the first commit said 4 bytes; the file grew to 9 after it.
        let fields = JournalRecordFields(remoteID: nil, folderID: folder, name: "log.txt", size: 4, baseVersion: nil,
                                         dataFile: "r.3", session: nil, isNote: false)
        let record = JournalRecord(key: "r", profileKind: "workspace", profileID: "1", fields: fields)
        var machine = SpoolFileMachine.resumed(record, size: 9, mtime: mtime)
        #expect(machine.size == 9 && machine.isDirty && machine.phase == .queued)
        #expect(machine.lock == .none)
        guard case .start(let snapshot) = machine.startUpload(now: 0, draining: false) else {
            Issue.record("a resumed record does not upload")
            return
        }
        #expect(snapshot.size == 9 && snapshot.dataFile == "r.3")
        // New data files continue after the journaled one's number.
        let answer23 = machine.beginChange()
        #expect(answer23 == .copy(from: "r.3", to: "r.4", length: 9))
    }

    @Test func aResumedUpdateHoldsNoLockAndComparesVersions() {
        let fields = JournalRecordFields(remoteID: "2node", folderID: folder, name: "b.txt", size: 4, baseVersion: "v1",
                                         dataFile: "e.0", session: .init(uploadID: "u1", chunkSize: 8, dataFile: "e.0"),
                                         isNote: false)
        var machine = SpoolFileMachine.resumed(JournalRecord(key: "e", profileKind: "workspace", profileID: "1",
                                                             fields: fields), size: 4, mtime: mtime)
        #expect(machine.lock == .lost)
        guard case .start(let snapshot) = machine.startUpload(now: 0, draining: false) else { return }
        #expect(snapshot.mustCheckVersion)
        #expect(snapshot.session?.uploadID == "u1", "the journaled session resumes")
    }

    // MARK: - discard

    @Test func aNewFileDiscardedWhileItsUploadPlacesItIsTrashedOnceTheUploadReturns() {
        var machine = created()
        _ = commit(&machine, now: 0)
        guard case .start(let snapshot) = machine.startUpload(now: 0, draining: false) else { return }
        let (remoteID, effects) = machine.discard(now: 1)
        #expect(remoteID == nil, "no node to trash yet")
        #expect(!effects.contains(.retire), "the upload still runs")
        let uploaded = machine.uploaded(snapshot, nodeID: "2placed", version: nil, placedAt: snapshot.address, now: 2)
        #expect(uploaded.contains(.trashPlaced(nodeID: "2placed")))
        let answer24 = machine.bound(now: 2, draining: false)
        #expect(answer24.contains(.retire))
    }

    @Test func anOpenUnlinkedFileStaysUntilItsLastHandleCloses() {
        var machine = existing()
        let answer25 = machine.attach(.writer)
        #expect(answer25)
        _ = machine.beginChange()
        _ = machine.materialized(nil, now: 0, draining: false)
        let (remoteID, effects) = machine.discard(now: 1)
        #expect(remoteID == "2node")
        #expect(!effects.contains(.retire))
        let answer26 = machine.beginChange()
        #expect(answer26 == .proceed(dataFile: "e.0"), "still writable through its handle")
        _ = machine.endChange(.write(end: 1), mtime: mtime, now: 1, draining: false)
        let answer27 = machine.detach(.writer, now: 2, draining: false)
        #expect(answer27.contains(.retire))
    }

    // MARK: - locks

    @Test func aLockLostAndTakenBackUnchangedIsNoLongerLost() {
        var machine = existing()
        _ = machine.attach(.writer)
        let answer28 = machine.beginLockAcquire()
        #expect(answer28 == .acquire)
        let answer29 = machine.beginLockAcquire()
        #expect(answer29 == .wait)
        let answer30 = machine.lockAcquired(grant, timing: timing, now: 0, draining: false)
        #expect(answer30 == [.keepLock])
        #expect(machine.lockAttention(now: 0) == 60, "the heartbeat is due at half the lock's life")
        machine.heartbeat(grant, succeeded: false, timing: timing, now: 60)
        #expect(machine.lock == .lost)
        let again = LockGrant(lockToken: "token2", expiresAt: nil)
        let answer31 = machine.relocked(again, serverVersion: "v1", timing: timing, now: 61)
        #expect(answer31.isEmpty)
        #expect(machine.lock == .held(again, due: 121, expires: timing.expires))
        let answer32 = machine.attach(.reader)
        #expect(answer32)
        _ = machine.beginChange()
        _ = machine.materialized(nil, now: 61, draining: false)
        _ = machine.endChange(.write(end: 1), mtime: mtime, now: 61, draining: false)
        _ = commit(&machine, now: 61)
        _ = machine.detach(.writer, now: 61, draining: false)
        guard case .start(let snapshot) = machine.startUpload(now: 61, draining: false) else { return }
        #expect(!snapshot.mustCheckVersion, "re-locked: no longer treated as lock-lost")
    }

    @Test func aLockLostWhileSomeoneElseChangedTheFileIsGivenBackAndTheUploadMakesAConflictCopy() {
        var machine = existing()
        _ = machine.beginLockAcquire()
        _ = machine.lockAcquired(grant, timing: timing, now: 0, draining: false)
        machine.heartbeat(grant, succeeded: false, timing: timing, now: 60)
        let again = LockGrant(lockToken: "token2", expiresAt: nil)
        let answer33 = machine.relocked(again, serverVersion: "v2", timing: timing, now: 61)
        #expect(answer33 == [.releaseLock(again, remoteID: "2node")])
        #expect(machine.lock == .lost)
        #expect(machine.lockAttention(now: 61) == .infinity, "the keeper stops trying")
        let answer34 = machine.attach(.writer)
        #expect(answer34)
        _ = machine.beginChange()
        _ = machine.materialized(nil, now: 61, draining: false)
        _ = machine.endChange(.write(end: 1), mtime: mtime, now: 61, draining: false)
        _ = commit(&machine, now: 61)
        _ = machine.detach(.writer, now: 61, draining: false)
        guard case .start(let snapshot) = machine.startUpload(now: 61, draining: false) else { return }
        #expect(snapshot.mustCheckVersion)
        // Our bytes went to a conflict copy: the file stands for the copy from now on.
        let copy = ServerAddress(folderID: folder, name: "b (conflict).txt")
        _ = machine.uploaded(snapshot, nodeID: "2copy", version: "c1", placedAt: copy, now: 62)
        #expect(machine.remoteID == "2copy" && machine.address == copy && machine.baseVersion == "c1")
        #expect(machine.size == snapshot.size, "our size goes with our bytes, to the copy")
        #expect(machine.lock == .none)
    }

    @Test func theLastWriterOfAnUnchangedFileReleasesTheLock() {
        var machine = existing()
        let answer35 = machine.attach(.writer)
        #expect(answer35)
        _ = machine.beginLockAcquire()
        _ = machine.lockAcquired(grant, timing: timing, now: 0, draining: false)
        let effects = machine.detach(.writer, now: 1, draining: false)
        #expect(effects == [.releaseLock(grant, remoteID: "2node")])
        #expect(machine.lock == .releasing)
        let answer36 = machine.beginLockAcquire()
        #expect(answer36 == .wait, "an acquire waits for the release (the server would answer the same token)")
        let released = machine.lockReleased(now: 2, draining: false)
        #expect(released.contains(.retire), "retired once the release is done")
    }

    @Test func aLockTakenAgainWhenNobodyWritesIsGivenBackAtOnce() {
        var machine = existing()
        _ = machine.attach(.reader)
        _ = machine.beginLockAcquire()
        _ = machine.lockAcquired(grant, timing: timing, now: 0, draining: false)
        machine.heartbeat(grant, succeeded: false, timing: timing, now: 60)
        let again = LockGrant(lockToken: "token2", expiresAt: nil)
        let answer37 = machine.relocked(again, serverVersion: "v1", timing: timing, now: 61)
        #expect(answer37 == [.releaseLock(again, remoteID: "2node")])
    }

    @Test func aChunkedSessionsFileStaysFrozenAfterAFailedUpload() {
        var machine = created()
        _ = machine.attach(.writer)
        _ = write(&machine, end: 20 << 20, now: 0)
        _ = commit(&machine, now: 0)
        guard case .start(let snapshot) = machine.startUpload(now: 10, draining: false) else { return }
        _ = machine.sessionStarted(uploadID: "u1", chunkSize: 8 << 20)
        _ = machine.uploadFailed(snapshot, error: FSError(EIO), now: 11, draining: false)
        #expect(machine.files.frozen == snapshot.dataFile, "its chunks on the server are of this content")
        let answer38 = machine.beginChange()
        #expect(answer38 == .copy(from: "k.0", to: "k.1", length: 20 << 20), "a change copies it first")
        _ = machine.copied(nil, replacedSize: nil, mtime: mtime, now: 12, draining: false)
        #expect(write(&machine, end: 1, now: 12).isEmpty)
        _ = commit(&machine, now: 12)
        _ = machine.detach(.writer, now: 12, draining: false)
        guard case .start(let retry) = machine.startUpload(now: 100, draining: false) else { return }
        #expect(retry.session == nil, "the session of the old content is not reused for the new")
    }

    @Test func aDirtyFileKeepsItsLockUntilItsUploadIsBound() {
        var machine = existing()
        let answer36 = machine.attach(.writer)
        #expect(answer36)
        _ = machine.beginLockAcquire()
        _ = machine.lockAcquired(grant, timing: timing, now: 0, draining: false)
        _ = machine.beginChange()
        _ = machine.materialized(nil, now: 0, draining: false)
        _ = machine.endChange(.write(end: 1), mtime: mtime, now: 0, draining: false)
        _ = commit(&machine, now: 0)
        let detached = machine.detach(.writer, now: 1, draining: false)
        #expect(!detached.contains(.releaseLock(grant, remoteID: "2node")))
        guard case .start(let snapshot) = machine.startUpload(now: 1, draining: false) else { return }
        _ = machine.uploaded(snapshot, nodeID: "2node", version: "v2", placedAt: snapshot.address, now: 2)
        let bound = machine.bound(now: 2, draining: false)
        #expect(bound.contains(.releaseLock(grant, remoteID: "2node")))
        #expect(machine.baseVersion == "v2")
    }

    // MARK: - nothing stranded

    @Test func theLastWriterLeavingUncommittedChangesQueuesThem() {
        var machine = created()
        let answer37 = machine.attach(.writer)
        #expect(answer37)
        _ = write(&machine, end: 3, now: 0)
        #expect(machine.phase == .idle)
        let effects = machine.detach(.writer, now: 1, draining: false)
        #expect(schedules(effects) == 0)
        #expect(machine.phase == .queued)
    }

    @Test func aFailedUploadIsRetriedWithBackoff() {
        var machine = created()
        _ = commit(&machine, now: 0)
        guard case .start(let snapshot) = machine.startUpload(now: 0, draining: false) else { return }
        let effects = machine.uploadFailed(snapshot, error: FSError(EIO), now: 10, draining: false)
        #expect(schedules(effects) == 10.5)
        #expect(machine.files.frozen == nil && machine.retries == 1 && machine.lastError == FSError(EIO))
        #expect(SpoolFileMachine.backoff(retries: 20) == SpoolFileMachine.maximumBackoff)
    }

    @Test func fsyncAndUnmountLiftTheQuietDelayOfAnOpenWriter() {
        var machine = created()
        let answer38 = machine.attach(.writer)
        #expect(answer38)
        _ = write(&machine, end: 1, now: 100)
        #expect(machine.uploadDue(draining: false) == 100 + SpoolFileMachine.openWriterQuiet)
        #expect(machine.uploadDue(draining: true) == 0)
        machine.syncWanted = machine.generation
        #expect(machine.uploadDue(draining: false) == 0)
    }

    @Test func aPendingFileRenamedWhileItsUploadPlacesItIsMovedAfterwards() {
        var machine = created()
        _ = commit(&machine, now: 0)
        guard case .start(let snapshot) = machine.startUpload(now: 0, draining: false) else { return }
        let renamed = ServerAddress(folderID: folder, name: "b.txt")
        let (outcome, _) = machine.readdress(to: renamed)
        #expect(outcome == .placingAway(old: snapshot.address))
        _ = machine.uploaded(snapshot, nodeID: "2n", version: nil, placedAt: snapshot.address, now: 1)
        #expect(machine.address == renamed, "the rename is kept for the uploader to apply")
        let (binding, _) = machine.readdress(to: ServerAddress(folderID: folder, name: "c.txt"))
        #expect(binding == .wait, "a rename waits while the binder may be moving the node")
        #expect(machine.address == renamed)
        _ = machine.bound(now: 1, draining: false)
        let (later, _) = machine.readdress(to: ServerAddress(folderID: folder, name: "c.txt"))
        #expect(later == .placed(id: "2n"))
    }

    @Test func aLockThatLapsedIsTreatedAsLostUntilTakenAgain() {
        var machine = existing()
        _ = machine.beginLockAcquire()
        _ = machine.lockAcquired(grant, timing: timing, now: 0, draining: false)
        #expect(!machine.lockLapsed(wallNow: Date(timeIntervalSince1970: 119)))
        #expect(machine.lockLapsed(wallNow: Date(timeIntervalSince1970: 120)))
        machine.lockLapsed()
        #expect(machine.lock == .lost)
        #expect(machine.lockAttention(now: 5) == 0, "the keeper takes it again at once")
    }

    @Test func locksAreRenewedAtHalfTheirLifeAsTheServerStatesIt() {
        let start = Date(timeIntervalSince1970: 1_000)
        let short = SpoolFileMachine.LockTiming(expiresAt: start.addingTimeInterval(4), wallNow: start)
        #expect(short.renewIn == 2 && short.expires == start.addingTimeInterval(4))
        let long = SpoolFileMachine.LockTiming(expiresAt: start.addingTimeInterval(3_600), wallNow: start)
        #expect(long.renewIn == 60, "never later than half the duration we asked for")
        let unknown = SpoolFileMachine.LockTiming(expiresAt: nil, wallNow: start)
        #expect(unknown.renewIn == 60 && unknown.expires == start.addingTimeInterval(120))
    }

    /// A reader racing a retirement reads the server (whose version is the content), never a data
    /// file that is being deleted (an open would create it empty: zeros instead of bytes).
    @Test func aLeavingFileIsReadFromTheServer() {
        var machine = created()
        _ = commit(&machine, now: 0)
        guard case .start(let snapshot) = machine.startUpload(now: 0, draining: false) else { return }
        _ = machine.uploaded(snapshot, nodeID: "2n", version: "v1", placedAt: snapshot.address, now: 1)
        let effects = machine.bound(now: 1, draining: false)
        #expect(effects.contains(.retire))
        let answer = machine.beginRead()
        #expect(answer == .nothing)
    }

    /// A refusal retrying cannot change is counted, and once confirmed the file stops being pending
    /// (its bytes were set aside by the worker): nothing keeps the queue or an unmount waiting.
    @Test func aConfirmedRefusalSetsTheFileAsideAndEndsItsUploads() {
        var machine = created()
        _ = commit(&machine, now: 0)
        for attempt in 1..<UploadRefusal.confirmations {
            guard case .start(let snapshot) = machine.startUpload(now: Double(attempt) * 100, draining: false) else { return }
            #expect(!machine.nextRefusalConfirms)
            _ = machine.uploadFailed(snapshot, error: FSError(ENOENT), permanent: true, now: Double(attempt) * 100, draining: false)
        }
        guard case .start(let last) = machine.startUpload(now: 1_000, draining: false) else { return }
        #expect(machine.nextRefusalConfirms)
        let effects = machine.setAside(last, dataFile: "k.0", reason: FSError(ENOENT), now: 1_000)
        #expect(!machine.isPending)
        #expect(effects.contains(.removeJournal(sequence: 2)))
        #expect(effects.contains(.retire))
        #expect(!effects.contains(.deleteDataFiles(["k.0"])), "the set-aside file is not deleted")
    }

    @Test func anotherFailureResetsTheRefusalCount() {
        var machine = created()
        _ = commit(&machine, now: 0)
        guard case .start(let first) = machine.startUpload(now: 0, draining: false) else { return }
        _ = machine.uploadFailed(first, error: FSError(ENOENT), permanent: true, now: 0, draining: false)
        guard case .start(let second) = machine.startUpload(now: 100, draining: false) else { return }
        _ = machine.uploadFailed(second, error: FSError(EIO), now: 100, draining: false)
        #expect(machine.refusals == 0)
    }
}
