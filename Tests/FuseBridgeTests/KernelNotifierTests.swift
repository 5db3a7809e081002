import Foundation
import Glibc
import Testing

extension FuseMountTests {
    @Suite struct KernelNotifier {
        /// A cached name (entry timeout 60 s) is looked up again only after invalidation; the
        /// notification is sent from a thread that is not serving any FUSE request.
        @Test func invalidatedEntryIsLookedUpAgain() throws {
            try FuseMountTests.withMount { mount, filesystem in
                var st = stat()
                let lookups = { filesystem.counters.withLock { $0.lookupRequests[InMemoryFilesystem.hello] ?? 0 } }
                #expect(stat(mount.url("hello.txt"), &st) == 0)
                #expect(stat(mount.url("hello.txt"), &st) == 0)
                #expect(lookups() == 1, "the second stat should be answered from the dentry cache")

                let notifier = mount.session.notifier
                let sent = DispatchSemaphore(value: 0)
                Thread {
                    notifier.invalidateEntry(parent: InMemoryFilesystem.root, name: "hello.txt")
                    notifier.invalidateInode(InMemoryFilesystem.hello, offset: 0, length: 0)
                    sent.signal()
                }.start()
                #expect(sent.wait(timeout: .now() + 10) == .success)
                #expect(stat(mount.url("hello.txt"), &st) == 0)
                #expect(lookups() == 2)
            }
        }

        @Test func notificationsAfterTheSessionEndedAreIgnored() throws {
            let filesystem = InMemoryFilesystem()
            let mount = try MountedFilesystem(filesystem)
            mount.unmount()
            mount.session.notifier.invalidateEntry(parent: InMemoryFilesystem.root, name: "hello.txt")
            mount.session.notifier.invalidateInode(InMemoryFilesystem.hello, offset: 0, length: 0)
            mount.session.notifier.notifyDelete(parent: InMemoryFilesystem.root, child: InMemoryFilesystem.hello, name: "hello.txt")
            #expect(filesystem.counters.withLock { $0.destroyed })
        }
    }
}
