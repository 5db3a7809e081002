import Foundation

/// Every operation that would change something. The read path sends no changing request: these fail
/// with EROFS on every mount until the write path exists (a later issue). symlink and hard link are
/// EPERM on writable mounts, for good: Fast.io has no such nodes (userspace expects EPERM there).
extension FastIOFileSystem {
    var writeError: FSError { FSError(EROFS) }

    public func setattr(ino: UInt64, changes: AttributeChanges, context: RequestContext) throws(FSError)
        -> (FileAttributes, timeout: Double) {
        throw writeError
    }

    public func write(ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer) throws(FSError) -> Int {
        throw writeError
    }

    public func create(parent: UInt64, name: String, mode: UInt32, flags: Int32,
                       context: RequestContext) throws(FSError) -> (Entry, OpenedFile) {
        throw writeError
    }

    public func mknod(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry {
        throw writeError
    }

    public func mkdir(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry {
        throw writeError
    }

    public func unlink(parent: UInt64, name: String) throws(FSError) { throw writeError }

    public func rmdir(parent: UInt64, name: String) throws(FSError) { throw writeError }

    public func rename(parent: UInt64, name: String, newParent: UInt64, newName: String,
                       flags: UInt32) throws(FSError) {
        throw writeError
    }

    public func symlink(target: String, parent: UInt64, name: String, context: RequestContext) throws(FSError) -> Entry {
        throw configuration.readOnly ? FSError(EROFS) : FSError(EPERM)
    }

    public func link(ino: UInt64, newParent: UInt64, newName: String) throws(FSError) -> Entry {
        throw configuration.readOnly ? FSError(EROFS) : FSError(EPERM)
    }

    public func setxattr(ino: UInt64, name: String, value: UnsafeRawBufferPointer, flags: Int32) throws(FSError) {
        throw writeError
    }

    public func removexattr(ino: UInt64, name: String) throws(FSError) { throw writeError }
}
