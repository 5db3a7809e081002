import FastIO
@testable import FastIOFS
import Foundation
import Testing

/// The persistent read cache: checksums, storage, damage detection, eviction, persistence, and the
/// read path using it (a remount rereads without a request; another version is never served).
@Suite struct BlockCacheTests {
    func block(_ size: Int, seed: UInt64) -> [UInt8] { randomBytes(size, seed: seed) }

    func waitUntil(_ seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }

    func read(_ cache: BlockCache, _ key: BlockCache.Key, _ index: Int64, count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        let hit = out.withUnsafeMutableBytes { cache.read(key, index: index, into: $0) }
        return hit ? out : nil
    }

    @Test func xxh64MatchesTheReferenceVectors() {
        #expect(Array("".utf8).withUnsafeBytes { BlockChecksum.xxh64($0) } == 0xEF46_DB37_51D8_E999)
        #expect(Array("a".utf8).withUnsafeBytes { BlockChecksum.xxh64($0) } == 0xD24E_C4F1_A98C_6E5B)
        #expect(Array("abc".utf8).withUnsafeBytes { BlockChecksum.xxh64($0) } == 0x44BC_2CF5_AD77_0999)
        let long = Array("Nobody inspects the spammish repetition".utf8)
        #expect(long.withUnsafeBytes { BlockChecksum.xxh64($0) } == 0xFBCE_A83C_8A37_8BF1)
    }

    @Test func blocksRoundTripAndSurviveANewInstance() throws {
        let directory = temporaryCacheDirectory() + "/read"
        let key = BlockCache.Key(nodeID: "2abc", versionID: "3def")
        let first = block(BlockCache.blockSize, seed: 1)
        let tail = block(1234, seed: 2)
        do {
            let cache = try BlockCache(directory: directory, capacity: 64 << 20, minimumFree: 0, logger: testLogger)
            defer { cache.stop() }
            #expect(read(cache, key, 0, count: first.count) == nil ? true : false)
            first.withUnsafeBytes { cache.store(key, index: 0, bytes: $0) }
            tail.withUnsafeBytes { cache.store(key, index: 1, bytes: $0) }
            #expect(read(cache, key, 0, count: first.count) == first ? true : false, "block 0")
            #expect(read(cache, key, 1, count: tail.count) == tail ? true : false)
            #expect(read(cache, BlockCache.Key(nodeID: "2abc", versionID: "3other"), 0, count: first.count) == nil,
                    "another version is another key")
            #expect(cache.statistics.hits == 2 && cache.statistics.stored == 2)
        }
        let again = try BlockCache(directory: directory, capacity: 64 << 20, minimumFree: 0, logger: testLogger)
        defer { again.stop() }
        #expect(read(again, key, 1, count: tail.count) == tail ? true : false, "kept across instances (remounts)")
        #expect(waitUntil(5) { again.statistics.indexed && again.statistics.blocks == 2 })
        #expect(again.hasBlocks(of: key))
    }

    @Test func aDamagedOrTornBlockIsAMissAndIsDropped() throws {
        let directory = temporaryCacheDirectory() + "/read"
        let cache = try BlockCache(directory: directory, capacity: 64 << 20, minimumFree: 0, logger: testLogger)
        defer { cache.stop() }
        let key = BlockCache.Key(nodeID: "2abc", versionID: "3def")
        let bytes = block(4096, seed: 3)
        bytes.withUnsafeBytes { cache.store(key, index: 0, bytes: $0) }
        bytes.withUnsafeBytes { cache.store(key, index: 1, bytes: $0) }
        let name0 = try #require(BlockCache.fileName(key, index: 0))
        let path0 = directory + "/blocks/" + BlockCache.bucket(of: name0) + "/" + name0
        let handle = try #require(FileHandle(forUpdatingAtPath: path0))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([bytes[100] ^ 0xff]))
        try handle.close()
        #expect(read(cache, key, 0, count: bytes.count) == nil ? true : false, "a flipped byte fails the checksum")
        #expect(!FileManager.default.fileExists(atPath: path0), "the damaged block is deleted")
        let name1 = try #require(BlockCache.fileName(key, index: 1))
        let path1 = directory + "/blocks/" + BlockCache.bucket(of: name1) + "/" + name1
        #expect(truncate(path1, 2000) == 0)
        #expect(read(cache, key, 1, count: bytes.count) == nil ? true : false, "a torn block is a miss")
        #expect(cache.statistics.corrupt == 2)
    }

    @Test func idsThatAreNotPlainOpaqueIDsAreNeverPaths() {
        #expect(BlockCache.fileName(BlockCache.Key(nodeID: "../x", versionID: "3a"), index: 0) == nil)
        #expect(BlockCache.fileName(BlockCache.Key(nodeID: "2a", versionID: "3/b"), index: 0) == nil)
        #expect(BlockCache.fileName(BlockCache.Key(nodeID: "2a", versionID: "3b"), index: -1) == nil)
        #expect(BlockCache.blockLength(index: Int64.max, fileSize: Int64.max - 1) == 0, "no overflow")
        #expect(BlockCache.blockLength(index: 2, fileSize: (2 << 20) + 5) == 5)
    }

    @Test func evictionKeepsTheCacheUnderItsSizeDroppingTheLeastRecentlyUsed() throws {
        let directory = temporaryCacheDirectory() + "/read"
        let capacity = Int64(4 * (64 << 10 + BlockCache.trailerSize))
        let cache = try BlockCache(directory: directory, capacity: max(capacity, Int64(BlockCache.blockSize)),
                                   minimumFree: 0, logger: testLogger)
        defer { cache.stop() }
        let key = BlockCache.Key(nodeID: "2abc", versionID: "3def")
        let bytes = block(256 << 10, seed: 4)
        for index in 0..<12 {
            bytes.withUnsafeBytes { cache.store(key, index: Int64(index), bytes: $0) }
        }
        #expect(waitUntil(10) { cache.statistics.indexed && cache.statistics.bytes <= cache.capacity })
        #expect(cache.statistics.evictions > 0)
        #expect(read(cache, key, 11, count: bytes.count) == bytes ? true : false, "the newest block stays")
        #expect(read(cache, key, 0, count: bytes.count) == nil ? true : false, "the oldest went first")
    }

    @Test func aRemountRereadsFromTheCacheAndANewVersionFromTheServer() throws {
        let fixture = Fixture()
        let cache = temporaryCacheDirectory()
        func mount() throws -> FastIOFileSystem {
            var configuration = MountConfiguration(layout: .multi(workspaces: [], shares: []), mountpoint: "/mnt/test",
                                                   uid: 1000, gid: 1000, metadataTTL: 10, cacheDirectory: cache)
            configuration.readCacheSize = 64 << 20
            configuration.readCacheMinimumFree = 0
            configuration.activityPolling = false
            return try FastIOFileSystem(api: fixture.api, configuration: configuration, logger: testLogger)
        }
        do {
            let fs = try mount()
            defer { fs.destroy() }
            let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
            #expect(try readAll(fs, ino) == fixture.big ? true : false)
        }
        let before = fixture.api.count("GET storage/read")
        do {
            let fs = try mount()
            defer { fs.destroy() }
            let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
            #expect(try readAll(fs, ino) == fixture.big ? true : false)
            #expect(fixture.api.count("GET storage/read") == before, "every block came from the cache")
        }
        let changed = randomBytes(fixture.big.count, seed: 99)
        fixture.api.replaceContent(fixture.alpha, id: fixture.bigID, bytes: changed)
        let fs = try mount()
        defer { fs.destroy() }
        let ino = try resolve(fs, "workspaces/alpha/big.bin").attributes.ino
        #expect(try readAll(fs, ino) == changed ? true : false, "a new version is never served from the old one's blocks")
        #expect(fixture.api.count("GET storage/read") > before)
    }
}
