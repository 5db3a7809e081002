import FastIO
@testable import FastIOFS
import Foundation
import Testing

/// The per-folder overlay: what this mount changed that a server listing may not show yet.
@Suite struct LocalOverlayTests {
    let folder = LocalOverlay.FolderKey(profile: 0, folderID: "4f")
    let other = LocalOverlay.FolderKey(profile: 0, folderID: "4g")
    let file = NodeMetadata(kind: .file, size: 3, mtime: FSTime(seconds: 1))

    func entry(_ name: String, _ id: String) -> ListedEntry {
        ListedEntry(name: name, identity: .remote(profile: 0, id: id), metadata: file)
    }

    @Test func aSpooledFileIsListedWhateverTheServerSaysUntilItLeaves() {
        let overlay = LocalOverlay()
        let pending = NodeIdentity.pending(profile: 0, key: "k")
        overlay.addSpooled(key: "k", identity: pending, in: folder, name: "new.txt", metadata: file)
        let view = overlay.view(of: folder, now: 100)
        let listed = view.apply([entry("a", "2a")], listedAt: 1_000)
        #expect(listed.map(\.name) == ["a", "new.txt"])
        #expect(view.spooledEntry(named: "new.txt")?.identity == pending)
        // Renamed: listed under its new name only.
        overlay.addSpooled(key: "k", identity: pending, in: other, name: "moved.txt", metadata: file)
        #expect(overlay.view(of: folder, now: 100).isEmpty)
        #expect(overlay.view(of: other, now: 100).additions(listedAt: 0).map(\.name) == ["moved.txt"])
        overlay.removeSpooled(key: "k")
        #expect(overlay.view(of: other, now: 100).isEmpty)
    }

    @Test func aRemovalHidesTheNodeFromListingsStartedBeforeItEnded() {
        let overlay = LocalOverlay()
        overlay.noteRemoving("2gone", from: folder, name: "gone")
        let during = overlay.view(of: folder, now: 10).apply([entry("gone", "2gone"), entry("kept", "2kept")], listedAt: 11)
        #expect(during.map(\.name) == ["kept"], "hidden while the delete runs")
        overlay.removed("2gone", from: folder, now: 20)
        #expect(overlay.view(of: folder, now: 21).apply([entry("gone", "2gone")], listedAt: 19).isEmpty,
                "a listing started before the delete returned may still hold it")
        #expect(overlay.view(of: folder, now: 21).apply([entry("gone", "2gone")], listedAt: 21).map(\.name) == ["gone"],
                "one started after it is the server's word (someone may have restored it)")
        // Another user's new node under the same name is not hidden (hiding goes by id).
        #expect(overlay.view(of: folder, now: 21).apply([entry("gone", "2theirs")], listedAt: 19).map(\.name) == ["gone"])
    }

    @Test func aFailedRemovalShowsTheNodeAgain() {
        let overlay = LocalOverlay()
        overlay.noteRemoving("2x", from: folder, name: "x")
        overlay.removalFailed("2x", from: folder)
        #expect(overlay.view(of: folder, now: 1).isEmpty)
    }

    @Test func aRenameOrNewVersionShowsInListingsStartedBeforeIt() {
        let overlay = LocalOverlay()
        let renamed = NodeMetadata(kind: .file, size: 9, mtime: FSTime(seconds: 2), version: "v2")
        overlay.noteNode(.remote(profile: 0, id: "2r"), in: folder, name: "new-name", metadata: renamed, now: 50)
        let old = overlay.view(of: folder, now: 51).apply([entry("old-name", "2r"), entry("b", "2b")], listedAt: 49)
        #expect(old.map(\.name) == ["b", "new-name"])
        #expect(old.last?.metadata.size == 9)
        let fresh = overlay.view(of: folder, now: 51).apply([entry("server-name", "2r")], listedAt: 50.5)
        #expect(fresh.map(\.name) == ["server-name"], "a listing started after the change has the last word")
    }

    @Test func aNameBeingPlacedAwayIsHiddenUntilTheUploaderClearsIt() {
        let overlay = LocalOverlay()
        overlay.notePlacingAway(key: "k", in: folder, name: "config.lock")
        #expect(overlay.view(of: folder, now: 1).apply([entry("config.lock", "2l")], listedAt: 1_000).isEmpty)
        #expect(overlay.namesPlacedAway(in: folder) == ["config.lock"])
        #expect(overlay.namesPlacedAway(in: folder, except: "k").isEmpty)
        overlay.clearPlacingAway(key: "k")
        #expect(overlay.view(of: folder, now: 1).isEmpty)
    }

    @Test func timedEntriesExpireAndStayBoundedByConstruction() {
        let overlay = LocalOverlay(lifetime: 10, capacity: 100)
        for index in 0..<1_000 {
            overlay.noteNode(.remote(profile: 0, id: "2n\(index)"), in: .init(profile: 0, folderID: "4f\(index % 7)"),
                             name: "f\(index)", metadata: file, now: Double(index) / 1_000)
            overlay.addAlias(pendingKey: "p\(index)", identity: .remote(profile: 0, id: "2n\(index)"), metadata: file,
                             now: Double(index) / 1_000)
        }
        #expect(overlay.count.timed <= 100, "pushed out beyond its capacity")
        #expect(overlay.count.aliases <= 100)
        #expect(overlay.alias(of: .pending(profile: 0, key: "p999"))?.identity == .remote(profile: 0, id: "2n999"))
        #expect(overlay.alias(of: .pending(profile: 0, key: "p0")) == nil)
        _ = overlay.view(of: folder, now: 100)
        #expect(overlay.count.timed == 0, "everything expired")
        #expect(overlay.count.folders == 0)
    }

    @Test func applyingTwiceIsApplyingOnce() {
        let overlay = LocalOverlay()
        overlay.addSpooled(key: "k", identity: .pending(profile: 0, key: "k"), in: folder, name: "a", metadata: file)
        overlay.noteRemoving("2b", from: folder, name: "b")
        let view = overlay.view(of: folder, now: 1)
        let once = view.apply([entry("a", "2theirs"), entry("b", "2b"), entry("c", "2c")], listedAt: 1)
        let twice = view.apply(once, listedAt: 1)
        #expect(once.map(\.name) == ["c", "a"])
        #expect(twice.map(\.name) == once.map(\.name))
    }
}

/// The upload queue's choice, without threads.
@Suite struct UploadQueueTests {
    @Test func theEarliestDueEntryGoesFirstAndNothingBeforeItIsDue() {
        let objects = [NSObject(), NSObject()]
        let a = ObjectIdentifier(objects[0])
        let b = ObjectIdentifier(objects[1])
        #expect(UploadQueue.pick(in: [:], now: 0) == .waitUntil(nil))
        #expect(UploadQueue.pick(in: [a: 5, b: 3], now: 1) == .waitUntil(3))
        #expect(UploadQueue.pick(in: [a: 5, b: 3], now: 4) == .file(b))
        withExtendedLifetime(objects) {}
    }
}
