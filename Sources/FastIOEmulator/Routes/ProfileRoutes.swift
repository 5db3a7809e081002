import Foundation
import GRDB

/// Discovery and profile routes: auth check, user, orgs, workspaces, shares, members.
extension Router {
    func authCheck(_ c: Call) async throws -> Reply {
        let u = try c.me
        return .ok([("id", .string(u.id)), ("email_address", .string(u.email))])
    }

    func userDetails(_ c: Call) async throws -> Reply {
        .ok([("user", ProfileJSON.user(try c.me))])
    }

    func orgsList(_ c: Call) async throws -> Reply {
        .ok([("orgs", [ProfileJSON.org(id: emulator.orgId)]), ("pagination", Pagination.json(total: 1, limit: 100, offset: 0))])
    }

    func orgDetails(_ c: Call, _ org: String) async throws -> Reply {
        guard org == emulator.orgId || org == "emulator" else { throw APIError.notFound("Organization not found.") }
        return .ok([("org", ProfileJSON.org(id: emulator.orgId))])
    }

    func visibleWorkspaces(_ db: Database, user: String) throws -> [WorkspaceRow] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM workspaces WHERE owner_id = ? OR id IN (SELECT profile_id FROM members WHERE user_id = ?)
                ORDER BY created, id
                """, arguments: [user, user]
        ).map(WorkspaceRow.init)
    }

    func workspacesAll(_ c: Call) async throws -> Reply {
        let me = try c.me
        let p = try Pagination.params(c)
        let all = try await db.read { db in try visibleWorkspaces(db, user: me.id) }
        return .ok([("workspaces", .array(Pagination.page(all, p).map { ProfileJSON.workspace($0) })),
                    ("pagination", Pagination.json(total: all.count, limit: p.limit, offset: p.offset))])
    }

    func orgWorkspaces(_ c: Call, org: String) async throws -> Reply {
        guard org == emulator.orgId || org == "emulator" else { throw APIError.notFound("Organization not found.") }
        return try await workspacesAll(c)
    }

    func workspaceDetails(_ c: Call, _ id: String) async throws -> Reply {
        let me = try c.me
        let ws = try await db.read { db in try Access.requireWorkspace(db, id, user: me.id) }
        return .ok([("workspace", ProfileJSON.workspace(ws))])
    }

    func createWorkspace(_ c: Call, org: String) async throws -> Reply {
        let me = try c.me
        guard org == emulator.orgId || org == "emulator" else { throw APIError.notFound("Organization not found.") }
        let folderName = try c.required("folder_name")
        let name = try c.required("name")
        try Validation.folderName(folderName)
        guard (2...100).contains(name.count), !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError.invalid("name must be 2-100 characters", param: "name")
        }
        let ws = try await db.write { db in
            try Profiles.createWorkspace(
                db, folderName: folderName, name: name, description: c.param("description"), owner: me.id,
                permJoin: c.param("perm_join") ?? "Member or above",
                permMemberManage: c.param("perm_member_manage") ?? "Member or above",
                intelligence: c.param("intelligence") == "true")
        }
        return .ok([("workspace", .obj([("id", .string(ws.id)), ("folder_name", .string(ws.folderName))]))])
    }

    func membersList(_ c: Call, kind: String, _ id: String) async throws -> Reply {
        let me = try c.me
        let users = try await db.read { db -> [JSON] in
            let (profileId, ownerId) = try profile(db, kind: kind, id, user: me.id)
            var out: [JSON] = []
            let owner = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [ownerId]).map(UserRow.init)
            if let owner { out.append(member(owner, permissions: "owner")) }
            for row in try Row.fetchAll(
                db, sql: "SELECT u.*, m.permissions AS perm FROM members m JOIN users u ON u.id = m.user_id WHERE m.profile_id = ? ORDER BY m.created",
                arguments: [profileId])
            {
                let u = UserRow(row: row)
                if u.id != ownerId { out.append(member(u, permissions: row["perm"])) }
            }
            return out
        }
        return .ok([("users", .array(users))])
    }

    func member(_ u: UserRow, permissions: String) -> JSON {
        .obj([("id", .string(u.id)), ("account_type", "human"), ("email_address", .string(u.email)),
              ("first_name", .string(u.name)), ("last_name", "Emulator"), ("permissions", .string(permissions)),
              ("invite", "accepted"), ("notify", "Notify me in app"), ("expires", .null)])
    }

    /// (profile id, owner id) of a visible workspace or share.
    func profile(_ db: Database, kind: String, _ id: String, user: String) throws -> (String, String) {
        if kind == "workspace" {
            let ws = try Access.requireWorkspace(db, id, user: user)
            return (ws.id, ws.ownerId)
        }
        let s = try Access.requireShare(db, id, user: user)
        return (s.id, s.ownerId)
    }

    func memberAdd(_ c: Call, kind: String, _ id: String, who: String) async throws -> Reply {
        let me = try c.me
        let permissions = c.param("permissions") ?? "member"
        let role = try Router.assignableRole(permissions)
        let now = Timestamps.nowMicros()
        return try await db.write { db -> Reply in
            let profile = try memberProfile(db, kind: kind, id, user: me.id)
            try profile.requireManage()
            try profile.requireAssign(role)
            let profileId = profile.id
            let target = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ? OR email = ?", arguments: [who, who.lowercased()])
                .map(UserRow.init)
            guard let target else {
                guard who.contains("@") else { throw APIError.notFound("User not found.") }
                let inv = Identifiers.profileId()
                try db.execute(
                    sql: "INSERT INTO invitations(id, profile_id, email, permissions, inviter, created) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [inv, profileId, who, permissions, me.id, now])
                return .ok([("invitation", .obj([
                    ("id", .string(inv)), ("inviter", .string(me.name)), ("invitee_email", .string(who)),
                    ("entity_type", .string(kind)), ("state", "pending"), ("created", .string(Timestamps.plain(now))),
                    ("expires", .string(Timestamps.plain(now + 30 * 86_400 * 1_000_000))),
                ]))])
            }
            if target.id == profile.ownerId { throw APIError.invalid("You cannot create a membership for the owner.") }
            if let current = try Access.memberRole(db, profile: profileId, user: target.id) { try profile.requireAssign(current) }
            try db.execute(
                sql: """
                    INSERT INTO members(profile_id, user_id, permissions, created) VALUES (?, ?, ?, ?)
                    ON CONFLICT(profile_id, user_id) DO UPDATE SET permissions = excluded.permissions
                    """, arguments: [profileId, target.id, role.name, now])
            try ActivityLog.bump(db, channel: profileId, keys: ["members", "member:\(target.id)"], ts: emulator.clock.next())
            return .ok([])
        }
    }

    func memberRemove(_ c: Call, kind: String, _ id: String, who: String) async throws -> Reply {
        let me = try c.me
        return try await db.write { db -> Reply in
            let profile = try memberProfile(db, kind: kind, id, user: me.id)
            let profileId = profile.id
            if who == profile.ownerId { throw APIError.invalid("Cannot remove the owner") }
            try profile.requireManage()
            if let current = try Access.memberRole(db, profile: profileId, user: who) { try profile.requireAssign(current) }
            try db.execute(sql: "DELETE FROM members WHERE profile_id = ? AND user_id = ?", arguments: [profileId, who])
            if kind == "workspace" {
                try db.execute(
                    sql: "DELETE FROM members WHERE user_id = ? AND profile_id IN (SELECT id FROM shares WHERE workspace_id = ?)",
                    arguments: [who, profileId])
            }
            try ActivityLog.bump(db, channel: profileId, keys: ["members", "member:\(who)"], ts: emulator.clock.next())
            return .ok([])
        }
    }

    func createShare(_ c: Call, workspace: String) async throws -> Reply {
        let me = try c.me
        let mode = c.param("storage_mode") ?? "independent"
        guard mode == "independent" || mode == "workspace_folder" else { throw APIError.invalid("Invalid storage_mode", param: "storage_mode") }
        if let title = c.param("title"), !(2...80).contains(title.count) { throw APIError.invalid("title must be 2-80 characters", param: "title") }
        if let cn = c.param("custom_name") { try Validation.customName(cn) }
        let shareType = c.param("share_type") ?? "exchange"
        guard ["send", "receive", "exchange"].contains(shareType) else { throw APIError.invalid("Invalid share_type", param: "share_type") }
        let share = try await db.write { db -> ShareRow in
            let (ws, role) = try Access.requireWorkspaceRole(db, workspace, user: me.id)
            var folder: String?
            if mode == "workspace_folder" {
                let scope = Scope.workspace(ws, role: role, caller: me.id)
                if let raw = c.param("folder_node_id"), !raw.isEmpty {
                    let n = try NodeLookup.liveNode(db, scope, raw)
                    guard n.isFolder else { throw APIError.invalid("folder_node_id is not a folder", param: "folder_node_id") }
                    folder = n.id
                } else if c.flag("create_folder") {
                    try scope.require(.create(.folder))
                    let name = c.param("folder_name") ?? "Shared Folder"
                    let now = emulator.clock.next()
                    let n = try Tree.create(db, storage: ws.id, parent: "root", name: name, type: "folder", content: nil, creator: me.id, now: now)
                    try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: ["root"], event: "folder_created",
                                            objectId: n.id, user: me.id, data: [("name", .string(name))])
                    folder = n.id
                } else {
                    throw APIError.missing("folder_node_id")
                }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM shares WHERE folder_node_id = ?", arguments: [folder]) ?? false {
                    throw APIError.notAcceptable("This folder has already been shared.")
                }
            }
            return try Profiles.createShare(
                db, workspace: ws.id, owner: me.id, customName: c.param("custom_name"), title: c.param("title"),
                description: c.param("description"), mode: mode, folder: folder, shareType: shareType)
        }
        var o: [(String, JSON)] = [("id", .string(share.id)), ("custom_name", .string(share.customName)),
                                   ("storage_mode", .string(share.storageMode)),
                                   ("share_category", .string(share.isFolderShare ? "shared_folder" : "portal"))]
        if let f = share.folderNodeId { o.append(("folder_node_id", .string(Identifiers.display(f)))) }
        return .ok([("share", .object(o))])
    }

    private func visibleShares(_ db: Database, user: String) throws -> [ShareRow] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM shares WHERE owner_id = ? OR id IN (SELECT profile_id FROM members WHERE user_id = ?)
                OR workspace_id IN (SELECT id FROM workspaces WHERE owner_id = ?)
                OR workspace_id IN (SELECT profile_id FROM members WHERE user_id = ?)
                ORDER BY created, id
                """, arguments: [user, user, user, user]
        ).map(ShareRow.init)
    }

    func sharesAll(_ c: Call) async throws -> Reply {
        let me = try c.me
        let p = try Pagination.params(c)
        let orgId = emulator.orgId
        let (items, total) = try await db.read { db -> ([JSON], Int) in
            var all = try visibleShares(db, user: me.id)
            all = try all.filter { s in
                guard s.isFolderShare, let f = s.folderNodeId else { return true }
                return try Bool.fetchOne(db, sql: "SELECT 1 FROM nodes WHERE id = ? AND trashed = 0", arguments: [f]) ?? false
            }
            let page = try Pagination.page(all, p).map { s -> JSON in
                guard let access = try Access.shareAccess(db, s, user: me.id) else { throw APIError.shareDenied }
                return try ProfileJSON.share(db, s, access: access, orgId: orgId)
            }
            return (page, all.count)
        }
        return .ok([("shares", .array(items)), ("pagination", Pagination.json(total: total, limit: p.limit, offset: p.offset))])
    }

    func workspaceShares(_ c: Call, _ id: String) async throws -> Reply {
        let me = try c.me
        let p = try Pagination.params(c)
        let orgId = emulator.orgId
        let (items, total) = try await db.read { db -> ([JSON], Int) in
            let ws = try Access.requireWorkspace(db, id, user: me.id)
            let all = try Row.fetchAll(db, sql: "SELECT * FROM shares WHERE workspace_id = ? ORDER BY created, id", arguments: [ws.id]).map(ShareRow.init)
            let page = try Pagination.page(all, p).map { s -> JSON in
                guard let access = try Access.shareAccess(db, s, user: me.id) else { throw APIError.shareDenied }
                return try ProfileJSON.share(db, s, access: access, orgId: orgId)
            }
            return (page, all.count)
        }
        return .ok([("shares", .array(items)), ("pagination", Pagination.json(total: total, limit: p.limit, offset: p.offset))])
    }

    func shareDetails(_ c: Call, _ id: String) async throws -> Reply {
        let me = try c.me
        let orgId = emulator.orgId
        let json = try await db.read { db in
            let (share, access) = try Access.requireShareAccess(db, id, user: me.id)
            return try ProfileJSON.share(db, share, access: access, orgId: orgId)
        }
        return .ok([("share", json)])
    }
}
