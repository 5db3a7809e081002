import GRDB

/// Creation of workspaces and shares (shared by routes, the importer and the demo seed).
enum Profiles {
    static func createWorkspace(
        _ db: Database, folderName: String, name: String, description: String?, owner: String, permJoin: String = "Member or above",
        permMemberManage: String = "Member or above", intelligence: Bool = false
    ) throws -> WorkspaceRow {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM workspaces WHERE folder_name = ?", arguments: [folderName]) ?? false {
            throw APIError.notAcceptable("The supplied workspace folder name is already in use.")
        }
        let id = Identifiers.profileId()
        let now = Timestamps.nowMicros()
        try db.execute(
            sql: """
                INSERT INTO workspaces(id, folder_name, name, description, owner_id, perm_join, perm_member_manage, intelligence, created, updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, folderName, name, description, owner, permJoin, permMemberManage, intelligence ? 1 : 0, now, now])
        return try Access.workspace(db, id)!
    }

    static func createShare(
        _ db: Database, workspace: String, owner: String, customName: String?, title: String?, description: String?, mode: String,
        folder: String?, shareType: String = "exchange"
    ) throws -> ShareRow {
        var name = customName ?? ""
        if name.isEmpty {
            repeat { name = "share-" + Identifiers.opaque("6").prefix(12) } while try Access.share(db, name) != nil
        } else if try Bool.fetchOne(db, sql: "SELECT 1 FROM shares WHERE custom_name = ?", arguments: [name]) ?? false {
            throw APIError.notAcceptable("The supplied share custom name is already in use.")
        }
        let id = Identifiers.profileId()
        let now = Timestamps.nowMicros()
        try db.execute(
            sql: """
                INSERT INTO shares(id, custom_name, title, description, workspace_id, owner_id, storage_mode, folder_node_id, share_type, created, updated)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, name, title ?? name, description, workspace, owner, mode, folder, shareType, now, now])
        return try Access.share(db, id)!
    }
}

/// Input validation rules for profile names.
enum Validation {
    static func folderName(_ s: String) throws {
        let ok = !s.isEmpty && s.count <= 100 && s.unicodeScalars.allSatisfy {
            $0 == "-" || $0.properties.isAlphabetic || $0.properties.numericType != nil
        }
        if !ok { throw APIError.invalid("An invalid workspace folder name was supplied.", param: "folder_name") }
    }

    static func customName(_ s: String) throws {
        let ok = (10...100).contains(s.count) && s.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" || $0 == "_")
        }
        if !ok { throw APIError.invalid("An invalid share custom name was supplied.", param: "custom_name") }
    }
}
