import Foundation
import GRDB

/// Upload session persistence, the status machine and assembly into the blob store.
/// Status walk: ready → uploading → assemble → assembling → complete (→ store → storing → stored with an
/// `instance_id`); failures end in `assembly_failed` or `store_failed` with `status_message`.
struct UploadSessions: Sendable {
    let emulator: Emulator
    var db: DatabasePool { emulator.db }

    func fetch(_ db: Database, _ id: String, user: String) throws -> UploadRow {
        guard let canon = Identifiers.canonical(id),
              let up = try Row.fetchOne(db, sql: "SELECT * FROM uploads WHERE id = ? AND user_id = ?", arguments: [canon, user]).map(UploadRow.init)
        else { throw APIError.notFound("Upload session not found.") }
        return up
    }

    func setStatus(_ db: Database, _ id: String, _ status: String, message: String? = nil, user: String) throws {
        try db.execute(sql: "UPDATE uploads SET status = ?, status_message = ?, updated = ? WHERE id = ?",
                       arguments: [status, message, Timestamps.nowMicros(), id])
        try ActivityLog.upload(db, emulator, uploadId: id, user: user)
    }

    func json(_ db: Database, _ up: UploadRow) throws -> JSON {
        let chunks = try Row.fetchAll(db, sql: "SELECT ord, size FROM upload_chunks WHERE upload_id = ? ORDER BY ord", arguments: [up.id])
        return .obj([
            ("id", .string(Identifiers.display(up.id))), ("status", .string(up.status)), ("status_message", .str(up.statusMessage)),
            ("new_file_id", .str(up.newFileId.map(Identifiers.display))), ("name", .string(up.name)),
            ("size", up.size.map { .int($0) } ?? .null),
            ("chunks", .object(chunks.map { (String($0["ord"] as Int), .int($0["size"] as Int64)) })),
            ("hash", .str(up.hash)), ("hash_algo", .str(up.hashAlgo)), ("sha256", .str(up.sha256)),
            ("instance_id", .str(up.instanceId)), ("folder_id", .str(up.folderId.map(Identifiers.display))),
            ("profile_type", .str(up.profileType)), ("action", .string(up.action)), ("file_id", .str(up.fileId.map(Identifiers.display))),
            ("stream", .bool(up.stream)), ("created", .string(Timestamps.plain(up.created))), ("updated", .string(Timestamps.plain(up.updated))),
        ])
    }

    /// Validates the chunk set against the declared size: orders 1…n contiguous, every chunk but the last equal to
    /// the first chunk's size, the last not larger, total == size.
    static func validateChunks(_ chunks: [(Int, Int64)], size: Int64?) throws {
        guard !chunks.isEmpty else { throw APIError.invalid("No chunks were uploaded.") }
        for (i, c) in chunks.enumerated() where c.0 != i + 1 {
            throw APIError.invalid("Chunk \(i + 1) is missing.")
        }
        let first = chunks[0].1
        for c in chunks.dropLast() where c.1 != first {
            throw APIError.invalid("Chunk \(c.0) has \(c.1) bytes; every chunk except the last must have \(first) bytes.")
        }
        if chunks.count > 1, chunks.last!.1 > first { throw APIError.invalid("The last chunk is larger than the others.") }
        let total = chunks.reduce(Int64(0)) { $0 + $1.1 }
        if let size, total != size {
            throw APIError.invalid("The chunks total \(total) bytes but the session declares \(size) bytes.", param: "size")
        }
    }

    /// Assembles the chunks into a blob, verifies the client hash, and places the file when the session has an
    /// `instance_id`. Throws 400 (chunks don't add up; status unchanged), 406/10778 (hash mismatch).
    /// Placement failures end in `store_failed`; `throwOnStoreFailure` makes them throw instead (single-call).
    func finalize(_ uploadId: String, user: UserRow, throwOnStoreFailure: Bool) async throws {
        let (up, chunks) = try await db.write { db -> (UploadRow, [(Int, Int64)]) in
            let up = try fetch(db, uploadId, user: user.id)
            guard ["ready", "uploading"].contains(up.status) else {
                throw APIError.invalid("The upload session is not in a valid state for completion (status \(up.status)).")
            }
            let chunks = try Row.fetchAll(db, sql: "SELECT ord, size FROM upload_chunks WHERE upload_id = ? ORDER BY ord", arguments: [up.id])
                .map { ($0["ord"] as Int, $0["size"] as Int64) }
            try UploadSessions.validateChunks(chunks, size: up.stream ? nil : up.size)
            try setStatus(db, up.id, "assemble", user: user.id)
            try setStatus(db, up.id, "assembling", user: user.id)
            return (up, chunks)
        }
        let blobs = emulator.blobs
        let sources = chunks.map { blobs.chunkPath(up.id, order: $0.0) }
        let algo = up.hash != nil ? (up.hashAlgo ?? "sha256") : nil
        let assembled: (hash: String, size: Int64, extra: String?)
        do {
            let assembly = emulator.assembly
            let uploadID = up.id
            let logger = emulator.logger
            assembled = try await BlockingIO.run {
                let started = Date()
                // Usually appended and hashed while the chunks arrived; else from the chunk files.
                if let early = assembly.take(uploadID: uploadID, chunkCount: sources.count) {
                    try blobs.commit(temp: early.path, hash: early.hash)
                    logger.info("upload \(uploadID): assembled while its chunks arrived; synced in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
                    return (early.hash, early.size, early.extra)
                }
                let result = try blobs.assemble(sources: sources, extraAlgo: algo)
                logger.info("upload \(uploadID): assembled from \(sources.count) chunk files in \(Int(Date().timeIntervalSince(started) * 1000)) ms")
                return result
            }
        } catch {
            try await db.write { db in try setStatus(db, up.id, "assembly_failed", message: "Assembly failed: \(error)", user: user.id) }
            throw APIError.internalError("Assembly failed.")
        }
        if let expected = up.hash?.lowercased(), let got = assembled.extra, expected != got {
            let message = "Hash mismatch: expected \(algo ?? "sha256") \(expected), computed \(got)."
            try await db.write { db in try setStatus(db, up.id, "assembly_failed", message: message, user: user.id) }
            try? FileManager.default.removeItem(atPath: blobs.uploadDir(up.id))
            blobs.pins.unpin(assembled.hash)
            await emulator.collectBlobs([assembled.hash])
            throw APIError.badHash(message)
        }
        do {
            try await db.write { db in
                try db.execute(sql: "UPDATE uploads SET sha256 = ?, blob = ?, size = COALESCE(size, ?) WHERE id = ?",
                               arguments: [assembled.hash, assembled.hash, assembled.size, up.id])
                try setStatus(db, up.id, "complete", user: user.id)
            }
            blobs.pins.unpin(assembled.hash)
        } catch {
            blobs.pins.unpin(assembled.hash)
            await emulator.collectBlobs([assembled.hash])
            throw error
        }
        try? FileManager.default.removeItem(atPath: blobs.uploadDir(up.id))
        guard up.instanceId != nil else { return }
        try await place(up.id, user: user, size: assembled.size, throwOnFailure: throwOnStoreFailure)
    }

    /// Imports a complete upload into its target folder (or as a new version of `file_id` for action=update).
    private func place(_ uploadId: String, user: UserRow, size: Int64, throwOnFailure: Bool) async throws {
        do {
            try await db.write { db in
                try setStatus(db, uploadId, "store", user: user.id)
                try setStatus(db, uploadId, "storing", user: user.id)
            }
            try await db.write { db in
                let up = try fetch(db, uploadId, user: user.id)
                let scope = try UploadSessions.targetScope(db, instance: up.instanceId, profileType: up.profileType, user: user.id)
                try UploadSessions.requirePlacement(db, scope, action: up.action, fileId: up.fileId)
                let content = Tree.Content(blob: up.sha256!, size: size, uploadId: up.id)
                let now = emulator.clock.next()
                let nodeId: String
                if up.action == "update" {
                    guard let fid = up.fileId else { throw APIError.missing("file_id") }
                    let n = try NodeLookup.liveNode(db, scope, fid)
                    guard n.type == "file" else { throw APIError.invalid("file_id is not a file.") }
                    try NodeLookup.requireNotLockedByOther(db, n.id, user: user.id)
                    try Tree.newVersion(db, n, content: content, operation: "update", now: now)
                    try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [n.parentId], event: "file_updated",
                                            objectId: n.id, user: user.id, data: [("name", .string(n.name)), ("size", .int(size))])
                    nodeId = n.id
                } else {
                    let parent = try NodeLookup.folder(db, scope, up.folderId ?? "root")
                    if parent != "root" { try NodeLookup.requireNotLockedByOther(db, parent, user: user.id) }
                    let n = try Tree.create(db, storage: scope.storageId, parent: parent, name: up.name, type: "file", content: content,
                                            creator: user.id, now: now)
                    try ActivityLog.storage(db, emulator, scope: scope, nodes: [n.id], parents: [parent], event: "file_added",
                                            objectId: n.id, user: user.id, data: [("name", .string(up.name)), ("size", .int(size))])
                    nodeId = n.id
                }
                try db.execute(sql: "UPDATE uploads SET new_file_id = ? WHERE id = ?", arguments: [nodeId, uploadId])
                try setStatus(db, uploadId, "stored", user: user.id)
            }
        } catch let e as APIError {
            let blob = try await db.write { db -> String? in
                try setStatus(db, uploadId, "store_failed", message: e.text, user: user.id)
                return try String.fetchOne(db, sql: "SELECT sha256 FROM uploads WHERE id = ?", arguments: [uploadId])
            }
            if let blob { await emulator.collectBlobs([blob]) }
            if throwOnFailure { throw e }
        }
    }

    /// 403/1680 unless the caller may place this upload: `create` needs file creation in the scope; `update` needs
    /// the right to modify `file_id` (its creator decides under `owned`; unknown while the id does not resolve).
    static func requirePlacement(_ db: Database, _ scope: Scope, action: String, fileId: String?) throws {
        if action == "update" {
            let target = try fileId.flatMap { try NodeLookup.liveNodeIfVisible(db, scope, $0) }
            try scope.require(.modify(.file, creator: target?.creator))
        } else {
            try scope.require(.create(.file))
        }
    }

    /// The storage scope an upload targets (`instance_id` = workspace or share id/name).
    static func targetScope(_ db: Database, instance: String?, profileType: String?, user: String) throws -> Scope {
        guard let instance else { throw APIError.missing("instance_id") }
        if profileType != "share", try Access.workspace(db, instance) != nil {
            return try Access.scope(db, kind: "workspace", idOrName: instance, user: user)
        }
        return try Access.scope(db, kind: "share", idOrName: instance, user: user)
    }
}
