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
        // The target is written like a file opened for writing (its lock first), through a handle of
        // its own for the length of this call.
        let handle = handles.reserve()
        let targetFile = try writes.openExisting(profileIndex: profileIndex, remoteID: targetID, folderID: folder.folderID,
                                                 name: try existingServerName(newName), metadata: target.metadata, handle: handle)
        defer { writes.detach(handle: handle) }
        try fill(targetFile, from: source, writes: writes)
        // Crash-safe before the source is forgotten: its bytes now live in the target's record.
        try targetFile.commit(context: writes)
        // The source's upload may have placed it meanwhile: trash that node too.
        let sourceFolder = try folderTarget(parent)
        if let placedID = writes.discard(currentIdentity(of: source, writes: writes)) {
            do {
                try deleteOnServer(placedID, in: sourceFolder, name: name, writer: try requireWriter())
            } catch {
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
        if let standing = writes.standingError(for: targetFile) { throw standing }
    }

    /// The identity `source`'s inode stands for now: a pending file whose upload placed it (and whose
    /// spool was then retired) since `source` was read is its server node.
    private func currentIdentity(of source: NodeRecord, writes: WriteCoordinator) -> NodeIdentity {
        let identity = nodes.record(source.ino)?.identity ?? source.identity
        if writes.file(identity) != nil { return identity }
        return writes.overlay.alias(of: identity)?.identity ?? identity
    }

    /// Copies the source's current content (its spool, else the server's bytes) into `file`.
    private func fill(_ file: SpoolFile, from source: NodeRecord, writes: WriteCoordinator) throws(FSError) {
        let identity = currentIdentity(of: source, writes: writes)
        if let local = writes.file(identity) {
            let size = local.machine.size
            do {
                try file.replaceContent(size: size, context: writes) { (target: Int32) throws(FSError) in
                    var offset: Int64 = 0
                    while offset < size {
                        guard let bytes = try local.read(offset: offset, size: 1 << 20, context: writes) else {
                            throw FSError(ESTALE, detail: "the source's local bytes are gone")
                        }
                        if bytes.isEmpty { break }
                        let written = bytes.withUnsafeBytes { raw in
                            Result { () throws(FSError) in try SpoolDirectory.writeAll(target, raw, at: offset) }
                        }
                        try written.get()
                        offset += Int64(bytes.count)
                    }
                }
                return
            } catch where error.errno == ESTALE {
                // Its upload finished and it retired meanwhile: the server has its content now.
            }
        }
        guard case .remote(let sourceProfile, let sourceID) = currentIdentity(of: source, writes: writes) else {
            throw FSError(ENOENT)
        }
        let fresh = try details(profileIndex: sourceProfile, id: sourceID)
        let api = self.api
        let profile = profiles[sourceProfile].profile
        try file.replaceContent(size: fresh.size, context: writes) { (target: Int32) throws(FSError) in
            try ServerCopy.fetch(api: api, profile: profile, nodeID: sourceID, version: fresh.version,
                                 length: fresh.size, into: target)
        }
    }
}
