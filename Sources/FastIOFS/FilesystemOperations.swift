import Foundation

/// An errno to hand back to the kernel, optionally with a human-readable detail for messages and logs.
///
/// Invariant: equality is errno equality; `detail` never contains a token and never reaches the kernel.
public struct FSError: Error, Sendable, Equatable, CustomStringConvertible {
    public let errno: Int32
    /// Why, for people (e.g. "no workspace named 'x' is visible to this token"); nil for plain errnos.
    public let detail: String?
    public init(_ errno: Int32, detail: String? = nil) { self.errno = errno; self.detail = detail }
    public var description: String {
        let base = "errno \(errno) (\(String(cString: strerror(errno))))"
        return detail.map { "\($0): \(base)" } ?? base
    }
    public static func == (lhs: FSError, rhs: FSError) -> Bool { lhs.errno == rhs.errno }
}

/// A point in time with nanoseconds, as `struct stat` wants it.
///
/// Invariant: made from a `Date`, never traps: seconds past `Int`'s range saturate at `Int.max`/`Int.min`
/// (nanoseconds 0), NaN is the epoch, and `nanoseconds` is in `0..<1_000_000_000`.
public struct FSTime: Sendable, Equatable {
    public var seconds: Int
    public var nanoseconds: Int
    public init(seconds: Int, nanoseconds: Int = 0) { self.seconds = seconds; self.nanoseconds = nanoseconds }
    public init(_ date: Date) {
        let t = date.timeIntervalSince1970
        guard !t.isNaN else { self.init(seconds: 0); return }
        let whole = t.rounded(.down)
        // Double(Int.max) is 2^63, one past Int.max; Double(Int.min) is exactly Int.min.
        guard whole < Double(Int.max) else { self.init(seconds: .max); return }
        guard whole >= Double(Int.min) else { self.init(seconds: .min); return }
        self.init(seconds: Int(whole), nanoseconds: min(999_999_999, Int((t - whole) * 1_000_000_000)))
    }
}

/// The attributes of one inode; FuseBridge copies them into a `struct stat`.
public struct FileAttributes: Sendable, Equatable {
    public var ino: UInt64
    public var size: UInt64
    /// File type bits and permissions together, as `st_mode` (e.g. `S_IFREG | 0o644`).
    public var mode: UInt32
    public var nlink: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var atime: FSTime
    public var mtime: FSTime
    public var ctime: FSTime
    /// Preferred I/O size reported as `st_blksize`.
    public var blockSize: UInt32
    public init(ino: UInt64, size: UInt64, mode: UInt32, nlink: UInt32, uid: UInt32, gid: UInt32,
                atime: FSTime, mtime: FSTime, ctime: FSTime, blockSize: UInt32 = 1 << 20) {
        self.ino = ino; self.size = size; self.mode = mode; self.nlink = nlink; self.uid = uid; self.gid = gid
        self.atime = atime; self.mtime = mtime; self.ctime = ctime; self.blockSize = blockSize
    }
}

/// The answer to a lookup (and to each readdirplus entry): one more kernel reference on `attributes.ino`.
public struct Entry: Sendable, Equatable {
    public var attributes: FileAttributes
    public var generation: UInt64
    /// Seconds the kernel may cache the name -> inode mapping.
    public var entryTimeout: Double
    /// Seconds the kernel may cache the attributes.
    public var attributeTimeout: Double
    public init(attributes: FileAttributes, generation: UInt64 = 0, entryTimeout: Double, attributeTimeout: Double) {
        self.attributes = attributes; self.generation = generation
        self.entryTimeout = entryTimeout; self.attributeTimeout = attributeTimeout
    }
}

/// One directory entry for readdir/readdirplus. `entry` is filled for readdirplus.
public struct DirectoryEntry: Sendable {
    public var name: String
    public var ino: UInt64
    /// `S_IFDIR`, `S_IFREG`, `S_IFLNK` ... (type bits only are used by plain readdir).
    public var mode: UInt32
    public var entry: Entry?
    public init(name: String, ino: UInt64, mode: UInt32, entry: Entry?) {
        self.name = name; self.ino = ino; self.mode = mode; self.entry = entry
    }
}

/// What `open`/`create` hands back to the kernel.
public struct OpenedFile: Sendable, Equatable {
    public var handle: UInt64
    /// Keep the kernel page cache from a previous open (content version unchanged).
    public var keepCache: Bool
    public var directIO: Bool
    public init(handle: UInt64, keepCache: Bool, directIO: Bool = false) {
        self.handle = handle; self.keepCache = keepCache; self.directIO = directIO
    }
}

public struct FilesystemStatistics: Sendable, Equatable {
    public var blockSize: UInt64
    public var blocks: UInt64
    public var freeBlocks: UInt64
    public var availableBlocks: UInt64
    public var files: UInt64
    public var freeFiles: UInt64
    public var maxNameLength: UInt64
    public init(blockSize: UInt64, blocks: UInt64, freeBlocks: UInt64, availableBlocks: UInt64,
                files: UInt64, freeFiles: UInt64, maxNameLength: UInt64) {
        self.blockSize = blockSize; self.blocks = blocks; self.freeBlocks = freeBlocks
        self.availableBlocks = availableBlocks; self.files = files; self.freeFiles = freeFiles
        self.maxNameLength = maxNameLength
    }
}

/// Which attributes a setattr changes (the FUSE_SET_ATTR_* bits, decoded).
public struct AttributeChanges: Sendable, Equatable {
    public var mode: UInt32?
    public var uid: UInt32?
    public var gid: UInt32?
    public var size: UInt64?
    public var atime: FSTime?
    public var mtime: FSTime?
    /// Set when the change came through an open file (ftruncate).
    public var handle: UInt64?
    public init(mode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil, size: UInt64? = nil,
                atime: FSTime? = nil, mtime: FSTime? = nil, handle: UInt64? = nil) {
        self.mode = mode; self.uid = uid; self.gid = gid; self.size = size
        self.atime = atime; self.mtime = mtime; self.handle = handle
    }
}

/// Who makes a request (from `fuse_req_ctx`).
public struct RequestContext: Sendable, Equatable {
    public var uid: UInt32
    public var gid: UInt32
    public var pid: Int32
    public init(uid: UInt32, gid: UInt32, pid: Int32) { self.uid = uid; self.gid = gid; self.pid = pid }
}

/// The POSIX surface the FUSE adapter drives, in inode terms (the low-level API's model).
///
/// Invariants the adapter relies on:
/// - every method may be called concurrently from many FUSE worker threads, and may block;
/// - a method that returns an `Entry` (lookup, mknod/create, mkdir, each readdirplus entry the sink
///   accepted) has added exactly one kernel reference to that inode, which `forget` later removes;
/// - the root inode is `FUSE_ROOT_ID` (1) and is never forgotten;
/// - errors are `FSError` carrying the errno to reply with; nothing else is thrown.
public protocol FilesystemOperations: AnyObject, Sendable {
    func lookup(parent: UInt64, name: String) throws(FSError) -> Entry
    func forget(ino: UInt64, lookups: UInt64)
    func getattr(ino: UInt64) throws(FSError) -> (FileAttributes, timeout: Double)
    func setattr(ino: UInt64, changes: AttributeChanges, context: RequestContext) throws(FSError) -> (FileAttributes, timeout: Double)
    func readlink(ino: UInt64) throws(FSError) -> String

    func opendir(ino: UInt64) throws(FSError) -> UInt64
    /// Calls `sink` with entries after `offset` (an opaque cookie: 0 = start; each entry carries the
    /// cookie of the next one) until `sink` returns false (buffer full: that entry was NOT taken and
    /// gains no reference) or the directory ends. `plus` asks for `DirectoryEntry.entry`.
    func readdir(ino: UInt64, handle: UInt64, offset: Int64, plus: Bool,
                 sink: (DirectoryEntry, _ nextOffset: Int64) -> Bool) throws(FSError)
    func releasedir(ino: UInt64, handle: UInt64)

    func open(ino: UInt64, flags: Int32, context: RequestContext) throws(FSError) -> OpenedFile
    /// Reads up to `size` bytes at `offset` and passes them to `reply` exactly once (short only at EOF).
    func read(ino: UInt64, handle: UInt64, offset: Int64, size: Int,
              reply: (UnsafeRawBufferPointer) -> Void) throws(FSError)
    func write(ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer) throws(FSError) -> Int
    func flush(ino: UInt64, handle: UInt64) throws(FSError)
    func fsync(ino: UInt64, handle: UInt64, dataOnly: Bool) throws(FSError)
    func release(ino: UInt64, handle: UInt64)

    func create(parent: UInt64, name: String, mode: UInt32, flags: Int32, context: RequestContext) throws(FSError) -> (Entry, OpenedFile)
    func mknod(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry
    func mkdir(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry
    func unlink(parent: UInt64, name: String) throws(FSError)
    func rmdir(parent: UInt64, name: String) throws(FSError)
    func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32) throws(FSError)
    func symlink(target: String, parent: UInt64, name: String, context: RequestContext) throws(FSError) -> Entry
    func link(ino: UInt64, newParent: UInt64, newName: String) throws(FSError) -> Entry

    func statfs(ino: UInt64) throws(FSError) -> FilesystemStatistics
    func getxattr(ino: UInt64, name: String) throws(FSError) -> [UInt8]
    /// Attribute names, without NUL terminators.
    func listxattr(ino: UInt64) throws(FSError) -> [String]
    func setxattr(ino: UInt64, name: String, value: UnsafeRawBufferPointer, flags: Int32) throws(FSError)
    func removexattr(ino: UInt64, name: String) throws(FSError)

    /// Called once when the session ends (after the last request).
    func destroy()
}

/// The kernel-side invalidations the core asks for (implemented by FuseBridge over
/// `fuse_lowlevel_notify_*`). Never called from inside an operation or while holding a lock an
/// operation needs (libfuse's deadlock rule): the core queues them and a separate thread sends them.
public protocol KernelNotifier: AnyObject, Sendable {
    /// Drop cached attributes and, from `offset` for `length` bytes (length 0 = all), cached pages.
    func invalidateInode(_ ino: UInt64, offset: Int64, length: Int64)
    /// Drop the name -> inode mapping `parent`/`name`.
    func invalidateEntry(parent: UInt64, name: String)
    /// Tell the kernel `parent`/`name` (which was `child`) is gone.
    func notifyDelete(parent: UInt64, child: UInt64, name: String)
}
