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

        /// Like `names(in:)`, but a failing `readdir` (NULL with errno set) throws instead of ending the list.
        static func checkedNames(in path: String) throws -> [String] {
            guard let dir = opendir(path) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            defer { closedir(dir) }
            var names: [String] = []
            while true {
                errno = 0
                guard let entry = readdir(dir) else {
                    if errno != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                    return names
                }
                // The whole name as the kernel gave it (d_name's declared 256 bytes may be shorter).
                let name = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
                names.append(String(cString: name.assumingMemoryBound(to: CChar.self)))
            }
        }

        /// Names the kernel would refuse (over 1024 bytes: EIO for the whole buffer) or user space
        /// cannot hold (over NAME_MAX) are left out, and the listing goes on after them.
        @Test func overLongNamesAreSkippedNotAnError() throws {
            try FuseMountTests.withMount { mount, _ in
                let names = try Readdir.checkedNames(in: mount.url("long"))
                #expect(names == [".", ".."] + InMemoryFilesystem.listableLongNames)
            }
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
