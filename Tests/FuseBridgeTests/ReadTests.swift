import Foundation
import Glibc
import Testing

extension FuseMountTests {
    @Suite struct Read {
        static func pread(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: count)
            let n = buffer.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress, count, off_t(offset)) }
            guard n >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            return Array(buffer.prefix(n))
        }

        static func expected(offset: Int, count: Int) -> [UInt8] {
            let end = min(offset + count, InMemoryFilesystem.helloSize)
            return offset >= end ? [] : (offset..<end).map(InMemoryFilesystem.helloByte)
        }

        @Test(arguments: [(0, 4096), (0, 65_536), (1, 10), (4095, 3), (123_457, 70_001),
                          (InMemoryFilesystem.helloSize - 5, 100), (InMemoryFilesystem.helloSize, 10),
                          (InMemoryFilesystem.helloSize + 4096, 10)])
        func readAtOffset(offset: Int, count: Int) throws {
            try FuseMountTests.withMount { mount, _ in
                let bytes = try Read.pread(mount.url("hello.txt"), offset: offset, count: count)
                #expect(bytes.count == Read.expected(offset: offset, count: count).count)
                #expect(bytes == Read.expected(offset: offset, count: count))
            }
        }

        @Test func wholeFileRoundTrips() throws {
            try FuseMountTests.withMount { mount, filesystem in
                let data = try Data(contentsOf: URL(fileURLWithPath: mount.url("hello.txt")))
                #expect(Array(data) == Read.expected(offset: 0, count: InMemoryFilesystem.helloSize))
                #expect(filesystem.counters.withLock { $0.readCalls } > 0)
            }
        }

        @Test func coreErrorBecomesReadErrno() throws {
            try FuseMountTests.withMount { mount, _ in
                #expect(throws: POSIXError(.EIO)) {
                    _ = try Read.pread(mount.url("broken.bin"), offset: 0, count: 100)
                }
            }
        }

        @Test func handlesAreReleased() throws {
            try FuseMountTests.withMount { mount, filesystem in
                for _ in 0..<5 { _ = try Read.pread(mount.url("hello.txt"), offset: 0, count: 10) }
                _ = try Readdir.names(in: mount.path)
                // release/releasedir arrive asynchronously after close.
                var open = -1
                for _ in 0..<50 {
                    open = filesystem.counters.withLock { $0.openHandles.count }
                    if open == 0 { break }
                    usleep(20_000)
                }
                #expect(open == 0)
            }
        }
    }
}
