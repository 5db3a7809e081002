import GRDB

/// A user of the emulator's single organization.
struct UserRow: Sendable {
    let id: String
    let name: String
    let email: String
    let isPrimary: Bool

    init(row: Row) {
        id = row["id"]; name = row["name"]; email = row["email"]; isPrimary = (row["is_primary"] as Int) != 0
    }
}

/// A workspace profile.
struct WorkspaceRow: Sendable {
    let id: String
    let folderName: String
    let name: String
    let description: String?
    let ownerId: String
    let permJoin: String
    let permMemberManage: String
    let intelligence: Bool
    let created: Int64
    let updated: Int64

    init(row: Row) {
        id = row["id"]; folderName = row["folder_name"]; name = row["name"]; description = row["description"]
        ownerId = row["owner_id"]; permJoin = row["perm_join"]; permMemberManage = row["perm_member_manage"]
        intelligence = (row["intelligence"] as Int) != 0; created = row["created"]; updated = row["updated"]
    }
}

/// A share profile; `folderNodeId` is set for workspace_folder shares.
struct ShareRow: Sendable {
    let id: String
    let customName: String
    let title: String?
    let description: String?
    let workspaceId: String
    let ownerId: String
    let storageMode: String
    let folderNodeId: String?
    let shareType: String
    let created: Int64
    let updated: Int64

    var isFolderShare: Bool { storageMode == "workspace_folder" }

    init(row: Row) {
        id = row["id"]; customName = row["custom_name"]; title = row["title"]; description = row["description"]
        workspaceId = row["workspace_id"]; ownerId = row["owner_id"]; storageMode = row["storage_mode"]
        folderNodeId = row["folder_node_id"]; shareType = row["share_type"]; created = row["created"]; updated = row["updated"]
    }
}

/// A storage node (file, folder, note or link).
struct NodeRow: Sendable {
    let id: String
    let storageId: String
    let parentId: String
    let name: String
    let type: String
    let size: Int64?
    let blob: String?
    let versionId: String?
    let mimetype: String?
    let mimecategory: String?
    let created: Int64
    let modified: Int64
    let trashed: Int
    let creator: String
    let uploadId: String?
    let targetId: String?

    var isFolder: Bool { type == "folder" }
    var hasContent: Bool { type == "file" || type == "note" }

    /// Decodes by position: rows must come from `SELECT * FROM nodes` / `SELECT nodes.*, …` (schema column order).
    init(row: Row) {
        id = row[0]; storageId = row[1]; parentId = row[2]; name = row[3]; type = row[4]
        size = row[5]; blob = row[6]; versionId = row[7]; mimetype = row[8]
        mimecategory = row[9]; created = row[10]; modified = row[11]
        trashed = row[12]; creator = row[14]; uploadId = row[15]; targetId = row[16]
    }
}

/// An active lock on a node.
struct LockRow: Sendable {
    let nodeId: String
    let userId: String
    let token: String
    let lockedAt: Int64
    let expiresAt: Int64

    init(nodeId: String, userId: String, token: String, lockedAt: Int64, expiresAt: Int64) {
        self.nodeId = nodeId; self.userId = userId; self.token = token; self.lockedAt = lockedAt; self.expiresAt = expiresAt
    }

    init(row: Row) {
        nodeId = row["node_id"]; userId = row["user_id"]; token = row["token"]; lockedAt = row["locked_at"]; expiresAt = row["expires_at"]
    }
}

/// An upload session.
struct UploadRow: Sendable {
    let id: String
    let userId: String
    let name: String
    let size: Int64?
    let status: String
    let statusMessage: String?
    let newFileId: String?
    let instanceId: String?
    let folderId: String?
    let profileType: String?
    let hash: String?
    let hashAlgo: String?
    let stream: Bool
    let maxSize: Int64?
    let action: String
    let fileId: String?
    let blob: String?
    let sha256: String?
    let created: Int64
    let updated: Int64

    init(row: Row) {
        id = row["id"]; userId = row["user_id"]; name = row["name"]; size = row["size"]; status = row["status"]
        statusMessage = row["status_message"]; newFileId = row["new_file_id"]; instanceId = row["instance_id"]
        folderId = row["folder_id"]; profileType = row["profile_type"]; hash = row["hash"]; hashAlgo = row["hash_algo"]
        stream = (row["stream"] as Int) != 0; maxSize = row["max_size"]; action = row["action"]; fileId = row["file_id"]
        blob = row["blob"]; sha256 = row["sha256"]; created = row["created"]; updated = row["updated"]
    }
}
