import GRDB

/// Storage mutations: createfolder, addfile, addlink, update, move, copy, delete, trash, restore, purge, versions.
extension Router {
    func nodeReply(_ db: Database, _ scope: Scope, _ id: String, key: String = "node") throws -> [(String, JSON)] {
        let n = try NodeLookup.fetch(db, id)!
        return [(key, NodeJSON.render(n, scope: scope, lock: try NodeLookup.lock(db, id, now: Timestamps.nowMicros())))]
    }

    func createFolder(_ c: Call, _ scope: Scope, parent raw: String) async throws -> Reply {
        let me = try c.me
        let name = try c.required("name")
        try NodeLookup.validateName(name)
        let force = c.flag("force")
        return try await db.write { db -> Reply in
            let parent = try NodeLookup.folder(db, scope, raw)
            try scope.require(.create(.folder))
            var finalName = name
            if let existing = try NodeLookup.nameTaken(db, storage: scope.storageId, parent: parent, name: name) {
                if !force {
                    guard existing.isFolder else { throw APIError.invalid("Duplicate name: a file with this name exists.", param: "name") }
                    return .ok(try nodeReply(db, scope, existing.id))
                }
                finalName = try Tree.freeName(db, storage: scope.storageId, parent: parent, name: name)
            }
            let now = emulator.clock.next()
            let n = try Tree.create(db, storage: scope.storageId, parent: parent, name: finalName, type: "folder", content: nil, creator: me.id, now: now)
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [parent], event: "folder_created",
                                    objectId: n.id, user: me.id, data: [("name", .string(finalName))])
            return .ok(try nodeReply(db, scope, n.id))
        }
    }

    /// Upload id referenced by a `from` JSON value (workspace or share doc shape).
    static func uploadId(fromJSON raw: String) throws -> String {
        guard let j = JSON.parse(raw) else { throw APIError.invalid("from must be JSON", param: "from") }
        let type = j["type"]?.stringValue ?? j["from_type"]?.stringValue
        guard type == "upload" else { throw APIError.invalid("Only upload sources are supported", param: "from") }
        guard let u = j["upload"], let id = u["id"]?.stringValue ?? u["upload_id"]?.stringValue,
              let canon = Identifiers.canonical(id) else { throw APIError.invalid("from.upload.id missing", param: "from") }
        return canon
    }

    /// The content of a complete upload of this user, or 400.
    func uploadContent(_ db: Database, uploadId: String, user: String) throws -> Tree.Content {
        guard let up = try Row.fetchOne(db, sql: "SELECT * FROM uploads WHERE id = ? AND user_id = ?", arguments: [uploadId, user]).map(UploadRow.init) else {
            throw APIError.invalid("Upload session not found or not associated with your account.", param: "from")
        }
        guard up.status == "complete" || up.status == "stored", let blob = up.sha256 else {
            throw APIError.invalid("Upload is not complete.", param: "from")
        }
        // A stored session's content lives on only while some version still uses it (blob garbage collection).
        guard let size = emulator.blobs.size(of: blob) else {
            throw APIError.invalid("The content of this upload session is no longer available.", param: "from")
        }
        return Tree.Content(blob: blob, size: size, uploadId: up.id)
    }

    func addFile(_ c: Call, _ scope: Scope, parent raw: String) async throws -> Reply {
        let me = try c.me
        let name = try c.required("name")
        let upload = try Router.uploadId(fromJSON: try c.required("from"))
        return try await db.write { db -> Reply in
            let parent = try NodeLookup.folder(db, scope, raw)
            try scope.require(.create(.file))
            let content = try uploadContent(db, uploadId: upload, user: me.id)
            let now = emulator.clock.next()
            let n = try Tree.create(db, storage: scope.storageId, parent: parent, name: name, type: "file", content: content, creator: me.id, now: now)
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [parent], event: "file_added", objectId: n.id,
                                    user: me.id, data: [("name", .string(name)), ("size", .int(content.size))])
            return .ok(try nodeReply(db, scope, n.id))
        }
    }

    func addLink(_ c: Call, _ scope: Scope, parent raw: String) async throws -> Reply {
        let me = try c.me
        let type = c.param("type") ?? c.param("link_target_type") ?? "share"
        guard type == "share" else { throw APIError.invalid("link type must be share", param: "type") }
        let target = try c.required("share")
        return try await db.write { db -> Reply in
            let parent = try NodeLookup.folder(db, scope, raw)
            try scope.require(.create(.file))
            guard let share = try Access.share(db, target), try Access.canUseShare(db, share, user: me.id) else {
                throw APIError.notFound("Share not found or not accessible.")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM nodes WHERE storage_id = ? AND type = 'link' AND target_id = ? AND trashed = 0",
                                 arguments: [scope.storageId, share.id]) ?? false {
                throw APIError.invalid("A link to this share already exists.")
            }
            let name = try Tree.freeName(db, storage: scope.storageId, parent: parent, name: share.title ?? share.customName)
            let now = emulator.clock.next()
            let n = try Tree.create(db, storage: scope.storageId, parent: parent, name: name, type: "link", content: nil, creator: me.id,
                                    targetId: share.id, now: now)
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [parent], event: "file_added", objectId: n.id,
                                    user: me.id, data: [("name", .string(name))])
            return .ok(try nodeReply(db, scope, n.id))
        }
    }

    func update(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let newName = c.param("name").flatMap { $0.isEmpty ? nil : $0 }
        let from = c.param("from").flatMap { $0.isEmpty ? nil : $0 }
        if let newName { try NodeLookup.validateName(newName) }
        let upload = try from.map { try Router.uploadId(fromJSON: $0) }
        return try await db.write { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            if n.type == "note" { throw APIError.invalid("Cannot update a Note with this endpoint") }
            try scope.requireModify(n)
            try NodeLookup.requireNotLockedByOther(db, n.id, user: me.id)
            let now = emulator.clock.next()
            if let newName, newName != n.name {
                try NodeLookup.requireFreeName(db, storage: n.storageId, parent: n.parentId, name: newName, except: n.id)
                try db.execute(sql: "UPDATE nodes SET name = ?, modified = ? WHERE id = ?", arguments: [newName, now, n.id])
                if n.type == "link", let t = n.targetId { try db.execute(sql: "UPDATE shares SET title = ? WHERE id = ?", arguments: [newName, t]) }
                try Tree.touch(db, n.parentId, now: now)
            }
            if let upload {
                guard n.type == "file" else { throw APIError.invalid("Only files can receive new content.") }
                let content = try uploadContent(db, uploadId: upload, user: me.id)
                try Tree.newVersion(db, try NodeLookup.fetch(db, n.id)!, content: content, operation: "update", now: now)
            }
            let event = upload == nil && n.isFolder ? "folder_moved" : "file_updated"
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId], event: event,
                                    objectId: n.id, user: me.id, data: [("name", .string(newName ?? n.name))])
            return .ok(try nodeReply(db, scope, n.id))
        }
    }

    func move(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let target = try c.required("parent")
        return try await db.write { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            try scope.requireModify(n)
            try NodeLookup.requireNotLockedByOther(db, n.id, user: me.id)
            let parent = try NodeLookup.folder(db, scope, target)
            if try parent == n.id || (parent != "root" && NodeLookup.isInside(db, parent, folder: n.id)) {
                throw APIError.invalid("Cannot move a folder into itself or its subfolders.")
            }
            if parent != n.parentId {
                try NodeLookup.requireFreeName(db, storage: n.storageId, parent: parent, name: n.name, except: n.id)
                let now = emulator.clock.next()
                try db.execute(sql: "UPDATE nodes SET parent_id = ?, modified = ? WHERE id = ?", arguments: [parent, now, n.id])
                try Tree.touch(db, parent, now: now)
                try Tree.touch(db, n.parentId, now: now)
                try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId, parent],
                                        event: n.isFolder ? "folder_moved" : "file_moved", objectId: n.id, user: me.id,
                                        data: [("name", .string(n.name)), ("parent_node_id", .string(scope.displayParent(parent)))])
            }
            return .ok(try nodeReply(db, scope, n.id))
        }
    }

    func copy(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let target = try c.required("parent")
        return try await db.write { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            let parent = try NodeLookup.folder(db, scope, target)
            try scope.require(.create(NodeKind(type: n.type)))
            if n.isFolder, try parent == n.id || (parent != "root" && NodeLookup.isInside(db, parent, folder: n.id)) {
                throw APIError.invalid("Cannot copy a folder into itself or its subfolders.")
            }
            let now = emulator.clock.next()
            let copy = try Tree.copy(db, n, to: parent, creator: me.id, now: now)
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [copy.id], parents: [parent], event: "file_copied",
                                    objectId: copy.id, user: me.id, data: [("name", .string(copy.name)), ("source", .string(Identifiers.display(n.id)))])
            return .ok(try nodeReply(db, scope, copy.id) + [("job", .null)])
        }
    }

    func delete(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        return try await db.write { db -> Reply in
            let n = try NodeLookup.node(db, scope, id)
            if n.trashed != 0 { throw APIError.notFound("Node already in trash.") }
            try scope.requireModify(n)
            try NodeLookup.requireNotLockedByOther(db, n.id, user: me.id)
            let now = emulator.clock.next()
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId],
                                    event: n.isFolder ? "folder_deleted" : "file_deleted", objectId: n.id, user: me.id, data: [("name", .string(n.name))])
            try Tree.trash(db, n, now: now)
            return .ok([("job", .null)])
        }
    }

    func emptyTrash(_ c: Call, _ scope: Scope) async throws -> Reply {
        let me = try c.me
        try scope.require(.emptyTrash)
        let freed = try await db.write { db -> Set<String> in
            var freed = Set<String>()
            let items = try Row.fetchAll(db, sql: "SELECT * FROM nodes WHERE storage_id = ? AND trashed = 1", arguments: [scope.storageId]).map(NodeRow.init)
            for n in items {
                if let root = scope.rootFolder, !(try NodeLookup.isInside(db, n.id, folder: root)) { continue }
                try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId], event: n.isFolder ? "folder_deleted" : "file_deleted",
                                        objectId: n.id, user: me.id, data: [("name", .string(n.name)), ("purged", true)])
                freed.formUnion(try Tree.purge(db, n.id))
            }
            return freed
        }
        await emulator.collectBlobs(freed)
        return .ok([("job", .null)])
    }

    func restore(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        return try await db.write { db -> Reply in
            let n = try NodeLookup.node(db, scope, id)
            guard n.trashed == 1 else { throw APIError.invalid("Node is not in trash.") }
            try scope.require(.restore)
            let now = emulator.clock.next()
            try Tree.restore(db, n, now: now)
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId], event: "file_restored",
                                    objectId: n.id, user: me.id, data: [("name", .string(n.name))])
            return .ok(try nodeReply(db, scope, n.id) + [("job", .null)])
        }
    }

    func purge(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let freed = try await db.write { db -> Set<String> in
            let n = try NodeLookup.node(db, scope, id)
            guard n.trashed == 1 else { throw APIError.invalid("Node is not in trash.") }
            try scope.require(.purge)
            try NodeLookup.requireNotLockedByOther(db, n.id, user: me.id)
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId], event: n.isFolder ? "folder_deleted" : "file_deleted",
                                    objectId: n.id, user: me.id, data: [("name", .string(n.name)), ("purged", true)])
            return try Tree.purge(db, n.id)
        }
        await emulator.collectBlobs(freed)
        return .ok([("job", .null)])
    }

    static func versionJSON(_ row: Row) -> JSON {
        .obj([("id", .string(Identifiers.display(row["id"]))), ("version_number", .int(row["number"])),
              ("created", .string(Timestamps.plain(row["created"]))), ("operation", .string(row["operation"])),
              ("size", .int(row["size"])), ("hash", .string(row["hash"])), ("name", .string(row["name"]))])
    }

    func versions(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        try await db.read { db -> Reply in
            let n = try NodeLookup.node(db, scope, id)
            guard n.hasContent else { throw APIError.invalid("Unsupported node type.") }
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM versions WHERE node_id = ? ORDER BY number DESC", arguments: [n.id])
            return .ok([("versions", .array(rows.map(Router.versionJSON)))])
        }
    }

    func restoreVersion(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let rawVersion = try c.required("version_id")
        guard let vid = Identifiers.canonical(rawVersion) else { throw APIError.notFound("Version not found.") }
        return try await db.write { db -> Reply in
            let n = try NodeLookup.node(db, scope, id)
            guard n.hasContent else { throw APIError.invalid("Can only restore file versions (not folders).") }
            guard n.trashed == 0 else { throw APIError.invalid("Cannot restore version of trashed file.") }
            try scope.requireModify(n)
            try NodeLookup.requireNotLockedByOther(db, n.id, user: me.id)
            guard let v = try Row.fetchOne(db, sql: "SELECT * FROM versions WHERE id = ?", arguments: [vid]) else { throw APIError.notFound("Version not found.") }
            guard (v["node_id"] as String) == n.id else { throw APIError.invalid("Version does not belong to this file.") }
            let name: String = v["name"]
            if name != n.name { try NodeLookup.requireFreeName(db, storage: n.storageId, parent: n.parentId, name: name, except: n.id) }
            let now = emulator.clock.next()
            let newId = try Tree.newVersion(db, n, content: Tree.Content(blob: v["blob"], size: v["size"], uploadId: nil), operation: "restore", name: name, now: now)
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId], event: "file_updated", objectId: n.id,
                                    user: me.id, data: [("name", .string(name)), ("restored_version", .string(Identifiers.display(vid)))])
            let nv = try Row.fetchOne(db, sql: "SELECT * FROM versions WHERE id = ?", arguments: [newId])!
            return .ok([("new_version", Router.versionJSON(nv))] + (try nodeReply(db, scope, n.id)))
        }
    }
}
