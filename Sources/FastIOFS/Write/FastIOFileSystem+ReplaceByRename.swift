import FastIO
import Foundation

/// Rename over an existing server file (editors' write-temp-then-rename save): the target keeps its
/// node id and version history and gets the source's content as a new version; the source node
/// goes to the trash. The kernel's inode for the new name (the source's) takes over the target's
/// identity, so attributes and reads through it follow the target.
extension FastIOFileSystem {
    func replaceByRename(source: NodeRecord, target: NodeRecord, parent: UInt64, name: String,
                         newParent: UInt64, newName: String, folder: FolderTarget) throws(FSError) {
        let writes = try coordinator()
        guard case .remote(let profileIndex, let targetID) = target.identity else { throw FSError(EIO) }
        let targetFile = try writes.openExisting(profileIndex: profileIndex, remoteID: targetID, folderID: folder.folderID,
                                                 name: try serverName(newName), metadata: target.metadata)
        do {
            try fill(targetFile, from: source, writes: writes)
        } catch {
            writes.dropIfIdle(targetFile)
            throw error
        }
        // The source's upload may have placed it meanwhile: trash that node too.
        if let placedID = writes.discard(currentIdentity(of: source, writes: writes)) {
            do {
                try requireWriter().delete(profiles[profileIndex].profile, nodeID: placedID)
            } catch {
                writes.deleteFailed(placedID)
                logger.notice("could not trash the renamed-over source", metadata: ["name": "\(name)", "error": "\(error)"])
            }
        }
        if let targetIno = nodes.inode(of: target.identity), targetIno != source.ino {
            nodes.detach(targetIno)
            nodes.rebind(targetIno, to: .pending(profile: profileIndex, key: "replaced-" + UUID().uuidString.lowercased()))
        }
        if nodes.record(source.ino) != nil {
            nodes.rebind(source.ino, to: target.identity)
            nodes.move(source.ino, toParent: newParent, name: newName)
            nodes.refresh(source.ino, metadata: target.metadata, at: MonotonicClock.now())
        }
        listingRemove(name, in: parent)
        listingInsert(ListedEntry(name: newName, identity: target.identity, metadata: target.metadata), in: newParent)
        try writes.commitLocally(targetFile)
        writes.dropIfIdle(targetFile)
    }

    /// The identity `source`'s inode stands for now: a pending file whose upload placed it (and whose
    /// spool was then retired) since `source` was read is its server node.
    private func currentIdentity(of source: NodeRecord, writes: WriteCoordinator) -> NodeIdentity {
        let identity = nodes.record(source.ino)?.identity ?? source.identity
        return writes.placement(of: identity)?.identity ?? identity
    }

    /// Copies the source's current content (its spool, else the server's bytes) into `file`.
    private func fill(_ file: SpoolFile, from source: NodeRecord, writes: WriteCoordinator) throws(FSError) {
        if let local = writes.file(currentIdentity(of: source, writes: writes)) {
            try local.materialize(fetch: writes.fetcher(for: local))
            try local.syncData()
            let state = local.snapshotState()
            let fd = Glibc.open(state.dataPath, O_RDONLY | O_CLOEXEC)
            if fd >= 0 {
                defer { close(fd) }
                try file.replaceContent(size: state.size) { (target: Int32) throws(FSError) in
                    try SpoolFile.copyAll(from: fd, to: target, length: state.size)
                }
                return
            }
            // Retired between the lookup and the open: its content is on the server now.
            let openError = errno
            guard openError == ENOENT, local.snapshotState().retired else { throw FSError(openError, detail: "spool open") }
        }
        guard case .remote(let profileIndex, let sourceID) = currentIdentity(of: source, writes: writes) else {
            throw FSError(ENOENT)
        }
        let fresh = try details(profileIndex: profileIndex, id: sourceID)
        let api = self.api
        let profile = profiles[profileIndex].profile
        try file.replaceContent(size: fresh.size) { (target: Int32) throws(FSError) in
            var buffer = [UInt8](repeating: 0, count: 4 << 20)
            var offset: Int64 = 0
            while offset < fresh.size {
                let want = Int(min(Int64(buffer.count), fresh.size - offset))
                let got: Int
                do {
                    got = try buffer.withUnsafeMutableBytes { raw in
                        try api.read(profile, nodeID: sourceID, versionID: fresh.version, offset: offset,
                                     into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]))
                    }
                } catch {
                    throw FSError.from(error)
                }
                if got == 0 { break }
                let written = buffer.withUnsafeBytes { pwrite(target, $0.baseAddress!, got, off_t(offset)) }
                guard written == got else { throw FSError(written < 0 ? errno : ENOSPC, detail: "spool fill") }
                offset += Int64(got)
            }
        }
    }
}
