import GRDB

/// Markdown notes: createnote, updatenote (optional `if_version_id` compare-and-set); read via /read/ or /readnote/.
extension Router {
    static let maxNoteBytes = 100 * 1024

    private func noteContent(_ raw: String) throws -> [UInt8] {
        let cleaned = String(String.UnicodeScalarView(raw.unicodeScalars.filter { $0.value >= 0x20 || $0 == "\n" || $0 == "\t" || $0 == "\r" }))
        let bytes = Array(cleaned.utf8)
        if bytes.count > Router.maxNoteBytes { throw APIError.invalid("content must be at most 100 KB", param: "content") }
        return bytes
    }

    private func noteName(_ name: String) throws {
        try NodeLookup.validateName(name)
        if !name.lowercased().hasSuffix(".md") { throw APIError.invalid("Filename must end with .md", param: "name") }
    }

    func createNote(_ c: Call, _ scope: Scope, parent raw: String) async throws -> Reply {
        let me = try c.me
        let name = try c.required("name")
        try noteName(name)
        try scope.require(.create(.file))
        let bytes = try noteContent(c.param("content") ?? "")
        let stored = try emulator.blobs.store(bytes: bytes)
        let content = Tree.Content(blob: stored.hash, size: stored.size, uploadId: nil)
        let pairs = try await emulator.referencing(stored.hash) {
            try await db.write { db in
                try self.insertNote(db, scope, parentRef: raw, name: name, content: content, user: me.id)
            }
        }
        return .ok(pairs)
    }

    private func insertNote(_ db: Database, _ scope: Scope, parentRef: String, name: String, content: Tree.Content, user: String) throws -> [(String, JSON)] {
        let parent = try NodeLookup.folder(db, scope, parentRef)
        let now = emulator.clock.next()
        let n = try Tree.create(db, storage: scope.storageId, parent: parent, name: name, type: "note", content: content, creator: user, now: now)
        try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [parent], event: "file_added", objectId: n.id,
                                user: user, data: [("name", .string(name)), ("size", .int(content.size))])
        return try nodeReply(db, scope, n.id, key: "note")
    }

    func updateNote(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let name = c.param("name").flatMap { $0.isEmpty ? nil : $0 }
        let content = c.param("content")
        if name == nil && content == nil { throw APIError.invalid("No content or name provided") }
        if let name { try noteName(name) }
        let stored = try content.map { try emulator.blobs.store(bytes: try noteContent($0)) }
        let ifVersion = c.param("if_version_id").flatMap { $0.isEmpty ? nil : Identifiers.canonical($0) ?? $0 }
        return try await emulator.referencing(stored?.hash) { try await db.write { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            guard n.type == "note" else { throw APIError.invalid("Node is not a note.") }
            try scope.requireModify(n)
            try NodeLookup.requireNotLockedByOther(db, n.id, user: me.id)
            if let ifVersion, ifVersion != n.versionId {
                var e = APIError(status: .conflict, code: 1660, name: "APP_CONFLICT", text: "The note was changed since version \(ifVersion).")
                e.params = .obj([("current", .obj([("version_id", .str(n.versionId.map(Identifiers.display))),
                                                   ("node", NodeJSON.render(n, scope: scope, lock: nil))]))])
                throw e
            }
            let now = emulator.clock.next()
            if let name, name != n.name {
                try NodeLookup.requireFreeName(db, storage: n.storageId, parent: n.parentId, name: name, except: n.id)
                try db.execute(sql: "UPDATE nodes SET name = ?, modified = ? WHERE id = ?", arguments: [name, now, n.id])
            }
            if let stored {
                try Tree.newVersion(db, try NodeLookup.fetch(db, n.id)!, content: Tree.Content(blob: stored.hash, size: stored.size, uploadId: nil),
                                    operation: "update", now: now)
            }
            try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId], event: "file_updated", objectId: n.id,
                                    user: me.id, data: [("name", .string(name ?? n.name))])
            return .ok(try nodeReply(db, scope, n.id, key: "note"))
        } }
    }
}
