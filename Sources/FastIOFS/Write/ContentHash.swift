import Crypto
import Foundation

/// The SHA-256 of a spooled data file, in the server's form (lowercase hex): how an upload whose
/// answer was lost (a crash, a dropped connection) recognises its own content on the server.
///
/// Invariant: reads exactly the first `length` bytes (EIO if the file is shorter).
enum ContentHash {
    static func sha256(path: String, length: Int64) throws(FSError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FSError(errno, detail: "open \(path) to hash it") }
        defer { close(fd) }
        var hasher = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Int64(buffer.count), length - offset))
            let got = try SpoolDirectory.readAll(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
            guard got == want else { throw FSError(EIO, detail: "\(path) is shorter than \(length) bytes") }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            offset += Int64(got)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// True when `serverHash` (with its algorithm) is the SHA-256 of the snapshot's bytes.
    static func matches(serverHash: String?, algorithm: String?, path: String, length: Int64) throws(FSError) -> Bool {
        guard let serverHash, !serverHash.isEmpty, (algorithm ?? "sha256").lowercased() == "sha256" else { return false }
        return try sha256(path: path, length: length) == serverHash.lowercased()
    }
}
