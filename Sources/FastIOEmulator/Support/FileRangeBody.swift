import Foundation
import Hummingbird
import NIOCore

/// A response body streaming bytes `range` of the file at `path`, read with `pread` on the
/// handler's own thread into chunks taken from `pool`.
///
/// Why not Hummingbird's `FileIO`: it hops to NIO's thread pool to stat, open, read each chunk and
/// close; on a 2-core machine those context switches made a 1 GiB file read in 4 MiB ranges cost
/// ~20% more emulator CPU than without them (the bytes themselves cost the same). Blob files are
/// written once and usually in the page cache, so a read here does not block for long.
///
/// Invariant: the file is opened when the body is written (a failure to open ends the response
/// early, as a vanished file would mid-stream), read exactly across `range`, and closed on every path.
enum FileRangeBody {
    /// Chunk buffers shared by every read response of the process (16 MiB kept at most).
    static let pool = ChunkBufferPool(chunkLength: 1 << 20, capacity: 16)

    static func make(path: String, range: ClosedRange<Int64>, pool: ChunkBufferPool = FileRangeBody.pool) -> ResponseBody {
        let length = Int(range.upperBound - range.lowerBound + 1)
        return ResponseBody(contentLength: length) { writer in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw POSIXFailure("open \(path)") }
            defer { close(fd) }
            var offset = range.lowerBound
            var remaining = length
            while remaining > 0 {
                let want = min(remaining, pool.chunkLength)
                var buffer = pool.take()
                let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { target -> Int in
                    while true {
                        let n = pread(fd, target.baseAddress!, want, off_t(offset))
                        if n < 0 && errno == EINTR { continue }
                        guard n > 0 else { throw POSIXFailure(n == 0 ? "file shorter than its range" : "pread") }
                        return n
                    }
                }
                offset += Int64(got)
                remaining -= got
                try await writer.write(buffer)
                pool.give(buffer)
            }
            try await writer.finish(nil)
        }
    }
}
