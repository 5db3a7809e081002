import GRDB

/// Self-service membership and discovery extras: member details, leave, joinable workspaces, name availability.
extension Router {
    /// GET `workspace|share/{id}/member/{user_id}/details/`: `member` (workspace) or `user` (share), as documented.
    func memberDetails(_ c: Call, kind: String, _ id: String, member who: String) async throws -> Reply {
        let me = try c.me
        let json = try await db.read { db -> JSON in
            let (profileId, ownerId) = try profile(db, kind: kind, id, user: me.id)
            guard let u = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ? OR email = ?", arguments: [who, who.lowercased()])
                .map(UserRow.init)
            else { throw APIError.invalid("The membership you specified does not exist.") }
            if u.id == ownerId { return member(u, permissions: "owner") }
            guard let perm = try String.fetchOne(db, sql: "SELECT permissions FROM members WHERE profile_id = ? AND user_id = ?",
                                                 arguments: [profileId, u.id])
            else { throw APIError.invalid("The membership you specified does not exist.") }
            return member(u, permissions: perm)
        }
        return .ok([(kind == "workspace" ? "member" : "user", json)])
    }

    /// POST `workspace|share/{id}/member/{user_id}/update/` with `permissions` (admin, member, guest, view): the
    /// caller must be owner or admin of the profile (403/1680), the target a member (400/1605), and neither the
    /// target's current nor its new role may exceed the caller's (400/1605). Bumps `members` and `member:<id>`.
    func memberUpdate(_ c: Call, kind: String, _ id: String, member who: String) async throws -> Reply {
        let me = try c.me
        let role = try c.param("permissions").flatMap { $0.isEmpty ? nil : $0 }.map(Router.assignableRole)
        return try await db.write { db -> Reply in
            let profile = try memberProfile(db, kind: kind, id, user: me.id)
            guard AccessRights.isOwnerOrAdmin(profile.callerRole) else {
                throw APIError.denied("You do not have permission to manage the members of this \(kind).")
            }
            guard let u = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ? OR email = ?", arguments: [who, who.lowercased()])
                .map(UserRow.init), u.id != profile.ownerId,
                let current = try Access.memberRole(db, profile: profile.id, user: u.id)
            else { throw APIError.invalid("The membership you specified does not exist.") }
            try profile.requireAssign(current)
            guard let role else { return .ok([]) }
            try profile.requireAssign(role)
            try db.execute(sql: "UPDATE members SET permissions = ? WHERE profile_id = ? AND user_id = ?", arguments: [role.name, profile.id, u.id])
            try ActivityLog.bump(db, channel: profile.id, keys: ["members", "member:\(u.id)"], ts: emulator.clock.next())
            return .ok([])
        }
    }

    /// The role a member route may store: admin, member, guest or view; `owner` and anything else → 400/1605.
    static func assignableRole(_ permissions: String) throws -> Role {
        guard let role = Role(name: permissions), role != .owner, permissions == permissions.lowercased() else {
            if permissions.lowercased() == "owner" { throw APIError.invalid("Adding a member as an owner is not allowed", param: "permissions") }
            throw APIError.invalid("Invalid permissions", param: "permissions")
        }
        return role
    }

    /// A workspace or share addressed by a member route, with the caller's role there.
    /// Invariant: built only by `memberProfile`, after the visibility check (404 workspace, 403/144499 share).
    struct MemberProfile {
        let kind: String
        let id: String
        let ownerId: String
        let callerRole: Role
        /// The workspace's `perm_member_manage`; nil for shares (owner/admin only).
        let permMemberManage: String?

        /// 403/1680 unless the caller may add or remove members here.
        func requireManage() throws {
            let allowed = permMemberManage.map { AccessRights.mayManageWorkspaceMembers(callerRole, permMemberManage: $0) }
                ?? AccessRights.isOwnerOrAdmin(callerRole)
            if !allowed { throw APIError.denied("You do not have permission to manage the members of this \(kind).") }
        }

        /// 400/1605 when `role` is above the caller's own.
        func requireAssign(_ role: Role) throws {
            if !AccessRights.mayAssign(role, by: callerRole) {
                throw APIError.invalid("You cannot add, update, or delete a membership with a higher permission than your own.",
                                       param: "permissions")
            }
        }
    }

    func memberProfile(_ db: Database, kind: String, _ id: String, user: String) throws -> MemberProfile {
        if kind == "workspace" {
            let (ws, role) = try Access.requireWorkspaceRole(db, id, user: user)
            return MemberProfile(kind: kind, id: ws.id, ownerId: ws.ownerId, callerRole: role, permMemberManage: ws.permMemberManage)
        }
        let (s, access) = try Access.requireShareAccess(db, id, user: user)
        return MemberProfile(kind: kind, id: s.id, ownerId: s.ownerId, callerRole: access.role, permMemberManage: nil)
    }

    /// DELETE `workspace|share/{id}/member/`: the caller leaves (owners cannot; non-members get 400).
    func leave(_ c: Call, kind: String, _ id: String) async throws -> Reply {
        let me = try c.me
        return try await db.write { db -> Reply in
            let (profileId, ownerId) = try profile(db, kind: kind, id, user: me.id)
            if ownerId == me.id {
                throw APIError.invalid("You cannot leave a \(kind) you are the owner of, transfer ownership or close \(kind).")
            }
            guard try Access.isMember(db, profile: profileId, user: me.id) else {
                throw APIError.invalid("You cannot leave a \(kind) you are not a member of.")
            }
            try db.execute(sql: "DELETE FROM members WHERE profile_id = ? AND user_id = ?", arguments: [profileId, me.id])
            if kind == "workspace" {
                try db.execute(
                    sql: "DELETE FROM members WHERE user_id = ? AND profile_id IN (SELECT id FROM shares WHERE workspace_id = ?)",
                    arguments: [me.id, profileId])
            }
            try ActivityLog.bump(db, channel: profileId, keys: ["members", "member:\(me.id)"], ts: emulator.clock.next())
            return .ok([])
        }
    }

    /// GET `workspaces/available/`: workspaces of the org the caller has not joined (`user_status:"available"`).
    func workspacesAvailable(_ c: Call) async throws -> Reply {
        let me = try c.me
        let p = try Pagination.params(c)
        let all = try await db.read { db -> [WorkspaceRow] in
            let joined = Set(try visibleWorkspaces(db, user: me.id).map(\.id))
            return try Row.fetchAll(db, sql: "SELECT * FROM workspaces ORDER BY created, id").map(WorkspaceRow.init)
                .filter { !joined.contains($0.id) }
        }
        return .ok([("workspaces", .array(Pagination.page(all, p).map { ProfileJSON.workspace($0, userStatus: "available") })),
                    ("pagination", Pagination.json(total: all.count, limit: p.limit, offset: p.offset))])
    }

    /// GET `workspaces/check/name/{name}/`: 202 when free, 406 when taken, 400 when invalid.
    func checkWorkspaceName(_ c: Call, _ name: String) async throws -> Reply {
        try Validation.folderName(name)
        let taken = try await db.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM workspaces WHERE folder_name = ?", arguments: [name]) ?? false
        }
        if taken { throw APIError.notAcceptable("The supplied workspace folder name is already in use.") }
        return .json(.accepted, [], wrappable: true)
    }

    /// GET `shares/check/name/{name}/`: 202 when free, 406 when taken, 400 when invalid.
    func checkShareName(_ c: Call, _ name: String) async throws -> Reply {
        do { try Validation.customName(name) } catch { throw APIError.invalid("An invalid share name was supplied.") }
        let taken = try await db.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM shares WHERE custom_name = ?", arguments: [name]) ?? false
        }
        if taken { throw APIError.notAcceptable("The supplied share name is already in use.") }
        return .json(.accepted, [], wrappable: true)
    }
}
