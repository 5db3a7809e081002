import Foundation
import Glibc
import Testing

extension FuseMountTests {
    /// The double refuses every change with EROFS; each must reach the caller unchanged.
    @Suite struct WriteErrors {
        @Test func namespaceChangesFailWithTheCoreErrno() throws {
            try FuseMountTests.withMount { mount, _ in
                #expect(failure(Int(mkdir(mount.url("new-dir"), 0o755))) == EROFS)
                #expect(failure(Int(open(mount.url("new-file"), O_CREAT | O_WRONLY, 0o644))) == EROFS)
                #expect(failure(Int(unlink(mount.url("hello.txt")))) == EROFS)
                #expect(failure(Int(rmdir(mount.url("big")))) == EROFS)
                #expect(failure(Int(rename(mount.url("hello.txt"), mount.url("renamed.txt")))) == EROFS)
                #expect(failure(Int(symlink("hello.txt", mount.url("another-link")))) == EROFS)
                #expect(failure(Int(link(mount.url("hello.txt"), mount.url("hard-link")))) == EROFS)
                #expect(failure(Int(mknod(mount.url("node"), S_IFREG | 0o644, 0))) == EROFS)
            }
        }

        @Test func writeAndTruncateFailWithTheCoreErrno() throws {
            try FuseMountTests.withMount { mount, _ in
                let fd = open(mount.url("hello.txt"), O_WRONLY)
                #expect(fd >= 0)
                defer { if fd >= 0 { close(fd) } }
                let bytes: [UInt8] = Array("data".utf8)
                #expect(failure(write(fd, bytes, bytes.count)) == EROFS)
                #expect(failure(Int(ftruncate(fd, 0))) == EROFS)
                #expect(failure(Int(chmod(mount.url("hello.txt"), 0o600))) == EROFS)
            }
        }
    }
}
