import Foundation

/// Every operation that changes something. Read-only mounts (and clients without the write API)
/// answer EROFS and send nothing; the work itself lives in `Write/`. symlink and hard link are EPERM
/// on writable mounts, for good: Fast.io has no such nodes (userspace expects EPERM there).
extension FastIOFileSystem {
    var writeError: FSError { FSError(EROFS) }

    public func setattr(ino: UInt64, changes: AttributeChanges, context: RequestContext) throws(FSError)
        -> (FileAttributes, timeout: Double) {
        try changeAttributes(ino: ino, changes: changes)
    }

    public func write(ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer) throws(FSError) -> Int {
        try writeThroughSpool(ino: ino, handle: handle, offset: offset, data: data)
    }

    public func create(parent: UInt64, name: String, mode: UInt32, flags: Int32,
                       context: RequestContext) throws(FSError) -> (Entry, OpenedFile) {
        try createFile(parent: parent, name: name)
    }

    public func mknod(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry {
        _ = try requireWriter()
        guard mode & UInt32(S_IFMT) == UInt32(S_IFREG) else { throw FSError(EPERM, detail: "only regular files") }
        let (entry, opened) = try createFile(parent: parent, name: name)
        release(ino: entry.attributes.ino, handle: opened.handle)
        return entry
    }

    public func mkdir(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry {
        try makeDirectory(parent: parent, name: name)
    }

    public func unlink(parent: UInt64, name: String) throws(FSError) { try removeFile(parent: parent, name: name) }

    public func rmdir(parent: UInt64, name: String) throws(FSError) { try removeDirectory(parent: parent, name: name) }

    public func rename(parent: UInt64, name: String, newParent: UInt64, newName: String,
                       flags: UInt32) throws(FSError) {
        try renameNode(parent: parent, name: name, newParent: newParent, newName: newName, flags: flags)
    }

    public func symlink(target: String, parent: UInt64, name: String, context: RequestContext) throws(FSError) -> Entry {
        throw configuration.readOnly ? FSError(EROFS) : FSError(EPERM)
    }

    public func link(ino: UInt64, newParent: UInt64, newName: String) throws(FSError) -> Entry {
        throw configuration.readOnly ? FSError(EROFS) : FSError(EPERM)
    }

    /// Extended attributes are not stored on the server: setting one is refused (ENOTSUP), so
    /// `cp -a`/`rsync -X` report rather than silently drop them.
    public func setxattr(ino: UInt64, name: String, value: UnsafeRawBufferPointer, flags: Int32) throws(FSError) {
        _ = try requireWriter()
        throw FSError(ENOTSUP)
    }

    public func removexattr(ino: UInt64, name: String) throws(FSError) {
        _ = try requireWriter()
        throw FSError(name.hasPrefix("user.fastio.") ? EPERM : ENODATA)
    }
}
