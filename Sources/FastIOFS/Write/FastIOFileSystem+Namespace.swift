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
        try requireCreatable(.directory, in: target, name: name)
        let node: RemoteNode
        do {
            node = try writer.createFolder(profiles[target.profileIndex].profile, parentID: target.folderID,
                                           name: remoteName)
        } catch {
            throw mutationError(error, operation: "mkdir", name: name)
        }
        guard let entry = ListedEntry(node, profile: target.profileIndex) else { throw FSError(EIO) }
        if let writes {
            writes.overlay.noteNode(entry.identity, in: writes.folderKey(target.profileIndex, target.folderID),
                                    name: entry.name, metadata: entry.metadata, now: MonotonicClock.now())
        }
        listingInsert(entry, in: parent)
        return retainEntry(entry, parent: parent, fetchedAt: nil)
    }

    func removeFile(parent: UInt64, name: String) throws(FSError) {
        let writer = try requireWriter()
        let target = try folderTarget(parent)
        guard let child = try childRecord(parent: parent, name: name) else { throw FSError(ENOENT) }
        if child.metadata.kind == .directory { throw FSError(EISDIR) }
        try requireChangeable(child, operation: "unlink", content: false)
        try trash(child, writer: writer, in: target, name: name)
        listingRemove(name, in: parent)
    }

    func removeDirectory(parent: UInt64, name: String) throws(FSError) {
        let writer = try requireWriter()
        let target = try folderTarget(parent)
        guard let child = try childRecord(parent: parent, name: name) else { throw FSError(ENOENT) }
        guard child.metadata.kind == .directory else { throw FSError(ENOTDIR) }
        try requireChangeable(child, operation: "rmdir", content: false)
        guard try isEmptyFolder(child) else { throw FSError(ENOTEMPTY) }
        try trash(child, writer: writer, in: target, name: name)
        listingRemove(name, in: parent)
        listings.invalidate(child.ino)
    }

    /// Moves a node to the trash (or drops a file that was never uploaded) and forgets its name.
    /// Listings hide the node from the moment the request starts (a listing fetched around it may
    /// still hold it) until a listing started after it shows the server's word.
    func trash(_ child: NodeRecord, writer: any FastIOWriteAPI, in folder: FolderTarget, name: String) throws(FSError) {
        let placedID = writes?.discard(child.identity)
        let remoteID: String?
        switch child.identity {
        case .remote(_, let id): remoteID = id
        case .pending: remoteID = placedID
        default: throw FSError(EACCES)
        }
        if let remoteID {
            try deleteOnServer(remoteID, in: folder, name: name, writer: writer)
        }
        nodes.detach(child.ino)
    }

    /// `delete` of node `id` (listed as `name` in `folder`), hidden from listings meanwhile.
    func deleteOnServer(_ id: String, in folder: FolderTarget, name: String?, writer: any FastIOWriteAPI) throws(FSError) {
        let key = LocalOverlay.FolderKey(profile: folder.profileIndex, folderID: folder.folderID)
        writes?.overlay.noteRemoving(id, from: key, name: name)
        do {
            try writer.delete(profiles[folder.profileIndex].profile, nodeID: id)
        } catch {
            writes?.overlay.removalFailed(id, from: key)
            throw mutationError(error, operation: "delete", name: name ?? id)
        }
        writes?.overlay.removed(id, from: key, now: MonotonicClock.now())
    }

    /// True when the folder has no entries (first page of its listing; a fresh cached listing counts).
    func isEmptyFolder(_ folder: NodeRecord) throws(FSError) -> Bool {
        if let cached = listings.fresh(folder.ino, now: MonotonicClock.now()) { return cached.entries.isEmpty }
        guard case .remote(let profileIndex, let folderID) = folder.identity else { return false }
        let pager = folderPager(profileIndex, folderID)
        let page = try pager.page(cursor: nil)
        let local = writes.map { $0.overlay.view(of: $0.folderKey(profileIndex, folderID), now: MonotonicClock.now()) }
        return page.entries.isEmpty && page.nextCursor == nil && (local?.additions(listedAt: page.listedAt).isEmpty ?? true)
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
        try requireChangeable(source, operation: "rename", content: false)
        if let existing = try childRecord(parent: newParent, name: newName) {
            if flags & noReplace != 0 { throw FSError(EEXIST) }
            if existing.ino == source.ino { return }
            try requireChangeable(existing, operation: "rename over")
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
            try trash(existing, writer: writer, in: to, name: newName)
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
    /// its first upload is only re-addressed locally (its upload places it under the new name).
    private func moveAndRename(_ source: NodeRecord, from: FolderTarget, to: FolderTarget, newRemoteName: String,
                               writer: any FastIOWriteAPI) throws(FSError) {
        let identity = nodes.record(source.ino)?.identity ?? source.identity
        var serverID: String?
        var spooled: (file: SpoolFile, old: ServerAddress)?
        if let writes, let file = writes.file(identity) {
            let old = file.machine.address
            switch writes.readdress(file, to: to, name: newRemoteName) {
            case .local, .placingAway, .wait: return
            case .placed(let id):
                serverID = id
                spooled = (file, old)
            }
        }
        if serverID == nil, case .remote(_, let id) = identity { serverID = id }
        if serverID == nil, case .remote(_, let id)? = writes?.overlay.alias(of: identity)?.identity { serverID = id }
        guard let id = serverID else { throw FSError(ENOENT) }
        let profile = profiles[from.profileIndex].profile
        let renamed = PosixName.encode(newRemoteName) != source.name
        let moved = from.folderID != to.folderID
        let fromKey = LocalOverlay.FolderKey(profile: from.profileIndex, folderID: from.folderID)
        if moved { writes?.overlay.noteRemoving(id, from: fromKey, name: source.name) }
        do {
            if moved {
                do {
                    try writer.move(profile, nodeID: id, toParentID: to.folderID)
                } catch where renamed && FSError.from(error).errno == EINVAL {
                    // The old name is taken in the new folder: rename first, then move.
                    _ = try writer.rename(profile, nodeID: id, to: newRemoteName)
                    try writer.move(profile, nodeID: id, toParentID: to.folderID)
                }
            }
            if renamed { _ = try writer.rename(profile, nodeID: id, to: newRemoteName) }
        } catch {
            if moved { writes?.overlay.removalFailed(id, from: fromKey) }
            if let spooled, let writes {
                // The server kept the old address: so does the file.
                _ = writes.readdress(spooled.file, to: FolderTarget(profileIndex: from.profileIndex,
                                                                    folderID: spooled.old.folderID), name: spooled.old.name)
            }
            throw mutationError(error, operation: "rename", name: newRemoteName)
        }
        let now = MonotonicClock.now()
        if moved { writes?.overlay.removed(id, from: fromKey, now: now) }
        var metadata = source.metadata
        if let local = writes?.overlay(identity) {
            metadata.size = local.size
            metadata.mtime = local.mtime
        }
        writes?.overlay.noteNode(.remote(profile: from.profileIndex, id: id),
                                 in: LocalOverlay.FolderKey(profile: to.profileIndex, folderID: to.folderID),
                                 name: PosixName.encode(newRemoteName), metadata: metadata, now: now)
    }
}
