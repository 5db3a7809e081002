import Foundation

/// Builds test fixtures through the public API only (no database access), as one user.
/// Invariant: every helper either returns the created object's id or throws `HarnessError` with the
/// failing route, status and body.
public struct Fixtures: Sendable {
    public let api: APIClient

    public init(_ api: APIClient) { self.api = api }

    /// Throws unless the response is a success envelope with a 2xx status.
    @discardableResult
    public func expectOK(_ response: APIResponse) throws -> APIResponse {
        guard (200..<300).contains(response.status), response.isSuccess else {
            throw HarnessError.unexpectedResponse(route: "\(response.method) \(response.url.path)",
                                                  status: response.status, body: response.text)
        }
        return response
    }

    private func require(_ value: JSON, _ what: String, _ response: APIResponse) throws -> String {
        guard let s = value.stringish else {
            throw HarnessError.unexpectedResponse(route: "\(response.method) \(response.url.path) (no \(what))",
                                                  status: response.status, body: response.text)
        }
        return s
    }

    // MARK: identity and profiles

    public func userId() async throws -> String {
        let r = try expectOK(await api.get("user/auth/check/"))
        let id = r.payload["id"].exists ? r.payload["id"] : r.payload["user"]["id"]
        return try require(id, "id", r)
    }

    public func orgId() async throws -> String {
        let r = try expectOK(await api.get("orgs/list/"))
        return try require(r.payload["orgs"][0]["id"], "orgs[0].id", r)
    }

    public struct Workspace: Sendable, Hashable {
        public let id: String
        public let folderName: String
        public var context: StorageContext { .workspace(id) }
    }

    public func createWorkspace(folderName: String? = nil, name: String = "Test Workspace") async throws -> Workspace {
        let org = try await orgId()
        let folder = folderName ?? "ws-" + String(UInt64.random(in: 1...UInt64.max), radix: 36)
        let r = try expectOK(await api.post("org/\(org)/create/workspace/", form: [
            "folder_name": folder, "name": name, "perm_join": "Member or above",
            "perm_member_manage": "Member or above", "intelligence": "false",
        ]))
        let id = try require(r.payload["workspace"]["id"], "workspace.id", r)
        return Workspace(id: id, folderName: r.payload["workspace"]["folder_name"].string ?? folder)
    }

    public func addMember(workspace: String, user: String, permissions: String = "member") async throws {
        try expectOK(await api.post("workspace/\(workspace)/members/\(user)/", form: ["permissions": permissions]))
    }

    public struct Share: Sendable, Hashable {
        public let id: String
        public let customName: String
        public var context: StorageContext { .share(id) }
    }

    private func share(from r: APIResponse) throws -> Share {
        let id = try require(r.payload["share"]["id"], "share.id", r)
        return Share(id: id, customName: r.payload["share"]["custom_name"].string ?? "")
    }

    public func createPortalShare(workspace: String, customName: String? = nil,
                                  title: String = "Test Portal") async throws -> Share
    {
        var form = ["title": title, "share_type": "exchange", "intelligence": "false",
                    "access_options": "Only members of the Share or Workspace", "invite": "owners"]
        if let customName { form["custom_name"] = customName }
        return try share(from: expectOK(await api.post("workspace/\(workspace)/create/share/", form: form)))
    }

    public func createFolderShare(workspace: String, folderNodeId: String, customName: String? = nil,
                                  title: String = "Test Folder Share") async throws -> Share
    {
        var form = ["title": title, "share_type": "exchange", "intelligence": "false",
                    "access_options": "Only members of the Share or Workspace", "invite": "owners",
                    "storage_mode": "workspace_folder", "folder_node_id": folderNodeId]
        if let customName { form["custom_name"] = customName }
        return try share(from: expectOK(await api.post("workspace/\(workspace)/create/share/", form: form)))
    }

    // MARK: storage

    public func createFolder(_ ctx: StorageContext, parent: String = "root", name: String) async throws -> String {
        let r = try expectOK(await api.post(ctx.node(parent, "createfolder"), form: ["name": name]))
        return try require(r.payload["node"]["id"], "node.id", r)
    }

    public func details(_ ctx: StorageContext, _ node: String) async throws -> JSON {
        try expectOK(await api.get(ctx.node(node, "details"))).payload["node"]
    }

    public func read(_ ctx: StorageContext, _ node: String, query: [String: String] = [:]) async throws -> Data {
        let r = try await api.get(ctx.node(node, "read"), query: query)
        guard r.status == 200 else {
            throw HarnessError.unexpectedResponse(route: "GET \(r.url.path)", status: r.status, body: r.text)
        }
        return r.body
    }

    /// All items of a folder, following cursors.
    public func listAll(_ ctx: StorageContext, _ folder: String = "root",
                        query: [String: String] = [:]) async throws -> [JSON]
    {
        var items: [JSON] = []
        var q = query
        for _ in 0..<10_000 {
            let r = try expectOK(await api.get(ctx.node(folder, "list"), query: q))
            items += r.payload["nodes"]["items"].array ?? []
            guard r.payload["pagination"]["has_more"].bool == true,
                  let cursor = r.payload["pagination"]["next_cursor"].string else { return items }
            q["cursor"] = cursor
        }
        throw HarnessError.timeout(what: "listing \(folder) did not end")
    }

    // MARK: uploads

    /// Single-call multipart upload with auto-placement; returns the new node id.
    public func uploadSingle(_ ctx: StorageContext, parent: String = "root", name: String, data: Data,
                             extraFields: [(String, String)] = []) async throws -> String
    {
        let r = try await uploadSingleResponse(ctx, parent: parent, name: name, data: data, extraFields: extraFields)
        try expectOK(r)
        if let id = r.payload["new_file_id"].string { return id }
        let uploadId = try require(r.payload["id"], "id", r)
        let session = try await waitForUpload(uploadId, until: ["stored"])
        return try require(session["new_file_id"], "session.new_file_id", r)
    }

    public func uploadSingleResponse(_ ctx: StorageContext, parent: String = "root", name: String, data: Data,
                                     extraFields: [(String, String)] = []) async throws -> APIResponse
    {
        let fields: [(String, String)] = [
            ("name", name), ("size", String(data.count)), ("action", "create"),
            ("instance_id", ctx.profileId), ("folder_id", parent), ("profile_type", ctx.profileType),
        ] + extraFields
        return try await api.postMultipart("upload/", fields: fields,
                                           file: MultipartFile(fileName: name, data: data))
    }

    /// Creates an upload session (form). `ctx` nil -> not auto-placed (for addfile/update `from`).
    public func createUploadSession(_ ctx: StorageContext?, parent: String = "root", name: String, size: Int,
                                    extra: [String: String] = [:]) async throws -> String
    {
        var form = ["name": name, "size": String(size), "action": "create"]
        if let ctx {
            form["instance_id"] = ctx.profileId
            form["folder_id"] = parent
            form["profile_type"] = ctx.profileType
        }
        form.merge(extra) { _, new in new }
        let r = try expectOK(await api.post("upload/", form: form))
        return try require(r.payload["id"], "id", r)
    }

    /// Sends one chunk (order in the query, as the official CLI does).
    public func sendChunk(_ uploadId: String, order: Int, data: Data) async throws -> APIResponse {
        try await api.postMultipart("upload/\(uploadId)/chunk/", file: MultipartFile(fileName: "chunk.bin", data: data),
                                    query: ["order": String(order), "size": String(data.count)])
    }

    public func complete(_ uploadId: String) async throws -> APIResponse {
        try await api.post("upload/\(uploadId)/complete/")
    }

    public func uploadDetails(_ uploadId: String, wait: Int? = nil) async throws -> APIResponse {
        try await api.get("upload/\(uploadId)/details/", query: wait.map { ["wait": String($0)] } ?? [:])
    }

    /// Polls session details (with `wait` long-poll) until its status is in `statuses` or terminal.
    public func waitForUpload(_ uploadId: String, until statuses: Set<String>,
                              timeout: TimeInterval = 60) async throws -> JSON
    {
        let deadline = Date().addingTimeInterval(timeout)
        let terminal: Set<String> = ["stored", "assembly_failed", "store_failed"]
        while Date() < deadline {
            let r = try expectOK(await uploadDetails(uploadId, wait: 2))
            let session = r.payload["session"]
            if let status = session["status"].string, statuses.contains(status) || terminal.contains(status) {
                return session
            }
        }
        throw HarnessError.timeout(what: "upload \(uploadId) reaching \(statuses)")
    }

    /// Chunked upload: session, chunks (up to `parallel` at once), complete, wait. Returns the session
    /// JSON at its final status (`stored` with ctx, `complete` without).
    public func uploadChunked(_ ctx: StorageContext?, parent: String = "root", name: String, data: Data,
                              chunkSize: Int, parallel: Int = 3) async throws -> JSON
    {
        let uploadId = try await createUploadSession(ctx, parent: parent, name: name, size: data.count)
        let chunks = stride(from: 0, to: data.count, by: chunkSize).map { start in
            data.subdata(in: start..<min(start + chunkSize, data.count))
        }
        var next = 0
        while next < chunks.count {
            let batch = next..<min(next + parallel, chunks.count)
            try await withThrowingTaskGroup(of: APIResponse.self) { group in
                for index in batch {
                    let chunk = chunks[index]
                    group.addTask { try await sendChunk(uploadId, order: index + 1, data: chunk) }
                }
                for try await response in group { try expectOK(response) }
            }
            next = batch.upperBound
        }
        try expectOK(await complete(uploadId))
        return try await waitForUpload(uploadId, until: ctx == nil ? ["complete"] : ["stored"])
    }
}

extension Data {
    /// Deterministic pseudo-random bytes (xorshift), so content is incompressible and reproducible.
    public static func pseudoRandom(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> Data {
        var state = seed == 0 ? 1 : seed
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            var v = state
            for _ in 0..<8 where i < count {
                bytes[i] = UInt8(v & 0xff)
                v >>= 8
                i += 1
            }
        }
        return Data(bytes)
    }
}
