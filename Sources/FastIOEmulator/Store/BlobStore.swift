import Crypto
import Foundation

/// Content-addressed file bodies under DATA/blobs/ab/cdef… (sha256 hex). New content is written under DATA/tmp,
/// fsynced, then renamed into place, so a crash never leaves a half-visible blob; identical content is stored once.
/// Upload chunks live under DATA/uploads/<session>/<order>. A blob file is deleted once no version and no upload
/// session references it (`BlobGarbage`); hashes returned by `store`/`assemble` are pinned until the caller unpins.
struct BlobStore: Sendable {
    let root: String
    let pins = BlobPins()

    var tmpDir: String { root + "/tmp" }

    init(root: String) throws {
        self.root = root
        for dir in ["blobs", "tmp", "uploads"] {
            try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true)
        }
    }

    func path(for hash: String) -> String {
        let h = hash.lowercased()
        return "\(root)/blobs/\(h.prefix(2))/\(h.dropFirst(2))"
    }

    func tempPath() -> String { "\(tmpDir)/\(UUID().uuidString)" }

    func uploadDir(_ id: String) -> String { "\(root)/uploads/\(id)" }

    func chunkPath(_ id: String, order: Int) -> String { "\(uploadDir(id))/\(order)" }

    /// Moves a finished, fsynced temp file into the store under its hash (or drops it if already present).
    /// Leaves `hash` pinned: the caller unpins once a committed row references it (or it gives up).
    func commit(temp: String, hash: String) throws {
        let final = path(for: hash)
        let dir = String(final[..<final.lastIndex(of: "/")!])
        if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw POSIXFailure("mkdir \(dir)") }
        let failed = pins.pin(hash) {
            if access(final, F_OK) == 0 { unlink(temp); return 0 }
            return rename(temp, final)
        }
        if failed != 0 {
            pins.unpin(hash)
            throw POSIXFailure("rename blob")
        }
    }

    /// Deletes the blob file unless it is pinned; true if it was deleted (or already absent).
    @discardableResult
    func removeUnlessPinned(_ hash: String) -> Bool {
        pins.unlessPinned(hash) { unlink(path(for: hash)) }
    }

    /// Stores small in-memory content (notes, seed files); returns (sha256, size), pinned.
    func store(bytes: [UInt8]) throws -> (hash: String, size: Int64) {
        let temp = tempPath()
        let sink = try FileSink(path: temp)
        try bytes.withUnsafeBytes { try sink.write($0) }
        try sink.syncAndClose()
        let hash = SHA256.hash(data: bytes).hex
        try commit(temp: temp, hash: hash)
        return (hash, Int64(bytes.count))
    }

    /// Streams `sources` (in order) into a new blob while hashing; returns sha256 (pinned), size and the optional extra digest.
    func assemble(sources: [String], extraAlgo: String?) throws -> (hash: String, size: Int64, extra: String?) {
        let temp = tempPath()
        let sink = try FileSink(path: temp)
        var hasher = MultiHasher(extra: extraAlgo)
        let bufferSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        do {
            for source in sources {
                let fd = open(source, O_RDONLY | O_CLOEXEC)
                if fd < 0 { throw POSIXFailure("open \(source)") }
                defer { close(fd) }
                try sink.append(from: fd, buffer: buffer) { hasher.update($0) }
            }
            try sink.syncAndClose()
        } catch {
            sink.abandon()
            unlink(temp)
            throw error
        }
        let (hash, extra) = hasher.finish()
        try commit(temp: temp, hash: hash)
        return (hash, sink.written, extra)
    }

    /// Size of a stored blob.
    func size(of hash: String) -> Int64? {
        var st = stat()
        return stat(path(for: hash), &st) == 0 ? Int64(st.st_size) : nil
    }
}

/// SHA-256 plus one optional client-requested digest (md5, sha1, sha256, sha384, crc32c).
struct MultiHasher {
    private var sha = SHA256()
    private var md5: Insecure.MD5?
    private var sha1: Insecure.SHA1?
    private var sha384: SHA384?
    private var crc: CRC32C?
    private let extra: String?

    init(extra: String?) {
        self.extra = extra?.lowercased()
        switch self.extra {
        case "md5": md5 = Insecure.MD5()
        case "sha1": sha1 = Insecure.SHA1()
        case "sha384": sha384 = SHA384()
        case "crc32c": crc = CRC32C()
        default: break
        }
    }

    static let supported: Set<String> = ["md5", "sha1", "sha256", "sha384", "crc32c"]

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        sha.update(bufferPointer: bytes)
        md5?.update(bufferPointer: bytes)
        sha1?.update(bufferPointer: bytes)
        sha384?.update(bufferPointer: bytes)
        crc?.update(bytes)
    }

    func finish() -> (String, String?) {
        let main = sha.finalize().hex
        switch extra {
        case "sha256": return (main, main)
        case "md5": return (main, md5!.finalize().hex)
        case "sha1": return (main, sha1!.finalize().hex)
        case "sha384": return (main, sha384!.finalize().hex)
        case "crc32c": return (main, crc!.hex)
        default: return (main, nil)
        }
    }
}

extension Sequence where Element == UInt8 {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in self { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Digest {
    var hex: String { Array(self.makeIterator()).hex }
}
