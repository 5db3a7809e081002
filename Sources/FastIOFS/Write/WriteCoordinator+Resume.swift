import FastIO
import Foundation
import Logging

/// Picking up the journal of an earlier mount with the same cache directory.
extension WriteCoordinator {
    /// Deletes data files no record names: bytes of an earlier mount that no `close` or `fsync`
    /// acknowledged (a file still being written at a crash, a copy not journaled yet). Only with the
    /// cache directory's lock held (no other mount's files are here) and every record readable.
    private func removeOrphans(keeping referenced: Set<String>) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: spool.path)
        } catch {
            logger.warning("cannot list the spool to tidy it", metadata: ["error": "\(error)"])
            return
        }
        let orphans = names.filter { !referenced.contains($0) }
        guard !orphans.isEmpty else { return }
        let failures = spool.remove(orphans)
        logger.notice("removed spooled data no journal record names (never acknowledged by close or fsync)",
                      metadata: ["files": "\(orphans.count - failures.count)"])
        for failure in failures {
            logger.warning("cannot remove an orphaned spool file", metadata: ["file": "\(failure.name)", "error": "\(failure.error)"])
        }
    }

    /// Queues every journaled upload of a profile this mount serves, with its data file as it is now
    /// (the last commit's bytes, or later ones written after it). Records of other profiles stay for
    /// the mount that serves them. A resumed update holds no lock: the keeper tries to take it, and
    /// the upload compares the server's version first (its hash tells our own content from someone
    /// else's change).
    func resumeJournal() {
        let (records, setAsideEarlier, undecodedSetAside, unreadable) = journal.records()
        for (name, reason) in unreadable {
            logger.error("a journal record cannot be read; it stays in place", metadata: ["record": "\(name)", "reason": "\(reason)"])
        }
        for name in undecodedSetAside {
            logger.notice("a journal record set aside earlier cannot be read; no spooled data is kept for it",
                          metadata: ["record": "\(name)"])
        }
        // The data files every record names are kept, those of records set aside too (now or at an
        // earlier mount: their bytes may be the user's).
        if unreadable.isEmpty {
            let named = (records.map(\.record) + setAsideEarlier).flatMap { [$0.dataFile] + ($0.sessionDataFile.map { [$0] } ?? []) }
            removeOrphans(keeping: Set(named))
        }
        for (fileName, record) in records {
            guard let profileIndex = profiles.firstIndex(where: {
                $0.profile.id == record.profileID && $0.profile.kind.rawValue == record.profileKind
            }) else { continue }
            if let problem = record.problem(fileName: fileName) ?? record.dataFileProblem(in: spool) {
                setAside(fileName, problem: problem)
                continue
            }
            var attributes = stat()
            guard stat(spool.filePath(record.dataFile), &attributes) == 0 else {
                logger.error("a journaled upload has lost its spooled data; its record stays in place",
                             metadata: ["name": "\(record.name)", "data": "\(spool.filePath(record.dataFile))",
                                        "error": "\(String(cString: strerror(errno)))"])
                continue
            }
            let mtime = FSTime(seconds: Int(attributes.st_mtim.tv_sec), nanoseconds: Int(attributes.st_mtim.tv_nsec))
            let machine = SpoolFileMachine.resumed(record, size: Int64(attributes.st_size), mtime: mtime)
            let file = SpoolFile(machine: machine, profileIndex: profileIndex, profile: profiles[profileIndex].profile,
                                 spool: spool, journal: journal)
            if let remoteID = record.remoteID {
                register(file, as: .remote(profile: profileIndex, id: remoteID))
                keeper.track(file)
            } else {
                register(file, as: file.pendingIdentity)
                overlay.addSpooled(key: file.key, identity: file.pendingIdentity,
                                   in: folderKey(profileIndex, record.folderID), name: PosixName.encode(record.name),
                                   metadata: NodeMetadata(kind: .file, size: machine.size, mtime: mtime))
            }
            logger.notice("resuming a journaled upload", metadata: ["name": "\(record.name)", "bytes": "\(machine.size)"])
            queue.schedule(file, due: clock.now())
        }
    }

    /// A record this mount will not act on: logged and renamed to `<name>.rejected`, never uploaded.
    /// When it cannot be renamed it stays where it is, and is refused again at the next mount.
    private func setAside(_ fileName: String, problem: String) {
        let path = journal.directory + "/" + fileName
        do {
            try journal.setAside(fileName)
            logger.error("a journal record is not valid and is set aside, not uploaded", metadata: [
                "record": "\(path)", "problem": "\(problem)", "moved to": "\(path).rejected",
            ])
        } catch {
            logger.error("a journal record is not valid and is not uploaded; it cannot be set aside", metadata: [
                "record": "\(path)", "problem": "\(problem)", "error": "\(error)",
            ])
        }
    }
}
