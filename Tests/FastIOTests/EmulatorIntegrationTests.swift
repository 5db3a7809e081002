import EmulatorHarness
import Foundation
import Glibc
import Logging
import Testing
@testable import FastIO

/// `FastIOClient` against a real `fastio-emulator` process (started per test, stopped by PID).
@Suite("Client against the emulator", .serialized)
struct EmulatorIntegrationTests {
    static let fileCount = 260

    /// A local tree: `many/` with `fileCount` small files and `big.bin` of 3 MiB + 123 bytes.
    static func makeTree() throws -> URL {
        let root = try EmulatorProcess.makeTempDirectory(prefix: "fastio-client-tree")
        let many = root.appendingPathComponent("many")
        try FileManager.default.createDirectory(at: many, withIntermediateDirectories: true)
        for i in 0..<fileCount {
            try Data("file \(i)\n".utf8).write(to: many.appendingPathComponent(String(format: "f%04d.txt", i)))
        }
        try Data.pseudoRandom(count: 3 * 1_048_576 + 123).write(to: root.appendingPathComponent("big.bin"))
        return root
    }

    static func start(_ extra: [String] = []) async throws -> (EmulatorProcess, URL) {
        let tree = try makeTree()
        let emulator = try await EmulatorProcess.start(extraArguments: extra) { dir in
            try EmulatorProcess.runImport(dataDirectory: dir, workspace: "clientws", from: tree)
        }
        return (emulator, tree)
    }

    func client(_ emulator: EmulatorProcess, retry: RetryPolicy = RetryPolicy(), token: String? = nil) -> FastIOClient {
        var configuration = FastIOClient.Configuration()
        configuration.retry = retry
        configuration.stallSeconds = 5
        return FastIOClient(baseURL: emulator.baseURL, token: token ?? emulator.primaryToken,
                            logger: Logger(label: "fastio-test"), configuration: configuration)
    }

    func workspace(_ client: FastIOClient) throws -> StorageProfile {
        let info = try client.workspaceDetails("clientws")
        return StorageProfile(kind: .workspace, id: info.id)
    }

    func child(_ client: FastIOClient, _ profile: StorageProfile, _ folder: String, named name: String) throws -> RemoteNode {
        var cursor: String?
        repeat {
            let page = try client.listFolder(profile, folderID: folder, pageSize: 500, cursor: cursor)
            if let node = page.items.first(where: { $0.name == name }) { return node }
            cursor = page.nextCursor
        } while cursor != nil
        throw FastIOError(kind: .api, message: "\(name) not found", errno: ENOENT)
    }

    func readAll(_ client: FastIOClient, _ profile: StorageProfile, _ node: RemoteNode, version: String? = nil,
                 chunk: Int = 1 << 20) throws -> Data {
        var result = Data()
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let offset = Int64(result.count)
            let got = try buffer.withUnsafeMutableBytes {
                try client.read(profile, nodeID: node.id, versionID: version, offset: offset, into: $0)
            }
            if got == 0 { return result }
            result.append(contentsOf: buffer[..<got])
        }
    }

    @Test(arguments: ["flat", "wrapped"])
    func listingAcrossPagesDiscoveryAndDetails(envelope: String) async throws {
        let (emulator, tree) = try await Self.start(["--envelope", envelope])
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        let client = client(emulator)
        #expect(try !client.authCheck().isEmpty)
        let workspaces = try client.listWorkspaces()
        #expect(workspaces.contains { $0.folderName == "clientws" })
        let profile = try workspace(client)
        let many = try child(client, profile, "root", named: "many")
        #expect(many.type == .folder)
        client.resetRequestCounts()

        var names: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try client.listFolder(profile, folderID: many.id, pageSize: 100, cursor: cursor)
            names += page.items.map(\.name)
            #expect(page.items.allSatisfy { $0.parentID == many.id && $0.type == .file && $0.size > 0 })
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil
        #expect(names == (0..<Self.fileCount).map { String(format: "f%04d.txt", $0) })
        #expect(pages == 3)
        #expect(client.requestCounts() == ["GET storage/list": 3])

        let big = try child(client, profile, "root", named: "big.bin")
        let details = try client.nodeDetails(profile, nodeID: big.id)
        #expect(details.size == 3 * 1_048_576 + 123)
        #expect(details.version != nil && details.version == big.version)
        #expect(details.hashAlgo == "sha256")
        #expect(details.modified != nil)
        #expect { try client.nodeDetails(profile, nodeID: "2aaaaaaaaaaaaaaaaaaaaaaaaaaaa") } throws: {
            ($0 as? FastIOError)?.errno == ENOENT
        }
        // The same requests by route and status (the metrics' source): the missing node's 404 too.
        let statistics = client.statistics()
        #expect(statistics.requests == [
            .init(route: "GET storage/list", status: 200): client.requestCounts()["GET storage/list"] ?? 0,
            .init(route: "GET storage/details", status: 200): 1,
            .init(route: "GET storage/details", status: 404): 1,
        ], "\(statistics.requests)")
        #expect(statistics.retries.isEmpty && statistics.rateLimitWaits.isEmpty)
    }

    @Test func rangedReadsEOFAndChecksum() async throws {
        let (emulator, tree) = try await Self.start()
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        let client = client(emulator)
        let profile = try workspace(client)
        let big = try child(client, profile, "root", named: "big.bin")
        let expected = try Data(contentsOf: tree.appendingPathComponent("big.bin"))
        client.resetRequestCounts()

        #expect(try readAll(client, profile, big) == expected)
        #expect(try readAll(client, profile, big, chunk: 65_537) == expected)   // unaligned chunks
        var buffer = [UInt8](repeating: 0, count: 1000)
        let size = Int64(expected.count)
        for offset: Int64 in [0, 1, 4095, 1_048_576, size - 10, size, size + 1, size * 2] {
            let got = try buffer.withUnsafeMutableBytes {
                try client.read(profile, nodeID: big.id, versionID: big.version, offset: offset, into: $0)
            }
            let want = max(0, min(1000, Int(size - offset)))
            #expect(got == want, "offset \(offset)")
            if got > 0 { #expect(Data(buffer[..<got]) == expected[Int(offset)..<(Int(offset) + got)]) }
        }
        // Every read reused the keep-alive connection opened by the calls before the counter reset.
        #expect(client.connectionsOpened() == 0)
        // Bytes read from the server: two whole copies, then what each probe got.
        let probed = [0, 1, 4095, 1_048_576, Int(size) - 10].map { max(0, min(1000, Int(size) - $0)) }.reduce(0, +)
        #expect(client.statistics().bytesRead == Int64(2 * expected.count + probed))
        // 1 MiB reads: 4 + EOF probe; 65,537-byte reads: 49 + EOF probe; 8 single reads.
        #expect(client.requestCounts() == ["GET storage/read": 5 + 50 + 8])
    }

    @Test func versionPinnedReadAndWritePath() async throws {
        let (emulator, tree) = try await Self.start()
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        let client = client(emulator)
        let profile = try workspace(client)
        let spool = tree.appendingPathComponent("spool.bin")

        let folder = try client.createFolder(profile, parentID: "root", name: "written")
        #expect(try client.createFolder(profile, parentID: "root", name: "written").id == folder.id)

        try Data("version one".utf8).write(to: spool)
        let file = try client.uploadSmallFile(profile, folderID: folder.id, name: "doc.txt",
                                              source: FileRange(path: spool.path, length: 11))
        #expect(file.parentID == folder.id)
        #expect(file.size == 11)
        let v1 = try #require(file.version)

        try Data("the second version".utf8).write(to: spool)
        let upload = try client.uploadSingle(name: "doc.txt", source: FileRange(path: spool.path, length: 18), placement: .unplaced)
        let finished = try client.waitForUpload(uploadID: upload.id, placed: false)
        #expect(finished.status == "complete")
        let replaced = try client.replaceContent(profile, nodeID: file.id, uploadID: upload.id, newName: nil)
        #expect(replaced.id == file.id)
        #expect(replaced.version != v1)
        #expect(try readAll(client, profile, replaced) == Data("the second version".utf8))
        #expect(try readAll(client, profile, replaced, version: v1) == Data("version one".utf8))

        // Chunked: 2 MiB + 1 MiB + 7 bytes from a file on disk, chunk 2 sent from an offset.
        let payload = Data.pseudoRandom(count: 3 * 1_048_576 + 7, seed: 42)
        try payload.write(to: spool)
        let chunk: Int64 = 1_048_576
        let session = try client.createUploadSession(name: "chunked.bin", size: Int64(payload.count),
                                                     placement: .newFile(profile, folderID: folder.id))
        for order in 1...4 {
            let start = Int64(order - 1) * chunk
            try client.uploadChunk(uploadID: session, order: order,
                                   source: FileRange(path: spool.path, offset: start, length: min(chunk, Int64(payload.count) - start)))
        }
        try client.completeUpload(uploadID: session)
        let stored = try client.waitForUpload(uploadID: session, placed: true)
        let chunked = try client.nodeDetails(profile, nodeID: try #require(stored.newFileID))
        #expect(try readAll(client, profile, chunked) == payload)

        // Rename, conflicts, move, delete.
        #expect { try client.rename(profile, nodeID: chunked.id, to: "doc.txt") } throws: { ($0 as? FastIOError)?.errno == EEXIST }
        #expect(try client.rename(profile, nodeID: chunked.id, to: "renamed.bin").name == "renamed.bin")
        try client.move(profile, nodeID: chunked.id, toParentID: "root")
        #expect(try client.nodeDetails(profile, nodeID: chunked.id).parentID == "root")
        try client.delete(profile, nodeID: chunked.id)
        #expect(try client.listFolder(profile, folderID: "root", pageSize: 500, cursor: nil).items.allSatisfy { $0.id != chunked.id })

        // Locks.
        let lock = try client.acquireLock(profile, nodeID: file.id, durationSeconds: 120)
        #expect(!lock.lockToken.isEmpty)
        #expect(try client.heartbeatLock(profile, nodeID: file.id, lockToken: lock.lockToken) != nil)
        try client.releaseLock(profile, nodeID: file.id, lockToken: lock.lockToken)

        // Notes.
        let note = try client.createNote(profile, parentID: folder.id, name: "n.md", content: "# hi\n")
        #expect(note.type == .note)
        let updated = try client.updateNote(profile, nodeID: note.id, name: nil, content: "# hello\n", ifVersionID: nil)
        #expect(try readAll(client, profile, updated) == Data("# hello\n".utf8))
    }

    @Test func lockHeldByAnotherUserIsEBUSY() async throws {
        let other = EmulatorUser.random("other")
        let tree = try Self.makeTree()
        let emulator = try await EmulatorProcess.start(users: [other]) { dir in
            try EmulatorProcess.runImport(dataDirectory: dir, workspace: "clientws", from: tree)
        }
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        let owner = client(emulator)
        let profile = try workspace(owner)
        let otherID = try await Fixtures(emulator.client(as: other)).userId()
        try await Fixtures(emulator.api).addMember(workspace: profile.id, user: otherID)
        let big = try child(owner, profile, "root", named: "big.bin")
        let lock = try owner.acquireLock(profile, nodeID: big.id, durationSeconds: 60)
        defer { try? owner.releaseLock(profile, nodeID: big.id, lockToken: lock.lockToken) }
        let second = client(emulator, token: other.token)
        #expect { try second.acquireLock(profile, nodeID: big.id, durationSeconds: 60) } throws: {
            ($0 as? FastIOError)?.errno == EBUSY
        }
        #expect { try client(emulator, token: "wrong-token").authCheck() } throws: { ($0 as? FastIOError)?.errno == EACCES }
    }

    @Test func rateLimitedCallsWaitAndSucceed() async throws {
        let (emulator, tree) = try await Self.start(["--rate-limit-rate", "0.3"])
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        let client = client(emulator)
        let profile = try workspace(client)
        client.resetRequestCounts()
        for _ in 0..<10 {
            #expect(try !client.listFolder(profile, folderID: "root", pageSize: 100, cursor: nil).items.isEmpty)
        }
        #expect((client.requestCounts()["GET storage/list"] ?? 0) >= 10)
        // Every 429 was followed by one wait, and every call ended in one 200.
        let statistics = client.statistics()
        let limited = statistics.requests[.init(route: "GET storage/list", status: 429)] ?? 0
        #expect(statistics.requests[.init(route: "GET storage/list", status: 200)] == 10)
        #expect(statistics.rateLimitWaits["GET storage/list"] ?? 0 == limited)
        #expect(limited == 0 || statistics.rateLimitWaitSeconds > 0)
        #expect(statistics.retries.isEmpty, "a 429 is a wait, not a backoff retry")
    }

    @Test func injectedFailuresAreRetriedForReads() async throws {
        let (emulator, tree) = try await Self.start(["--fail-rate", "0.3"])
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        // With the default five attempts, one of the 26 reads exhausts them in ~6 % of runs at this
        // fault rate (26 x 0.3^5): that is the policy working, not a bug. Twelve keep it near 1e-5.
        var retry = RetryPolicy()
        retry.maxAttempts = 12
        let client = client(emulator, retry: retry)
        let profile = try workspace(client)
        let big = try child(client, profile, "root", named: "big.bin")
        let expected = try Data(contentsOf: tree.appendingPathComponent("big.bin"))
        client.resetRequestCounts()
        #expect(try readAll(client, profile, big, chunk: 131_072) == expected)
        let reads = client.requestCounts()["GET storage/read"] ?? 0
        // 25 ranges + the EOF probe; at a 30 % fault rate some were retried (P(none) ~ 1e-4).
        #expect(reads > 26, "some reads must have been retried (got \(reads) requests)")
        let statistics = client.statistics()
        #expect((statistics.retries["GET storage/read"] ?? 0) > 0)
        #expect(statistics.requests.filter { $0.key.route == "GET storage/read" }.values.reduce(0, +) == reads)
        #expect(statistics.requests.contains { $0.key.route == "GET storage/read" && $0.key.status != 200 && $0.key.status != 206 },
                "the injected failures are counted by their status (or none): \(statistics.requests)")
    }

    /// Opening a file for writing takes its lock; a 503 or a reset on that POST must be retried, not
    /// turned into EIO for the `open` (CI once failed `dd conv=notrunc` into the mount that way).
    @Test func injectedFailuresAreRetriedForLocks() async throws {
        let (emulator, tree) = try await Self.start(["--fail-rate", "0.3"])
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        var retry = RetryPolicy()
        retry.maxAttempts = 12   // 30 acquires exhaust twelve attempts with odds ~2e-5
        let client = client(emulator, retry: retry)
        let profile = try workspace(client)
        let big = try child(client, profile, "root", named: "big.bin")
        client.resetRequestCounts()
        var tokens = Set<String>()
        for _ in 0..<30 {
            tokens.insert(try client.acquireLock(profile, nodeID: big.id, durationSeconds: 60).lockToken)
        }
        #expect(tokens.count == 1, "a repeated acquire by the lock's holder answers the same lock")
        let attempts = client.requestCounts()["POST storage/lock"] ?? 0
        // At a 30 % fault rate, P(no acquire needed a retry) = 0.7^30 ~ 2e-5.
        #expect(attempts > 30, "some acquires must have been retried (got \(attempts) requests)")
        try client.releaseLock(profile, nodeID: big.id, lockToken: try #require(tokens.first))
    }

    @Test func stoppedServerGivesABoundedError() async throws {
        let (emulator, tree) = try await Self.start()
        defer { emulator.stop(); try? FileManager.default.removeItem(at: tree) }
        let client = client(emulator)
        let profile = try workspace(client)
        let big = try child(client, profile, "root", named: "big.bin")
        emulator.stop()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let (result, seconds) = measure {
            Result { try buffer.withUnsafeMutableBytes {
                try client.read(profile, nodeID: big.id, versionID: nil, offset: 0, into: $0)
            } }
        }
        guard case .failure(let error as FastIOError) = result else { Issue.record("expected an error"); return }
        #expect(error.errno == EIO)
        #expect(seconds < 5)
    }
}
