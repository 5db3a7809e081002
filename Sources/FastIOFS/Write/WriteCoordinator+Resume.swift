import FastIO
import Foundation
import Logging

/// Picking up the journal of an earlier mount with the same cache directory.
extension WriteCoordinator {
    /// Re-queues every journaled upload of a profile this mount serves. Records of other profiles
    /// stay for the mount that serves them. A resumed update holds no lock: its upload checks the
    /// server version first (conflict copy when someone else changed the file).
    func resumeJournal() {
        for record in journal.records() {
            guard let profileIndex = profiles.firstIndex(where: {
                $0.profile.id == record.profileID && $0.profile.kind.rawValue == record.profileKind
            }) else { continue }
            let dataPath = spoolDirectory + "/" + record.dataFile
            var attributes = stat()
            guard stat(dataPath, &attributes) == 0, Int64(attributes.st_size) == record.size else {
                logger.error("journaled upload has no intact spool data; skipped",
                             metadata: ["name": "\(record.name)", "data": "\(dataPath)"])
                continue
            }
            var state = SpoolFile.State(remoteID: record.remoteID, folderID: record.folderID, name: record.name,
                                        size: record.size, mtime: FSTime(Date()), materialized: true, fetchLimit: 0,
                                        baseVersion: record.baseVersion, dataPath: dataPath)
            state.generation = 1
            state.lockLost = record.remoteID != nil
            state.uploadID = record.uploadID
            state.chunkSize = record.chunkSize
            state.isNote = record.isNote ?? false
            let file = SpoolFile(key: record.key, profileIndex: profileIndex, spoolDirectory: spoolDirectory, state: state)
            let identity: NodeIdentity = record.remoteID.map { .remote(profile: profileIndex, id: $0) } ?? file.pendingIdentity
            registry.withLock { $0.files[identity] = file }
            logger.notice("resuming a journaled upload", metadata: ["name": "\(record.name)", "bytes": "\(record.size)"])
            enqueue(file)
        }
    }
}
