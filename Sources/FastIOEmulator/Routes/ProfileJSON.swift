import GRDB

/// JSON shapes of users, orgs, workspaces, shares and offset pagination.
enum ProfileJSON {
    static func user(_ u: UserRow) -> JSON {
        .obj([
            ("id", .string(u.id)), ("profile_id", .string(u.id)), ("account_type", "human"),
            ("email_address", .string(u.email)), ("first_name", .string(u.name)), ("last_name", "Emulator"),
            ("display_name", .string(u.name)),
        ])
    }

    static func org(id: String) -> JSON {
        .obj([
            ("id", .string(id)), ("domain", "emulator"), ("name", "Emulator Org"), ("description", .null),
            ("closed", false), ("suspended", false), ("user_status", "joined"), ("perm_member_manage", "Member or above"),
        ])
    }

    static func workspace(_ w: WorkspaceRow, userStatus: String = "joined") -> JSON {
        .obj([
            ("id", .string(w.id)), ("name", .string(w.name)), ("folder_name", .string(w.folderName)),
            ("description", .str(w.description)), ("accent_color", .null), ("logo", .null), ("closed", false),
            ("archived", false), ("perm_join", .string(w.permJoin)), ("perm_member_manage", .string(w.permMemberManage)),
            ("intelligence", .bool(w.intelligence)), ("created", .string(Timestamps.plain(w.created))),
            ("updated", .string(Timestamps.plain(w.updated))), ("user_status", .string(userStatus)),
            ("org_domain", "emulator"), ("owner", .string(w.ownerId)),
        ])
    }

    /// A share as `user` sees it: `share_level` and `filesystem` come from the caller's `access`.
    static func share(_ db: Database, _ s: ShareRow, access: ShareAccess, orgId: String) throws -> JSON {
        let orphaned: Bool
        if let f = s.folderNodeId, s.isFolderShare {
            orphaned = !(try Bool.fetchOne(db, sql: "SELECT 1 FROM nodes WHERE id = ? AND trashed = 0", arguments: [f]) ?? false)
        } else {
            orphaned = false
        }
        return .obj([
            ("id", .string(s.id)), ("title", .str(s.title)), ("description", .str(s.description)),
            ("share_type", .string(s.shareType)), ("custom_name", .string(s.customName)),
            ("storage_mode", .string(s.storageMode)), ("share_category", .string(s.isFolderShare ? "shared_folder" : "portal")),
            ("closed", false), ("archived", false), ("share_level", .string(access.level.rawValue)), ("download_enabled", true),
            ("download_security", "off"),
            ("filesystem", access.filesystem.json),
            ("activity_tracking", .obj([("enabled", true), ("owner_activity", true), ("guest_activity", true), ("own_activity", true),
                                        ("all_upload_activity", false)])),
            ("comments", .obj([("enabled", false), ("owner_comments_visible", true), ("guest_comments_visible", true),
                               ("personal_replies_visible", true), ("owner_replies_visible", true)])),
            ("event_flow", .obj([("enabled", true), ("can_see_own_events", true), ("can_see_owner_events", true),
                                 ("can_see_guest_events", true)])),
            ("multiplayer", .obj([("enabled_for_user", true), ("enabled_for_owners", true), ("enabled_for_guests", true),
                                  ("owners_can_see_guests", true), ("guests_can_see_owners", true)])),
            ("member_visibility", .obj([("user_can_see_members", true), ("owners_can_see_members", true), ("guests_can_see_members", true)])),
            ("invite", .obj([("setting", "owners_only"), ("can_invite", .bool(AccessRights.isOwnerOrAdmin(access.role)))])),
            ("capabilities", .obj([("can_archive", .bool(!s.isFolderShare)), ("can_set_expiration", .bool(!s.isFolderShare))])),
            ("parent_type", "workspace"), ("parent_workspace", .string(s.workspaceId)), ("parent_org", .string(orgId)),
            ("created", .string(Timestamps.plain(s.created))), ("updated", .string(Timestamps.plain(s.updated))),
            ("expires", .null), ("folder_node_id", .str(s.folderNodeId.map(Identifiers.display))),
            ("is_orphaned", .bool(orphaned)), ("user_status", "joined"),
        ])
    }
}

/// Offset pagination `{total, limit, offset, has_more}` (limit 1-500, default 100).
enum Pagination {
    static func json(total: Int, limit: Int, offset: Int) -> JSON {
        .obj([("total", .int(Int64(total))), ("limit", .int(Int64(limit))), ("offset", .int(Int64(offset))),
              ("has_more", .bool(offset + limit < total))])
    }

    static func params(_ c: Call, maxLimit: Int = 500) throws -> (limit: Int, offset: Int) {
        let limit = try c.int("limit") ?? 100
        let offset = try c.int("offset") ?? 0
        guard (1...maxLimit).contains(limit) else { throw APIError.invalid("limit must be 1-\(maxLimit)", param: "limit") }
        guard offset >= 0 else { throw APIError.invalid("offset must be >= 0", param: "offset") }
        return (limit, offset)
    }

    static func page<T>(_ items: [T], _ p: (limit: Int, offset: Int)) -> [T] {
        Array(items.dropFirst(p.offset).prefix(p.limit))
    }
}
