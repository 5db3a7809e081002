import FastIO
import FastIOFS
import Foundation
import FuseBridge
import Glibc
import Testing

extension FuseMountTests {
    /// The session's observer sees every call into the core once, with its errno, through the kernel.
    @Suite struct OperationObserver {
        /// Records what it is told (a test double; the real one is `MountMetrics`).
        final class Recorder: FuseOperationObserver {
            struct Call: Equatable {
                var operation: FuseOperation
                var errno: Int32
            }
            let calls = Locked<[Call]>([])
            let longest = Locked<Duration>(.zero)

            func operationFinished(_ operation: FuseOperation, errno: Int32, duration: Duration) {
                calls.withLock { $0.append(Call(operation: operation, errno: errno)) }
                longest.withLock { $0 = max($0, duration) }
            }

            func count(_ operation: FuseOperation, errno: Int32 = 0) -> Int {
                calls.withLock { $0.filter { $0 == Call(operation: operation, errno: errno) }.count }
            }
        }

        @Test func operationsAndTheirErrorsAreReportedOnce() throws {
            let recorder = Recorder()
            let filesystem = InMemoryFilesystem()
            let mount = try MountedFilesystem(filesystem, observer: recorder)
            defer { mount.unmount() }

            var st = stat()
            #expect(stat(mount.url("hello.txt"), &st) == 0)
            #expect(failure(Int(stat(mount.url("does-not-exist"), &st))) == ENOENT)
            let fd = open(mount.url("hello.txt"), O_RDONLY)
            #expect(fd >= 0)
            var buffer = [UInt8](repeating: 0, count: 4096)
            #expect(read(fd, &buffer, buffer.count) == 4096)
            close(fd)
            let broken = open(mount.url("broken.bin"), O_RDONLY)
            #expect(broken >= 0)
            #expect(failure(read(broken, &buffer, buffer.count)) == EIO)
            close(broken)
            #expect(try FileManager.default.contentsOfDirectory(atPath: mount.url("big")).count == InMemoryFilesystem.bigEntryCount)

            #expect(recorder.count(.lookup) >= 2, "hello.txt, broken.bin, big")
            #expect(recorder.count(.lookup, errno: ENOENT) == 1)
            #expect(recorder.count(.open) == 2)
            #expect(recorder.count(.read) >= 1)
            #expect(recorder.count(.read, errno: EIO) >= 1)
            #expect(recorder.count(.opendir) == 1)
            #expect(recorder.count(.readdir) + recorder.count(.readdirplus) >= 1)
            #expect(recorder.longest.withLock { $0 } > .zero)
            // The observer changes nothing the kernel sees: the same bytes arrive.
            #expect(buffer.prefix(16) == ArraySlice((0..<16).map(InMemoryFilesystem.helloByte)))
        }
    }
}
