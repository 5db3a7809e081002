import GRDB

/// Resolution of node ids in a scope: `root`, canonical or hyphenated OpaqueIds, subtree confinement.
enum NodeLookup {
    static func fetch(_ db: Database, _ id: String) throws -> NodeRow? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM nodes WHERE id = ?"), arguments: [id]).map(NodeRow.init)
    }

    /// True if `id` lies strictly below `folder` (following parents).
    static func isInside(_ db: Database, _ id: String, folder: String) throws -> Bool {
        var current = id
        for _ in 0..<10_000 {
            guard let parent = try String.fetchOne(db, sql: "SELECT parent_id FROM nodes WHERE id = ?", arguments: [current]) else { return false }
            if parent == folder { return true }
            if parent == "root" { return false }
            current = parent
        }
        return false
    }

    /// The node with this id in the scope (any trash state), or 404.
    static func node(_ db: Database, _ scope: Scope, _ raw: String) throws -> NodeRow {
        guard let id = Identifiers.canonical(raw), id != "root", id != "trash" else {
            if raw.lowercased() == "root" { throw APIError.invalid("The root folder cannot be used here.") }
            throw APIError.notFound("Node not found.")
        }
        guard let n = try fetch(db, id), n.storageId == scope.storageId else { throw APIError.notFound("Node not found.") }
        if let root = scope.rootFolder, try n.id == root || !isInside(db, n.id, folder: root) {
            throw APIError.notFound("Node not found.")
        }
        return n
    }

    /// A live (not trashed) node, or 404.
    static func liveNode(_ db: Database, _ scope: Scope, _ raw: String) throws -> NodeRow {
        let n = try node(db, scope, raw)
        if n.trashed != 0 { throw APIError.notFound("Node is in the trash.") }
        return n
    }

    /// The live node with this id in the scope, or nil when there is none (the same rules as `liveNode`, without
    /// the 404).
    static func liveNodeIfVisible(_ db: Database, _ scope: Scope, _ raw: String) throws -> NodeRow? {
        guard let id = Identifiers.canonical(raw), id != "root", id != "trash", let n = try fetch(db, id),
              n.storageId == scope.storageId, n.trashed == 0
        else { return nil }
        if let root = scope.rootFolder, try n.id == root || !isInside(db, n.id, folder: root) { return nil }
        return n
    }

    /// Resolves a folder reference to the `parent_id` value to store (`root` maps to the scope root).
    static func folder(_ db: Database, _ scope: Scope, _ raw: String) throws -> String {
        if raw.lowercased() == "root" { return scope.rootParent }
        if let root = scope.rootFolder, Identifiers.canonical(raw) == root { return root }
        let n = try liveNode(db, scope, raw)
        guard n.isFolder else { throw APIError.invalid("The parent node is not a folder.") }
        return n.id
    }

    /// Path of a folder relative to the scope root, e.g. `/a/b`.
    static func path(_ db: Database, _ scope: Scope, folder: String) throws -> String {
        var names: [String] = []
        var current = folder
        while current != scope.rootParent && current != "root" {
            guard let n = try fetch(db, current) else { break }
            names.append(n.name)
            current = n.parentId
        }
        return "/" + names.reversed().joined(separator: "/")
    }

    static func lock(_ db: Database, _ nodeId: String, now: Int64) throws -> LockRow? {
        try Row.fetchOne(db, sql: "SELECT * FROM locks WHERE node_id = ? AND expires_at > ?", arguments: [nodeId, now]).map(LockRow.init)
    }

    /// 409 when someone other than `user` holds an unexpired lock on the node.
    static func requireNotLockedByOther(_ db: Database, _ nodeId: String, user: String) throws {
        if let l = try lock(db, nodeId, now: Timestamps.nowMicros()), l.userId != user {
            throw APIError.conflict("The node is locked by another user.")
        }
    }

    /// Name rules (facts.md, filename rules): 1-255 characters counted as Unicode scalars, not `.` or
    /// `..`, no `/` or `\\`, no control characters (C0, DEL, C1: NUL, CR and LF among them), no
    /// bidirectional controls, zero-width characters or byte-order mark, no trailing space, tab or dot.
    static func validateName(_ name: String) throws {
        let scalars = name.unicodeScalars
        guard !scalars.isEmpty, scalars.count <= 255, name != ".", name != ".." else {
            throw APIError.invalid("Invalid name.", param: "name")
        }
        for scalar in scalars {
            let v = scalar.value
            let control = v < 0x20 || (0x7F...0x9F).contains(v)
            let invisible = v == 0x061C || (0x200B...0x200F).contains(v) || (0x202A...0x202E).contains(v)
                || (0x2060...0x2064).contains(v) || (0x2066...0x2069).contains(v) || v == 0xFEFF
            if scalar == "/" || scalar == "\\" || control || invisible {
                throw APIError.invalid("Invalid name.", param: "name")
            }
        }
        if let last = scalars.last, last == " " || last == "\t" || last == "." {
            throw APIError.invalid("Invalid name.", param: "name")
        }
    }

    static func nameTaken(_ db: Database, storage: String, parent: String, name: String, except: String? = nil) throws -> NodeRow? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM nodes WHERE storage_id = ? AND parent_id = ? AND name = ? AND trashed = 0 AND id != ?"),
            arguments: [storage, parent, name, except ?? ""]
        ).map(NodeRow.init)
    }

    static func requireFreeName(_ db: Database, storage: String, parent: String, name: String, except: String? = nil) throws {
        if try nameTaken(db, storage: storage, parent: parent, name: name, except: except) != nil {
            throw APIError.invalid("Duplicate name: an item with this name already exists in the folder.", param: "name")
        }
    }
}
