import GRDB

/// A storage context: `/workspace/{id}/storage/…` or `/share/{id}/storage/…`, already access-checked.
/// Nodes live in namespace `storageId` (workspace id, or portal share id); a workspace_folder share sees only the
/// subtree under `rootFolder` (its `root`), using the same node ids as the workspace.
/// Invariant: `grant` is what `caller` held when the scope was built; every change goes through `require` first.
struct Scope: Sendable {
    enum Kind: String, Sendable { case workspace, share }
    let kind: Kind
    let profileId: String
    let storageId: String
    let rootFolder: String?
    let workspaceId: String
    let share: ShareRow?
    /// The caller's rights here (`readToken` when a signed read token stands in for the bearer).
    let grant: Grant
    /// The calling user; nil only for read-token requests.
    let caller: String?

    /// The scope of a whole workspace for a caller holding `role` there.
    static func workspace(_ ws: WorkspaceRow, role: Role, caller: String) -> Scope {
        Scope(kind: .workspace, profileId: ws.id, storageId: ws.id, rootFolder: nil, workspaceId: ws.id, share: nil,
              grant: .workspace(role), caller: caller)
    }

    /// 403/1680 APP_DENIED unless the caller's grant permits `action`.
    func require(_ action: StorageAction) throws {
        if case .denied(let message) = AccessRights.decide(grant, action, caller: caller) { throw APIError.denied(message) }
    }

    /// `require(.modify)` for an existing node (its kind and creator).
    func requireModify(_ n: NodeRow) throws {
        try require(.modify(NodeKind(type: n.type), creator: n.creator))
    }

    /// The `parent_id` value that means this scope's root.
    var rootParent: String { rootFolder ?? "root" }

    /// Parent as shown to clients in this scope.
    func displayParent(_ parentId: String) -> String {
        parentId == rootParent || parentId == "root" ? "root" : Identifiers.display(parentId)
    }

    var eventPrefix: String { kind == .workspace ? "workspace_storage_" : "share_storage_" }
}

/// Profile lookups and access checks shared by the route handlers.
/// Invariant: a workspace the caller cannot use is 404/1609 (as if absent); a share that exists but that the
/// caller cannot use is 403/144499; the rights themselves come from `AccessRights` only.
enum Access {
    static func workspace(_ db: Database, _ idOrName: String) throws -> WorkspaceRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM workspaces WHERE id = ? OR folder_name = ?", arguments: [idOrName, idOrName])
            .map(WorkspaceRow.init)
    }

    static func share(_ db: Database, _ idOrName: String) throws -> ShareRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM shares WHERE id = ? OR custom_name = ?", arguments: [idOrName, idOrName])
            .map(ShareRow.init)
    }

    static func isMember(_ db: Database, profile: String, user: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM members WHERE profile_id = ? AND user_id = ?", arguments: [profile, user]) ?? false
    }

    /// The role stored for `user` in `members` of `profile`, nil when not a member. A value that names no role
    /// (the routes never store one) reads as `view`, the least privilege.
    static func memberRole(_ db: Database, profile: String, user: String) throws -> Role? {
        guard let name = try String.fetchOne(db, sql: "SELECT permissions FROM members WHERE profile_id = ? AND user_id = ?",
                                             arguments: [profile, user])
        else { return nil }
        return Role(name: name) ?? .view
    }

    /// The caller's workspace role: owner for `owner_id`, else the membership's, else nil.
    static func workspaceRole(_ db: Database, _ ws: WorkspaceRow, user: String) throws -> Role? {
        ws.ownerId == user ? .owner : try memberRole(db, profile: ws.id, user: user)
    }

    /// The caller's access to a share (its ownership, its membership and the parent workspace's role), or nil.
    static func shareAccess(_ db: Database, _ share: ShareRow, user: String) throws -> ShareAccess? {
        let wsRole = try workspace(db, share.workspaceId).flatMap { try workspaceRole(db, $0, user: user) }
        return ShareAccess.resolve(isShareOwner: share.ownerId == user, shareMember: try memberRole(db, profile: share.id, user: user),
                                   workspaceRole: wsRole, type: ShareType(stored: share.shareType))
    }

    static func canUseWorkspace(_ db: Database, _ ws: WorkspaceRow, user: String) throws -> Bool {
        try workspaceRole(db, ws, user: user) != nil
    }

    static func canUseShare(_ db: Database, _ share: ShareRow, user: String) throws -> Bool {
        try shareAccess(db, share, user: user) != nil
    }

    /// Visible workspace or 404.
    static func requireWorkspace(_ db: Database, _ idOrName: String, user: String) throws -> WorkspaceRow {
        try requireWorkspaceRole(db, idOrName, user: user).0
    }

    /// Visible workspace and the caller's role there, or 404.
    static func requireWorkspaceRole(_ db: Database, _ idOrName: String, user: String) throws -> (WorkspaceRow, Role) {
        guard let ws = try workspace(db, idOrName), let role = try workspaceRole(db, ws, user: user) else {
            throw APIError.notFound("Workspace not found.")
        }
        return (ws, role)
    }

    /// Existing share the caller can use, or 404 (no such share) / 403/144499 (no access).
    static func requireShare(_ db: Database, _ idOrName: String, user: String) throws -> ShareRow {
        try requireShareAccess(db, idOrName, user: user).0
    }

    /// Existing share and the caller's access to it, or 404 (no such share) / 403/144499 (no access).
    static func requireShareAccess(_ db: Database, _ idOrName: String, user: String) throws -> (ShareRow, ShareAccess) {
        guard let s = try share(db, idOrName) else { throw APIError.notFound("Share not found.") }
        guard let access = try shareAccess(db, s, user: user) else { throw APIError.shareDenied }
        return (s, access)
    }

    /// Builds the storage scope for a route prefix; `user` nil means a read token already vouched for access.
    static func scope(_ db: Database, kind: String, idOrName: String, user: String?) throws -> Scope {
        if kind == "workspace" {
            if let user {
                let (ws, role) = try requireWorkspaceRole(db, idOrName, user: user)
                return Scope.workspace(ws, role: role, caller: user)
            }
            guard let ws = try workspace(db, idOrName) else { throw APIError.notFound("Workspace not found.") }
            return Scope(kind: .workspace, profileId: ws.id, storageId: ws.id, rootFolder: nil, workspaceId: ws.id, share: nil,
                         grant: .readToken, caller: nil)
        }
        let s: ShareRow
        let grant: Grant
        if let user {
            let (row, access) = try requireShareAccess(db, idOrName, user: user)
            s = row
            grant = .share(access)
        } else {
            guard let x = try share(db, idOrName) else { throw APIError.notFound("Share not found.") }
            s = x
            grant = .readToken
        }
        if s.isFolderShare {
            guard let folder = s.folderNodeId,
                  try Bool.fetchOne(db, sql: "SELECT 1 FROM nodes WHERE id = ? AND trashed = 0", arguments: [folder]) ?? false
            else { throw APIError.notFound("The shared folder no longer exists (orphaned share).") }
            return Scope(kind: .share, profileId: s.id, storageId: s.workspaceId, rootFolder: folder, workspaceId: s.workspaceId, share: s,
                         grant: grant, caller: user)
        }
        return Scope(kind: .share, profileId: s.id, storageId: s.id, rootFolder: nil, workspaceId: s.workspaceId, share: s,
                     grant: grant, caller: user)
    }
}
