import Glibc

/// A request body streamed to libcurl's read callback from memory segments and file ranges, so a
/// chunk of a spooled file is sent without loading it into memory.
///
/// Invariant: yields exactly `length` bytes, segment after segment, reading file ranges with
/// `pread` (the descriptor's offset is never moved); `seek(to:)` can rewind to any position for a
/// libcurl resend. A short file makes the read fail (the transfer aborts) instead of sending less.
final class UploadBodySource {
    enum Segment {
        case bytes([UInt8])
        /// `length` bytes of open descriptor `fd` starting at `offset`. The descriptor belongs to
        /// the caller and must stay open during the transfer.
        case file(fd: Int32, offset: Int64, length: Int64)

        var length: Int64 {
            switch self {
            case .bytes(let bytes): return Int64(bytes.count)
            case .file(_, _, let length): return length
            }
        }
    }

    let segments: [Segment]
    let length: Int64
    private(set) var position: Int64 = 0
    /// Set when a file read failed; the transfer was aborted because of it.
    private(set) var readError: Int32?

    init(segments: [Segment]) {
        self.segments = segments
        self.length = segments.reduce(0) { $0 + $1.length }
    }

    /// Fills up to `capacity` bytes at `target`; returns the count, 0 at the end, nil on error.
    func read(into target: UnsafeMutableRawPointer, capacity: Int) -> Int? {
        var written = 0
        var segmentStart: Int64 = 0
        for segment in segments {
            let segmentEnd = segmentStart + segment.length
            defer { segmentStart = segmentEnd }
            guard position < segmentEnd, written < capacity else { continue }
            let within = position - segmentStart
            let count = Int(min(Int64(capacity - written), segment.length - within))
            switch segment {
            case .bytes(let bytes):
                bytes.withUnsafeBytes { raw in
                    (target + written).copyMemory(from: raw.baseAddress! + Int(within), byteCount: count)
                }
            case .file(let fd, let offset, _):
                var done = 0
                while done < count {
                    let got = pread(fd, target + written + done, count - done, off_t(offset + within) + off_t(done))
                    if got < 0 && errno == EINTR { continue }
                    if got <= 0 {
                        readError = got < 0 ? errno : EIO
                        return nil
                    }
                    done += got
                }
            }
            written += count
            position += Int64(count)
        }
        return written
    }

    func seek(to offset: Int64) -> Bool {
        guard offset >= 0, offset <= length else { return false }
        position = offset
        return true
    }
}
