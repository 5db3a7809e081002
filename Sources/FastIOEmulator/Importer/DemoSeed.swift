import Foundation
import GRDB

/// `--seed demo`: workspace `demo` (primary user) with sample files, a nested folder, a ~1 MB binary, a README.md
/// note, and a workspace_folder share `demo-share` of its `shared` folder. Idempotent: skipped if `demo` exists.
enum DemoSeed {
    static func apply(_ store: Store) throws {
        let exists = try store.pool.read { db in try Access.workspace(db, "demo") != nil }
        if exists { return }
        let owner = try store.primaryUserId
        func blob(_ s: String) throws -> Tree.Content {
            let r = try store.blobs.store(bytes: Array(s.utf8))
            return Tree.Content(blob: r.hash, size: r.size, uploadId: nil)
        }
        var generator = SplitMix(seed: 42)
        let binary = (0..<(1 << 20)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let bin = try store.blobs.store(bytes: binary)
        let readme = try blob("# Demo workspace\n\nThis workspace was created by `fastio-emulator --seed demo`.\n")
        let hello = try blob("Hello from the Fast.io emulator!\n")
        let todo = try blob("- try ls\n- try cat\n- try cp\n")
        let guide = try blob("# Guide\n\nNested files live here.\n")
        let deep = try blob("deep inside\n")
        let sharedNote = try blob("This folder is shared as demo-share.\n")
        defer {
            for c in [readme, hello, todo, guide, deep, sharedNote] { store.blobs.pins.unpin(c.blob) }
            store.blobs.pins.unpin(bin.hash)
        }
        try store.pool.write { db in
            let ws = try Profiles.createWorkspace(db, folderName: "demo", name: "Demo", description: "Demo workspace", owner: owner)
            let now = Timestamps.nowMicros()
            func add(_ parent: String, _ name: String, _ type: String, _ c: Tree.Content?) throws -> String {
                try Tree.create(db, storage: ws.id, parent: parent, name: name, type: type, content: c, creator: owner, now: now).id
            }
            _ = try add("root", "README.md", "note", readme)
            _ = try add("root", "hello.txt", "file", hello)
            _ = try add("root", "todo.txt", "file", todo)
            let docs = try add("root", "docs", "folder", nil)
            _ = try add(docs, "guide.md", "file", guide)
            let nested = try add(docs, "nested", "folder", nil)
            _ = try add(nested, "deep.txt", "file", deep)
            _ = try add("root", "random.bin", "file", Tree.Content(blob: bin.hash, size: bin.size, uploadId: nil))
            let shared = try add("root", "shared", "folder", nil)
            _ = try add(shared, "welcome.txt", "file", sharedNote)
            if try Access.share(db, "demo-share") == nil {
                _ = try Profiles.createShare(db, workspace: ws.id, owner: owner, customName: "demo-share", title: "Demo share",
                                             description: nil, mode: "workspace_folder", folder: shared)
            }
        }
    }
}

/// Deterministic pseudo-random bytes for the demo binary.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
