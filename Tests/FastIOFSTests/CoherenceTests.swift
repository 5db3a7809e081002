import FastIO
@testable import FastIOFS
import Foundation
import Synchronization
import Testing

/// A `KernelNotifier` that records what it was told, and on which thread.
final class RecordingNotifier: KernelNotifier {
    private let calls = Locked<[KernelInvalidation]>([])
    private let threads = Locked<Set<UInt>>([])
    func invalidateInode(_ ino: UInt64, offset: Int64, length: Int64) { record(.inode(ino)) }
    func invalidateEntry(parent: UInt64, name: String) { record(.entry(parent: parent, name: name)) }
    func notifyDelete(parent: UInt64, child: UInt64, name: String) { record(.delete(parent: parent, child: child, name: name)) }
    private func record(_ call: KernelInvalidation) {
        calls.withLock { $0.append(call) }
        _ = threads.withLock { $0.insert(UInt(pthread_self())) }
    }
    var received: [KernelInvalidation] { calls.withLock { $0 } }
    /// The pthreads the notifications came from.
    var threadIDs: Set<UInt> { threads.withLock { $0 } }
}

@Suite struct ActivityKeyTests {
    @Test func storageKeysNameCanonicalNodes() {
        let batch = ActivityBatch(keys: ["storage:2ABCD-EFGHI-jklmn", "storage", "preview:2abc"])
        #expect(batch.nodeIDs == ["2abcdefghijklmn"])
        #expect(!batch.refreshAll, "bare storage beside a node key adds nothing")
    }

    @Test func bareStorageAloneOrUnknownKeysRefreshEverything() {
        #expect(ActivityBatch(keys: ["storage"]).refreshAll)
        #expect(ActivityBatch(keys: ["storage:2abc", "something_new"]).refreshAll)
        #expect(!ActivityBatch(keys: ["members", "member:123", "upload:9", "comments:2x"]).refreshAll)
        // Membership keys refresh nothing in the listings, only the caller's rights.
        #expect(ActivityBatch(keys: ["members"]).membershipChanged)
        #expect(ActivityBatch(keys: ["upload:9", "comments:2x"]).isEmpty)
    }

    @Test func mergingCoalescesRepeatedNodes() {
        var batch = ActivityBatch()
        for round in 0..<1_000 { batch.add(["storage:2node\(round % 10)", "storage"]) }
        #expect(batch.nodeIDs.count == 10)
        var other = ActivityBatch(keys: ["storage"])
        other.merge(batch)
        #expect(!other.refreshAll && other.nodeIDs.count == 10)
    }
}

@Suite struct ListingDiffTests {
    private func entry(_ name: String, _ id: String, size: Int64 = 1, version: String? = "v1") -> ListedEntry {
        ListedEntry(name: name, identity: .remote(profile: 0, id: id),
                    metadata: NodeMetadata(kind: .file, size: size, mtime: FSTime(seconds: 1), version: version))
    }

    @Test func findsGoneNewChangedAndReplacedNames() {
        let old = [entry("keep", "a"), entry("gone", "b"), entry("grows", "c"), entry("replaced", "d")]
        let new = [entry("keep", "a"), entry("grows", "c", size: 9, version: "v2"), entry("replaced", "e"),
                   entry("fresh", "f")]
        let diff = ListingDiff(old: old, new: new)
        #expect(diff.removed.map(\.name) == ["gone", "replaced"])
        #expect(diff.removed.first { $0.name == "replaced" }?.identity == .remote(profile: 0, id: "d"))
        #expect(Set(diff.added) == ["replaced", "fresh"])
        #expect(diff.changed.map(\.name) == ["grows"])
        #expect(ListingDiff(old: old, new: old).isEmpty)
    }

    @Test func renameIsARemovalAndAnAddition() {
        let diff = ListingDiff(old: [entry("before", "a")], new: [entry("after", "a")])
        #expect(diff.removed.map(\.name) == ["before"])
        #expect(diff.added == ["after"])
        #expect(diff.changed.isEmpty)
    }
}

@Suite struct PollBackoffTests {
    @Test func growsToTheCapAndResets() {
        var backoff = PollBackoff(initial: 0.25, maximum: 4)
        let delays = (0..<8).map { _ in backoff.nextDelay(jitter: 0) }
        #expect(delays == [0.25, 0.5, 1, 2, 4, 4, 4, 4])
        #expect(backoff.nextDelay(jitter: 0.99) <= 4)
        #expect(backoff.nextDelay(jitter: 0, serverWait: 9) == 9, "a rate limit waits what the server asked")
        backoff.reset()
        #expect(backoff.nextDelay(jitter: 1) == 0.3125)
    }
}

@Suite struct OwnChangeLedgerTests {
    @Test func anExpectationAbsorbsOneReportAndExpires() {
        let ledger = OwnChangeLedger(lifetime: 10)
        ledger.expect(profile: 0, nodeID: "2AB-CD", now: 100)
        #expect(!ledger.consume(profile: 1, nodeID: "2abcd", now: 101), "other profile")
        #expect(ledger.consume(profile: 0, nodeID: "2abcd", now: 101))
        #expect(!ledger.consume(profile: 0, nodeID: "2abcd", now: 102), "only once")
        ledger.expect(profile: 0, nodeID: "2abcd", now: 100)
        #expect(!ledger.consume(profile: 0, nodeID: "2abcd", now: 111), "expired")
    }
}

@Suite struct InvalidationQueueTests {
    @Test func sendsFromItsOwnThreadOnceEach() {
        let queue = InvalidationQueue(logger: testLogger)
        let notifier = RecordingNotifier()
        queue.attach(notifier)
        queue.enqueue([.inode(5), .inode(5), .entry(parent: 1, name: "x")])
        queue.start()
        #expect(queue.waitUntilIdle(timeout: 5))
        #expect(notifier.received == [.inode(5), .entry(parent: 1, name: "x")])
        #expect(notifier.threadIDs.count == 1 && !notifier.threadIDs.contains(UInt(pthread_self())),
                "sent from the queue's own thread, not the enqueuing one")
        queue.stop()
        queue.enqueue([.inode(6)])
        usleep(50_000)
        #expect(notifier.received.count == 2, "nothing after stop")
    }
}

/// The refresh logic of `applyActivity` against the mock API (no poller thread).
@Suite struct CoherenceRefreshTests {
    private func mounted() throws -> (Fixture, FastIOFileSystem) {
        let fixture = Fixture(bigSize: 1024)
        return (fixture, try fixture.mount(.single(.workspace("alpha"))))
    }

    @Test func remoteCreateDeleteRenameAndContentChangeBecomeExactInvalidations() throws {
        let (fixture, fs) = try mounted()
        let api = fixture.api
        let names = Set(try listAll(fs, 1).map(\.name))
        #expect(names == [".", "..", "docs", "big.bin", "notes.md"])
        let big = try fs.lookup(parent: 1, name: "big.bin").attributes.ino
        let docs = try fs.lookup(parent: 1, name: "docs").attributes.ino
        _ = try listAll(fs, docs)
        let aTxt = try fs.lookup(parent: docs, name: "a.txt").attributes.ino
        let notes = try fs.lookup(parent: 1, name: "notes.md").attributes.ino
        let notesID = String(decoding: try fs.getxattr(ino: notes, name: "user.fastio.id"), as: UTF8.self)
        let aID = String(decoding: try fs.getxattr(ino: aTxt, name: "user.fastio.id"), as: UTF8.self)

        // Someone else: creates new.txt in the root, deletes notes.md, renames a.txt, rewrites big.bin.
        let newID = api.addFile(fixture.alpha, name: "new.txt", bytes: [1, 2, 3])
        api.removeNode(fixture.alpha, id: notesID)
        api.moveNode(fixture.alpha, id: aID, name: "renamed.txt")
        api.replaceContent(fixture.alpha, id: fixture.bigID, bytes: [9, 9])
        let keys = [newID, notesID, aID, fixture.bigID, fixture.docsID].map { "storage:\($0)" } + ["storage"]
        let before = api.count("GET storage/list")
        let sent = fs.applyActivity(ActivityBatch(keys: keys), profileIndex: 0)
        #expect(api.count("GET storage/list") - before == 2, "the root and docs, once each")

        #expect(sent.contains(.entry(parent: 1, name: "new.txt")))
        #expect(sent.contains(.delete(parent: 1, child: notes, name: "notes.md")))
        #expect(sent.contains(.delete(parent: docs, child: aTxt, name: "a.txt")))
        #expect(sent.contains(.entry(parent: docs, name: "renamed.txt")))
        #expect(sent.contains(.inode(big)))
        #expect(!sent.contains(.inode(aTxt)), "a rename changes no content")

        // The caches answer with the new state, without another request.
        let quiet = api.totalRequests
        #expect(try fs.getattr(ino: big).0.size == 2)
        #expect(throws: FSError(ENOENT)) { try fs.lookup(parent: 1, name: "notes.md") }
        #expect(try fs.lookup(parent: 1, name: "new.txt").attributes.size == 3)
        #expect(try fs.lookup(parent: docs, name: "renamed.txt").attributes.ino == aTxt)
        #expect(api.totalRequests == quiet)
    }

    @Test func ownChangesAndUnchangedNodesAreNotInvalidated() throws {
        let (fixture, fs) = try mounted()
        _ = try listAll(fs, 1)
        _ = try fs.lookup(parent: 1, name: "big.bin")
        // A lock or a metadata touch: the listing is the same -> nothing for the kernel.
        #expect(fs.applyActivity(ActivityBatch(keys: ["storage:\(fixture.bigID)"]), profileIndex: 0).isEmpty)
        // Our own change: not even a listing.
        fs.expectOwnChange(profile: fixture.alpha, nodeID: fixture.bigID)
        let before = fixture.api.count("GET storage/list")
        #expect(fs.applyActivity(ActivityBatch(keys: ["storage:\(fixture.bigID)", "storage"]), profileIndex: 0).isEmpty)
        #expect(fixture.api.count("GET storage/list") == before)
    }

    @Test func aStormOfChangesCostsOneListingPerDirtyDirectory() throws {
        let (fixture, fs) = try mounted()
        _ = try listAll(fs, 1)
        var keys: [String] = []
        for index in 0..<1_000 {
            keys.append("storage:" + fixture.api.addFile(fixture.alpha, name: "storm-\(index)", bytes: [1]))
            keys.append("storage")
        }
        let before = fixture.api.count("GET storage/list")
        let sent = fs.applyActivity(ActivityBatch(keys: keys), profileIndex: 0)
        #expect(fixture.api.count("GET storage/list") - before == 3, "1,003 entries in pages of 500")
        let entries = sent.filter(Self.isEntry)
        #expect(entries.count == 1_000)
        #expect(try listAll(fs, 1).count == 1_005)
    }

    @Test func aDirectoryTheKernelForgotIsListedAgainWhenLookedUpAgain() throws {
        let (fixture, fs) = try mounted()
        let docs = try fs.lookup(parent: 1, name: "docs").attributes.ino
        #expect(try listAll(fs, docs).map(\.name).contains("a.txt"))
        // The kernel drops the directory (memory pressure); then someone adds a file to it. The
        // activity names a node the mount does not know, so no refresh can reach the folder.
        fs.forget(ino: docs, lookups: 1)
        let newID = fixture.api.addFile(fixture.alpha, parent: fixture.docsID, name: "late.txt", bytes: [1])
        fs.applyActivity(ActivityBatch(keys: ["storage:\(newID)", "storage:\(fixture.docsID)", "storage"]), profileIndex: 0)
        let again = try fs.lookup(parent: 1, name: "docs").attributes.ino
        #expect(again == docs, "the same inode number")
        #expect(try listAll(fs, again).map(\.name).contains("late.txt"), "not the listing cached before the forget")
    }

    @Test func anOpenMadeWhileAnOlderVersionIsReadBypassesThePageCache() throws {
        let (fixture, fs) = try mounted()
        let big = try fs.lookup(parent: 1, name: "big.bin").attributes.ino
        let first = try fs.open(ino: big, flags: O_RDONLY, context: reader)
        #expect(!first.directIO)
        fixture.api.replaceContent(fixture.alpha, id: fixture.bigID, bytes: [7, 7, 7])
        fs.applyActivity(ActivityBatch(keys: ["storage:\(fixture.bigID)"]), profileIndex: 0)
        // The old handle is still open: the new version's reader must not share the kernel's pages.
        let second = try fs.open(ino: big, flags: O_RDONLY, context: reader)
        #expect(second.directIO && second.keepCache, "direct I/O, and the old reader's pages left alone")
        var bytes: [UInt8] = []
        try fs.read(ino: big, handle: second.handle, offset: 0, size: 10) { bytes = Array($0) }
        #expect(bytes == [7, 7, 7])
        try fs.read(ino: big, handle: first.handle, offset: 0, size: 3) { bytes = Array($0) }
        #expect(bytes == Array(fixture.big[0..<3]), "the old reader keeps its version")
        fs.release(ino: big, handle: first.handle)
        fs.release(ino: big, handle: second.handle)
        // The pages may hold the old version: the next open drops them and uses the page cache again.
        let third = try fs.open(ino: big, flags: O_RDONLY, context: reader)
        #expect(!third.directIO && !third.keepCache)
        fs.release(ino: big, handle: third.handle)
    }

    static func isEntry(_ invalidation: KernelInvalidation) -> Bool {
        if case .entry = invalidation { return true }
        return false
    }

    @Test func longTimeoutsOnlyWhilePollingIsHealthy() throws {
        let (fixture, fs) = try mounted()
        let entry = try fs.lookup(parent: 1, name: "big.bin")
        #expect(entry.entryTimeout == 10, "before the first poll: the short TTL")
        fs.coherence.freshness.pollSucceeded(profile: 0, name: "alpha")
        #expect(try fs.lookup(parent: 1, name: "big.bin").attributeTimeout == 300)
        fs.coherence.freshness.pollFailed(profile: 0, name: "alpha", error: MockError(errno: EIO))
        #expect(try fs.lookup(parent: 1, name: "big.bin").entryTimeout == 10)
        _ = fixture
    }
}

/// An API whose activity poll follows a script (answers and failures), for the poller loop.
final class ScriptedActivityAPI: CancellableActivityPolling {
    enum Step: Sendable { case keys([String]), fail(Int32), block }
    private let script: Locked<[Step]>
    private let seen = Locked<[String?]>([])
    init(_ steps: [Step]) { script = Locked(steps) }
    var lastActivities: [String?] { seen.withLock { $0 } }
    func pollActivity(profileID: String, wait: Int, lastActivity: String?,
                      cancellation: TransferCancellation) throws -> ActivityPoll {
        let count = seen.withLock { $0.append(lastActivity); return $0.count }
        let step = script.withLock { $0.isEmpty ? Step.block : $0.removeFirst() }
        switch step {
        case .keys(let keys): return ActivityPoll(keys: keys, lastActivity: "2026-01-01 00:00:\(count).123456 UTC")
        case .fail(let errno): throw FastIOError(kind: .api, httpStatus: 503, message: "down", errno: errno)
        case .block:
            while !cancellation.isCancelled { usleep(5_000) }
            throw FastIOError(kind: .transport(TransportFailure(reason: .cancelled, requestMayHaveBeenSent: true)),
                              message: "cancelled")
        }
    }
}

/// What the poller handed to its callbacks.
final class PollRecorder: Sendable {
    let keys = Locked<[String]>([])
    let failures = Atomic<Int>(0)
}

@Suite struct ActivityPollerTests {
    @Test func echoesLastActivityBacksOffOnErrorsAndStopsPromptly() {
        let api = ScriptedActivityAPI([.keys([]), .fail(EIO), .fail(EIO), .keys(["storage:2a"]), .keys(["storage:2b"])])
        let recorder = PollRecorder()
        let poller = ActivityPoller(
            name: "test", minimumInterval: 0.01, logger: testLogger,
            callbacks: .init(poll: { try api.pollActivity(profileID: "1", wait: 90, lastActivity: $0, cancellation: $1) },
                             onKeys: { keys in recorder.keys.withLock { $0 += keys } },
                             onSuccess: {}, onFailure: { _ in recorder.failures.add(1, ordering: .relaxed) }))
        poller.start()
        let deadline = Date().addingTimeInterval(10)
        while recorder.keys.withLock({ $0.count }) < 2 && Date() < deadline { usleep(10_000) }
        #expect(recorder.keys.withLock { $0 } == ["storage:2a", "storage:2b"])
        #expect(recorder.failures.load(ordering: .relaxed) == 2)
        let echoed = api.lastActivities
        #expect(echoed.first == .some(nil), "the first poll has no lastactivity")
        #expect(echoed[1] == "2026-01-01 00:00:1.123456 UTC", "echoed verbatim")
        #expect(echoed[3] == "2026-01-01 00:00:1.123456 UTC", "kept across failures")
        let stopping = Date()
        poller.stop()
        #expect(Date().timeIntervalSince(stopping) < 2, "stop cancels the blocked poll")
    }
}
