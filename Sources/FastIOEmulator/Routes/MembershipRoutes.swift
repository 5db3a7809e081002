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
