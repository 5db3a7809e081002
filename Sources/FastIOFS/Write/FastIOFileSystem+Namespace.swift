import FastIO
import Foundation

/// mkdir, unlink, rmdir and rename: each one (or two) API calls, applied to the node table and the
/// cached listings at once so the next lookup needs no request.
extension FastIOFileSystem {
    func makeDirectory(parent: UInt64, name: String) throws(FSError) -> Entry {
        let writer = try requireWriter()
        let target = try folderTarget(parent)
        let remoteName = try serverName(name)
        // createfolder answers an existing folder of that name: POSIX wants EEXIST.
        if try childRecord(parent: parent, name: name) != nil { throw FSError(EEXIST) }
        let node: RemoteNode
        do {
            node = try writer.createFolder(profiles[target.profileIndex].profile, parentID: target.folderID,
                                           name: remoteName)
        } catch {
            throw mutationError(error, operation: "mkdir", name: name)
        }
        guard let entry = ListedEntry(node, profile: target.profileIndex) else { throw FSError(EIO) }
        listingInsert(entry, in: parent)
        return retainEntry(entry, parent: parent, fetchedAt: nil)
    }

    func removeFile(parent: UInt64, name: String) throws(FSError) {
        let writer = try requireWriter()
        let target = try folderTarget(parent)
        guard let child = try childRecord(parent: parent, name: name) else { throw FSError(ENOENT) }
        if child.metadata.kind == .directory { throw FSError(EISDIR) }
        try trash(child, writer: writer, profileIndex: target.profileIndex, name: name)
        listingRemove(name, in: parent)
    }

    func removeDirectory(parent: UInt64, name: String) throws(FSError) {
        let writer = try requireWriter()
        let target = try folderTarget(parent)
        guard let child = try childRecord(parent: parent, name: name) else { throw FSError(ENOENT) }
        guard child.metadata.kind == .directory else { throw FSError(ENOTDIR) }
        guard try isEmptyFolder(child) else { throw FSError(ENOTEMPTY) }
        try trash(child, writer: writer, profileIndex: target.profileIndex, name: name)
        listingRemove(name, in: parent)
        listings.invalidate(child.ino)
    }

    /// Moves a node to the trash (or drops a file that was never uploaded) and forgets its name.
    func trash(_ child: NodeRecord, writer: any FastIOWriteAPI, profileIndex: Int, name: String) throws(FSError) {
        let placedID = writes?.discard(child.identity)
        let remoteID: String?
        switch child.identity {
        case .remote(_, let id): remoteID = id
        case .pending: remoteID = placedID
        default: throw FSError(EACCES)
        }
        if let remoteID {
            do {
                try writer.delete(profiles[profileIndex].profile, nodeID: remoteID)
            } catch {
                writes?.deleteFailed(remoteID)
                throw mutationError(error, operation: "delete", name: name)
            }
        }
        nodes.detach(child.ino)
    }

    /// True when the folder has no entries (first page of its listing; a fresh cached listing counts).
    func isEmptyFolder(_ folder: NodeRecord) throws(FSError) -> Bool {
        if let cached = listings.fresh(folder.ino, now: MonotonicClock.now()) { return cached.entries.isEmpty }
        guard case .remote(let profileIndex, let folderID) = folder.identity else { return false }
        let pager = folderPager(profileIndex, folderID)
        let page = try pager.page(cursor: nil)
        return page.entries.isEmpty && page.nextCursor == nil
    }

    func renameNode(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32) throws(FSError) {
        let writer = try requireWriter()
        let exchange: UInt32 = 2
        let noReplace: UInt32 = 1
        if flags & exchange != 0 { throw FSError(EINVAL, detail: "RENAME_EXCHANGE is not supported") }
        let from = try folderTarget(parent)
        let to = try folderTarget(newParent)
        guard from.profileIndex == to.profileIndex else { throw FSError(EXDEV) }
        let newRemoteName = try serverName(newName)
        guard let source = try childRecord(parent: parent, name: name) else { throw FSError(ENOENT) }
        if parent == newParent && name == newName { return }
        if let existing = try childRecord(parent: newParent, name: newName) {
            if flags & noReplace != 0 { throw FSError(EEXIST) }
            if existing.ino == source.ino { return }
            switch (source.metadata.kind, existing.metadata.kind) {
            case (.directory, .directory):
                guard try isEmptyFolder(existing) else { throw FSError(ENOTEMPTY) }
            case (.directory, _): throw FSError(ENOTDIR)
            case (_, .directory): throw FSError(EISDIR)
            case (.file, .file):
                if case .remote = existing.identity {
                    try replaceByRename(source: source, target: existing, parent: parent, name: name,
                                        newParent: newParent, newName: newName, folder: to)
                    return
                }
            default: break
            }
            try trash(existing, writer: writer, profileIndex: to.profileIndex, name: newName)
            listingRemove(newName, in: newParent)
        }
        try moveAndRename(source, from: from, to: to, newRemoteName: newRemoteName, writer: writer)
        nodes.move(source.ino, toParent: newParent, name: newName)
        listingRemove(name, in: parent)
        // The identity now (a pending file may have been placed and rebound while this ran).
        let identity = nodes.record(source.ino)?.identity ?? source.identity
        listingInsert(ListedEntry(name: newName, identity: identity, metadata: source.metadata), in: newParent)
    }

    /// The server side of a rename: `move` to the new folder, `update name`; a file still waiting for
    /// its first upload is only re-addressed locally.
    private func moveAndRename(_ source: NodeRecord, from: FolderTarget, to: FolderTarget, newRemoteName: String,
                               writer: any FastIOWriteAPI) throws(FSError) {
        var placedID: String?
        if case .pending = source.identity, let writes {
            switch writes.readdress(ino: source.ino, folderID: to.folderID, name: newRemoteName) {
            case .readdressed: return
            case .placed(let id): placedID = id
            case .unknown: break
            }
        }
        if placedID == nil, case .remote(_, let id) = nodes.record(source.ino)?.identity ?? source.identity {
            placedID = id
        }
        guard let id = placedID else { throw FSError(EACCES) }
        let profile = profiles[from.profileIndex].profile
        let renamed = PosixName.encode(newRemoteName) != source.name
        do {
            if from.folderID != to.folderID {
                do {
                    try writer.move(profile, nodeID: id, toParentID: to.folderID)
                } catch where renamed && FSError.from(error).errno == EINVAL {
                    // The old name is taken in the new folder: rename first, then move.
                    _ = try writer.rename(profile, nodeID: id, to: newRemoteName)
                    try writer.move(profile, nodeID: id, toParentID: to.folderID)
                    writes?.readdress(remoteID: id, folderID: to.folderID, name: newRemoteName)
                    return
                }
            }
            if renamed { _ = try writer.rename(profile, nodeID: id, to: newRemoteName) }
        } catch {
            throw mutationError(error, operation: "rename", name: newRemoteName)
        }
        writes?.readdress(remoteID: id, folderID: to.folderID, name: newRemoteName)
    }
}
