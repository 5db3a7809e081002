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
        let (records, unreadable) = journal.records()
        for (name, reason) in unreadable {
            logger.error("a journal record cannot be read; it stays in place", metadata: ["record": "\(name)", "reason": "\(reason)"])
        }
        if unreadable.isEmpty { removeOrphans(keeping: Set(records.map(\.dataFile))) }
        for record in records {
            guard let profileIndex = profiles.firstIndex(where: {
                $0.profile.id == record.profileID && $0.profile.kind.rawValue == record.profileKind
            }) else { continue }
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
}
