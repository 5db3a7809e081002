import GRDB

/// A storage context: `/workspace/{id}/storage/…` or `/share/{id}/storage/…`, already access-checked.
/// Nodes live in namespace `storageId` (workspace id, or portal share id); a workspace_folder share sees only the
/// subtree under `rootFolder` (its `root`), using the same node ids as the workspace.
struct Scope: Sendable {
    enum Kind: String, Sendable { case workspace, share }
    let kind: Kind
    let profileId: String
    let storageId: String
    let rootFolder: String?
    let workspaceId: String
    let share: ShareRow?

    /// The `parent_id` value that means this scope's root.
    var rootParent: String { rootFolder ?? "root" }

    /// Parent as shown to clients in this scope.
    func displayParent(_ parentId: String) -> String {
        parentId == rootParent || parentId == "root" ? "root" : Identifiers.display(parentId)
    }

    var eventPrefix: String { kind == .workspace ? "workspace_storage_" : "share_storage_" }
}

/// Profile lookups and access checks shared by the route handlers.
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

    static func canUseWorkspace(_ db: Database, _ ws: WorkspaceRow, user: String) throws -> Bool {
        ws.ownerId == user ? true : try isMember(db, profile: ws.id, user: user)
    }

    static func canUseShare(_ db: Database, _ share: ShareRow, user: String) throws -> Bool {
        if try share.ownerId == user || isMember(db, profile: share.id, user: user) { return true }
        if let ws = try workspace(db, share.workspaceId) { return try canUseWorkspace(db, ws, user: user) }
        return false
    }

    /// Visible workspace or 404.
    static func requireWorkspace(_ db: Database, _ idOrName: String, user: String) throws -> WorkspaceRow {
        guard let ws = try workspace(db, idOrName), try canUseWorkspace(db, ws, user: user) else {
            throw APIError.notFound("Workspace not found.")
        }
        return ws
    }

    static func requireShare(_ db: Database, _ idOrName: String, user: String) throws -> ShareRow {
        guard let s = try share(db, idOrName), try canUseShare(db, s, user: user) else { throw APIError.notFound("Share not found.") }
        return s
    }

    /// Builds the storage scope for a route prefix; `user` nil means a read token already vouched for access.
    static func scope(_ db: Database, kind: String, idOrName: String, user: String?) throws -> Scope {
        if kind == "workspace" {
            let ws: WorkspaceRow
            if let user { ws = try requireWorkspace(db, idOrName, user: user) } else {
                guard let w = try workspace(db, idOrName) else { throw APIError.notFound("Workspace not found.") }
                ws = w
            }
            return Scope(kind: .workspace, profileId: ws.id, storageId: ws.id, rootFolder: nil, workspaceId: ws.id, share: nil)
        }
        let s: ShareRow
        if let user { s = try requireShare(db, idOrName, user: user) } else {
            guard let x = try share(db, idOrName) else { throw APIError.notFound("Share not found.") }
            s = x
        }
        if s.isFolderShare {
            guard let folder = s.folderNodeId,
                  try Bool.fetchOne(db, sql: "SELECT 1 FROM nodes WHERE id = ? AND trashed = 0", arguments: [folder]) ?? false
            else { throw APIError.notFound("The shared folder no longer exists (orphaned share).") }
            return Scope(kind: .share, profileId: s.id, storageId: s.workspaceId, rootFolder: folder, workspaceId: s.workspaceId, share: s)
        }
        return Scope(kind: .share, profileId: s.id, storageId: s.id, rootFolder: nil, workspaceId: s.workspaceId, share: s)
    }
}
