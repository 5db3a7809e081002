import FastIO
@testable import FastIOFS
import Foundation
import Synchronization
import Testing

/// An API whose single big file has procedurally generated content (byte at offset o = f(o)), so
/// gigabyte reads need no fixture memory.
final class GeneratedFileAPI: FastIOAPI, Sendable {
    let size: Int64
    let reads = Atomic(0)
    init(size: Int64) { self.size = size }

    static func byte(at offset: Int64) -> UInt8 { UInt8(truncatingIfNeeded: (offset &* 2_654_435_761) >> 13) }

    func authCheck() throws -> String { "1" }
    func listWorkspaces() throws -> [WorkspaceInfo] { [WorkspaceInfo(id: "1", folderName: "w", name: "w")] }
    func workspaceDetails(_ idOrFolderName: String) throws -> WorkspaceInfo { try listWorkspaces()[0] }
    func listShares() throws -> [ShareInfo] { [] }
    func shareDetails(_ idOrCustomName: String) throws -> ShareInfo { throw MockError(errno: ENOENT) }
    func listFolder(_ profile: StorageProfile, folderID: String, pageSize: Int, cursor: String?) throws -> FolderPage {
        FolderPage(items: [RemoteNode(id: "2big", name: "big", type: .file, parentID: "root", size: size,
                                      version: "3v1")], nextCursor: nil)
    }
    func nodeDetails(_ profile: StorageProfile, nodeID: String) throws -> RemoteNode {
        try listFolder(profile, folderID: "root", pageSize: 1, cursor: nil).items[0]
    }
    func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
              into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        reads.add(1, ordering: .relaxed)
        let count = Int(max(0, min(Int64(buffer.count), size - offset)))
        for index in 0..<count { buffer[index] = Self.byte(at: offset + Int64(index)) }
        return count
    }
    func pollActivity(profileID: String, wait: Int, lastActivity: String?) throws -> ActivityPoll {
        ActivityPoll(keys: [], lastActivity: nil)
    }
}

@Suite struct StreamingMemoryTests {
    /// Bytes each reader streams (FASTIOFS_STREAM_TEST_MIB overrides; 1024 reproduces the 4 x 1 GiB target).
    static let perReader = Int64(ProcessInfo.processInfo.environment["FASTIOFS_STREAM_TEST_MIB"].flatMap(Int.init) ?? 96) << 20

    @Test func fourSequentialReadersStayWithinTheBudget() throws {
        let api = GeneratedFileAPI(size: Self.perReader)
        let budget = 128 << 20
        let configuration = MountConfiguration(layout: .single(.workspace("w")), mountpoint: "/m",
                                               readAheadBudget: budget, cacheDirectory: temporaryCacheDirectory())
        let fs = try FastIOFileSystem(api: api, configuration: configuration, logger: testLogger)
        defer { fs.destroy() }
        let ino = try fs.lookup(parent: 1, name: "big").attributes.ino
        let wrong = Locked(0)
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            guard let handle = try? fs.open(ino: ino, flags: O_RDONLY, context: reader).handle else {
                wrong.withLock { $0 += 1 }
                return
            }
            defer { fs.release(ino: ino, handle: handle) }
            var offset: Int64 = 0
            while offset < api.size {
                var ok = false
                var count = 0
                try? fs.read(ino: ino, handle: handle, offset: offset, size: 1 << 20) { bytes in
                    count = bytes.count
                    ok = count > 0 && bytes[0] == GeneratedFileAPI.byte(at: offset)
                        && bytes[count - 1] == GeneratedFileAPI.byte(at: offset + Int64(count) - 1)
                }
                if !ok {
                    wrong.withLock { $0 += 1 }
                    return
                }
                offset += Int64(count)
            }
        }
        let seconds = Date().timeIntervalSince(started)
        let peakRSS = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("VmHWM") } ?? "?"
        print("4 readers x \(Self.perReader >> 20) MiB: \(String(format: "%.1f", seconds)) s, "
              + "\(api.reads.load(ordering: .relaxed)) range requests, budget peak \(fs.budget.peakReserved >> 20) MiB, \(peakRSS)")
        #expect(wrong.withLock { $0 } == 0)
        #expect(fs.budget.peakReserved <= budget)
        #expect(api.reads.load(ordering: .relaxed) < Int(4 * Self.perReader >> 20))  // fewer requests than reads
        // A part fetch still in flight when its handle was released gives its bytes back when it ends.
        let deadline = Date().addingTimeInterval(10)
        while fs.budget.reserved != 0 && Date() < deadline { usleep(10_000) }
        #expect(fs.budget.reserved == 0)
    }
}

/// A file API whose ranged reads deliver their first `firstBytes` at once and the rest only when the
/// test opens `gate`, reporting progress as the real client does.
final class TricklingFileAPI: FastIOAPI, ProgressiveRangeReading, Sendable {
    let file: GeneratedFileAPI
    let firstBytes: Int
    let gate = DispatchSemaphore(value: 0)
    init(size: Int64, firstBytes: Int) {
        file = GeneratedFileAPI(size: size)
        self.firstBytes = firstBytes
    }

    func authCheck() throws -> String { try file.authCheck() }
    func listWorkspaces() throws -> [WorkspaceInfo] { try file.listWorkspaces() }
    func workspaceDetails(_ idOrFolderName: String) throws -> WorkspaceInfo { try file.workspaceDetails(idOrFolderName) }
    func listShares() throws -> [ShareInfo] { [] }
    func shareDetails(_ idOrCustomName: String) throws -> ShareInfo { throw MockError(errno: ENOENT) }
    func listFolder(_ profile: StorageProfile, folderID: String, pageSize: Int, cursor: String?) throws -> FolderPage {
        try file.listFolder(profile, folderID: folderID, pageSize: pageSize, cursor: cursor)
    }
    func nodeDetails(_ profile: StorageProfile, nodeID: String) throws -> RemoteNode {
        try file.nodeDetails(profile, nodeID: nodeID)
    }
    func pollActivity(profileID: String, wait: Int, lastActivity: String?) throws -> ActivityPoll {
        ActivityPoll(keys: [], lastActivity: nil)
    }
    func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
              into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try read(profile, nodeID: nodeID, versionID: versionID, offset: offset, into: buffer, progress: nil)
    }
    func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
              into buffer: UnsafeMutableRawBufferPointer, progress: ((Int) -> Void)?) throws -> Int {
        let total = Int(max(0, min(Int64(buffer.count), file.size - offset)))
        let first = min(total, firstBytes)
        for index in 0..<first { buffer[index] = GeneratedFileAPI.byte(at: offset + Int64(index)) }
        progress?(first)
        gate.wait()
        gate.signal()   // stays open for every later read
        for index in first..<total { buffer[index] = GeneratedFileAPI.byte(at: offset + Int64(index)) }
        progress?(total)
        return total
    }
}

@Suite struct ProgressiveReadTests {
    @Test func theFirstBytesOfAPartServeAReadBeforeTheRestArrives() throws {
        let api = TricklingFileAPI(size: 4 << 20, firstBytes: 64 << 10)
        let source = RangeStreamer.Source(api: api, profile: StorageProfile(kind: .workspace, id: "1"), nodeID: "2big",
                                          versionID: "3v1", fileSize: api.file.size)
        let pool = FetchThreadPool(maxThreads: 2)
        defer { pool.shutdown() }
        let streamer = RangeStreamer(source: source, window: PrefetchWindow(), pool: pool,
                                     budget: ReadBudget(limit: 64 << 20))
        defer { streamer.close() }
        // The first part spans 4 KiB + the 256 KiB window; only its first 64 KiB have arrived.
        var head: [UInt8] = []
        try streamer.read(offset: 0, size: 4096) { head = Array($0) }
        #expect(head == (0..<4096).map { GeneratedFileAPI.byte(at: Int64($0)) })
        // Bytes past what arrived wait for the rest (the gate opens from another thread).
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { api.gate.signal() }
        let started = Date()
        var tail: [UInt8] = []
        try streamer.read(offset: 200 << 10, size: 4096) { tail = Array($0) }
        #expect(Date().timeIntervalSince(started) >= 0.1, "waited for the bytes to arrive")
        #expect(tail == (0..<4096).map { GeneratedFileAPI.byte(at: Int64(200 << 10) + Int64($0)) })
    }
}
