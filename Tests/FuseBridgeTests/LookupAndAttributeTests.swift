import Foundation
import Glibc
import Testing

extension FuseMountTests {
    @Suite struct LookupAndAttributes {
        @Test func statOfFileCopiesEveryAttribute() throws {
            try FuseMountTests.withMount { mount, _ in
                var st = stat()
                #expect(stat(mount.url("hello.txt"), &st) == 0)
                #expect(st.st_ino == 2)
                #expect(st.st_mode == S_IFREG | 0o644)
                #expect(st.st_size == InMemoryFilesystem.helloSize)
                #expect(st.st_blocks == (InMemoryFilesystem.helloSize + 511) / 512)
                #expect(st.st_blksize == 4096)
                #expect(st.st_uid == getuid())
                #expect(st.st_nlink == 1)
                #expect(st.st_mtim.tv_sec == 1_700_000_000)
                #expect(st.st_mtim.tv_nsec == 123_000_000)
            }
        }

        @Test func statOfDirectoryAndRoot() throws {
            try FuseMountTests.withMount { mount, _ in
                var st = stat()
                #expect(stat(mount.url("big"), &st) == 0)
                #expect(st.st_mode & S_IFMT == S_IFDIR)
                #expect(stat(mount.path, &st) == 0)
                #expect(st.st_ino == 1)
                #expect(st.st_nlink == 3)
            }
        }

        @Test func missingNameIsENOENT() throws {
            try FuseMountTests.withMount { mount, _ in
                var st = stat()
                #expect(failure(Int(stat(mount.url("does-not-exist"), &st))) == ENOENT)
                #expect(failure(Int(stat(mount.url("hello.txt/below-a-file"), &st))) == ENOTDIR)
            }
        }

        @Test func readlinkReturnsTarget() throws {
            try FuseMountTests.withMount { mount, _ in
                var buffer = [CChar](repeating: 0, count: 256)
                let length = readlink(mount.url("link"), &buffer, buffer.count)
                #expect(length == 9)
                #expect(String(decoding: buffer.prefix(max(0, length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) == "hello.txt")
                var st = stat()
                #expect(lstat(mount.url("link"), &st) == 0)
                #expect(st.st_mode & S_IFMT == S_IFLNK)
                // Following the link goes back through lookup.
                #expect(stat(mount.url("link"), &st) == 0)
                #expect(st.st_ino == 2)
            }
        }

        @Test func statfsReportsTheCoreFigures() throws {
            try FuseMountTests.withMount { mount, _ in
                var st = statvfs()
                #expect(statvfs(mount.path, &st) == 0)
                #expect(st.f_bsize == 4096)
                #expect(st.f_blocks == 1_000_000)
                #expect(st.f_bavail == 250_000)
                #expect(st.f_files == 10_000)
                #expect(st.f_namemax == 255)
            }
        }

        @Test func mountIsListedWithOurNames() throws {
            try FuseMountTests.withMount { mount, _ in
                let mounts = try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)
                let line = mounts.split(separator: "\n").first { $0.contains(" \(mount.path) ") }
                let fields = line?.split(separator: " ").map(String.init) ?? []
                #expect(fields.first == "fastio")
                #expect(fields.dropFirst(2).first == "fuse.fastiofs")
                #expect(fields.dropFirst(3).first?.contains("default_permissions") == true)
            }
        }
    }
}
