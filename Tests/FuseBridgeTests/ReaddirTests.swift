import Foundation
import Glibc
import Testing

extension FuseMountTests {
    @Suite struct Readdir {
        /// Reads a directory with opendir/readdir (readdirplus underneath), returning every name once.
        static func names(in path: String) throws -> [String] {
            guard let dir = opendir(path) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { closedir(dir) }
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                names.append(name)
            }
            return names
        }

        @Test func bigDirectoryListsEveryNameExactlyOnce() throws {
            try FuseMountTests.withMount { mount, _ in
                let names = try Readdir.names(in: mount.url("big"))
                let expected = ["." , ".."] + (0..<InMemoryFilesystem.bigEntryCount).map(InMemoryFilesystem.bigEntryName)
                #expect(names.count == expected.count)
                #expect(Set(names).count == names.count, "a name was listed twice")
                #expect(Set(names) == Set(expected))
            }
        }

        @Test func rootListsTypes() throws {
            try FuseMountTests.withMount { mount, _ in
                guard let dir = opendir(mount.path) else { Issue.record("opendir failed: \(errno)"); return }
                defer { closedir(dir) }
                var types: [String: UInt8] = [:]
                while let entry = readdir(dir) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    types[name] = entry.pointee.d_type
                }
                #expect(types["hello.txt"] == UInt8(DT_REG))
                #expect(types["big"] == UInt8(DT_DIR))
                #expect(types["link"] == UInt8(DT_LNK))
            }
        }

        @Test func readdirplusFillsAttributesWithoutLookups() throws {
            try FuseMountTests.withMount { mount, filesystem in
                _ = try Readdir.names(in: mount.url("big"))
                // readdirplus already gave the kernel each entry: stat needs no lookup (counts unchanged).
                let before = filesystem.counters.withLock { $0.lookups[InMemoryFilesystem.firstBigEntry + 7] }
                #expect(before == 1)
                var st = stat()
                #expect(stat(mount.url("big/" + InMemoryFilesystem.bigEntryName(7)), &st) == 0)
                #expect(st.st_size == 10)
                let after = filesystem.counters.withLock { $0.lookups[InMemoryFilesystem.firstBigEntry + 7] }
                #expect(after == 1)
            }
        }

        @Test func openingAFileAsDirectoryFails() throws {
            try FuseMountTests.withMount { mount, _ in
                #expect(opendir(mount.url("hello.txt")) == nil)
                #expect(errno == ENOTDIR)
            }
        }
    }
}
