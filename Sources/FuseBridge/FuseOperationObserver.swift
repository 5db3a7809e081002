import FastIOFS

/// The FUSE operations the bridge hands to the core, as an observer sees them.
///
/// Invariant: raw values are dense from 0 (an observer may index arrays by them); `name` is libfuse's
/// name of the operation (`readdirplus` apart from `readdir`; `forget` also counts each item of a
/// `forget_multi`).
public enum FuseOperation: Int, Sendable, CaseIterable {
    case lookup, forget, getattr, setattr, readlink
    case opendir, readdir, readdirplus, releasedir
    case open, read, write, flush, fsync, release
    case create, mknod, mkdir, unlink, rmdir, rename, symlink, link
    case statfs, getxattr, listxattr, setxattr, removexattr

    public var name: String {
        switch self {
        case .lookup: "lookup"
        case .forget: "forget"
        case .getattr: "getattr"
        case .setattr: "setattr"
        case .readlink: "readlink"
        case .opendir: "opendir"
        case .readdir: "readdir"
        case .readdirplus: "readdirplus"
        case .releasedir: "releasedir"
        case .open: "open"
        case .read: "read"
        case .write: "write"
        case .flush: "flush"
        case .fsync: "fsync"
        case .release: "release"
        case .create: "create"
        case .mknod: "mknod"
        case .mkdir: "mkdir"
        case .unlink: "unlink"
        case .rmdir: "rmdir"
        case .rename: "rename"
        case .symlink: "symlink"
        case .link: "link"
        case .statfs: "statfs"
        case .getxattr: "getxattr"
        case .listxattr: "listxattr"
        case .setxattr: "setxattr"
        case .removexattr: "removexattr"
        }
    }
}

/// Told about every operation the bridge hands to the core, once it returns.
///
/// Invariant (what implementations must keep): `operationFinished` is called on the FUSE worker
/// thread, before the reply for most operations, so it must cost no more than a few atomic
/// increments or one short lock, and never block.
public protocol FuseOperationObserver: AnyObject, Sendable {
    /// `errno` is 0 for success, else the error the operation is answered with.
    func operationFinished(_ operation: FuseOperation, errno: Int32, duration: Duration)
}

/// The core as the callbacks see it when an observer is set: every call is timed and reported.
///
/// Invariant: forwards each call unchanged (same arguments, same result or error, once) and reports
/// it exactly once after it returns; `destroy` is forwarded without a report (it is not a request).
/// The few calls the bridge makes itself (giving back a reference or a handle after an undelivered
/// reply) are reported like the kernel's; requests answered without the core (a name that is not
/// UTF-8, `fsyncdir`) are not.
final class MeasuredFilesystem: FilesystemOperations {
    let inner: any FilesystemOperations
    let observer: any FuseOperationObserver

    init(_ inner: any FilesystemOperations, observer: any FuseOperationObserver) {
        self.inner = inner
        self.observer = observer
    }

    @inline(__always)
    private func measure<T>(_ operation: FuseOperation, _ body: () throws(FSError) -> T) throws(FSError) -> T {
        let start = ContinuousClock.now
        do {
            let result = try body()
            observer.operationFinished(operation, errno: 0, duration: ContinuousClock.now - start)
            return result
        } catch {
            observer.operationFinished(operation, errno: error.errno, duration: ContinuousClock.now - start)
            throw error
        }
    }

    @inline(__always)
    private func measure(_ operation: FuseOperation, _ body: () -> Void) {
        let start = ContinuousClock.now
        body()
        observer.operationFinished(operation, errno: 0, duration: ContinuousClock.now - start)
    }

    func lookup(parent: UInt64, name: String) throws(FSError) -> Entry {
        try measure(.lookup) { () throws(FSError) in try inner.lookup(parent: parent, name: name) }
    }

    func forget(ino: UInt64, lookups: UInt64) {
        measure(.forget) { inner.forget(ino: ino, lookups: lookups) }
    }

    func getattr(ino: UInt64) throws(FSError) -> (FileAttributes, timeout: Double) {
        try measure(.getattr) { () throws(FSError) in try inner.getattr(ino: ino) }
    }

    func setattr(ino: UInt64, changes: AttributeChanges, context: RequestContext) throws(FSError) -> (FileAttributes, timeout: Double) {
        try measure(.setattr) { () throws(FSError) in try inner.setattr(ino: ino, changes: changes, context: context) }
    }

    func readlink(ino: UInt64) throws(FSError) -> String {
        try measure(.readlink) { () throws(FSError) in try inner.readlink(ino: ino) }
    }

    func opendir(ino: UInt64) throws(FSError) -> UInt64 {
        try measure(.opendir) { () throws(FSError) in try inner.opendir(ino: ino) }
    }

    func readdir(ino: UInt64, handle: UInt64, offset: Int64, plus: Bool,
                 sink: (DirectoryEntry, _ nextOffset: Int64) -> Bool) throws(FSError) {
        try measure(plus ? .readdirplus : .readdir) { () throws(FSError) in
            try inner.readdir(ino: ino, handle: handle, offset: offset, plus: plus, sink: sink)
        }
    }

    func releasedir(ino: UInt64, handle: UInt64) {
        measure(.releasedir) { inner.releasedir(ino: ino, handle: handle) }
    }

    func open(ino: UInt64, flags: Int32, context: RequestContext) throws(FSError) -> OpenedFile {
        try measure(.open) { () throws(FSError) in try inner.open(ino: ino, flags: flags, context: context) }
    }

    func read(ino: UInt64, handle: UInt64, offset: Int64, size: Int,
              reply: (UnsafeRawBufferPointer) -> Void) throws(FSError) {
        try measure(.read) { () throws(FSError) in
            try inner.read(ino: ino, handle: handle, offset: offset, size: size, reply: reply)
        }
    }

    func write(ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer) throws(FSError) -> Int {
        try measure(.write) { () throws(FSError) in try inner.write(ino: ino, handle: handle, offset: offset, data: data) }
    }

    func flush(ino: UInt64, handle: UInt64) throws(FSError) {
        try measure(.flush) { () throws(FSError) in try inner.flush(ino: ino, handle: handle) }
    }

    func fsync(ino: UInt64, handle: UInt64, dataOnly: Bool) throws(FSError) {
        try measure(.fsync) { () throws(FSError) in try inner.fsync(ino: ino, handle: handle, dataOnly: dataOnly) }
    }

    func release(ino: UInt64, handle: UInt64) {
        measure(.release) { inner.release(ino: ino, handle: handle) }
    }

    func create(parent: UInt64, name: String, mode: UInt32, flags: Int32,
                context: RequestContext) throws(FSError) -> (Entry, OpenedFile) {
        try measure(.create) { () throws(FSError) in
            try inner.create(parent: parent, name: name, mode: mode, flags: flags, context: context)
        }
    }

    func mknod(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry {
        try measure(.mknod) { () throws(FSError) in try inner.mknod(parent: parent, name: name, mode: mode, context: context) }
    }

    func mkdir(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry {
        try measure(.mkdir) { () throws(FSError) in try inner.mkdir(parent: parent, name: name, mode: mode, context: context) }
    }

    func unlink(parent: UInt64, name: String) throws(FSError) {
        try measure(.unlink) { () throws(FSError) in try inner.unlink(parent: parent, name: name) }
    }

    func rmdir(parent: UInt64, name: String) throws(FSError) {
        try measure(.rmdir) { () throws(FSError) in try inner.rmdir(parent: parent, name: name) }
    }

    func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32) throws(FSError) {
        try measure(.rename) { () throws(FSError) in
            try inner.rename(parent: parent, name: name, newParent: newParent, newName: newName, flags: flags)
        }
    }

    func symlink(target: String, parent: UInt64, name: String, context: RequestContext) throws(FSError) -> Entry {
        try measure(.symlink) { () throws(FSError) in
            try inner.symlink(target: target, parent: parent, name: name, context: context)
        }
    }

    func link(ino: UInt64, newParent: UInt64, newName: String) throws(FSError) -> Entry {
        try measure(.link) { () throws(FSError) in try inner.link(ino: ino, newParent: newParent, newName: newName) }
    }

    func statfs(ino: UInt64) throws(FSError) -> FilesystemStatistics {
        try measure(.statfs) { () throws(FSError) in try inner.statfs(ino: ino) }
    }

    func getxattr(ino: UInt64, name: String) throws(FSError) -> [UInt8] {
        try measure(.getxattr) { () throws(FSError) in try inner.getxattr(ino: ino, name: name) }
    }

    func listxattr(ino: UInt64) throws(FSError) -> [String] {
        try measure(.listxattr) { () throws(FSError) in try inner.listxattr(ino: ino) }
    }

    func setxattr(ino: UInt64, name: String, value: UnsafeRawBufferPointer, flags: Int32) throws(FSError) {
        try measure(.setxattr) { () throws(FSError) in try inner.setxattr(ino: ino, name: name, value: value, flags: flags) }
    }

    func removexattr(ino: UInt64, name: String) throws(FSError) {
        try measure(.removexattr) { () throws(FSError) in try inner.removexattr(ino: ino, name: name) }
    }

    func destroy() {
        inner.destroy()
    }
}
