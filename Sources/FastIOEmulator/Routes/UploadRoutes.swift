import Foundation
import GRDB
import Hummingbird

/// `/upload/…` routes: create (form, single-call multipart, stream), chunk add/list/delete, complete, stream,
/// details (with `wait` long-poll), list, cancel, limits.
extension Router {
    var sessions: UploadSessions { UploadSessions(emulator: emulator) }

    func upload(_ c: Call, rest r: [String], request: Request) async throws -> Reply {
        let m = c.method
        func on(_ methods: HTTPRequest.Method..., run: () async throws -> Reply) async throws -> Reply {
            guard methods.contains(m) else { throw APIError.wrongMethod }
            return try await run()
        }
        switch r.count {
        case 0: return try await on(.post, .delete) { m == .post ? try await uploadCreate(c, request: request) : try await uploadCancelAll(c) }
        case 1 where r[0] == "limits": return try await on(.get) { .top([("limits", UploadLimits.json)]) }
        case 1 where r[0] == "algos": return try await on(.get) { .top([("algos", ["md5", "sha1", "sha256", "sha384", "crc32c"])]) }
        case 1 where r[0] == "details": return try await on(.get) { try await uploadList(c) }
        case 1: return try await on(.delete) { try await uploadCancel(c, id: r[0]) }
        case 2:
            switch r[1] {
            case "details": return try await on(.get) { try await uploadDetails(c, id: r[0]) }
            case "complete": return try await on(.post) { try await uploadComplete(c, id: r[0], request: request) }
            case "stream": return try await on(.post) { try await uploadStream(c, id: r[0], request: request) }
            case "chunk":
                return try await on(.post, .get, .delete) {
                    switch m {
                    case .post: return try await uploadChunk(c, id: r[0], request: request)
                    case .get: return try await uploadChunkMap(c, id: r[0])
                    default: return try await uploadChunkDelete(c, id: r[0])
                    }
                }
            default: break
            }
        default: break
        }
        throw APIError.unknownRoute
    }

    private func uploadCreate(_ c: Call, request: Request) async throws -> Reply {
        let me = try c.me
        let temp = emulator.blobs.tempPath()
        defer { unlink(temp) }
        let body = try await UploadBody.read(request, destination: temp, maxFileSize: UploadLimits.singleCallMax, rawAllowed: false)
        func p(_ k: String) -> String? { (body.fields[k] ?? c.query[k]).flatMap { $0.isEmpty ? nil : $0 } }
        guard let name = p("name") else { throw APIError.missing("name") }
        try NodeLookup.validateName(name)
        let action = p("action") ?? "create"
        guard action == "create" || action == "update" else { throw APIError.invalid("action must be create or update", param: "action") }
        let stream = ["true", "1", "yes"].contains(p("stream")?.lowercased() ?? "")
        var size: Int64? = nil
        if let s = p("size") {
            guard let v = Int64(s), v >= 0 else { throw APIError.invalid("size must be a non-negative integer", param: "size") }
            size = v
        }
        if !stream && size == nil && body.fileSize == nil { throw APIError.missing("size") }
        if let s = size, s > UploadLimits.maxFileSize { throw APIError.invalid("size exceeds max_file_size", param: "size") }
        if let fs = body.fileSize {
            if let s = size, s != fs { throw APIError.invalid("size \(s) does not match the attached chunk (\(fs) bytes)", param: "size") }
            size = fs
        }
        let maxSize = p("max_size").flatMap { Int64($0) }
        var hashAlgo = p("hash_algo")?.lowercased()
        let hash = p("hash")?.lowercased()
        if hash != nil && hashAlgo == nil { hashAlgo = "sha256" }
        if let a = hashAlgo, hash != nil, !MultiHasher.supported.contains(a) { throw APIError.invalid("Unsupported hash_algo", param: "hash_algo") }
        let instance = p("instance_id")
        let finalSize = size
        let finalAlgo = hash == nil ? nil : hashAlgo
        let folder = p("folder_id").map { Identifiers.canonical($0) ?? $0 }
        let profileType = p("profile_type")
        let fileId = p("file_id").map { Identifiers.canonical($0) ?? $0 }
        if action == "update" && fileId == nil { throw APIError.missing("file_id") }
        let id = Identifiers.opaque("5")
        let now = Timestamps.nowMicros()
        try await db.write { db in
            if let instance {
                // Validate the target early so a bad instance/folder fails at create time.
                let scope = try UploadSessions.targetScope(db, instance: instance, profileType: profileType, user: me.id)
                if action == "create" { _ = try NodeLookup.folder(db, scope, folder ?? "root") }
                // The same permission placement checks again; a file_id that does not resolve yet is left to placement.
                try UploadSessions.requirePlacement(db, scope, action: action, fileId: fileId)
            }
            try db.execute(
                sql: """
                    INSERT INTO uploads(id, user_id, name, size, status, instance_id, folder_id, profile_type, hash, hash_algo, stream,
                        max_size, action, file_id, created, updated)
                    VALUES (?, ?, ?, ?, 'ready', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, me.id, name, finalSize, instance, folder, profileType, hash, finalAlgo, stream ? 1 : 0, maxSize,
                            action, fileId, now, now])
            try ActivityLog.upload(db, emulator, uploadId: id, user: me.id)
        }
        guard let fileSize = body.fileSize else {
            return .top([("id", .string(Identifiers.display(id)))])
        }
        try FileManager.default.createDirectory(atPath: emulator.blobs.uploadDir(id), withIntermediateDirectories: true)
        guard rename(temp, emulator.blobs.chunkPath(id, order: 1)) == 0 else { throw APIError.internalError("could not store chunk") }
        try await db.write { db in
            try db.execute(sql: "INSERT INTO upload_chunks(upload_id, ord, size) VALUES (?, 1, ?)", arguments: [id, fileSize])
            try sessions.setStatus(db, id, "uploading", user: me.id)
        }
        try await sessions.finalize(id, user: me, throwOnStoreFailure: true)
        let up = try await db.read { db in try sessions.fetch(db, id, user: me.id) }
        return .top([("id", .string(Identifiers.display(id))), ("new_file_id", .str(up.newFileId.map(Identifiers.display))),
                     ("status", .string(up.status))])
    }

    private func uploadChunk(_ c: Call, id: String, request: Request) async throws -> Reply {
        let me = try c.me
        let up = try await db.read { db in try sessions.fetch(db, id, user: me.id) }
        guard ["ready", "uploading"].contains(up.status), !up.stream else {
            throw APIError.invalid("The upload session does not accept chunks (status \(up.status)).")
        }
        guard emulator.chunkGate.enter(up.id) else {
            throw APIError(status: .tooManyRequests, code: 1671, name: "APP_ENHANCE_CALM", text: "At most 3 chunk uploads may be in flight per session.")
        }
        defer { emulator.chunkGate.leave(up.id) }
        let temp = emulator.blobs.tempPath()
        defer { unlink(temp) }
        let body = try await UploadBody.read(request, destination: temp, maxFileSize: UploadLimits.maxChunkSize, rawAllowed: true)
        func p(_ k: String) -> String? { (c.query[k] ?? body.fields[k]).flatMap { $0.isEmpty ? nil : $0 } }
        guard let orderText = p("order") else { throw APIError.invalid("No `order` supplied.", param: "order") }
        guard let order = Int(orderText), order >= 1 else { throw APIError.invalid("order must be a 1-based integer.", param: "order") }
        guard let got = body.fileSize else { throw APIError.missing("chunk") }
        if let s = p("size"), Int64(s) != got { throw APIError.invalid("size \(s) does not match the chunk (\(got) bytes)", param: "size") }
        if let algo = p("hash_algo")?.lowercased(), let expected = p("hash")?.lowercased(), MultiHasher.supported.contains(algo) {
            let path = temp
            let digest = try await BlockingIO.run { () -> String? in
                var hasher = MultiHasher(extra: algo)
                let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
                data.withUnsafeBytes { hasher.update($0) }
                return hasher.finish().1
            }
            if digest != expected { throw APIError.badHash("Chunk \(order) hash mismatch: expected \(expected), computed \(digest ?? "?").") }
        }
        try await db.write { db in
            let current = try sessions.fetch(db, up.id, user: me.id)
            guard ["ready", "uploading"].contains(current.status) else { throw APIError.invalid("The upload session does not accept chunks.") }
            let existing = try Row.fetchAll(db, sql: "SELECT ord, size FROM upload_chunks WHERE upload_id = ? AND ord != ?", arguments: [up.id, order])
                .map { ($0["ord"] as Int, $0["size"] as Int64) }
            try Router.checkChunk(order: order, size: got, others: existing, total: current.size)
            try FileManager.default.createDirectory(atPath: emulator.blobs.uploadDir(up.id), withIntermediateDirectories: true)
            guard rename(temp, emulator.blobs.chunkPath(up.id, order: order)) == 0 else { throw APIError.internalError("could not store chunk") }
            try db.execute(
                sql: "INSERT INTO upload_chunks(upload_id, ord, size) VALUES (?, ?, ?) ON CONFLICT(upload_id, ord) DO UPDATE SET size = excluded.size",
                arguments: [up.id, order, got])
            try sessions.setStatus(db, up.id, "uploading", user: me.id)
        }
        let assembly = emulator.assembly
        let blobs = emulator.blobs
        let extra = up.hash != nil ? (up.hashAlgo ?? "sha256") : nil
        assembly.chunkStored(uploadID: up.id, order: order, extraAlgo: extra, blobs: blobs)
        return .top([("id", .string(Identifiers.display(up.id))), ("order", .int(Int64(order))), ("size", .int(got))])
    }

    /// Early chunk-size checks when enough is known: non-last chunks equal chunk 1, the last one fits `total`.
    static func checkChunk(order: Int, size: Int64, others: [(Int, Int64)], total: Int64?) throws {
        if size > UploadLimits.maxChunkSize { throw APIError.invalid("Chunk exceeds max_chunk_size.", param: "chunk") }
        let first: Int64? = order == 1 ? size : others.first { $0.0 == 1 }?.1
        guard let first, let total, first > 0 else { return }
        let count = Int((total + first - 1) / first)
        if order > count { throw APIError.invalid("Chunk order \(order) is beyond the declared size.", param: "order") }
        let expected = order < count ? first : total - first * Int64(count - 1)
        if size != expected {
            throw APIError.invalid("Chunk \(order) has \(size) bytes; expected \(expected) (only the last chunk may be shorter).", param: "chunk")
        }
        if order == 1 {
            for (o, s) in others {
                let e = o < count ? first : total - first * Int64(count - 1)
                if o > count || s != e { throw APIError.invalid("Chunk \(o) does not match the chunk size \(first).", param: "chunk") }
            }
        }
    }

    private func uploadChunkMap(_ c: Call, id: String) async throws -> Reply {
        let me = try c.me
        return try await db.read { db -> Reply in
            let up = try sessions.fetch(db, id, user: me.id)
            let chunks = try Row.fetchAll(db, sql: "SELECT ord, size FROM upload_chunks WHERE upload_id = ? ORDER BY ord", arguments: [up.id])
            return .top([("chunks", .object(chunks.map { (String($0["ord"] as Int), .int($0["size"] as Int64)) })),
                         ("status", .string(up.status))])
        }
    }

    private func uploadChunkDelete(_ c: Call, id: String) async throws -> Reply {
        let me = try c.me
        guard let order = try c.int("order"), order >= 1 else { throw APIError.invalid("No `order` supplied.", param: "order") }
        return try await db.write { db -> Reply in
            let up = try sessions.fetch(db, id, user: me.id)
            guard ["ready", "uploading"].contains(up.status) else { throw APIError.invalid("The upload session is not accepting changes.") }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM upload_chunks WHERE upload_id = ? AND ord = ?", arguments: [up.id, order]) ?? false else {
                throw APIError.notFound("Chunk not found.")
            }
            try db.execute(sql: "DELETE FROM upload_chunks WHERE upload_id = ? AND ord = ?", arguments: [up.id, order])
            unlink(emulator.blobs.chunkPath(up.id, order: order))
            emulator.assembly.invalidate(uploadID: up.id, fromOrder: order)
            return .top([])
        }
    }

    private func uploadComplete(_ c: Call, id: String, request: Request) async throws -> Reply {
        let me = try c.me
        _ = try? await request.body.collect(upTo: 1 << 20)
        try await sessions.finalize(id, user: me, throwOnStoreFailure: false)
        return try await db.read { db -> Reply in
            let up = try sessions.fetch(db, id, user: me.id)
            return .top([("id", .string(Identifiers.display(up.id))), ("status", .string(up.status)),
                         ("new_file_id", .str(up.newFileId.map(Identifiers.display))), ("session", try sessions.json(db, up))])
        }
    }

    private func uploadStream(_ c: Call, id: String, request: Request) async throws -> Reply {
        let me = try c.me
        let up = try await db.read { db in try sessions.fetch(db, id, user: me.id) }
        guard up.stream else { throw APIError.invalid("This session was not created with stream=true.") }
        guard up.status == "ready" else { throw APIError.invalid("The stream session was already used (status \(up.status)).") }
        guard emulator.chunkGate.enter(up.id + ":stream") else { throw APIError.calm }
        defer { emulator.chunkGate.leave(up.id + ":stream") }
        if let h = c.query["hash"], !h.isEmpty {
            let algo = (c.query["hash_algo"] ?? "sha256").lowercased()
            guard MultiHasher.supported.contains(algo) else { throw APIError.invalid("Unsupported hash_algo", param: "hash_algo") }
            try await db.write { db in
                try db.execute(sql: "UPDATE uploads SET hash = ?, hash_algo = ? WHERE id = ?", arguments: [h.lowercased(), algo, up.id])
            }
        }
        let temp = emulator.blobs.tempPath()
        defer { unlink(temp) }
        let limit = min(up.maxSize ?? UploadLimits.maxFileSize, UploadLimits.maxFileSize)
        let body: UploadBody
        do {
            body = try await UploadBody.read(request, destination: temp, maxFileSize: limit, rawAllowed: true)
        } catch let e as APIError {
            try await db.write { db in try sessions.setStatus(db, up.id, "assembly_failed", message: e.text, user: me.id) }
            throw e
        }
        try FileManager.default.createDirectory(atPath: emulator.blobs.uploadDir(up.id), withIntermediateDirectories: true)
        guard rename(temp, emulator.blobs.chunkPath(up.id, order: 1)) == 0 else { throw APIError.internalError("could not store stream") }
        try await db.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO upload_chunks(upload_id, ord, size) VALUES (?, 1, ?)", arguments: [up.id, body.fileSize ?? 0])
            try db.execute(sql: "UPDATE uploads SET size = ? WHERE id = ?", arguments: [body.fileSize ?? 0, up.id])
            try sessions.setStatus(db, up.id, "uploading", user: me.id)
        }
        try await sessions.finalize(up.id, user: me, throwOnStoreFailure: false)
        let final = try await db.read { db in try sessions.fetch(db, up.id, user: me.id) }
        return .top([("id", .string(Identifiers.display(final.id))), ("status", .string(final.status)),
                     ("new_file_id", .str(final.newFileId.map(Identifiers.display)))], status: .created)
    }

    private func uploadDetails(_ c: Call, id: String) async throws -> Reply {
        let me = try c.me
        let wait = min(max(try c.int("wait") ?? 0, 0), UploadLimits.detailsMaxWait)
        let first = try await db.read { db in try sessions.fetch(db, id, user: me.id) }
        let deadline = Date().addingTimeInterval(TimeInterval(wait))
        let terminal: Set<String> = ["complete", "stored", "assembly_failed", "store_failed"]
        var current = first
        while wait > 0, current.status == first.status, !(terminal.contains(current.status) && first.instanceId == nil),
              current.status != "stored", current.status != "store_failed", current.status != "assembly_failed",
              Date() < deadline, !emulator.stopping.isSet
        {
            try await Task.sleep(for: .milliseconds(100))
            current = try await db.read { db in try sessions.fetch(db, id, user: me.id) }
        }
        let snapshot = current
        return try await db.read { db in .top([("session", try sessions.json(db, snapshot))]) }
    }

    private func uploadList(_ c: Call) async throws -> Reply {
        let me = try c.me
        return try await db.read { db -> Reply in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM uploads WHERE user_id = ? ORDER BY created", arguments: [me.id]).map(UploadRow.init)
            return .top([("results", .int(Int64(rows.count))), ("sessions", .array(try rows.map { try sessions.json(db, $0) }))])
        }
    }

    private func uploadCancel(_ c: Call, id: String) async throws -> Reply {
        let me = try c.me
        let up = try await db.write { db -> UploadRow in
            let up = try sessions.fetch(db, id, user: me.id)
            try db.execute(sql: "DELETE FROM upload_chunks WHERE upload_id = ?", arguments: [up.id])
            try db.execute(sql: "DELETE FROM uploads WHERE id = ?", arguments: [up.id])
            try ActivityLog.upload(db, emulator, uploadId: up.id, user: me.id)
            return up
        }
        try? FileManager.default.removeItem(atPath: emulator.blobs.uploadDir(up.id))
        emulator.assembly.invalidate(uploadID: up.id)
        if let blob = up.sha256 { await emulator.collectBlobs([blob]) }
        return .top([])
    }

    private func uploadCancelAll(_ c: Call) async throws -> Reply {
        let me = try c.me
        let (ids, blobs) = try await db.write { db -> ([String], Set<String>) in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM uploads WHERE user_id = ?", arguments: [me.id])
            let blobs = Set(try String.fetchAll(db, sql: "SELECT sha256 FROM uploads WHERE user_id = ? AND sha256 IS NOT NULL", arguments: [me.id]))
            for id in ids {
                try db.execute(sql: "DELETE FROM upload_chunks WHERE upload_id = ?", arguments: [id])
                try db.execute(sql: "DELETE FROM uploads WHERE id = ?", arguments: [id])
            }
            return (ids, blobs)
        }
        for id in ids {
            try? FileManager.default.removeItem(atPath: emulator.blobs.uploadDir(id))
            emulator.assembly.invalidate(uploadID: id)
        }
        await emulator.collectBlobs(blobs)
        return .top([("deleted", .int(Int64(ids.count)))])
    }
}
