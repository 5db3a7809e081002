import EmulatorHarness
import FastIO
@testable import FastIOFS
import Foundation
import Logging

/// Deterministic pseudo-random bytes (xorshift), so content checks are reproducible.
func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var state = seed | 1
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}

let testLogger: Logger = { var l = Logger(label: "fastiofs.tests"); if ProcessInfo.processInfo.environment["FASTIOFS_TEST_DEBUG"] != nil { l.logLevel = .debug }; return l }()
let reader = RequestContext(uid: 1000, gid: 1000, pid: 1)

/// A mock with workspace `alpha` (folder `docs` with `a.txt`, file `big.bin`, a note, a link to share
/// `beta`) and share `beta` (file `shared.txt`).
struct Fixture {
    let api = MockFastIO()
    let alpha: StorageProfile
    let beta: StorageProfile
    let docsID: String
    let bigID: String
    let big: [UInt8]

    init(bigSize: Int = 3 << 20) {
        alpha = api.addWorkspace(id: "3117763504443666597", folderName: "alpha")
        beta = api.addShare(id: "4117763504443666597", customName: "beta")
        docsID = api.addFolder(alpha, name: "docs")
        api.addFile(alpha, parent: docsID, name: "a.txt", bytes: Array("hello\n".utf8))
        api.addLink(alpha, parent: docsID, name: "to-beta", shareID: beta.id)
        big = randomBytes(bigSize, seed: 42)
        bigID = api.addFile(alpha, name: "big.bin", bytes: big)
        api.addFile(alpha, name: "notes.md", bytes: Array("# note\n".utf8), type: .note)
        api.addFile(beta, name: "shared.txt", bytes: Array("shared\n".utf8))
    }

    func mount(_ layout: MountLayout = .multi(workspaces: [], shares: []), readOnly: Bool = false,
               budget: Int = 128 << 20, maxWindow: Int = 32 << 20, ttl: Double = 10,
               cacheDirectory: String? = nil) throws -> FastIOFileSystem {
        let cache = cacheDirectory ?? (NSTemporaryDirectory() + "fastiofs-tests-" + UUID().uuidString)
        if cacheDirectory == nil { TemporaryDirectories.register(URL(fileURLWithPath: cache), isMountpoint: false) }
        let configuration = MountConfiguration(layout: layout, mountpoint: "/mnt/test", readOnly: readOnly,
                                               uid: 1000, gid: 1000, umask: 0o022, metadataTTL: ttl,
                                               readAheadBudget: budget, maxWindow: maxWindow, cacheDirectory: cache)
        return try FastIOFileSystem(api: api, configuration: configuration, logger: testLogger)
    }
}

/// A cache directory of its own for one test (removed at exit): mounts never share one.
func temporaryCacheDirectory() -> String {
    let cache = NSTemporaryDirectory() + "fastiofs-tests-" + UUID().uuidString
    TemporaryDirectories.register(URL(fileURLWithPath: cache), isMountpoint: false)
    return cache
}

/// Every entry of directory `ino` through readdir (offset 0 onwards), in order.
func listAll(_ fs: FastIOFileSystem, _ ino: UInt64, plus: Bool = true) throws -> [DirectoryEntry] {
    let handle = try fs.opendir(ino: ino)
    defer { fs.releasedir(ino: ino, handle: handle) }
    var entries: [DirectoryEntry] = []
    try fs.readdir(ino: ino, handle: handle, offset: 0, plus: plus) { entry, _ in
        entries.append(entry)
        return true
    }
    return entries
}

/// Resolves a slash-separated path from the root by lookups.
func resolve(_ fs: FastIOFileSystem, _ path: String) throws -> Entry {
    var parent: UInt64 = 1
    var entry: Entry?
    for component in path.split(separator: "/") {
        entry = try fs.lookup(parent: parent, name: String(component))
        parent = entry!.attributes.ino
    }
    return entry!
}

/// Reads `size` bytes at `offset` through an open handle.
func readBytes(_ fs: FastIOFileSystem, ino: UInt64, handle: UInt64, offset: Int64, size: Int) throws -> [UInt8] {
    var result: [UInt8] = []
    var replies = 0
    try fs.read(ino: ino, handle: handle, offset: offset, size: size) { bytes in
        replies += 1
        result = Array(bytes)
    }
    precondition(replies == 1, "read must reply exactly once")
    return result
}

/// Runs `body` on a thread and returns whether it finished within `seconds` (hang detection).
func finishes(within seconds: Double, _ body: @escaping @Sendable () -> Void) -> Bool {
    let done = DispatchSemaphore(value: 0)
    Thread {
        body()
        done.signal()
    }.start()
    return done.wait(timeout: .now() + seconds) == .success
}
