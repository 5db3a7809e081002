import FastIO
import Foundation
import Glibc
import Synchronization
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

        /// An `inval_inode` waits in the kernel for the page lock of a read in flight. Ending the
        /// session meanwhile must not wait behind it (the old control held its lock across the
        /// notification, so `requestExit`, and the teardown, waited for the read), and the loop must
        /// keep serving until it ended (a loop stopped under it would leave it blocked for good):
        /// the read is answered, the notification returns, then the session ends and unmounts.
        @Test func endingTheSessionDoesNotWaitBehindABlockedNotification() throws {
            let filesystem = InMemoryFilesystem()
            let mount = try MountedFilesystem(filesystem)
            defer {
                filesystem.readGate.withLock { $0.holding = false }
                mount.unmount()
            }
            let index = 7
            let ino = InMemoryFilesystem.firstBigEntry + UInt64(index)
            filesystem.readGate.withLock { $0.holding = true }
            let bytesRead = Locked<Result<[UInt8], NSError>?>(nil)
            let readDone = DispatchSemaphore(value: 0)
            let path = mount.url("big/" + InMemoryFilesystem.bigEntryName(index))
            Thread {
                do {
                    let bytes = try Read.pread(path, offset: 0, count: 10)
                    bytesRead.withLock { $0 = .success(bytes) }
                } catch {
                    bytesRead.withLock { $0 = .failure(error as NSError) }
                }
                readDone.signal()
            }.start()
            #expect(Self.waitFor(10) { filesystem.readGate.withLock { $0.inFlight } == 1 }, "the read reached the filesystem")

            let notifier = mount.session.notifier
            let notified = Atomic<Bool>(false)
            Thread {
                Thread.current.name = "inval-blocked"   // found by name in /proc
                notifier.invalidateInode(ino, offset: 0, length: 0)
                notified.store(true, ordering: .sequentiallyConsistent)
            }.start()
            #expect(Self.waitFor(10) { Self.threadState(named: "inval-blocked") == "D" },
                    "the notification waits in the kernel for the read's page")

            // With the old lock, requestExit waited until the read was released (here after 5 s).
            let exitReturned = DispatchSemaphore(value: 0)
            Thread {
                if exitReturned.wait(timeout: .now() + 5) == .timedOut { filesystem.readGate.withLock { $0.holding = false } }
            }.start()
            let start = Date()
            mount.session.requestExit()
            let took = Date().timeIntervalSince(start)
            exitReturned.signal()
            #expect(took < 1, "requestExit waited \(took) s behind a blocked notification")
            #expect(mount.isMounted && !notified.load(ordering: .sequentiallyConsistent),
                    "the loop keeps serving while the notification waits for a read")

            filesystem.readGate.withLock { $0.holding = false }
            #expect(readDone.wait(timeout: .now() + 10) == .success)
            // The read is answered, or, when the kernel let the invalidation finish before the read's
            // reply was taken (then the loop may stop and the unmount abort the read), it fails with
            // the abort's errno; it never hangs (seen about one run in four under load).
            switch bytesRead.withLock({ $0 }) {
            case .success(let bytes)?: #expect(bytes == Array(repeating: UInt8(ascii: "x"), count: 10))
            case .failure(let error)?: #expect([ECONNABORTED, ENOTCONN].contains(Int32(error.code)), "\(error)")
            case nil: Issue.record("the read did not return")
            }
            #expect(Self.waitFor(10) { notified.load(ordering: .sequentiallyConsistent) }, "the notification returned")
            #expect(mount.waitUntilFinished(timeout: 15), "the session ended")
            #expect(!mount.isMounted)
        }

        /// Polls `condition` every 10 ms for at most `seconds`.
        static func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                usleep(10_000)
            }
            return condition()
        }

        /// The scheduler state (`R`, `S`, `D`, ...) of this process's thread named `name`, if any.
        static func threadState(named name: String) -> String? {
            guard let tasks = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
            for task in tasks {
                let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
                guard comm.trimmingCharacters(in: .whitespacesAndNewlines) == name,
                      let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                      let close = stat.range(of: ") ", options: .backwards) else { continue }
                return String(stat[close.upperBound...].prefix(1))
            }
            return nil
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
