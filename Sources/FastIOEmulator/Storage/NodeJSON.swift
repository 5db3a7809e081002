/// Renders nodes in the API's node object shape (full level by default; `terse` drops version/hash/hash_algo).
/// Invariant: every node carries `origin.creator`.
enum NodeJSON {
    static func render(_ n: NodeRow, scope: Scope, lock: LockRow?, terse: Bool = false) -> JSON {
        var o: [(String, JSON)] = [
            ("id", .string(Identifiers.display(n.id))),
            ("name", .string(n.name)),
            ("type", .string(n.type)),
            ("parent", .string(scope.displayParent(n.parentId))),
        ]
        if n.hasContent {
            o.append(("size", .int(n.size ?? 0)))
            if !terse {
                o.append(("hash", .str(n.blob)))
                o.append(("hash_algo", "sha256"))
                o.append(("version", .str(n.versionId.map(Identifiers.display))))
            }
        }
        if n.type != "folder" {
            o.append(("mimetype", .str(n.mimetype)))
            o.append(("mimecategory", .str(n.mimecategory)))
        }
        o.append(("created", .string(Timestamps.plain(n.created))))
        o.append(("modified", .string(Timestamps.plain(n.modified))))
        o.append(("restricted", false))
        o.append(("dmca", false))
        o.append(("locked", .bool(lock != nil)))
        if let lock {
            o.append(("lock_info", .obj([
                ("locked_at", .string(Timestamps.iso(lock.lockedAt))),
                ("expires_at", .string(Timestamps.iso(lock.expiresAt))),
                ("locker_uid", .string(lock.userId)),
            ])))
        } else {
            o.append(("lock_info", .null))
        }
        if n.trashed != 0 { o.append(("deleted", true)) }
        if n.hasContent {
            o.append(("virus", .obj([("status", "scanned"), ("infected", false)])))
        }
        // Every node names its creator (share `owned` permissions are decided by it); content nodes say `upload`,
        // folders and links `create` (the documents show `origin` on files only).
        o.append(("origin", .obj([
            ("type", n.hasContent ? "upload" : "create"), ("creator", .string(n.creator)),
            ("upload_session_id", .str(n.uploadId)),
        ])))
        if n.hasContent {
            o.append(("previews", .object([])))
            o.append(("ai", .obj([("state", "disabled"), ("attach", false)])))
            o.append(("metadata", .null))
        }
        if n.type == "link" {
            o.append(("target_type", "share"))
            o.append(("target_id", .str(n.targetId)))
        }
        return .object(o)
    }
}
