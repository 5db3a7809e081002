import FastIO
import Foundation
import Glibc
import Logging

/// The persistent read cache: file contents in blocks of `blockSize` bytes under
/// `<cache-dir>/read/blocks/`, each keyed by (node id, version id, block index).
///
/// Invariants:
/// - a block is valid for exactly one version of one node: Fast.io gives every content change a new
///   version id, so a block can never be served for other content (a remote change means a new key);
/// - a block file is `data + trailer` (magic, length, XXH64 of the data), written to `tmp/` and renamed
///   into place, so it is visible only once complete; every read checks the trailer, and a block that
///   fails (torn by a crash, rotten) is a miss: logged, counted and deleted;
/// - the bytes held stay under `capacity`, and the cache filesystem keeps `minimumFree` bytes free:
///   a background thread evicts least recently used blocks (never the read path; a block being read
///   is safe anyway: its reader holds an open descriptor);
/// - starting costs no scan of the blocks: the index of what is on disk (for the limits) is built by
///   the background thread, after which eviction starts (only `tmp/`, which holds nothing but writes a
///   crash interrupted, is emptied at start);
/// - no lock is held across file I/O; the index's lock guards only dictionary updates.
public final class BlockCache: Sendable {
    public static let blockSize = 1 << 20
    static let trailerSize = 16
    static let magic: UInt32 = 0x3143_4246   // "FBC1"

    /// Which file a block belongs to.
    public struct Key: Sendable, Hashable {
        public let nodeID: String
        public let versionID: String
        public init(nodeID: String, versionID: String) { self.nodeID = nodeID; self.versionID = versionID }
    }

    public struct Statistics: Sendable, Equatable {
        public var bytes: Int64 = 0
        public var blocks = 0
        public var hits = 0
        public var misses = 0
        public var evictions = 0
        public var corrupt = 0
        public var stored = 0
        public var indexed = false
    }

    private struct Entry {
        var size: Int64
        /// Wall-clock seconds of the last store or hit (the file's mtime on disk).
        var lastUse: Double
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var statistics = Statistics()
        /// Bytes stored since free space was last checked.
        var storedSinceFreeCheck: Int64 = 0
    }

    /// What the background thread waits for.
    private struct Signal {
        var stopping = false
        var wake = false
    }

    /// Linux's O_DIRECT (`<fcntl.h>` defines it only with _GNU_SOURCE, so Swift's Glibc lacks it).
    #if arch(arm64)
    static let directIO: Int32 = 0o200000
    #else
    static let directIO: Int32 = 0o40000
    #endif

    /// Free space is checked again after this many bytes were stored (and every 30 s).
    static let freeCheckInterval: Int64 = 32 << 20

    public let directory: String
    public let capacity: Int64
    public let minimumFree: Int64
    private let blocksDirectory: String
    /// This process's own directory for blocks being written (`tmp/<pid>`).
    private let temporaryDirectory: String
    private let logger: Logger
    private let state = Locked(State())
    private let signal = ConditionLocked(Signal())
    /// Block-sized scratch buffers for reads of part of a block, kept for reuse: a fresh 1 MiB per
    /// 4 KiB random read would map and fault in new pages every time. At most `spareLimit` are kept.
    private let spares = Locked(SpareBuffers())
    private static let spareLimit = 8

    /// The kept scratch buffers (`@unchecked Sendable`: only touched under `spares`' lock, and a
    /// buffer taken out is used by one thread until it is given back).
    private struct SpareBuffers: @unchecked Sendable {
        var buffers: [UnsafeMutableRawBufferPointer] = []
    }

    /// Opens (creating) the cache under `directory` (`<cache-dir>/read`) and starts its background
    /// thread. `capacity` > 0.
    public init(directory: String, capacity: Int64, minimumFree: Int64, logger: Logger) throws(FSError) {
        self.directory = directory
        self.capacity = max(Int64(Self.blockSize), capacity)
        self.minimumFree = max(0, minimumFree)
        self.logger = logger
        blocksDirectory = directory + "/blocks"
        temporaryDirectory = directory + "/tmp/\(getpid())"
        for path in [directory, blocksDirectory, directory + "/tmp", temporaryDirectory] {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw FSError(EIO, detail: "cannot create the read cache directory \(path): \(error.localizedDescription)")
            }
        }
        // Writes a crash interrupted: the tmp/<pid> directories of processes that are gone (another
        // live mount on this directory keeps its own).
        removeLeftovers()
        let thread = Thread { [self] in maintain() }
        thread.name = "fastiofs-read-cache"
        thread.start()
    }

    deinit {
        spares.withLock { spares in
            for buffer in spares.buffers { buffer.deallocate() }
            spares.buffers.removeAll()
        }
    }

    /// Runs `body` with a block-sized scratch buffer (reused across calls, never shared while in use).
    public func withBlockBuffer<Result>(_ body: (UnsafeMutableRawBufferPointer) -> Result) -> Result {
        let buffer = spares.withLock { $0.buffers.popLast() }
            ?? UnsafeMutableRawBufferPointer.allocate(byteCount: Self.blockSize, alignment: 4096)
        defer {
            let kept = spares.withLock { spares -> Bool in
                guard spares.buffers.count < Self.spareLimit else { return false }
                spares.buffers.append(buffer)
                return true
            }
            if !kept { buffer.deallocate() }
        }
        return body(buffer)
    }

    /// Ends the background thread (it finishes the file it is on).
    public func stop() {
        signal.withLock {
            $0.stopping = true
            $0.wake = true
        }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// The byte length of block `index` of a file of `fileSize` bytes (0 past the end).
    public static func blockLength(index: Int64, fileSize: Int64) -> Int {
        let start = index.multipliedReportingOverflow(by: Int64(blockSize))
        guard !start.overflow, start.partialValue < fileSize else { return 0 }
        return Int(min(Int64(blockSize), fileSize - start.partialValue))
    }

    /// Copies block `index` of `key` into `memory` (exactly the block's length) when it is cached and
    /// intact; false on a miss (a damaged block is dropped).
    public func read(_ key: Key, index: Int64, into memory: UnsafeMutableRawBufferPointer) -> Bool {
        guard memory.count > 0, let name = Self.fileName(key, index: index) else { return false }
        let path = blockPath(name)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            noteMiss(name, known: errno != ENOENT)
            return false
        }
        defer { close(fd) }
        var st = stat()
        let expected = memory.count + Self.trailerSize
        guard fstat(fd, &st) == 0, Int64(st.st_size) == Int64(expected) else {
            drop(name, path: path, reason: "size \(st.st_size), expected \(expected)")
            return false
        }
        guard readFully(fd, into: memory) else {
            drop(name, path: path, reason: "short read: \(String(cString: strerror(errno)))")
            return false
        }
        var trailer = [UInt8](repeating: 0, count: Self.trailerSize)
        let trailerRead = trailer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Self.trailerSize, off_t(memory.count)) }
        guard trailerRead == Self.trailerSize else {
            drop(name, path: path, reason: "no trailer")
            return false
        }
        let (magic, length, checksum) = trailer.withUnsafeBytes { raw in
            (UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
             UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
             UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        }
        guard magic == Self.magic, Int(length) == memory.count,
              BlockChecksum.xxh64(UnsafeRawBufferPointer(memory)) == checksum else {
            drop(name, path: path, reason: "checksum mismatch")
            return false
        }
        let now = Date().timeIntervalSince1970
        let touch = state.withLock { state -> Bool in
            state.statistics.hits += 1
            guard var entry = state.entries[name] else { return false }
            let stale = now - entry.lastUse > 60
            entry.lastUse = now
            state.entries[name] = entry
            return stale
        }
        // Recency survives a remount through the file's mtime (at most once a minute per block).
        if touch { futimens(fd, nil) }
        return true
    }

    /// Stores block `index` of `key` (`bytes` is the whole block). Best effort: a failure (a full
    /// disk) is logged and the block simply stays uncached.
    public func store(_ key: Key, index: Int64, bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let name = Self.fileName(key, index: index) else { return }
        if state.withLock({ $0.entries[name] != nil }) { return }
        let temporary = temporaryDirectory + "/\(name).\(UInt64.random(in: 0...UInt64.max))"
        // Page-aligned whole blocks go to the disk directly (O_DIRECT): filling the page cache with
        // what was just read would cost as much memory again as the read itself. Other blocks, and
        // filesystems without O_DIRECT, are written through the page cache.
        let aligned = bytes.count % 4096 == 0 && Int(bitPattern: bytes.baseAddress) % 4096 == 0
        var fd = aligned ? open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | Self.directIO, 0o600) : -1
        let direct = fd >= 0
        if !direct {
            if aligned { unlink(temporary) }
            fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        }
        guard fd >= 0 else {
            logger.debug("read cache: cannot store a block", metadata: ["error": "\(String(cString: strerror(errno)))"])
            return
        }
        var trailer = [UInt8](repeating: 0, count: Self.trailerSize)
        trailer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: Self.magic.littleEndian, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt32(bytes.count).littleEndian, toByteOffset: 4, as: UInt32.self)
            raw.storeBytes(of: BlockChecksum.xxh64(bytes).littleEndian, toByteOffset: 8, as: UInt64.self)
        }
        var written = writeFully(fd, bytes)
        if direct {
            // The 16-byte trailer cannot go through O_DIRECT: a second, buffered descriptor appends it.
            close(fd)
            fd = open(temporary, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW)
            written = written && fd >= 0
        }
        written = written && trailer.withUnsafeBytes { writeFully(fd, $0) }
        if fd >= 0 { close(fd) }
        let bucket = blocksDirectory + "/" + Self.bucket(of: name)
        guard written, mkdir(bucket, 0o700) == 0 || errno == EEXIST, rename(temporary, bucket + "/" + name) == 0 else {
            logger.debug("read cache: cannot store a block", metadata: ["error": "\(String(cString: strerror(errno)))"])
            unlink(temporary)
            return
        }
        let size = Int64(bytes.count + Self.trailerSize)
        let due = state.withLock { state -> Bool in
            if state.entries.updateValue(Entry(size: size, lastUse: Date().timeIntervalSince1970), forKey: name) == nil {
                state.statistics.bytes += size
                state.statistics.blocks += 1
            }
            state.statistics.stored += 1
            state.storedSinceFreeCheck += size
            let checkFree = state.storedSinceFreeCheck >= Self.freeCheckInterval
            if checkFree { state.storedSinceFreeCheck = 0 }
            return state.statistics.bytes > capacity || checkFree
        }
        if due { signal.withLock { $0.wake = true } }
    }

    /// True when some block of `key` is on disk (for reads while the server is unreachable).
    public func hasBlocks(of key: Key) -> Bool {
        guard let first = Self.fileName(key, index: 0) else { return false }
        if access(blockPath(first), F_OK) == 0 { return true }
        let prefix = "\(key.nodeID).\(key.versionID)."
        return state.withLock { $0.entries.keys.contains { $0.hasPrefix(prefix) } }
    }

    /// Deletes every block under `directory` (`fastiofs cache clear`); a live cache notices each
    /// missing block as a miss. Returns the bytes removed and the blocks that could not be removed.
    public static func clear(directory: String, logger: Logger) -> (removed: Int64, failed: Int) {
        var removed: Int64 = 0
        var failed = 0
        let blocks = directory + "/blocks"
        for bucket in entries(of: blocks, logger: logger) {
            let path = blocks + "/" + bucket
            for name in entries(of: path, logger: logger) {
                var st = stat()
                if lstat(path + "/" + name, &st) == 0, unlink(path + "/" + name) == 0 {
                    removed += Int64(st.st_size)
                } else {
                    failed += 1
                    logger.warning("cannot remove a cached block", metadata: ["path": "\(path)/\(name)",
                                                                             "error": "\(String(cString: strerror(errno)))"])
                }
            }
            rmdir(path)
        }
        return (removed, failed)
    }

    /// The names in directory `path`; none when it does not exist, and a log line for any other failure.
    static func entries(of path: String, logger: Logger) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path)
        } catch CocoaError.fileReadNoSuchFile {
            return []
        } catch {
            logger.warning("read cache: cannot list a directory", metadata: ["path": "\(path)", "error": "\(error)"])
            return []
        }
    }

    // MARK: - names

    /// `<node>.<version>.<index>`; nil for ids that are not plain OpaqueIds (never a path).
    static func fileName(_ key: Key, index: Int64) -> String? {
        func plain(_ id: String) -> Bool {
            !id.isEmpty && id.count <= 64 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x7a).contains($0) }
        }
        guard plain(key.nodeID), plain(key.versionID), index >= 0 else { return nil }
        return "\(key.nodeID).\(key.versionID).\(index)"
    }

    /// One of 256 subdirectories, by the node id (a file's blocks stay together).
    static func bucket(of name: String) -> String {
        let node = name.split(separator: ".").first.map(String.init) ?? name
        var hash: UInt8 = 0
        for byte in node.utf8 { hash = hash &* 31 &+ byte }
        return String(format: "%02x", hash)
    }

    private func blockPath(_ name: String) -> String {
        blocksDirectory + "/" + Self.bucket(of: name) + "/" + name
    }

    // MARK: - bookkeeping

    private func noteMiss(_ name: String, known: Bool) {
        state.withLock { state in
            state.statistics.misses += 1
            if let entry = state.entries.removeValue(forKey: name) {
                state.statistics.bytes -= entry.size
                state.statistics.blocks -= 1
            }
        }
        if known { logger.debug("read cache: a block could not be opened", metadata: ["block": "\(name)"]) }
    }

    private func drop(_ name: String, path: String, reason: String) {
        logger.warning("read cache: a damaged block was dropped", metadata: ["block": "\(name)", "why": "\(reason)"])
        unlink(path)
        state.withLock { state in
            state.statistics.misses += 1
            state.statistics.corrupt += 1
            if let entry = state.entries.removeValue(forKey: name) {
                state.statistics.bytes -= entry.size
                state.statistics.blocks -= 1
            }
        }
    }

    // MARK: - the background thread

    private func maintain() {
        index()
        while true {
            let stop = signal.wait(until: Date(timeIntervalSinceNow: 30)) { signal -> Bool? in
                guard signal.wake else { return nil }
                signal.wake = false
                return signal.stopping
            } ?? false
            if stop || signal.peek({ $0.stopping }) { return }
            evict()
        }
    }

    /// Temporary files of writes a crash interrupted: `tmp/<pid>` of processes that no longer run.
    private func removeLeftovers() {
        let temporary = directory + "/tmp"
        for name in Self.entries(of: temporary, logger: logger) {
            let path = temporary + "/" + name
            if let pid = Int32(name), pid == getpid() || kill(pid, 0) == 0 || errno == EPERM { continue }
            for file in Self.entries(of: path, logger: logger) { unlink(path + "/" + file) }
            if rmdir(path) != 0 { unlink(path) }
        }
    }

    /// Learns what is on disk (size and last use of every block), then evicts if over the limits.
    private func index() {
        var found: [String: Entry] = [:]
        for bucket in Self.entries(of: blocksDirectory, logger: logger) {
            if signal.peek({ $0.stopping }) { return }
            let path = blocksDirectory + "/" + bucket
            for name in Self.entries(of: path, logger: logger) {
                var st = stat()
                guard lstat(path + "/" + name, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
                found[name] = Entry(size: Int64(st.st_size),
                                    lastUse: Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9)
            }
        }
        state.withLock { state in
            for (name, entry) in found where state.entries[name] == nil {
                state.entries[name] = entry
                state.statistics.bytes += entry.size
                state.statistics.blocks += 1
            }
            state.statistics.indexed = true
        }
        logger.info("read cache indexed", metadata: ["blocks": "\(found.count)", "directory": "\(directory)"])
        evict()
    }

    /// Deletes least recently used blocks until under 90 % of the capacity and above the free-space floor.
    private func evict() {
        let free = freeBytes()
        let (victims, target) = state.withLock { state -> ([(String, Int64)], Int64) in
            let overCapacity = state.statistics.bytes > capacity
            let lowSpace = free.map { $0 < minimumFree } ?? false
            guard overCapacity || lowSpace else { return ([], 0) }
            var goal = min(state.statistics.bytes, capacity - capacity / 10)
            if lowSpace, let free { goal = min(goal, state.statistics.bytes - (minimumFree - free)) }
            let ordered = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }
            var bytes = state.statistics.bytes
            var chosen: [(String, Int64)] = []
            for (name, entry) in ordered where bytes > max(0, goal) {
                chosen.append((name, entry.size))
                bytes -= entry.size
            }
            return (chosen, goal)
        }
        guard !victims.isEmpty else { return }
        var evicted = 0
        for (name, size) in victims {
            if unlink(blockPath(name)) == 0 || errno == ENOENT {
                state.withLock { state in
                    guard state.entries.removeValue(forKey: name) != nil else { return }
                    state.statistics.bytes -= size
                    state.statistics.blocks -= 1
                    state.statistics.evictions += 1
                }
                evicted += 1
            }
        }
        logger.info("read cache: evicted least recently used blocks",
                    metadata: ["blocks": "\(evicted)", "target_bytes": "\(max(0, target))"])
    }

    private func freeBytes() -> Int64? {
        var fs = statvfs()
        guard statvfs(directory, &fs) == 0 else { return nil }
        return Int64(fs.f_bavail) * Int64(fs.f_frsize)
    }

    private func readFully(_ fd: Int32, into memory: UnsafeMutableRawBufferPointer) -> Bool {
        var done = 0
        while done < memory.count {
            let count = pread(fd, memory.baseAddress! + done, memory.count - done, off_t(done))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }

    private func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let count = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            done += count
        }
        return true
    }
}
