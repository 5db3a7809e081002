import GRDB

/// Tree mutations inside one write transaction: create, version, trash/restore/purge, copy.
/// Invariant: a folder never holds two live nodes with the same name (checked here, backed by a unique index).
enum Tree {
    struct Content: Sendable {
        let blob: String
        let size: Int64
        let uploadId: String?
    }

    @discardableResult
    static func create(
        _ db: Database, storage: String, parent: String, name: String, type: String, content: Content?, creator: String,
        targetId: String? = nil, now: Int64
    ) throws -> NodeRow {
        try NodeLookup.validateName(name)
        try NodeLookup.requireFreeName(db, storage: storage, parent: parent, name: name)
        let id = Identifiers.opaque("2")
        let mime = type == "note" ? ("text/markdown", "text") : MimeTypes.lookup(name)
        let version = content != nil ? Identifiers.opaque("3") : nil
        try db.cachedStatement(
            sql: """
                INSERT INTO nodes(id, storage_id, parent_id, name, type, size, blob, version_id, mimetype, mimecategory,
                    created, modified, trashed, creator, upload_id, target_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
                """
        ).execute(
            arguments: [
                id, storage, parent, name, type, content?.size, content?.blob, version,
                type == "folder" ? nil : mime.0, type == "folder" ? nil : mime.1, now, now, creator, content?.uploadId, targetId,
            ])
        if let content, let version {
            try db.cachedStatement(
                sql: "INSERT INTO versions(id, node_id, number, created, operation, size, hash, name, blob) VALUES (?, ?, 1, ?, 'create', ?, ?, ?, ?)"
            ).execute(arguments: [version, id, now, content.size, content.blob, name, content.blob])
        }
        try touch(db, parent, now: now)
        return try NodeLookup.fetch(db, id)!
    }

    /// Folder `modified` follows changes of its direct children.
    static func touch(_ db: Database, _ folder: String, now: Int64) throws {
        if folder != "root" { try db.cachedStatement(sql: "UPDATE nodes SET modified = ? WHERE id = ?").execute(arguments: [now, folder]) }
    }

    /// Replaces a file's content with a new version; returns the new version id.
    @discardableResult
    static func newVersion(_ db: Database, _ node: NodeRow, content: Content, operation: String, name: String? = nil, now: Int64) throws -> String {
        let version = Identifiers.opaque("3")
        let number = (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM versions WHERE node_id = ?", arguments: [node.id]) ?? 0) + 1
        let finalName = name ?? node.name
        try db.execute(
            sql: "INSERT INTO versions(id, node_id, number, created, operation, size, hash, name, blob) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [version, node.id, number, now, operation, content.size, content.blob, finalName, content.blob])
        try db.execute(
            sql: "UPDATE nodes SET blob = ?, size = ?, version_id = ?, modified = ?, name = ?, upload_id = COALESCE(?, upload_id) WHERE id = ?",
            arguments: [content.blob, content.size, version, now, finalName, content.uploadId, node.id])
        try touch(db, node.parentId, now: now)
        return version
    }

    /// Ids of all descendants of `id` whose trash state is `state`, following only such nodes.
    static func descendants(_ db: Database, of id: String, state: Int) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                WITH RECURSIVE sub(id) AS (
                    SELECT id FROM nodes WHERE parent_id = ? AND trashed = ?
                    UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id WHERE n.trashed = ?)
                SELECT id FROM sub
                """, arguments: [id, state, state])
    }

    static func trash(_ db: Database, _ node: NodeRow, now: Int64) throws {
        for d in try descendants(db, of: node.id, state: 0) {
            try db.execute(sql: "UPDATE nodes SET trashed = 2 WHERE id = ?", arguments: [d])
        }
        try db.execute(sql: "UPDATE nodes SET trashed = 1, trashed_at = ?, modified = ? WHERE id = ?", arguments: [now, now, node.id])
        try db.execute(sql: "DELETE FROM locks WHERE node_id = ?", arguments: [node.id])
        try touch(db, node.parentId, now: now)
    }

    static func restore(_ db: Database, _ node: NodeRow, now: Int64) throws {
        if node.parentId != "root" {
            guard let p = try NodeLookup.fetch(db, node.parentId), p.trashed == 0 else {
                throw APIError.invalid("The original parent folder is in the trash or gone; restore it first.")
            }
        }
        try NodeLookup.requireFreeName(db, storage: node.storageId, parent: node.parentId, name: node.name)
        let subtree = try descendants(db, of: node.id, state: 2)
        try db.execute(sql: "UPDATE nodes SET trashed = 0, trashed_at = NULL, modified = ? WHERE id = ?", arguments: [now, node.id])
        for d in subtree { try db.execute(sql: "UPDATE nodes SET trashed = 0 WHERE id = ?", arguments: [d]) }
        try touch(db, node.parentId, now: now)
    }

    /// Permanently removes a node and everything below it; returns the blob hashes its versions used, to be handed
    /// to `Emulator.collectBlobs` once this transaction has committed.
    @discardableResult
    static func purge(_ db: Database, _ id: String) throws -> Set<String> {
        let all = try String.fetchAll(
            db,
            sql: """
                WITH RECURSIVE sub(id) AS (SELECT ? UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id)
                SELECT id FROM sub
                """, arguments: [id])
        let blobs = try BlobGarbage.blobs(ofNodes: all, db)
        for n in all {
            try db.execute(sql: "DELETE FROM nodes WHERE id = ?", arguments: [n])
            try db.execute(sql: "DELETE FROM versions WHERE node_id = ?", arguments: [n])
            try db.execute(sql: "DELETE FROM locks WHERE node_id = ?", arguments: [n])
        }
        return blobs
    }

    /// Recursive copy with new ids (content shared by hash); returns the new top node.
    static func copy(_ db: Database, _ node: NodeRow, to parent: String, name: String? = nil, creator: String, now: Int64) throws -> NodeRow {
        let content = node.hasContent ? Content(blob: node.blob ?? "", size: node.size ?? 0, uploadId: node.uploadId) : nil
        let copy = try create(
            db, storage: node.storageId, parent: parent, name: name ?? node.name, type: node.type, content: content,
            creator: creator, targetId: node.targetId, now: now)
        if node.isFolder {
            let children = try Row.fetchAll(db, sql: "SELECT * FROM nodes WHERE parent_id = ? AND trashed = 0", arguments: [node.id]).map(NodeRow.init)
            for child in children { _ = try Tree.copy(db, child, to: copy.id, creator: creator, now: now) }
        }
        return copy
    }

    /// `name (1)`, `name (2)`, … keeping the extension: the first free variant of `name` in `parent`.
    static func freeName(_ db: Database, storage: String, parent: String, name: String) throws -> String {
        if try NodeLookup.nameTaken(db, storage: storage, parent: parent, name: name) == nil { return name }
        var base = name
        var ext = ""
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            base = String(name[..<dot]); ext = String(name[dot...])
        }
        for i in 1..<10_000 {
            let candidate = "\(base) (\(i))\(ext)"
            if try NodeLookup.nameTaken(db, storage: storage, parent: parent, name: candidate) == nil { return candidate }
        }
        throw APIError.invalid("Could not find a free name.")
    }
}
