import EmulatorHarness
import Foundation
import Glibc
import Testing

/// The persistent read cache through the kernel: a remount rereads without a request, a remote
/// change is never served from an older version's blocks, a damaged block is detected and fetched
/// again, the size limit holds, cached files stay readable while the server is unreachable, and
/// `fastiofs cache clear` empties it.
extension MountSuites {
@Suite(.timeLimit(.minutes(3)))
struct ReadCacheMountTests {
    static let file = "big/random.bin"

    /// Drops the kernel's clean page cache (not its dentries), so the next read reaches the daemon.
    static func dropPageCache() throws {
        let dropped = try Shell.run("sync; echo 1 > /proc/sys/vm/drop_caches")
        #expect(dropped.status == 0, "\(dropped.stderr)")
    }

    static func readCache(_ mount: MountedFastIOFS) throws -> [String: Any] {
        let raw = try XAttr.get(mount.path, "user.fastio.read_cache")
        return try #require(try JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any])
    }

    /// Every block file of the cache directory.
    static func blockFiles(_ cache: URL) throws -> [String] {
        let blocks = cache.appendingPathComponent("read/blocks").path
        var files: [String] = []
        for bucket in try FileManager.default.contentsOfDirectory(atPath: blocks) {
            for name in try FileManager.default.contentsOfDirectory(atPath: blocks + "/" + bucket) {
                files.append(blocks + "/" + bucket + "/" + name)
            }
        }
        return files.sorted()
    }

    @Test func aRemountRereadsFromTheCacheAndADamagedBlockIsFetchedAgain() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-readcache")
        let source = try SourceTree.bytes(Self.file)
        let arguments = ["--workspace", SourceTree.workspaceName, "--read-only"]
        do {
            let mount = try MountedFastIOFS.mount(emulator, arguments: arguments, cacheDirectory: cache)
            defer { mount.unmount() }
            #expect(ByteMismatch.of(try POSIX.readAll(mount.path + "/" + Self.file), source) == nil)
        }
        #expect(try Self.blockFiles(cache).count == SourceTree.bigSize >> 20, "every block of a sequential read is kept")
        do {
            let mount = try MountedFastIOFS.mount(emulator, arguments: arguments, cacheDirectory: cache)
            defer { mount.unmount() }
            var reread: [UInt8] = []
            let requests = try mount.requestsDuring { reread = try POSIX.readAll(mount.path + "/" + Self.file) }
            #expect(ByteMismatch.of(reread, source) == nil)
            #expect(requests["GET storage/read"] == nil, "no read request after a remount: \(requests)")
            let state = try Self.readCache(mount)
            #expect((state["hits"] as? Int ?? 0) >= SourceTree.bigSize >> 20, "\(state)")
            let status = try Shell.run("\(Shell.quote(try BuildProducts.executable("fastiofs").path)) status \(Shell.quote(mount.path))")
            #expect(status.stdout.contains("read cache:") && status.stdout.contains("hit ratio"), "\(status.stdout)")
        }
        // A flipped byte in one block: detected on read, dropped, and fetched from the server again.
        let victim = try Self.blockFiles(cache)[3]
        let handle = try #require(FileHandle(forUpdatingAtPath: victim))
        try handle.seek(toOffset: 4096)
        let original = try #require(try handle.read(upToCount: 1)).first ?? 0
        try handle.seek(toOffset: 4096)
        try handle.write(contentsOf: Data([original ^ 0x5a]))
        try handle.close()
        let mount = try MountedFastIOFS.mount(emulator, arguments: arguments, cacheDirectory: cache)
        defer { mount.unmount() }
        var repaired: [UInt8] = []
        let requests = try mount.requestsDuring { repaired = try POSIX.readAll(mount.path + "/" + Self.file) }
        #expect(ByteMismatch.of(repaired, source) == nil, "the damaged block never reaches a reader")
        #expect((requests["GET storage/read"] ?? 0) >= 1, "the damaged block came from the server: \(requests)")
        #expect((try Self.readCache(mount)["corrupt"] as? Int ?? 0) == 1)
        #expect(mount.logTail(400).contains("damaged block was dropped"))
    }

    @Test func aRemoteChangeIsNeverServedFromTheOldVersionsBlocks() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-readcache")
        let path = "sizes/1048579.bin"
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName],
                                              cacheDirectory: cache)
        defer { mount.unmount() }
        #expect(ByteMismatch.of(try POSIX.readAll(mount.path + "/" + path), try SourceTree.bytes(path)) == nil)
        // Another client replaces the file: a new version id, new bytes of the same size.
        let server = ServerFiles(emulator)
        let id = try #require(try await server.nodeID(path))
        let changed = Data((0..<1_048_579).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        let fixtures = Fixtures(emulator.api)
        let upload = try await fixtures.createUploadSession(nil, name: "1048579.bin", size: changed.count)
        _ = try await fixtures.sendChunk(upload, order: 1, data: changed)
        _ = try fixtures.expectOK(await fixtures.complete(upload))
        _ = try fixtures.expectOK(await emulator.api.post(StorageContext.workspace(SourceTree.workspaceName).node(id, "update"),
                                                          form: ["from": #"{"type":"upload","upload":{"id":"\#(upload)"}}"#]))
        try Self.dropPageCache()
        let deadline = Date(timeIntervalSinceNow: 10)
        var seen: [UInt8] = []
        repeat {
            seen = try POSIX.readAll(mount.path + "/" + path)
            if seen == Array(changed) { break }
            try await Task.sleep(nanoseconds: 100_000_000)
        } while Date() < deadline
        #expect(seen == Array(changed) ? true : false, "the new version, never the cached old one")
        mount.unmount()
        let again = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName, "--read-only"],
                                              cacheDirectory: cache)
        defer { again.unmount() }
        #expect(try POSIX.readAll(again.path + "/" + path) == Array(changed) ? true : false)
    }

    @Test func theSizeLimitHoldsAndCacheClearEmptiesIt() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-readcache")
        let limit = 4 << 20
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName, "--read-only",
                                                                    "--read-cache-size", "4M"], cacheDirectory: cache)
        defer { mount.unmount() }
        #expect(ByteMismatch.of(try POSIX.readAll(mount.path + "/" + Self.file), try SourceTree.bytes(Self.file)) == nil)
        let deadline = Date(timeIntervalSinceNow: 10)
        var state: [String: Any] = [:]
        repeat {
            state = try Self.readCache(mount)
            if (state["bytes"] as? Int ?? .max) <= limit { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        } while Date() < deadline
        #expect((state["bytes"] as? Int ?? .max) <= limit, "\(state)")
        #expect((state["evictions"] as? Int ?? 0) > 0, "\(state)")
        let onDisk = try Self.blockFiles(cache).reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        #expect(onDisk <= limit, "\(onDisk) bytes on disk")

        let fastiofs = try BuildProducts.executable("fastiofs").path
        let cleared = try Shell.run("\(Shell.quote(fastiofs)) cache clear \(Shell.quote(mount.path))")
        #expect(cleared.status == 0 && cleared.stdout.contains("removed"), "\(cleared.stdout)\(cleared.stderr)")
        #expect(try Self.blockFiles(cache).isEmpty)
        try Self.dropPageCache()
        let refetched = try mount.requestsDuring { _ = try POSIX.readAll(mount.path + "/" + Self.file) }
        #expect((refetched["GET storage/read"] ?? 0) > 0, "an emptied cache reads from the server again")
    }

    @Test func cachedFilesStayReadableWhileTheServerIsUnreachable() async throws {
        try FuseAvailability.require()
        let emulator = try await SourceTree.emulator()
        defer { emulator.stop() }
        let cache = try EmulatorProcess.makeTempDirectory(prefix: "fastiofs-readcache")
        let mount = try MountedFastIOFS.mount(emulator, arguments: ["--workspace", SourceTree.workspaceName, "--read-only",
                                                                    "--metadata-ttl", "1"], cacheDirectory: cache)
        defer { mount.unmount() }
        let cached = "sizes/1048579.bin"
        let source = try SourceTree.bytes(cached)
        #expect(ByteMismatch.of(try POSIX.readAll(mount.path + "/" + cached), source) == nil)
        _ = try POSIX.stat(mount.path + "/sizes/4097.bin")
        emulator.stop()
        // Polling fails, so names and attributes are trusted for --metadata-ttl only; let them expire.
        let failing = Date(timeIntervalSinceNow: 30)
        while !mount.logTail(400).contains("cannot poll activity") && Date() < failing {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        try await Task.sleep(nanoseconds: 1_500_000_000)   // past --metadata-ttl 1
        try Self.dropPageCache()
        let offline: [UInt8]
        do {
            offline = try POSIX.readAll(mount.path + "/" + cached)
        } catch {
            Issue.record("a cached file reads from the disk cache: \(error)\n\(mount.logTail(60))")
            return
        }
        #expect(ByteMismatch.of(offline, source) == nil)
        #expect(mount.logTail(400).contains("stale"), "stale metadata is logged")
        let started = Date()
        let err = POSIX.errnoOf {
            let fd = open(mount.path + "/sizes/4097.bin", O_RDONLY)
            guard fd >= 0 else { return -1 }
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 4097)
            return Int32(read(fd, &buffer, 4097) < 0 ? -1 : 0)
        }
        #expect(err == EIO || err == ETIMEDOUT || err == EHOSTUNREACH || err == ECONNREFUSED, "errno \(err)")
        #expect(Date().timeIntervalSince(started) < 60, "bounded time")
    }
}
}
