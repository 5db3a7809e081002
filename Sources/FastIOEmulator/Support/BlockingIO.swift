import Dispatch
import Foundation

/// Runs blocking file work off the cooperative thread pool.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "fastio-emulator.blocking-io", attributes: .concurrent)

    /// Runs `work` on the blocking-I/O queue without waiting for it.
    static func detach(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
    }

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try work()) } catch { continuation.resume(throwing: error) }
            }
        }
    }
}

/// A POSIX file descriptor opened for writing; every write loops until all bytes are written.
final class FileSink {
    let fd: Int32
    private(set) var written: Int64 = 0

    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw POSIXFailure("open \(path)") }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXFailure("write")
            }
            offset += n
        }
        written += Int64(bytes.count)
    }

    /// Appends everything `source` has left to read, through the caller's scratch `buffer`, showing
    /// each piece to `observe` first (a hasher).
    func append(from source: Int32, buffer: UnsafeMutableRawBufferPointer,
                observe: (UnsafeRawBufferPointer) -> Void) throws {
        while true {
            let n = read(source, buffer.baseAddress!, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXFailure("read")
            }
            if n == 0 { return }
            let piece = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            observe(piece)
            try write(piece)
        }
    }

    func syncAndClose() throws {
        if fsync(fd) != 0 { let e = POSIXFailure("fsync"); close(fd); throw e }
        close(fd)
    }

    func abandon() { close(fd) }

    /// Closes without fsync (the data is in the page cache: it survives a crash of this process).
    func closeWithoutSync() throws {
        if close(fd) != 0 { throw POSIXFailure("close") }
    }
}

/// An errno-carrying failure of a POSIX call.
struct POSIXFailure: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
}
