import Foundation
import Glibc

/// Storage mutations, notes and locks of `FastIOWriteAPI`.
extension FastIOClient: FastIOWriteAPI {
    func storagePath(_ profile: StorageProfile, _ nodeID: String, _ action: String) -> String {
        "\(profile.pathPrefix)/storage/\(Self.nodeSegment(nodeID))/\(action)/"
    }

    /// The node in a mutation's answer (`node`, `note`, or the payload itself).
    func node(in payload: JSONValue, route: String) throws -> RemoteNode {
        try decodedNode(payload["node"] ?? payload["note"] ?? payload, route: route)
    }

    public func createFolder(_ profile: StorageProfile, parentID: String, name: String) throws -> RemoteNode {
        let route = "POST storage/createfolder"
        let payload = try call(APIRequest(.post, storagePath(profile, parentID, "createfolder"), route: route,
                                          form: [("name", name)], idempotent: true))
        return try node(in: payload, route: route)
    }

    public func rename(_ profile: StorageProfile, nodeID: String, to newName: String) throws -> RemoteNode {
        let route = "POST storage/update"
        do {
            let payload = try call(APIRequest(.post, storagePath(profile, nodeID, "update"), route: route,
                                              form: [("name", newName)], idempotent: true))
            return try node(in: payload, route: route)
        } catch let error as FastIOError where error.isInvalidInput {
            throw error.with(errno: EEXIST)
        }
    }

    public func replaceContent(_ profile: StorageProfile, nodeID: String, uploadID: String,
                               newName: String?) throws -> RemoteNode {
        let route = "POST storage/update"
        let from = #"{"type":"upload","upload":{"id":"\#(OpaqueID.canonical(uploadID))"}}"#
        var form = [("from", from)]
        if let newName { form.append(("name", newName)) }
        let payload = try call(APIRequest(.post, storagePath(profile, nodeID, "update"), route: route, form: form,
                                          idempotent: false))
        return try node(in: payload, route: route)
    }

    public func move(_ profile: StorageProfile, nodeID: String, toParentID: String) throws {
        _ = try call(APIRequest(.post, storagePath(profile, nodeID, "move"), route: "POST storage/move",
                                form: [("parent", OpaqueID.canonical(toParentID))], idempotent: true))
    }

    public func delete(_ profile: StorageProfile, nodeID: String) throws {
        _ = try call(APIRequest(.delete, storagePath(profile, nodeID, "delete"), route: "DELETE storage/delete",
                                idempotent: true), acceptAfterRetry: [404])
    }

    // MARK: - Locks

    public func acquireLock(_ profile: StorageProfile, nodeID: String, durationSeconds: Int,
                            clientInfo: LockClientInfo?) throws -> LockGrant {
        let route = "POST storage/lock"
        let duration = min(max(durationSeconds, 60), 3600)
        var form = [("duration", String(duration))]
        if let clientInfo { form.append(("client_info", clientInfo.jsonText)) }
        // Repeatable by its user: 409 is only for another user's lock (facts.md §7), so a repeat after an
        // attempt lost to a 5xx or a reset answers a lock we hold (the emulator: the same token).
        let payload = try call(APIRequest(.post, storagePath(profile, nodeID, "lock"), route: route,
                                          form: form, idempotent: true))
        let grant = payload["lock"] ?? payload
        guard let token = grant["lock_token"]?.stringValue, !token.isEmpty else {
            throw FastIOError(kind: .invalidResponse, message: "lock answer has no lock_token", route: route)
        }
        return LockGrant(lockToken: token, expiresAt: APITimestamp.parse(grant["expires_at"]))
    }

    public func heartbeatLock(_ profile: StorageProfile, nodeID: String, lockToken: String) throws -> Date? {
        let payload = try call(APIRequest(.post, storagePath(profile, nodeID, "lock/heartbeat"),
                                          route: "POST storage/lock/heartbeat", query: [("lock_token", lockToken)],
                                          form: [("lock_token", lockToken)], idempotent: true))
        return APITimestamp.parse(payload["expires_at"] ?? payload["lock"]?["expires_at"])
    }

    public func releaseLock(_ profile: StorageProfile, nodeID: String, lockToken: String) throws {
        _ = try call(APIRequest(.delete, storagePath(profile, nodeID, "lock"), route: "DELETE storage/lock",
                                query: [("lock_token", lockToken)], form: [("lock_token", lockToken)],
                                idempotent: true), acceptAfterRetry: [404])
    }

    // MARK: - Notes

    public func createNote(_ profile: StorageProfile, parentID: String, name: String, content: String) throws -> RemoteNode {
        let route = "POST storage/createnote"
        do {
            let payload = try call(APIRequest(.post, storagePath(profile, parentID, "createnote"), route: route,
                                              form: [("name", name), ("content", content)], idempotent: false))
            return try node(in: payload, route: route)
        } catch let error as FastIOError where error.isInvalidInput {
            throw error.with(errno: EEXIST)
        }
    }

    public func updateNote(_ profile: StorageProfile, nodeID: String, name: String?, content: String?,
                           ifVersionID: String?) throws -> RemoteNode {
        let route = "POST storage/updatenote"
        var form: [(String, String)] = []
        if let name { form.append(("name", name)) }
        if let content { form.append(("content", content)) }
        if let ifVersionID { form.append(("if_version_id", OpaqueID.canonical(ifVersionID))) }
        let payload = try call(APIRequest(.post, storagePath(profile, nodeID, "updatenote"), route: route, form: form,
                                          idempotent: ifVersionID == nil))
        return try node(in: payload, route: route)
    }
}
