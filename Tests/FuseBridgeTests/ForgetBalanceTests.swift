import Foundation
import Glibc
import Testing

extension FuseMountTests {
    @Suite struct ForgetBalance {
        /// Every reference the kernel took (lookups and readdirplus entries) comes back through forget.
        /// The kernel forgets inodes when it evicts them; unmounting alone does not send forgets (the
        /// connection is aborted before the inodes are evicted), so we make it evict first by dropping
        /// the dentry and inode caches, wait for the forgets, then unmount and check at destroy.
        @Test func allLookupCountsReturnToZero() throws {
            let filesystem = InMemoryFilesystem()
            let mount = try MountedFilesystem(filesystem)
            defer { mount.unmount() }

            _ = try Readdir.names(in: mount.url("big"))
            // A directory with names the kernel refuses: the entries around them are still taken,
            // and those refused give their references back.
            #expect(try Readdir.checkedNames(in: mount.url("long")) == [".", ".."] + InMemoryFilesystem.listableLongNames)
            var st = stat()
            for name in ["hello.txt", "link", "broken.bin", "big/entry-00042", "missing"] {
                _ = stat(mount.url(name), &st)
            }
            _ = try Read.pread(mount.url("link"), offset: 0, count: 10)
            let referenced = filesystem.counters.withLock { $0.lookups.values.reduce(0, +) }
            #expect(referenced >= UInt64(InMemoryFilesystem.bigEntryCount))

            try Self.dropKernelCaches()
            var outstanding = referenced
            for _ in 0..<100 where outstanding > 0 {
                usleep(50_000)
                outstanding = filesystem.counters.withLock { $0.lookups.values.reduce(0, +) }
            }
            mount.unmount()
            let final = filesystem.counters.withLock { $0 }
            #expect(final.destroyed)
            #expect(final.underflows == 0, "forget returned more references than were taken")
            let leaked = final.lookupsAtDestroy ?? [:]
            #expect(leaked.isEmpty, "\(leaked.count) inodes still referenced at destroy, e.g. \(leaked.keys.sorted().prefix(5))")
        }

        static func dropKernelCaches() throws {
            sync()
            try "2\n".write(toFile: "/proc/sys/vm/drop_caches", atomically: false, encoding: .utf8)
        }
    }
}
