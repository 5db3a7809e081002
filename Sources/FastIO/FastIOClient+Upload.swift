import Foundation
import Glibc

/// Upload sessions of `FastIOWriteAPI`: single-call, chunked (streamed from disk), complete, details.
extension FastIOClient {
    static func placementFields(_ placement: UploadPlacement) -> [(String, String)] {
        switch placement {
        case .newFile(let profile, let folderID):
            return [("action", "create"), ("instance_id", profile.id), ("folder_id", OpaqueID.canonical(folderID)),
                    ("profile_type", profile.kind.rawValue)]
        case .newVersion(let profile, let fileID):
            return [("action", "update"), ("instance_id", profile.id), ("file_id", OpaqueID.canonical(fileID))]
        case .unplaced:
            return [("action", "create")]
        }
    }

    /// Opens `source` for the duration of `body`.
    func withOpenFile<T>(_ source: FileRange, route: String, _ body: (Int32) throws -> T) throws -> T {
        let fd = open(source.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw FastIOError(kind: .localFile, message: "cannot open \(source.path): " + String(cString: strerror(errno)),
                              route: route, errno: EIO)
        }
        defer { close(fd) }
        return try body(fd)
    }

    public func uploadSingle(name: String, source: FileRange, placement: UploadPlacement) throws -> UploadSession {
        let route = "POST upload"
        guard source.length <= FastIOUploadLimits.singleCallMaxBytes else {
            throw FastIOError(kind: .configuration, message: "single-call uploads take at most 4 MB", route: route,
                              errno: EFBIG)
        }
        let fields = [("name", name), ("size", String(source.length))] + Self.placementFields(placement)
        let form = MultipartForm(fields: fields, fileField: "chunk", fileName: name)
        let payload = try withOpenFile(source, route: route) { fd in
            try call(APIRequest(.post, "upload/", route: route, idempotent: false),
                     body: StreamedBody(contentType: form.contentType) {
                         form.body(fd: fd, offset: source.offset, length: source.length)
                     })
        }
        return try session(in: payload, route: route)
    }

    public func createUploadSession(name: String, size: Int64, placement: UploadPlacement) throws -> String {
        let route = "POST upload"
        let fields = [("name", name), ("size", String(size))] + Self.placementFields(placement)
        let payload = try call(APIRequest(.post, "upload/", route: route, form: fields, idempotent: false))
        guard let id = (payload["id"] ?? payload["session"]?["id"])?.stringValue, !id.isEmpty else {
            throw FastIOError(kind: .invalidResponse, message: "upload session answer has no id", route: route)
        }
        return OpaqueID.canonical(id)
    }

    public func uploadChunk(uploadID: String, order: Int, source: FileRange) throws {
        let route = "POST upload/chunk"
        let form = MultipartForm(fields: [], fileField: "chunk", fileName: "chunk.bin")
        _ = try withOpenFile(source, route: route) { fd in
            try call(APIRequest(.post, "upload/\(Self.nodeSegment(uploadID))/chunk/", route: route,
                                query: [("order", String(order)), ("size", String(source.length))], idempotent: true),
                     body: StreamedBody(contentType: form.contentType) {
                         form.body(fd: fd, offset: source.offset, length: source.length)
                     })
        }
    }

    public func completeUpload(uploadID: String) throws {
        _ = try call(APIRequest(.post, "upload/\(Self.nodeSegment(uploadID))/complete/", route: "POST upload/complete",
                                idempotent: false))
    }

    public func uploadDetails(uploadID: String, wait: Int) throws -> UploadSession {
        let route = "GET upload/details"
        let seconds = min(max(wait, 0), 60)
        var request = APIRequest(.get, "upload/\(Self.nodeSegment(uploadID))/details/", route: route,
                                 query: seconds > 0 ? [("wait", String(seconds))] : [])
        request.serverWait = Double(seconds)
        return try session(in: call(request), route: route)
    }

    public func cancelUpload(uploadID: String) throws {
        _ = try call(APIRequest(.delete, "upload/\(Self.nodeSegment(uploadID))/", route: "DELETE upload",
                                idempotent: true), acceptAfterRetry: [404])
    }

    /// Long-polls the session until it is finished for its placement (or failed), at most `timeout` s.
    /// A failed session is an `EIO` error carrying its `status_message`.
    public func waitForUpload(uploadID: String, placed: Bool, timeout: Double = 600) throws -> UploadSession {
        let route = "GET upload/details"
        let started = ContinuousClock.now
        var session = try uploadDetails(uploadID: uploadID, wait: 0)
        while !session.isFinished(placed: placed) {
            if session.hasFailed {
                throw FastIOError(kind: .api, message: "upload \(session.status): \(session.statusMessage ?? "")",
                                  route: route, errno: EIO)
            }
            let left = timeout - Self.seconds(since: started)
            guard left > 0 else {
                throw FastIOError(kind: .api, message: "upload still \(session.status) after \(Int(timeout)) s",
                                  route: route, errno: ETIMEDOUT)
            }
            session = try uploadDetails(uploadID: uploadID, wait: min(30, max(1, Int(left))))
        }
        return session
    }

    /// Uploads a small file (≤ 4 MB) as a new file in `folderID` and returns the stored node.
    public func uploadSmallFile(_ profile: StorageProfile, folderID: String, name: String,
                                source: FileRange) throws -> RemoteNode {
        var session = try uploadSingle(name: name, source: source, placement: .newFile(profile, folderID: folderID))
        if session.newFileID == nil || !session.isStored {
            session = try waitForUpload(uploadID: session.id, placed: true)
        }
        guard let fileID = session.newFileID else {
            throw FastIOError(kind: .invalidResponse, message: "stored upload has no new_file_id", route: "POST upload")
        }
        return try nodeDetails(profile, nodeID: fileID)
    }

    func session(in payload: JSONValue, route: String) throws -> UploadSession {
        let json = payload["session"] ?? payload
        guard let id = json["id"]?.stringValue, !id.isEmpty else {
            throw FastIOError(kind: .invalidResponse, message: "upload answer has no session id", route: route)
        }
        var chunks: [Int: Int64] = [:]
        for (order, size) in json["chunks"]?.objectValue ?? [:] {
            if let order = Int(order), let size = size.int64Value { chunks[order] = size }
        }
        let newFile = (json["new_file_id"] ?? payload["new_file_id"])?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let status = json["status"]?.stringValue ?? (newFile != nil ? "stored" : "uploading")
        return UploadSession(id: OpaqueID.canonical(id), status: status,
                             statusMessage: json["status_message"]?.stringValue,
                             newFileID: newFile.map(OpaqueID.canonical), chunks: chunks)
    }
}
