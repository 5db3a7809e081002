import FastIO
import Foundation
import Logging

/// Sends one frozen snapshot to the server: a single request up to 4 MB, else a chunked session with
/// three chunks in flight (resuming from the server's chunk map when a session id was journaled);
/// new files are placed in their folder, existing files get a new version (unplaced upload, then
/// `update from`).
///
/// Invariant: the data file is only read; `onSession` is called with a chunked session's id
/// before its first chunk is sent (so the journal can resume it); the answer is the placed node's id
/// and version, or an `FSError`.
struct UploadProcedure {
    static let chunkSize: Int64 = 8 << 20
    static let chunksInFlight = 3
    /// Seconds one details long-poll may wait for assembly/storage.
    static let pollWait = 5
    static let pollLimit = 240

    let writer: any FastIOWriteAPI
    let profile: StorageProfile
    /// The frozen data file and its size.
    let path: String
    let size: Int64
    let resumeUploadID: String?
    let logger: Logger
    let onSession: @Sendable (_ uploadID: String, _ chunkSize: Int64) -> Void
    let onProgress: @Sendable (_ bytesDone: Int64) -> Void

    struct Outcome: Sendable {
        let nodeID: String
        let version: String?
    }

    /// A new file called `name` in `folderID`.
    func placeNewFile(name: String, folderID: String) throws -> Outcome {
        let placement = UploadPlacement.newFile(profile, folderID: folderID)
        let session = try upload(name: name, placement: placement)
        guard let id = session.newFileID else {
            throw FSError(EIO, detail: "upload \(session.id) stored no file")
        }
        onProgress(size)
        return Outcome(nodeID: id, version: nil)
    }

    /// A new version of `nodeID`.
    func replace(nodeID: String, name: String) throws -> Outcome {
        let session = try upload(name: name, placement: .unplaced)
        let node = try writer.replaceContent(profile, nodeID: nodeID, uploadID: session.id, newName: nil)
        onProgress(size)
        return Outcome(nodeID: node.id, version: node.version)
    }

    private func upload(name: String, placement: UploadPlacement) throws -> UploadSession {
        let placed = placement != .unplaced
        if size <= FastIOUploadLimits.singleCallMaxBytes && resumeUploadID == nil {
            let session = try writer.uploadSingle(name: name, source: FileRange(path: path, length: size),
                                                  placement: placement)
            if session.isFinished(placed: placed) && (!placed || session.newFileID != nil) { return session }
            return try waitFinished(session.id, placed: placed)
        }
        var uploadID: String?
        var received: [Int: Int64] = [:]
        var resumable: UploadSession?
        if let resumeUploadID {
            do {
                resumable = try writer.uploadDetails(uploadID: resumeUploadID, wait: 0)
            } catch {
                // Expired or unknown: this content goes in a new session.
                logger.notice("cannot resume an upload session; starting a new one",
                              metadata: ["upload": "\(resumeUploadID)", "error": "\(error)"])
            }
        }
        if let known = resumable {
            if known.isFinished(placed: placed) && (!placed || known.newFileID != nil) { return known }
            if !known.hasFailed && ["ready", "uploading"].contains(known.status) {
                uploadID = resumeUploadID
                received = known.chunks
            }
        }
        let id: String
        if let uploadID {
            id = uploadID
        } else {
            id = try writer.createUploadSession(name: name, size: size, placement: placement)
            onSession(id, Self.chunkSize)
        }
        try sendChunks(uploadID: id, alreadyReceived: received)
        do {
            try writer.completeUpload(uploadID: id)
        } catch {
            // A repeated complete is refused while assembly already runs: the details decide.
            let state = try writer.uploadDetails(uploadID: id, wait: 0)
            if state.status == "ready" || state.status == "uploading" || state.hasFailed { throw error }
        }
        return try waitFinished(id, placed: placed)
    }

    private func sendChunks(uploadID: String, alreadyReceived: [Int: Int64]) throws {
        let count = Int((size + Self.chunkSize - 1) / Self.chunkSize)
        var orders: [Int] = []
        for order in 1...max(1, count) {
            let length = min(Self.chunkSize, size - Int64(order - 1) * Self.chunkSize)
            if alreadyReceived[order] != length { orders.append(order) }
        }
        let pendingOrders = orders
        let next = Locked(0)
        let failure = Locked<(any Error)?>(nil)
        let done = Locked(Int64(0))
        let path = self.path
        let size = self.size
        let progress = onProgress
        let writer = self.writer
        ConcurrentRunner.run(workers: min(Self.chunksInFlight, pendingOrders.count)) {
            while failure.withLock({ $0 == nil }) {
                let index = next.withLock { value -> Int in defer { value += 1 }; return value }
                guard index < pendingOrders.count else { return }
                let order = pendingOrders[index]
                let offset = Int64(order - 1) * Self.chunkSize
                let length = min(Self.chunkSize, size - offset)
                do {
                    try writer.uploadChunk(uploadID: uploadID, order: order,
                                           source: FileRange(path: path, offset: offset, length: length))
                    progress(done.withLock { $0 += length; return $0 })
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }

    private func waitFinished(_ uploadID: String, placed: Bool) throws -> UploadSession {
        for _ in 0..<Self.pollLimit {
            let session = try writer.uploadDetails(uploadID: uploadID, wait: Self.pollWait)
            if session.hasFailed {
                throw FSError(session.statusMessage?.contains("Duplicate") == true ? EEXIST : EIO,
                              detail: "upload \(uploadID) \(session.status): \(session.statusMessage ?? "")")
            }
            if session.isFinished(placed: placed) && (!placed || session.newFileID != nil) { return session }
        }
        throw FSError(ETIMEDOUT, detail: "upload \(uploadID) did not finish")
    }
}

/// Runs `body` on `workers` threads at once and returns when all have returned (blocking network
/// calls must not run on Swift's cooperative pool or GCD's CPU-sized one).
enum ConcurrentRunner {
    static func run(workers: Int, _ body: @escaping @Sendable () -> Void) {
        guard workers > 1 else { if workers == 1 { body() }; return }
        let finished = DispatchSemaphore(value: 0)
        for _ in 1..<workers {
            let thread = Thread {
                body()
                finished.signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        body()
        for _ in 1..<workers { finished.wait() }
    }
}
