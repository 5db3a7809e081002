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
        let file = writes.createFile(in: target, name: remoteName)
        let listed = ListedEntry(name: name, identity: file.pendingIdentity,
                                 metadata: NodeMetadata(kind: .file, size: 0, mtime: FSTime(Date())))
        listingInsert(listed, in: parent)
        let entry = retainEntry(listed, parent: parent, fetchedAt: nil)
        let handle = handles.reserve()
        _ = writes.attach(handle: handle, to: file)  // a new file cannot be retired before its upload
        return (entry, OpenedFile(handle: handle, keepCache: false))
    }

    /// `open` of a file that has local content or is opened for writing; nil: the read path's open.
    func openThroughSpool(ino: UInt64, flags: Int32) throws(FSError) -> OpenedFile? {
        // A spool file can be retired (its upload done, its last writer gone) while this open runs:
        // then the open starts over with a fresh one.
        for _ in 0..<100 {
            switch try openThroughSpoolOnce(ino: ino, flags: flags) {
            case .readPath: return nil
            case .opened(let file): return file
            case .retired: continue
            }
        }
        throw FSError(EIO, detail: "the spool file kept being retired during open")
    }

    /// The outcome of one open attempt.
    private enum SpoolOpen {
        /// A read-only open of a server file: the read path opens it.
        case readPath
        case opened(OpenedFile)
        /// The spool file was retired meanwhile: try again.
        case retired
    }

    private func openThroughSpoolOnce(ino: UInt64, flags: Int32) throws(FSError) -> SpoolOpen {
        adoptPlacement(ino)
        let wantsWrite = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        let local = writes?.file(record.identity)
        if !wantsWrite {
            // Server nodes without local changes take the read path's open.
            if record.identity.isRemoteServerNode {
                guard let local, let writes else { return .readPath }
                return try openReaderOfChangedFile(ino: ino, file: local, writes: writes)
            }
            guard let local, let writes else { throw FSError(ENOENT) }
            // The reader keeps the spool file alive (its reads have no server copy to fall back on).
            let handle = handles.reserve()
            guard writes.attach(handle: handle, to: local) else { return .retired }
            return .opened(OpenedFile(handle: handle, keepCache: false))
        }
        let writes = try coordinator()
        guard record.metadata.kind == .file else {
            throw FSError(record.metadata.kind == .directory ? EISDIR : ELOOP)
        }
        let file: SpoolFile
        let handle: UInt64
        if case .remote(let profileIndex, let id) = record.identity {
            let fresh = try freshRecord(ino)
            if let local {
                file = local
                try writes.ensureLock(file, remoteID: id)
            } else {
                guard case .remote(_, let folderID)? = nodes.record(record.parent)?.identity else { throw FSError(EIO) }
                file = try writes.openExisting(profileIndex: profileIndex, remoteID: id, folderID: folderID,
                                               name: try serverName(record.name), metadata: fresh.metadata)
            }
            handle = addReadHandle(profileIndex: profileIndex, id: id, metadata: fresh.metadata)
        } else {
            guard let local else { throw FSError(ENOENT) }
            file = local
            handle = handles.reserve()
        }
        guard writes.attach(handle: handle, to: file) else {
            handles.removeFile(handle)?.close()
            return .retired
        }
        if flags & O_TRUNC != 0 {
            do {
                try file.truncate(to: 0, fetch: writes.fetcher(for: file))
            } catch {
                release(ino: ino, handle: handle)
                throw error
            }
        }
        return .opened(OpenedFile(handle: handle, keepCache: false))
    }

    /// A read-only open of a server file that has local changes. The handle keeps the spool file alive:
    /// were it retired (uploaded, last writer gone) while this handle reads, the reads would fall back
    /// to the version pinned at open, which predates the upload (stale bytes, also into the kernel's
    /// page cache). The kernel's cache is dropped at open: the version says nothing about local bytes.
    private func openReaderOfChangedFile(ino: UInt64, file: SpoolFile, writes: WriteCoordinator) throws(FSError) -> SpoolOpen {
        let record = try freshRecord(ino)
        guard case .remote(let profileIndex, let id) = record.identity else { return .readPath }
        let handle = addReadHandle(profileIndex: profileIndex, id: id, metadata: record.metadata)
        guard writes.attach(handle: handle, to: file) else {
            handles.removeFile(handle)?.close()
            return .retired
        }
        return .opened(OpenedFile(handle: handle, keepCache: false))
    }

    /// Local bytes of a changed file; nil when the server's bytes are current.
    func readThroughSpool(ino: UInt64, offset: Int64, size: Int) throws(FSError) -> [UInt8]? {
        guard let writes, let record = nodes.record(ino), let file = writes.file(record.identity) else { return nil }
        return try file.read(offset: offset, size: size, fetch: writes.fetcher(for: file))
    }

    func writeThroughSpool(ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer) throws(FSError) -> Int {
        let writes = try coordinator()
        guard let file = writes.file(handle: handle) else { throw FSError(EBADF) }
        return try file.write(offset: offset, data: data, fetch: writes.fetcher(for: file))
    }

    func changeAttributes(ino: UInt64, changes: AttributeChanges) throws(FSError) -> (FileAttributes, timeout: Double) {
        let writes = try coordinator()
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        if let size = changes.size {
            guard record.metadata.kind == .file else { throw FSError(EISDIR) }
            if let handle = changes.handle, let file = writes.file(handle: handle) {
                try file.truncate(to: Int64(size), fetch: writes.fetcher(for: file))
            } else {
                // truncate(2) by path: open for writing, truncate, close (spooled and journaled).
                let opened = try openThroughSpool(ino: ino, flags: O_WRONLY)!
                defer { release(ino: ino, handle: opened.handle) }
                guard let file = writes.file(handle: opened.handle) else { throw FSError(EIO) }
                try file.truncate(to: Int64(size), fetch: writes.fetcher(for: file))
            }
        }
        if let mtime = changes.mtime, let file = writes.file(record.identity) {
            // Kept locally until the upload; the server sets its own modification time after that.
            file.state.withLock { $0.mtime = mtime }
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
}

extension NodeIdentity {
    /// A node that exists on the server (not a pending local file, not a layout directory).
    var isRemoteServerNode: Bool {
        if case .remote = self { return true }
        return false
    }
}
