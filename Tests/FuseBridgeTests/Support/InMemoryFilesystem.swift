import FastIO
import FastIOFS
import Glibc

/// A small fixed tree served from memory, for driving FuseBridge through the real kernel.
///
/// Tree (inode: name):
///   1 /            2 hello.txt (patterned bytes)   3 big/ (`bigEntryCount` files)
///   4 link -> hello.txt   5 broken.bin (every read fails with EIO)   1000+i big/entry-NNNNN
///   6 long/ (`longEntryNames`: short names around one over NAME_MAX and one too long for any
///   readdir buffer the kernel asks for)   2000+i long/<longEntryNames[i]>
///
/// Invariants: lookup counts follow the FilesystemOperations contract (+1 per returned Entry and per
/// readdirplus entry the sink accepted, -n per forget); a count never goes below zero (that would be
/// a bridge bug and is recorded in `underflows`). Every namespace/data change fails with EROFS.
final class InMemoryFilesystem: FilesystemOperations {
    static let root: UInt64 = 1
    static let hello: UInt64 = 2
    static let big: UInt64 = 3
    static let link: UInt64 = 4
    static let broken: UInt64 = 5
    static let long: UInt64 = 6
    static let firstBigEntry: UInt64 = 1000
    static let firstLongEntry: UInt64 = 2000
    /// What long/ holds: user space expects names of at most NAME_MAX (255) bytes, while the kernel
    /// takes longer ones from a FUSE server (1024 bytes on older kernels, 4095 on recent ones) and
    /// answers EIO for a whole reply buffer holding a name past its limit.
    static let longEntryNames: [String] = ["before", String(repeating: "n", count: 300), "middle",
                                           String(repeating: "x", count: 5_000)]
        + (0..<40).map { "after-\($0)" }
    /// The names of long/ a listing can show.
    static var listableLongNames: [String] { longEntryNames.filter { $0.utf8.count <= 255 } }

    static let helloSize = 300_000
    static let bigEntryCount = 3_000
    static let xattrs: [String: [UInt8]] = [
        "user.fastio.id": Array("2yxkfdsmdfq6qqmbp5jbaf3kfh".utf8),
        "user.fastio.mimetype": Array("text/plain".utf8),
        "user.long": Array(repeating: 0x61, count: 300),
    ]

    /// Byte `i` of hello.txt.
    static func helloByte(at index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index % 251) }

    static func bigEntryName(_ index: Int) -> String {
        let digits = String(index)
        return "entry-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    struct Counters {
        var lookups: [UInt64: UInt64] = [:]
        /// LOOKUP requests answered per inode (never decremented, unlike `lookups`).
        var lookupRequests: [UInt64: Int] = [:]
        var underflows = 0
        var destroyed = false
        var lookupsAtDestroy: [UInt64: UInt64]?
        var readCalls = 0
        var openHandles = Set<UInt64>()
        var nextHandle: UInt64 = 1
    }

    let counters = Locked(Counters())

    /// When `target > 0`, reads of big/ entries block until `target` of them are in flight at once
    /// (or 30 s pass), recording the highest concurrency seen: proof that slow requests overlap.
    /// While `holding`, they block until it is false again (or 30 s pass): a read in flight for as long
    /// as a test needs.
    struct ReadGate {
        var target = 0
        var holding = false
        var inFlight = 0
        var maxInFlight = 0
    }

    let readGate = Locked(ReadGate())
    private let content: [UInt8] = (0..<InMemoryFilesystem.helloSize).map(InMemoryFilesystem.helloByte)

    // MARK: tree

    private func attributes(_ ino: UInt64) -> FileAttributes? {
        let time = FSTime(seconds: 1_700_000_000, nanoseconds: 123_000_000)
        func make(_ mode: UInt32, size: UInt64, nlink: UInt32 = 1) -> FileAttributes {
            FileAttributes(ino: ino, size: size, mode: mode, nlink: nlink, uid: getuid(), gid: getgid(),
                           atime: time, mtime: time, ctime: time, blockSize: 4096)
        }
        switch ino {
        case Self.root: return make(S_IFDIR | 0o755, size: 0, nlink: 3)
        case Self.hello: return make(S_IFREG | 0o644, size: UInt64(Self.helloSize))
        case Self.big: return make(S_IFDIR | 0o755, size: 0, nlink: 2)
        case Self.link: return make(S_IFLNK | 0o777, size: UInt64("hello.txt".utf8.count))
        case Self.broken: return make(S_IFREG | 0o644, size: 4096)
        case Self.long: return make(S_IFDIR | 0o755, size: 0, nlink: 2)
        case Self.firstBigEntry..<(Self.firstBigEntry + UInt64(Self.bigEntryCount)),
             Self.firstLongEntry..<(Self.firstLongEntry + UInt64(Self.longEntryNames.count)):
            return make(S_IFREG | 0o644, size: 10)
        default: return nil
        }
    }

    private func children(of ino: UInt64) -> [(String, UInt64)]? {
        switch ino {
        case Self.root: [("hello.txt", Self.hello), ("big", Self.big), ("link", Self.link), ("broken.bin", Self.broken),
                         ("long", Self.long)]
        case Self.big: (0..<Self.bigEntryCount).map { (Self.bigEntryName($0), Self.firstBigEntry + UInt64($0)) }
        case Self.long: Self.longEntryNames.enumerated().map { ($0.element, Self.firstLongEntry + UInt64($0.offset)) }
        default: nil
        }
    }

    private func entry(_ ino: UInt64) -> Entry {
        Entry(attributes: attributes(ino)!, entryTimeout: 60, attributeTimeout: 60)
    }

    private func addReference(_ ino: UInt64) {
        counters.withLock { $0.lookups[ino, default: 0] += 1 }
    }

    // MARK: FilesystemOperations

    func lookup(parent: UInt64, name: String) throws(FSError) -> Entry {
        guard let children = children(of: parent) else { throw FSError(ENOTDIR) }
        guard let ino = children.first(where: { $0.0 == name })?.1 else { throw FSError(ENOENT) }
        counters.withLock { $0.lookupRequests[ino, default: 0] += 1 }
        addReference(ino)
        return entry(ino)
    }

    func forget(ino: UInt64, lookups: UInt64) {
        counters.withLock { state in
            let current = state.lookups[ino, default: 0]
            if lookups > current { state.underflows += 1 }
            let left = current &- min(current, lookups)
            state.lookups[ino] = left == 0 ? nil : left
        }
    }

    func getattr(ino: UInt64) throws(FSError) -> (FileAttributes, timeout: Double) {
        guard let attributes = attributes(ino) else { throw FSError(ENOENT) }
        return (attributes, 60)
    }

    func setattr(ino: UInt64, changes: AttributeChanges, context: RequestContext) throws(FSError) -> (FileAttributes, timeout: Double) {
        throw FSError(EROFS)
    }

    func readlink(ino: UInt64) throws(FSError) -> String {
        guard ino == Self.link else { throw FSError(EINVAL) }
        return "hello.txt"
    }

    func opendir(ino: UInt64) throws(FSError) -> UInt64 {
        guard children(of: ino) != nil else { throw FSError(ENOTDIR) }
        return newHandle()
    }

    func readdir(ino: UInt64, handle: UInt64, offset: Int64, plus: Bool,
                 sink: (DirectoryEntry, _ nextOffset: Int64) -> Bool) throws(FSError) {
        guard let children = children(of: ino) else { throw FSError(ENOTDIR) }
        let all = [(".", ino), ("..", Self.root)] + children
        var index = Int(offset)
        while index < all.count {
            let (name, child) = all[index]
            let isDot = index < 2
            let item = DirectoryEntry(name: name, ino: child, mode: attributes(child)!.mode,
                                      entry: plus && !isDot ? entry(child) : nil)
            guard sink(item, Int64(index + 1)) else { return }
            if plus && !isDot { addReference(child) }
            index += 1
        }
    }

    func releasedir(ino: UInt64, handle: UInt64) { closeHandle(handle) }

    func open(ino: UInt64, flags: Int32, context: RequestContext) throws(FSError) -> OpenedFile {
        guard let attributes = attributes(ino) else { throw FSError(ENOENT) }
        guard attributes.mode & S_IFMT == S_IFREG else { throw FSError(EISDIR) }
        return OpenedFile(handle: newHandle(), keepCache: false)
    }

    func read(ino: UInt64, handle: UInt64, offset: Int64, size: Int,
              reply: (UnsafeRawBufferPointer) -> Void) throws(FSError) {
        counters.withLock { $0.readCalls += 1 }
        switch ino {
        case Self.broken:
            throw FSError(EIO)
        case Self.hello:
            let start = min(Int(offset), content.count)
            let end = min(start + size, content.count)
            content[start..<end].withUnsafeBytes(reply)
        default:
            waitAtGate()
            let bytes = Array(repeating: UInt8(ascii: "x"), count: Int(attributes(ino)?.size ?? 0))
            let start = min(Int(offset), bytes.count)
            bytes[start..<min(start + size, bytes.count)].withUnsafeBytes(reply)
        }
    }

    func write(ino: UInt64, handle: UInt64, offset: Int64, data: UnsafeRawBufferPointer) throws(FSError) -> Int {
        throw FSError(EROFS)
    }

    func flush(ino: UInt64, handle: UInt64) throws(FSError) {}
    func fsync(ino: UInt64, handle: UInt64, dataOnly: Bool) throws(FSError) {}
    func release(ino: UInt64, handle: UInt64) { closeHandle(handle) }

    func create(parent: UInt64, name: String, mode: UInt32, flags: Int32, context: RequestContext) throws(FSError) -> (Entry, OpenedFile) {
        throw FSError(EROFS)
    }
    func mknod(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry { throw FSError(EROFS) }
    func mkdir(parent: UInt64, name: String, mode: UInt32, context: RequestContext) throws(FSError) -> Entry { throw FSError(EROFS) }
    func unlink(parent: UInt64, name: String) throws(FSError) { throw FSError(EROFS) }
    func rmdir(parent: UInt64, name: String) throws(FSError) { throw FSError(EROFS) }
    func rename(parent: UInt64, name: String, newParent: UInt64, newName: String, flags: UInt32) throws(FSError) {
        throw FSError(EROFS)
    }
    func symlink(target: String, parent: UInt64, name: String, context: RequestContext) throws(FSError) -> Entry {
        throw FSError(EROFS)
    }
    func link(ino: UInt64, newParent: UInt64, newName: String) throws(FSError) -> Entry { throw FSError(EROFS) }

    func statfs(ino: UInt64) throws(FSError) -> FilesystemStatistics {
        FilesystemStatistics(blockSize: 4096, blocks: 1_000_000, freeBlocks: 250_000, availableBlocks: 250_000,
                             files: 10_000, freeFiles: 5_000, maxNameLength: 255)
    }

    func getxattr(ino: UInt64, name: String) throws(FSError) -> [UInt8] {
        guard ino == Self.hello, let value = Self.xattrs[name] else { throw FSError(ENODATA) }
        return value
    }

    func listxattr(ino: UInt64) throws(FSError) -> [String] {
        ino == Self.hello ? Self.xattrs.keys.sorted() : []
    }

    func setxattr(ino: UInt64, name: String, value: UnsafeRawBufferPointer, flags: Int32) throws(FSError) {
        throw FSError(EROFS)
    }

    func removexattr(ino: UInt64, name: String) throws(FSError) { throw FSError(EROFS) }

    func destroy() {
        counters.withLock { state in
            state.destroyed = true
            state.lookupsAtDestroy = state.lookups
        }
    }

    private func waitAtGate() {
        let gated = readGate.withLock { gate in
            guard gate.target > 0 || gate.holding else { return false }
            gate.inFlight += 1
            gate.maxInFlight = max(gate.maxInFlight, gate.inFlight)
            return true
        }
        guard gated else { return }
        for _ in 0..<3000 where readGate.withLock({ $0.maxInFlight < $0.target || $0.holding }) { usleep(10_000) }
        readGate.withLock { $0.inFlight -= 1 }
    }

    // MARK: handles

    private func newHandle() -> UInt64 {
        counters.withLock { state in
            let handle = state.nextHandle
            state.nextHandle += 1
            state.openHandles.insert(handle)
            return handle
        }
    }

    private func closeHandle(_ handle: UInt64) {
        _ = counters.withLock { $0.openHandles.remove(handle) }
    }
}
