import FastIO
import Foundation

/// Files through the spool: create, open for writing (lock first), write, truncate, reads of local
/// bytes, flush (spooled + journaled), fsync (durable on the server), release.
extension FastIOFileSystem {
    func coordinator() throws(FSError) -> WriteCoordinator {
        _ = try requireWriter()
        guard let writes else { throw FSError(EROFS) }
        return writes
    }

    func createFile(parent: UInt64, name: String) throws(FSError) -> (Entry, OpenedFile) {
        let writes = try coordinator()
        let target = try folderTarget(parent)
        let remoteName = try serverName(name)
        if try childRecord(parent: parent, name: name) != nil { throw FSError(EEXIST) }
        try requireCreatable(.file, in: target, name: name)
        let handle = handles.reserve()
        let file = writes.createFile(in: target, name: remoteName, handle: handle)
        let listed = ListedEntry(name: name, identity: file.pendingIdentity,
                                 metadata: NodeMetadata(kind: .file, size: 0, mtime: file.machine.mtime))
        listingInsert(listed, in: parent)
        let entry = retainEntry(listed, parent: parent, fetchedAt: nil)
        return (entry, OpenedFile(handle: handle, keepCache: false))
    }

    /// `open` of a file that has local content or is opened for writing; nil: the read path's open.
    func openThroughSpool(ino: UInt64, flags: Int32) throws(FSError) -> OpenedFile? {
        adoptPlacement(ino)
        let wantsWrite = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        if !wantsWrite { return try openReader(ino: ino, record: record) }
        let writes = try coordinator()
        guard record.metadata.kind == .file else {
            throw FSError(record.metadata.kind == .directory ? EISDIR : ELOOP)
        }
        let file: SpoolFile
        let handle: UInt64
        switch record.identity {
        case .remote(let profileIndex, let id):
            let fresh = try freshRecord(ino)
            try requireChangeable(fresh, operation: "open for writing")
            guard case .remote(_, let folderID)? = nodes.record(record.parent)?.identity else { throw FSError(EIO) }
            handle = addReadHandle(profileIndex: profileIndex, id: id, metadata: fresh.metadata)
            do {
                file = try writes.openExisting(profileIndex: profileIndex, remoteID: id, folderID: folderID,
                                               name: try existingServerName(record.name), metadata: fresh.metadata, handle: handle)
            } catch {
                handles.removeFile(handle)?.close()
                throw error
            }
        case .pending:
            // A new file's spool is alive until its upload placed it and nobody uses it.
            guard let local = writes.file(record.identity) else { throw FSError(ENOENT) }
            handle = handles.reserve()
            guard writes.attach(handle: handle, to: local, as: .writer) else { throw FSError(ENOENT) }
            file = local
        default:
            throw FSError(EACCES)
        }
        if flags & O_TRUNC != 0 {
            do {
                try file.truncate(to: 0, context: writes)
            } catch {
                release(ino: ino, handle: handle)
                throw error
            }
        }
        return OpenedFile(handle: handle, keepCache: false)
    }

    /// A read-only open. A server file without local changes takes the read path. One with local
    /// changes is read from the spool, and the handle keeps the spool file alive: were it retired
    /// (uploaded, last writer gone) while this handle reads, the reads would fall back to the version
    /// pinned at open, which predates the upload. The kernel's cache is dropped at open: the version
    /// says nothing about local bytes.
    private func openReader(ino: UInt64, record: NodeRecord) throws(FSError) -> OpenedFile? {
        guard let writes, let local = writes.file(record.identity) else {
            if record.identity.isRemoteServerNode { return nil }
            throw FSError(ENOENT)
        }
        let handle: UInt64
        if case .remote(let profileIndex, let id) = record.identity {
            handle = addReadHandle(profileIndex: profileIndex, id: id, metadata: try freshRecord(ino).metadata)
        } else {
            handle = handles.reserve()
        }
        guard writes.attach(handle: handle, to: local, as: .reader) else {
            // Retired meanwhile: its content is on the server now (a new file's inode takes its node).
            handles.removeFile(handle)?.close()
            adoptPlacement(ino)
            guard let current = nodes.record(ino), current.identity.isRemoteServerNode else { throw FSError(ENOENT) }
            return nil
        }
        return OpenedFile(handle: handle, keepCache: false)
    }

    /// Local bytes of a changed file (through the handle's spool file, else the node's); nil when
    /// the server's bytes are current.
    func readThroughSpool(ino: UInt64, handle: UInt64, offset: Int64, size: Int) throws(FSError) -> [UInt8]? {
        guard let writes else { return nil }
        let file = writes.file(handle: handle) ?? nodes.record(ino).flatMap { writes.file($0.identity) }
        guard let file else { return nil }
        return try file.read(offset: offset, size: size, context: writes)
    }

    func writeThroughSpool(ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer) throws(FSError) -> Int {
        let writes = try coordinator()
        guard let file = writes.file(handle: handle) else { throw FSError(EBADF) }
        return try file.write(offset: offset, data: data, context: writes)
    }

    func changeAttributes(ino: UInt64, changes: AttributeChanges) throws(FSError) -> (FileAttributes, timeout: Double) {
        let writes = try coordinator()
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        // A directory's times are not stored (accepted and ignored, so `rsync -t` works on any role).
        if changes.size != nil || (changes.mtime != nil && record.metadata.kind == .file) {
            try requireChangeable(record, operation: "setattr")
        }
        if let size = changes.size {
            guard record.metadata.kind == .file else { throw FSError(EISDIR) }
            guard size <= UInt64(Int64.max) else { throw FSError(EFBIG) }
            if let handle = changes.handle, let file = writes.file(handle: handle) {
                try file.truncate(to: Int64(size), context: writes)
            } else {
                // truncate(2) by path: open for writing, truncate, close (spooled and journaled).
                guard let opened = try openThroughSpool(ino: ino, flags: O_WRONLY) else { throw FSError(EIO) }
                defer { release(ino: ino, handle: opened.handle) }
                guard let file = writes.file(handle: opened.handle) else { throw FSError(EIO) }
                try file.truncate(to: Int64(size), context: writes)
                try writes.commitLocally(file)
            }
        }
        if let mtime = changes.mtime, let file = writes.file(record.identity) {
            // Kept locally until the upload; the server sets its own modification time after that.
            file.mutate { $0.mtime = mtime }
        }
        // mode, uid, gid and atime are accepted and not stored (Fast.io has no such attributes).
        guard let current = nodes.record(ino) else { throw FSError(ENOENT) }
        return (attributes(of: current), timeout(for: current.identity))
    }

    func flushThroughSpool(handle: UInt64) throws(FSError) {
        guard let writes, let file = writes.file(handle: handle) else { return }
        try writes.commitLocally(file)
    }

    func fsyncThroughSpool(ino: UInt64, handle: UInt64) throws(FSError) {
        guard let writes else { return }
        let file = writes.file(handle: handle) ?? nodes.record(ino).flatMap { writes.file($0.identity) }
        guard let file else { return }
        try writes.waitDurable(file)
    }

    /// Rebinds inode `ino` to its server node when it still names a placed pending file.
    func adoptPlacement(_ ino: UInt64) {
        guard let writes, let record = nodes.record(ino), case .pending = record.identity,
              writes.file(record.identity) == nil, let placed = writes.overlay.alias(of: record.identity) else { return }
        nodes.rebind(ino, to: placed.identity, displacing: true, from: record.identity)
        nodes.refresh(ino, metadata: placed.metadata, at: MonotonicClock.now(), identity: placed.identity)
    }

    /// `entry` with the server identity when it names a placed pending file.
    func adoptingPlacement(_ entry: ListedEntry) -> ListedEntry {
        guard let writes, case .pending = entry.identity, writes.file(entry.identity) == nil,
              let placed = writes.overlay.alias(of: entry.identity) else { return entry }
        return ListedEntry(name: entry.name, identity: placed.identity, metadata: placed.metadata)
    }
}

extension NodeIdentity {
    /// A node that exists on the server (not a pending local file, not a layout directory).
    var isRemoteServerNode: Bool {
        if case .remote = self { return true }
        return false
    }
}
