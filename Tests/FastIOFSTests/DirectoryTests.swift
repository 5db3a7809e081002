import FastIO
@testable import FastIOFS
import Foundation
import Testing

@Suite struct DirectoryTests {
    /// A workspace whose root holds `count` files (`f00000` ...).
    func bigFolder(_ count: Int) -> (MockFastIO, StorageProfile) {
        let api = MockFastIO()
        let profile = api.addWorkspace(id: "3117763504443666597", folderName: "w")
        for index in 0..<count {
            api.addFile(profile, name: String(format: "f%05d", index), bytes: [UInt8(index & 0xff)])
        }
        return (api, profile)
    }

    func mount(_ api: MockFastIO, ttl: Double = 10) throws -> FastIOFileSystem {
        try FastIOFileSystem(api: api, configuration: MountConfiguration(layout: .single(.workspace("w")),
                                                                         mountpoint: "/m", metadataTTL: ttl,
                                                                         cacheDirectory: temporaryCacheDirectory()),
                             logger: testLogger)
    }

    @Test func readdirPlusStreamsPagesWithoutPerEntryRequests() throws {
        let (api, _) = bigFolder(1_234)
        let fs = try mount(api)
        defer { fs.destroy() }
        let baseline = api.totalRequests
        let entries = try listAll(fs, 1, plus: true)
        #expect(entries.count == 1_234 + 2)
        #expect(entries[0].name == "." && entries[1].name == ".." && entries[0].entry == nil && entries[1].entry == nil)
        #expect(Set(entries.map(\.name)).count == entries.count)
        #expect(api.count("GET storage/list") == 3)  // 500 + 500 + 234
        #expect(api.totalRequests - baseline == 3)
        for entry in entries.dropFirst(2) {
            #expect(entry.entry?.attributes.ino == entry.ino)
            #expect(fs.nodes.record(entry.ino)?.lookups == 1)
        }
        #expect(entries[2].entry?.entryTimeout == 10)
    }

    @Test func refusedEntryGainsNoReferenceAndOffsetsResume() throws {
        let (api, _) = bigFolder(1_100)
        let fs = try mount(api, ttl: 0)
        defer { fs.destroy() }
        let handle = try fs.opendir(ino: 1)
        defer { fs.releasedir(ino: 1, handle: handle) }
        var names: [String] = []
        var lastOffset: Int64 = 0
        var refused: DirectoryEntry?
        try fs.readdir(ino: 1, handle: handle, offset: 0, plus: true) { entry, next in
            if names.count == 700 {
                refused = entry
                return false
            }
            names.append(entry.name)
            lastOffset = next
            return true
        }
        #expect(lastOffset == 700)
        #expect(fs.nodes.record(refused!.ino) == nil)
        // Continue from the cookie, like the kernel does with the next getdents.
        try fs.readdir(ino: 1, handle: handle, offset: lastOffset, plus: true) { entry, next in
            names.append(entry.name)
            lastOffset = next
            return true
        }
        #expect(names.count == 1_102 && Set(names).count == 1_102)
        #expect(lastOffset == 1_102)
        #expect(api.count("GET storage/list") == 3)
        // Backward seek (rewinddir) restarts the listing from the first page.
        var again: [String] = []
        try fs.readdir(ino: 1, handle: handle, offset: 2, plus: false) { entry, _ in
            again.append(entry.name)
            return again.count < 10
        }
        #expect(again.first == "f00000")
        #expect(api.count("GET storage/list") == 4)
    }

    @Test func warmListingAndLookupsSendNoRequest() throws {
        let (api, _) = bigFolder(1_200)
        let fs = try mount(api)
        defer { fs.destroy() }
        _ = try listAll(fs, 1)
        let afterCold = api.totalRequests
        let warm = try listAll(fs, 1)
        #expect(warm.count == 1_202)
        #expect(try fs.lookup(parent: 1, name: "f00777").attributes.size == 1)
        #expect(throws: FSError(ENOENT)) { try fs.lookup(parent: 1, name: "no-such-file") }
        _ = try fs.getattr(ino: warm[5].ino)
        #expect(api.totalRequests == afterCold)
    }

    @Test func coldLookupListsOnceAndCachesTheFolder() throws {
        let (api, _) = bigFolder(600)
        let fs = try mount(api)
        defer { fs.destroy() }
        _ = try fs.lookup(parent: 1, name: "f00599")
        #expect(api.count("GET storage/list") == 2)
        _ = try fs.lookup(parent: 1, name: "f00001")
        #expect(throws: FSError(ENOENT)) { try fs.lookup(parent: 1, name: "zzz") }
        #expect(api.count("GET storage/list") == 2)
        #expect(api.count("GET storage/details") == 0)
    }

    @Test func concurrentColdLookupsShareOneListing() throws {
        let (api, _) = bigFolder(1_000)
        let fs = try mount(api)
        defer { fs.destroy() }
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            _ = try? fs.lookup(parent: 1, name: String(format: "f%05d", index * 50))
        }
        #expect(api.count("GET storage/list") <= 4)  // one listing of 2 pages (a second only if a lookup came late)
    }

    @Test func expiredListingIsFetchedAgain() throws {
        let (api, _) = bigFolder(10)
        let fs = try mount(api, ttl: 0)
        defer { fs.destroy() }
        _ = try listAll(fs, 1)
        _ = try listAll(fs, 1)
        #expect(api.count("GET storage/list") == 2)
    }

    @Test func hugeFolderStreamsAndLooksUpWithoutCaching() throws {
        let (api, _) = bigFolder(25_000)
        let fs = try mount(api)
        defer { fs.destroy() }
        let handle = try fs.opendir(ino: 1)
        var count = 0
        try fs.readdir(ino: 1, handle: handle, offset: 0, plus: false) { _, _ in
            count += 1
            return true
        }
        fs.releasedir(ino: 1, handle: handle)
        #expect(count == 25_002)
        #expect(api.count("GET storage/list") == 50)
        #expect(fs.listings.fresh(1, now: MonotonicClock.now()) == nil)
        #expect(fs.nodes.count == 1)  // plain readdir takes no references
        _ = try fs.lookup(parent: 1, name: "f24999")
        #expect(api.count("GET storage/list") > 50)
    }
}
