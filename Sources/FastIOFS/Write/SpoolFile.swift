import FastIO
import Foundation
import Synchronization

/// The local, authoritative content of one file being written: a data file in the spool plus what
/// the uploader needs to send it.
///
/// Invariants: `generation` counts local changes and `durableGeneration` the newest one the server
/// holds; while `materialized` is false the spool holds nothing yet and the content is the server
/// version `baseVersion` cut to `fetchLimit` bytes and then extended with zeros to `size`; a data
/// file handed to an upload (`frozenPath`) is never written again (the next write copies it first),
/// so an upload never sends a torn mix. Every method is thread-safe (one mutex, held across the
/// local file I/O of that file only).
final class SpoolFile: Sendable {
    struct State: Sendable {
        var remoteID: String?
        var folderID: String
        var name: String
        var size: Int64
        var mtime: FSTime
        var materialized: Bool
        var fetchLimit: Int64
        var baseVersion: String?
        var generation: UInt64 = 0
        var durableGeneration: UInt64 = 0
        var writers = 0
        var dataPath: String
        var descriptor: Int32 = -1
        var frozenPath: String?
        var lock: LockGrant?
        var lockLost = false
        var lastError: FSError?
        var discarded = false
        var uploading = false
        /// Between a commit on the server and the node table learning it (`fsync` waits it out, so
        /// what it returns to sees the file under its server identity).
        var binding = false
        var queued = false
        /// Monotonic second of the last local change (an open file's upload waits until it is quiet).
        var lastChange: Double = 0
        /// The newest generation an `fsync` waits for: uploaded even while writers keep the file open.
        var syncWanted: UInt64 = 0
        var bytesDone: Int64 = 0
        var bytesTotal: Int64 = 0
        var retries = 0
        var uploadID: String?
        var chunkSize: Int64?
        var nextAttempt: Double = 0
        /// Monotonic second at which the lock's next heartbeat is due.
        var lockDue: Double = 0
        /// Set (atomically with the idle check) when the file leaves the registry: no writer may
        /// attach any more; a new open makes a new spool file from the server's version.
        var retired = false
        /// A Fast.io note: its content goes through `updatenote` (as UTF-8 text), never an upload.
        var isNote = false
        /// While an upload that creates the server node runs: the folder and name it creates it
        /// under (the file may be renamed, moved or discarded meanwhile).
        var placingAs: ServerAddress?
    }

    /// A name in a server folder.
    struct ServerAddress: Sendable, Equatable {
        var folderID: String
        var name: String
    }

    let key: String
    let profileIndex: Int
    let spoolDirectory: String
    let state: Mutex<State>

    init(key: String, profileIndex: Int, spoolDirectory: String, state: State) {
        self.key = key
        self.profileIndex = profileIndex
        self.spoolDirectory = spoolDirectory
        self.state = Mutex(state)
    }

    var pendingIdentity: NodeIdentity { .pending(profile: profileIndex, key: key) }

    func snapshotState() -> State { state.withLock { $0 } }

    /// Fetches `limit` bytes of the original into `descriptor` (supplied by the owner, who has the API).
    typealias Fetcher = (_ descriptor: Int32, _ version: String?, _ limit: Int64) throws(FSError) -> Void

    // MARK: - local changes

    func write(offset: Int64, data: UnsafeRawBufferPointer, fetch: Fetcher) throws(FSError) -> Int {
        try state.withLock { (state: inout State) throws(FSError) -> Int in
            try prepareForChange(&state, fetch: fetch)
            var done = 0
            while done < data.count {
                let n = pwrite(state.descriptor, data.baseAddress! + done, data.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw FSError(errno, detail: "spool write")
                }
                done += n
            }
            state.size = max(state.size, offset + Int64(data.count))
            touch(&state)
            return data.count
        }
    }

    func truncate(to size: Int64, fetch: Fetcher) throws(FSError) {
        try state.withLock { (state: inout State) throws(FSError) in
            if !state.materialized {
                state.fetchLimit = min(state.fetchLimit, size)
                state.size = size
                touch(&state)
                return
            }
            try prepareForChange(&state, fetch: fetch)
            guard ftruncate(state.descriptor, off_t(size)) == 0 else { throw FSError(errno, detail: "spool truncate") }
            state.size = size
            touch(&state)
        }
    }

    /// Reads local bytes; nil when the spool holds nothing yet and nothing changed (read the server).
    func read(offset: Int64, size: Int, fetch: Fetcher) throws(FSError) -> [UInt8]? {
        try state.withLock { (state: inout State) throws(FSError) -> [UInt8]? in
            if !state.materialized {
                guard state.generation > 0 else { return nil }
                try materialize(&state, fetch: fetch)
            }
            guard offset < state.size else { return [] }
            let count = Int(min(Int64(size), state.size - offset))
            var bytes = [UInt8](repeating: 0, count: count)
            let descriptor = state.descriptor
            let failure = bytes.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) -> Int32 in
                var done = 0
                while done < count {
                    let n = pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
                    if n < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    if n == 0 { break }
                    done += n
                }
                return 0
            }
            if failure != 0 { throw FSError(failure, detail: "spool read") }
            return bytes
        }
    }

    /// Makes the spool hold the whole current content (fetching the original bytes it needs).
    func materialize(fetch: Fetcher) throws(FSError) {
        try state.withLock { (state: inout State) throws(FSError) in try materialize(&state, fetch: fetch) }
    }

    /// Forces the data file to disk (what `close` and `fsync` promise before they return).
    func syncData() throws(FSError) {
        try state.withLock { (state: inout State) throws(FSError) in
            guard state.descriptor >= 0 else { return }
            guard fdatasync(state.descriptor) == 0 else { throw FSError(errno, detail: "spool fsync") }
        }
    }

    /// Replaces the whole content with `size` bytes that `fill` writes into the data file (a rename
    /// over this file: it takes the source's content as its next version).
    func replaceContent(size: Int64, fill: (Int32) throws(FSError) -> Void) throws(FSError) {
        try state.withLock { (state: inout State) throws(FSError) in
            state.materialized = true
            state.fetchLimit = 0
            if state.descriptor >= 0, state.frozenPath == state.dataPath {
                close(state.descriptor)
                state.descriptor = -1
                state.dataPath = spoolDirectory + "/" + key + "." + UUID().uuidString.prefix(8).lowercased()
            }
            if state.descriptor < 0 {
                let fd = open(state.dataPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw FSError(errno, detail: "spool open \(state.dataPath)") }
                state.descriptor = fd
            }
            guard ftruncate(state.descriptor, 0) == 0 else { throw FSError(errno, detail: "spool truncate") }
            try fill(state.descriptor)
            guard ftruncate(state.descriptor, off_t(size)) == 0 else { throw FSError(errno, detail: "spool size") }
            state.size = size
            touch(&state)
        }
    }

    // MARK: - upload snapshots

    /// What one upload sends: a frozen data file and where it goes.
    struct Snapshot: Sendable {
        let path: String
        let size: Int64
        let generation: UInt64
        let remoteID: String?
        let folderID: String
        let name: String
        let baseVersion: String?
        let lockLost: Bool
        let isNote: Bool
    }

    /// Freezes the current content for an upload, or nil when the server already has it (or the
    /// file was deleted). The caller must `finishUpload` after a non-nil answer.
    func beginUpload(fetch: Fetcher) throws(FSError) -> Snapshot? {
        try state.withLock { (state: inout State) throws(FSError) -> Snapshot? in
            // One upload per file at a time; the running one re-queues the file if it changed meanwhile.
            guard !state.discarded, !state.uploading, state.generation > state.durableGeneration else { return nil }
            try materialize(&state, fetch: fetch)
            guard fdatasync(state.descriptor) == 0 else { throw FSError(errno, detail: "spool fsync") }
            state.frozenPath = state.dataPath
            state.uploading = true
            state.bytesDone = 0
            state.bytesTotal = state.size
            return Snapshot(path: state.dataPath, size: state.size, generation: state.generation,
                            remoteID: state.remoteID, folderID: state.folderID, name: state.name,
                            baseVersion: state.baseVersion, lockLost: state.lockLost, isNote: state.isNote)
        }
    }

    /// Records the outcome of the upload of `snapshot`; returns true when newer changes wait.
    func finishUpload(_ snapshot: Snapshot, placedID: String?, version: String?, error: FSError?) -> Bool {
        state.withLock { state in
            state.uploading = false
            if let frozen = state.frozenPath, frozen != state.dataPath { unlink(frozen) }
            state.frozenPath = nil
            if let error {
                state.lastError = error
                state.retries += 1
                return true
            }
            state.lastError = nil
            state.retries = 0
            state.uploadID = nil
            state.chunkSize = nil
            state.durableGeneration = max(state.durableGeneration, snapshot.generation)
            state.binding = true
            if let placedID { state.remoteID = placedID }
            if let version { state.baseVersion = version }
            return state.generation > state.durableGeneration && !state.discarded
        }
    }

    /// Closes and deletes the local data (after the last upload, or when the file was deleted).
    func removeData() {
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
            state.descriptor = -1
            if state.frozenPath == nil || state.frozenPath != state.dataPath { unlink(state.dataPath) }
        }
    }

    // MARK: - private

    private func touch(_ state: inout State) {
        state.generation += 1
        state.mtime = FSTime(Date())
        state.lastChange = MonotonicClock.now()
    }

    private func prepareForChange(_ state: inout State, fetch: Fetcher) throws(FSError) {
        try materialize(&state, fetch: fetch)
        guard let frozen = state.frozenPath, frozen == state.dataPath else { return }
        // The current data file is being uploaded: write to a copy from now on.
        let copyPath = spoolDirectory + "/" + key + "." + UUID().uuidString.prefix(8).lowercased()
        let copy = open(copyPath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard copy >= 0 else { throw FSError(errno, detail: "spool copy") }
        do throws(FSError) {
            try Self.copyAll(from: state.descriptor, to: copy, length: state.size)
        } catch let failure {
            close(copy)
            unlink(copyPath)
            throw failure
        }
        close(state.descriptor)
        state.descriptor = copy
        state.dataPath = copyPath
    }

    private func materialize(_ state: inout State, fetch: Fetcher) throws(FSError) {
        if state.descriptor < 0 {
            let fd = open(state.dataPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw FSError(errno, detail: "spool open \(state.dataPath)") }
            state.descriptor = fd
        }
        guard !state.materialized else { return }
        guard ftruncate(state.descriptor, 0) == 0 else { throw FSError(errno, detail: "spool truncate") }
        if state.fetchLimit > 0 { try fetch(state.descriptor, state.baseVersion, state.fetchLimit) }
        guard ftruncate(state.descriptor, off_t(state.size)) == 0 else { throw FSError(errno, detail: "spool size") }
        state.materialized = true
    }

    static func copyAll(from source: Int32, to target: Int32, length: Int64) throws(FSError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Int64(buffer.count), length - offset))
            let got = buffer.withUnsafeMutableBytes { pread(source, $0.baseAddress!, want, off_t(offset)) }
            if got < 0 { if errno == EINTR { continue }; throw FSError(errno, detail: "spool copy read") }
            if got == 0 { break }
            var written = 0
            while written < got {
                let n = buffer.withUnsafeBytes { pwrite(target, $0.baseAddress! + written, got - written, off_t(offset) + off_t(written)) }
                if n < 0 { if errno == EINTR { continue }; throw FSError(errno, detail: "spool copy write") }
                written += n
            }
            offset += Int64(got)
        }
        guard ftruncate(target, off_t(length)) == 0 else { throw FSError(errno, detail: "spool copy size") }
    }
}
