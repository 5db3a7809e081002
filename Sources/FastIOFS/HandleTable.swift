import FastIO

/// The open directory and file handles of a mount, by handle number.
///
/// Invariants: handle numbers start at 1, are never reused within a mount, and name at most one open
/// object; `closeAll` closes every open file. Thread-safe.
final class HandleTable: Sendable {
    private struct State {
        var next: UInt64 = 1
        var directories: [UInt64: DirectoryStream] = [:]
        var files: [UInt64: RangeStreamer] = [:]
    }
    private let state = Locked(State())

    func add(_ directory: DirectoryStream) -> UInt64 {
        state.withLock { state in
            defer { state.next += 1 }
            state.directories[state.next] = directory
            return state.next
        }
    }

    func add(_ file: RangeStreamer) -> UInt64 {
        state.withLock { state in
            defer { state.next += 1 }
            state.files[state.next] = file
            return state.next
        }
    }

    /// A fresh handle number for a file handle kept elsewhere (a write handle without a streamer).
    func reserve() -> UInt64 {
        state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
    }

    func directory(_ handle: UInt64) -> DirectoryStream? { state.withLock { $0.directories[handle] } }
    func file(_ handle: UInt64) -> RangeStreamer? { state.withLock { $0.files[handle] } }

    func removeDirectory(_ handle: UInt64) {
        _ = state.withLock { $0.directories.removeValue(forKey: handle) }
    }

    func removeFile(_ handle: UInt64) -> RangeStreamer? {
        state.withLock { $0.files.removeValue(forKey: handle) }
    }

    var openFileCount: Int { state.withLock { $0.files.count } }

    /// True while a read handle of node `nodeID` pinned to a version other than `version` is open
    /// (a reader still going through an older version).
    func hasReader(of nodeID: String, pinnedToOtherThan version: String?) -> Bool {
        state.withLock { state in
            state.files.values.contains { $0.source.nodeID == nodeID && $0.source.versionID != version }
        }
    }

    func closeAll() {
        let files = state.withLock { state in
            defer { state.files.removeAll(); state.directories.removeAll() }
            return Array(state.files.values)
        }
        for file in files { file.close() }
    }
}
