import CFuseShim
import Foundation
import Glibc
import Testing

extension FuseMountTests {
    @Suite struct Xattrs {
        @Test func getxattrProbesSizeThenReadsValue() throws {
            try FuseMountTests.withMount { mount, _ in
                let path = mount.url("hello.txt")
                let size = getxattr(path, "user.fastio.id", nil, 0)
                #expect(size == 26)
                var buffer = [UInt8](repeating: 0, count: max(size, 0))
                let read = getxattr(path, "user.fastio.id", &buffer, buffer.count)
                #expect(read == 26)
                #expect(String(decoding: buffer, as: UTF8.self) == "2yxkfdsmdfq6qqmbp5jbaf3kfh")
            }
        }

        @Test func getxattrTooSmallBufferIsERANGE() throws {
            try FuseMountTests.withMount { mount, _ in
                var buffer = [UInt8](repeating: 0, count: 10)
                #expect(failure(getxattr(mount.url("hello.txt"), "user.long", &buffer, buffer.count)) == ERANGE)
            }
        }

        @Test func missingAttributeIsENODATA() throws {
            try FuseMountTests.withMount { mount, _ in
                #expect(failure(getxattr(mount.url("hello.txt"), "user.nope", nil, 0)) == ENODATA)
                #expect(failure(getxattr(mount.url("big"), "user.fastio.id", nil, 0)) == ENODATA)
            }
        }

        @Test func listxattrIsNULSeparatedWithProbing() throws {
            try FuseMountTests.withMount { mount, _ in
                let path = mount.url("hello.txt")
                let size = listxattr(path, nil, 0)
                let expectedNames = InMemoryFilesystem.xattrs.keys.sorted()
                #expect(size == expectedNames.reduce(0) { $0 + $1.utf8.count + 1 })
                var buffer = [CChar](repeating: 0, count: max(size, 0))
                #expect(listxattr(path, &buffer, buffer.count) == size)
                let names = buffer.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
                #expect(names == expectedNames)
                var small = [CChar](repeating: 0, count: 5)
                #expect(failure(listxattr(path, &small, small.count)) == ERANGE)
                #expect(listxattr(mount.url("big"), nil, 0) == 0)
            }
        }

        @Test func setAndRemoveXattrPropagateEROFS() throws {
            try FuseMountTests.withMount { mount, _ in
                let value: [UInt8] = [1, 2, 3]
                #expect(failure(Int(setxattr(mount.url("hello.txt"), "user.x", value, value.count, 0))) == EROFS)
                #expect(failure(Int(removexattr(mount.url("hello.txt"), "user.fastio.id"))) == EROFS)
            }
        }
    }
}
