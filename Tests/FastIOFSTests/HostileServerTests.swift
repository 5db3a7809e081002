import FastIO
@testable import FastIOFS
import Foundation
import Testing

/// Values and listings a broken or hostile server may send, as the core meets them: times and sizes at
/// the ends of their types never trap, and pagination that makes no progress ends in EIO.
@Suite struct HostileServerTests {
    // MARK: - times and sizes

    @Test func fsTimeSaturatesInsteadOfTrapping() {
        #expect(FSTime(Date(timeIntervalSince1970: 1e300)) == FSTime(seconds: .max))
        #expect(FSTime(Date(timeIntervalSince1970: Double(Int64.max - 1))) == FSTime(seconds: .max))
        #expect(FSTime(Date(timeIntervalSince1970: -1e300)) == FSTime(seconds: .min))
        #expect(FSTime(Date(timeIntervalSince1970: .nan)) == FSTime(seconds: 0))
        #expect(FSTime(Date(timeIntervalSince1970: .infinity)) == FSTime(seconds: .max))
        #expect(FSTime(Date(timeIntervalSince1970: 1_700_000_123.5)) == FSTime(seconds: 1_700_000_123, nanoseconds: 500_000_000))
        #expect(FSTime(Date(timeIntervalSince1970: -0.25)) == FSTime(seconds: -1, nanoseconds: 750_000_000))
    }

    @Test func aListedTimeFarInTheFutureIsShownAtTheLatestBound() throws {
        let fixture = Fixture()
        let id = fixture.api.addFile(fixture.alpha, parent: fixture.docsID, name: "future.txt", bytes: [1])
        fixture.api.state.withLock {
            $0.trees[fixture.alpha.id]!.nodes[id]!.modified = Date(timeIntervalSince1970: 1e300)
        }
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs")
        let names = try listAll(fs, docs.attributes.ino).map(\.name)
        #expect(names.contains("future.txt") && names.contains("a.txt"))
        let entry = try fs.lookup(parent: docs.attributes.ino, name: "future.txt")
        #expect(entry.attributes.mtime.seconds == 253_402_300_799)  // 9999-12-31T23:59:59Z
    }

    @Test func prefetchWindowAtTheEndOfTheLargestFile() {
        let size = Int64.max - 1
        for align in [false, true] {
            var window = PrefetchWindow(forwardSlack: 16 << 20, alignParts: align)
            let start = size - (1 << 20) - 4096
            #expect(window.observe(offset: start, length: 4096) == .first)
            let first = window.plan(readOffset: start, readEnd: start + 4096, coveredUntil: start, inFlight: 0,
                                    fileSize: size)
            #expect(first.first?.lowerBound == start)
            #expect(first.allSatisfy { !$0.isEmpty && $0.upperBound <= size })
            #expect(window.observe(offset: size - 4096, length: 4096) == .sequential)
            let last = window.plan(readOffset: size - 4096, readEnd: size, coveredUntil: size - 4096, inFlight: 0,
                                   fileSize: size)
            #expect(last == [(size - 4096)..<size])
            // A read reaching past Int64.max (the kernel's offsets are not bounded by the file size).
            #expect(window.observe(offset: Int64.max - 10, length: 4096) == .sequential)
            #expect(window.plan(readOffset: Int64.max - 10, readEnd: Int64.max, coveredUntil: Int64.max - 10,
                                inFlight: 0, fileSize: size) == [(Int64.max - 10)..<size])
        }
    }

    @Test func readsOfTheLastPagesOfAHugeFileDoNotOverflow() throws {
        let fixture = Fixture()
        let id = fixture.api.addFile(fixture.alpha, name: "huge.bin", bytes: Array(repeating: 9, count: 100))
        fixture.api.state.withLock { $0.trees[fixture.alpha.id]!.nodes[id]!.size = Int64.max - 1 }
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let entry = try resolve(fs, "workspaces/alpha/huge.bin")
        #expect(entry.attributes.size == UInt64(Int64.max - 1))
        let ino = entry.attributes.ino
        let opened = try fs.open(ino: ino, flags: O_RDONLY, context: reader)
        defer { fs.release(ino: ino, handle: opened.handle) }
        #expect(try readBytes(fs, ino: ino, handle: opened.handle, offset: 0, size: 4096) == Array(repeating: 9, count: 100))
        // The server has fewer bytes than it announced: short reads, never a trap.
        for offset in [Int64.max - 1 - (128 << 10), Int64.max - 4096, Int64.max - 1, Int64.max] {
            #expect(try readBytes(fs, ino: ino, handle: opened.handle, offset: offset, size: 128 << 10).isEmpty)
        }
    }

    // MARK: - pagination without progress

    /// A mounted fixture with `docs` resolved and its listing left uncached, and `docs`' listing faulted.
    func faultedDocs(_ pattern: ListingFault.Pattern) throws -> (Fixture, FastIOFileSystem, UInt64, Int) {
        let fixture = Fixture()
        let fs = try fixture.mount()
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        guard case .remote(let profileIndex, _) = fs.nodes.record(docs)!.identity else { fatalError("docs is remote") }
        fixture.api.listingFault.set(pattern, folderID: fixture.docsID)
        return (fixture, fs, docs, profileIndex)
    }

    static let sameEntry = RemoteNode(id: "2000000000000000000000000000dup", name: "dup", type: .file, parentID: "x",
                                      size: 1, modified: Date(timeIntervalSince1970: 1_700_000_000), version: "3v")

    @Test(arguments: [ListingFault.Pattern.emptyPagesWithCursors, .repeatedCursor(items: [sameEntry])])
    func readdirOfAnEndlessListingEndsInEIO(_ pattern: ListingFault.Pattern) throws {
        let (fixture, fs, docs, _) = try faultedDocs(pattern)
        defer { fs.destroy() }
        #expect(throws: FSError(EIO)) { try listAll(fs, docs) }
        #expect(fixture.api.listingFault.served(fixture.docsID) <= PagingProgress.maximumEmptyPages)
    }

    @Test(arguments: [ListingFault.Pattern.emptyPagesWithCursors, .repeatedCursor(items: [sameEntry])])
    func lookupInAnEndlessListingEndsInEIO(_ pattern: ListingFault.Pattern) throws {
        let (fixture, fs, docs, _) = try faultedDocs(pattern)
        defer { fs.destroy() }
        #expect(throws: FSError(EIO)) { try fs.lookup(parent: docs, name: "dup") }
        #expect(fixture.api.listingFault.served(fixture.docsID) <= PagingProgress.maximumEmptyPages)
    }

    @Test(arguments: [ListingFault.Pattern.emptyPagesWithCursors, .repeatedCursor(items: [sameEntry])])
    func refreshOfAnEndlessListingStopsAndForgetsTheListing(_ pattern: ListingFault.Pattern) throws {
        let (fixture, fs, docs, profileIndex) = try faultedDocs(pattern)
        defer { fs.destroy() }
        _ = fs.refreshDirectory(docs, profileIndex: profileIndex)
        #expect(fixture.api.listingFault.served(fixture.docsID) <= PagingProgress.maximumEmptyPages)
        #expect(fs.listings.fresh(docs, now: MonotonicClock.now()) == nil)
    }

    @Test(arguments: [ListingFault.Pattern.emptyPagesWithCursors, .repeatedCursor(items: [sameEntry])])
    func theUploadersNameCheckInAnEndlessListingEndsInEIO(_ pattern: ListingFault.Pattern) throws {
        let (fixture, fs, _, _) = try faultedDocs(pattern)
        defer { fs.destroy() }
        let writes = try #require(fs.writes)
        #expect { try writes.existingChild(fixture.alpha, folderID: fixture.docsID, name: "a.txt") }
            throws: { FSError.from($0).errno == EIO }
        #expect(fixture.api.listingFault.served(fixture.docsID) <= PagingProgress.maximumEmptyPages)
    }

    @Test func aPageThatFailedIsAskedForAgainNotServedFromThePageBefore() throws {
        let fixture = Fixture()
        for index in 0..<600 {
            fixture.api.addFile(fixture.alpha, parent: fixture.docsID, name: String(format: "f%04d", index), bytes: [1])
        }
        let fs = try fixture.mount()
        defer { fs.destroy() }
        let docs = try resolve(fs, "workspaces/alpha/docs").attributes.ino
        let handle = try fs.opendir(ino: docs)
        defer { fs.releasedir(ino: docs, handle: handle) }
        fixture.api.listingFault.failNextLaterPage(folderID: fixture.docsID)
        var names: [String] = []
        #expect(throws: FSError(EIO)) {
            try fs.readdir(ino: docs, handle: handle, offset: 0, plus: false) { entry, _ in names.append(entry.name); return true }
        }
        #expect(names.count == 2 + 500)  // the dots and the first page
        try fs.readdir(ino: docs, handle: handle, offset: Int64(names.count), plus: false) { entry, _ in
            names.append(entry.name)
            return true
        }
        #expect(names.count == 2 + 602)
        #expect(Set(names).count == names.count)
    }

    @Test func progressNeedsANewCursorAndGivesUpOnTheThirdEmptyPage() throws {
        var progress = PagingProgress()
        try progress.admit(itemCount: 0, nextCursor: "a")
        try progress.admit(itemCount: 0, nextCursor: "b")
        #expect(throws: FSError(EIO)) { try progress.admit(itemCount: 0, nextCursor: "c") }
        var filled = PagingProgress()
        try filled.admit(itemCount: 0, nextCursor: "a")
        try filled.admit(itemCount: 0, nextCursor: "b")
        try filled.admit(itemCount: 5, nextCursor: "c")  // an entry resets the run
        try filled.admit(itemCount: 0, nextCursor: "d")
        try filled.admit(itemCount: 1, nextCursor: nil)  // the last page
        var cycle = PagingProgress()
        try cycle.admit(itemCount: 1, nextCursor: "a")
        try cycle.admit(itemCount: 1, nextCursor: "b")
        #expect(throws: FSError(EIO)) { try cycle.admit(itemCount: 1, nextCursor: "a") }
    }
}
