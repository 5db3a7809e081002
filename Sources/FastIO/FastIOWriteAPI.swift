import Foundation

/// The write-path calls the uploader needs, as blocking calls (phase 2 of the client).
///
/// Invariant: same threading and error contract as `FastIOAPI` (any thread, `FastIOError` with an
/// errno); node ids returned are canonical; calls the server could apply twice are retried only
/// when that is harmless (see each method), so a retry never duplicates a file or a version.
public protocol FastIOWriteAPI: Sendable {
    /// `POST …/storage/{parent}/createfolder/` (`name`). Idempotent by name on the server: an
    /// existing folder of that name is returned. Retried.
    func createFolder(_ profile: StorageProfile, parentID: String, name: String) throws -> RemoteNode

    /// `POST /upload/` multipart with the whole file (at most `FastIOUploadLimits.singleCallMaxBytes`)
    /// in part `chunk`. The session assembles at once; with `.newFile`/`.newVersion` placement
    /// `newFileID` is set once stored. Not retried once the request may have been sent.
    func uploadSingle(name: String, source: FileRange, placement: UploadPlacement) throws -> UploadSession

    /// `POST /upload/` form (`name`, `size`, `action`, placement fields): a chunked session; returns its id.
    func createUploadSession(name: String, size: Int64, placement: UploadPlacement) throws -> String
    /// `POST /upload/{id}/chunk/?order=N&size=B` multipart part `chunk`, streamed from `source` on disk.
    /// `order` is 1-based. Re-sending a chunk replaces it, so it is retried.
    func uploadChunk(uploadID: String, order: Int, source: FileRange) throws
    /// `POST /upload/{id}/complete/`: starts assembly. Not retried (a repeat is answered with an error).
    func completeUpload(uploadID: String) throws
    /// `GET /upload/{id}/details/?wait=S`: long-polls up to `wait` seconds for a status change.
    func uploadDetails(uploadID: String, wait: Int) throws -> UploadSession
    /// `DELETE /upload/{id}/`.
    func cancelUpload(uploadID: String) throws

    /// `POST …/storage/{node}/update/` with `name`. A name conflict is `EEXIST`.
    func rename(_ profile: StorageProfile, nodeID: String, to newName: String) throws -> RemoteNode
    /// `POST …/storage/{node}/update/` with `from={"type":"upload","upload":{"id":…}}` (and `name`):
    /// a new version of the node from a completed, unplaced upload.
    func replaceContent(_ profile: StorageProfile, nodeID: String, uploadID: String, newName: String?) throws -> RemoteNode
    /// `POST …/storage/{node}/move/` (`parent`).
    func move(_ profile: StorageProfile, nodeID: String, toParentID: String) throws
    /// `DELETE …/storage/{node}/delete/`: to the trash. A 404 after a retried attempt counts as done.
    func delete(_ profile: StorageProfile, nodeID: String) throws

    /// `POST …/storage/{node}/lock/` (`duration` 60…3600 s, `client_info` when given). Held by someone
    /// else: `EBUSY`.
    func acquireLock(_ profile: StorageProfile, nodeID: String, durationSeconds: Int,
                     clientInfo: LockClientInfo?) throws -> LockGrant
    /// `POST …/storage/{node}/lock/heartbeat/` with `lock_token` in body and query; returns the new expiry.
    func heartbeatLock(_ profile: StorageProfile, nodeID: String, lockToken: String) throws -> Date?
    /// `DELETE …/storage/{node}/lock/` with `lock_token` in body and query.
    func releaseLock(_ profile: StorageProfile, nodeID: String, lockToken: String) throws

    /// `POST workspace/{id}/storage/{parent}/createnote/` (`name` ending in `.md`, `content`).
    func createNote(_ profile: StorageProfile, parentID: String, name: String, content: String) throws -> RemoteNode
    /// `POST workspace/{id}/storage/{node}/updatenote/`; `ifVersionID` makes it compare-and-swap (`EBUSY` on mismatch).
    func updateNote(_ profile: StorageProfile, nodeID: String, name: String?, content: String?,
                    ifVersionID: String?) throws -> RemoteNode
}

/// Bytes of a local file: `length` bytes from `offset`.
public struct FileRange: Sendable, Equatable {
    public var path: String
    public var offset: Int64
    public var length: Int64
    public init(path: String, offset: Int64 = 0, length: Int64) {
        self.path = path
        self.offset = offset
        self.length = length
    }
}

/// Where a finished upload goes.
public enum UploadPlacement: Sendable, Equatable {
    /// A new file in `folderID` (`root` or an OpaqueId): `instance_id`, `folder_id`, `profile_type`.
    case newFile(StorageProfile, folderID: String)
    /// A new version of an existing file: `action=update`, `instance_id`, `file_id`.
    case newVersion(StorageProfile, fileID: String)
    /// Not placed: the session stops at `complete`; import it with `replaceContent`.
    case unplaced
}

/// An upload session as `/upload/{id}/details/` describes it.
public struct UploadSession: Sendable, Equatable {
    public var id: String
    /// ready, uploading, assemble, assembling, complete, store, storing, stored, assembly_failed, store_failed.
    public var status: String
    public var statusMessage: String?
    /// Canonical id of the placed file, once stored.
    public var newFileID: String?
    /// Received chunk sizes by 1-based order (for resuming).
    public var chunks: [Int: Int64]

    public init(id: String, status: String, statusMessage: String? = nil, newFileID: String? = nil, chunks: [Int: Int64] = [:]) {
        self.id = id
        self.status = status
        self.statusMessage = statusMessage
        self.newFileID = newFileID
        self.chunks = chunks
    }

    public var hasFailed: Bool { status.hasSuffix("_failed") }
    public var isStored: Bool { status == "stored" }
    /// Finished for its placement: `stored`, or `complete` when unplaced.
    public func isFinished(placed: Bool) -> Bool { isStored || (!placed && status == "complete") }
}

/// A server-side lock on a node.
extension FastIOWriteAPI {
    /// A lock without `client_info`.
    public func acquireLock(_ profile: StorageProfile, nodeID: String, durationSeconds: Int) throws -> LockGrant {
        try acquireLock(profile, nodeID: nodeID, durationSeconds: durationSeconds, clientInfo: nil)
    }
}

/// Who holds a lock, as other Fast.io clients show it: the lock's `client_info` JSON object.
///
/// Invariant: `jsonText` is a JSON object with `device_name` (at most 255 characters) and
/// `client_version` (at most 50), longer values cut to fit.
public struct LockClientInfo: Sendable, Equatable {
    public var deviceName: String
    public var clientVersion: String

    public init(deviceName: String, clientVersion: String) {
        self.deviceName = String(deviceName.prefix(255))
        self.clientVersion = String(clientVersion.prefix(50))
    }

    public var jsonText: String {
        let object = ["device_name": deviceName, "client_version": clientVersion]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }
}

public struct LockGrant: Sendable, Equatable {
    /// Secret: never log it.
    public var lockToken: String
    public var expiresAt: Date?
    public init(lockToken: String, expiresAt: Date?) {
        self.lockToken = lockToken
        self.expiresAt = expiresAt
    }
}

/// Upload size limits from facts.md §4.2.
public enum FastIOUploadLimits {
    /// Largest body of a single-call upload (4 MB).
    public static let singleCallMaxBytes: Int64 = 4_194_304
}
