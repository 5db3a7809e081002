import GRDB

/// Folder listing (keyset pagination), recent, search and details.
extension Router {
    private func sortParams(_ c: Call) throws -> (String, String)? {
        let by = c.param("sort_by")
        let dir = c.param("sort_dir")
        if by == nil && dir == nil { return nil }
        let s = (by ?? "name").lowercased()
        let d = (dir ?? "asc").lowercased()
        guard ["name", "updated", "created", "type"].contains(s) else { throw APIError.invalid("Invalid sort_by", param: "sort_by") }
        guard ["asc", "desc"].contains(d) else { throw APIError.invalid("Invalid sort_dir", param: "sort_dir") }
        return (s, d)
    }

    private func keyColumns(_ sort: String) -> [String] {
        switch sort {
        case "updated": return ["modified"]
        case "created": return ["created"]
        case "type": return ["type", "name"]
        default: return ["name"]
        }
    }

    private func keyValues(_ row: Row, _ sort: String) -> [JSON] {
        keyColumns(sort).map { col in
            if col == "modified" || col == "created" { return .int(row[col] as Int64) }
            return .string(row[col] as String)
        }
    }

    private func dbValue(_ j: JSON) -> (any DatabaseValueConvertible)? {
        switch j {
        case .int(let i): return i
        case .string(let s): return s
        default: return nil
        }
    }

    /// Runs a keyset page query; `base` filters rows, returns rows plus the next cursor.
    private func keysetPage(
        _ db: Database, base: String, args: [any DatabaseValueConvertible], sort: String, dir: String, after: ListCursor?,
        pageSize: Int, cursorFolder: String
    ) throws -> ([Row], String?) {
        let cols = keyColumns(sort) + ["id"]
        let op = dir == "asc" ? ">" : "<"
        var sql = "SELECT nodes.*, locks.user_id AS lock_user, locks.token AS lock_token, locks.locked_at AS lock_at, locks.expires_at AS lock_exp FROM nodes LEFT JOIN locks ON locks.node_id = nodes.id AND locks.expires_at > ? WHERE " + base
        var arguments: [any DatabaseValueConvertible] = [Timestamps.nowMicros()] + args
        if let after {
            let values = after.lastKey.map(dbValue) + [after.lastId]
            guard values.count == cols.count, values.allSatisfy({ $0 != nil }) else { throw APIError.invalid("Invalid pagination cursor.", param: "cursor") }
            sql += " AND (" + cols.map { "nodes.\($0)" }.joined(separator: ", ") + ") \(op) (" + cols.map { _ in "?" }.joined(separator: ", ") + ")"
            arguments += values.map { $0! }
        }
        sql += " ORDER BY " + cols.map { "nodes.\($0) \(dir.uppercased())" }.joined(separator: ", ") + " LIMIT \(pageSize + 1)"
        var rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments.map { $0.databaseValue }))
        var next: String?
        if rows.count > pageSize {
            rows.removeLast()
            let last = rows.last!
            next = ListCursor(folder: cursorFolder, sort: sort, dir: dir, lastKey: keyValues(last, sort), lastId: last["id"], pageSize: pageSize)
                .encode(emulator.signer)
        }
        return (rows, next)
    }

    static func lockFrom(_ row: Row) -> LockRow? {
        guard let user: String = row["lock_user"] else { return nil }
        return LockRow(nodeId: row["id"], userId: user, token: row["lock_token"], lockedAt: row["lock_at"], expiresAt: row["lock_exp"])
    }

    private func cursorInput(_ c: Call, folderKey: String, defaultSort: (String, String)) throws -> (ListCursor?, String, String, Int) {
        let requested = try sortParams(c)
        if let raw = c.param("cursor"), !raw.isEmpty {
            guard let cur = ListCursor.decode(raw, emulator.signer), cur.folder == folderKey else {
                throw APIError.invalid("Invalid pagination cursor (tampered or mismatched).", param: "cursor")
            }
            if let r = requested, r != (cur.sort, cur.dir) {
                throw APIError.invalid("Invalid pagination cursor (sort mismatch).", param: "cursor")
            }
            return (cur, cur.sort, cur.dir, cur.pageSize)
        }
        let (s, d) = requested ?? defaultSort
        return (nil, s, d, ListCursor.snap(try c.int("page_size")))
    }

    func list(_ c: Call, _ scope: Scope, folder raw: String) async throws -> Reply {
        let terse = try OutputLevel(c) == .terse
        return try await db.read { db -> Reply in
            let isTrash = raw.lowercased() == "trash"
            let folder = isTrash ? "trash" : try NodeLookup.folder(db, scope, raw)
            let folderKey = "\(scope.profileId):\(folder)"
            let (cursor, sort, dir, pageSize) = try cursorInput(c, folderKey: folderKey, defaultSort: ("name", "asc"))
            let rows: [Row]
            let next: String?
            if isTrash {
                (rows, next) = try keysetPage(
                    db, base: "nodes.storage_id = ? AND nodes.trashed = 1", args: [scope.storageId], sort: sort, dir: dir,
                    after: cursor, pageSize: pageSize, cursorFolder: folderKey)
            } else {
                (rows, next) = try keysetPage(
                    db, base: "nodes.storage_id = ? AND nodes.parent_id = ? AND nodes.trashed = 0", args: [scope.storageId, folder],
                    sort: sort, dir: dir, after: cursor, pageSize: pageSize, cursorFolder: folderKey)
            }
            var items: [JSON] = []
            items.reserveCapacity(rows.count)
            for row in rows {
                let n = NodeRow(row: row)
                if isTrash, let root = scope.rootFolder, !(try NodeLookup.isInside(db, n.id, folder: root)) { continue }
                items.append(NodeJSON.render(n, scope: scope, lock: Router.lockFrom(row), terse: terse))
            }
            var parent: JSON = .null
            var path = "/"
            if !isTrash, folder != scope.rootParent, let f = try NodeLookup.fetch(db, folder) {
                parent = .string(scope.displayParent(f.parentId))
                path = try NodeLookup.path(db, scope, folder: folder)
            }
            if isTrash { path = "/trash" }
            return .ok([
                ("nodes", .obj([("items", .array(items)), ("path", .string(path)), ("parent", parent)])),
                ("pagination", .obj([("has_more", .bool(next != nil)), ("next_cursor", .str(next)), ("page_size", .int(Int64(pageSize)))])),
            ])
        }
    }

    func recent(_ c: Call, _ scope: Scope) async throws -> Reply {
        let type = c.param("type")
        if let t = type, !["file", "folder", "link", "note"].contains(t) { throw APIError.invalid("Invalid type", param: "type") }
        let terse = try OutputLevel(c) == .terse
        return try await db.read { db -> Reply in
            let folderKey = "\(scope.profileId):recent:\(type ?? "")"
            var cursor: ListCursor?
            var pageSize = ListCursor.snap(try c.int("page_size"))
            if let raw = c.param("cursor"), !raw.isEmpty {
                guard let cur = ListCursor.decode(raw, emulator.signer), cur.folder == folderKey else {
                    // storage.md lists 406 (not 400) for a bad cursor on recent/.
                    var e = APIError.invalid("Invalid pagination cursor.", param: "cursor")
                    e = APIError(status: .notAcceptable, code: e.code, name: e.name, text: e.text, params: e.params)
                    throw e
                }
                cursor = cur
                pageSize = cur.pageSize
            }
            var base = "nodes.storage_id = ? AND nodes.trashed = 0"
            var args: [any DatabaseValueConvertible] = [scope.storageId]
            if let type { base += " AND nodes.type = ?"; args.append(type) }
            var items: [JSON] = []
            var next: String?
            var after = cursor
            // Subtree filtering for folder shares may drop rows; keep fetching until the page is full or exhausted.
            repeat {
                let (rows, n) = try keysetPage(db, base: base, args: args, sort: "updated", dir: "desc", after: after, pageSize: pageSize, cursorFolder: folderKey)
                next = n
                for row in rows {
                    let node = NodeRow(row: row)
                    if let root = scope.rootFolder, try node.id == root || !NodeLookup.isInside(db, node.id, folder: root) { continue }
                    // recent/ items also carry `updated` (storage.md "Recent Files").
                    let json = NodeJSON.render(node, scope: scope, lock: Router.lockFrom(row), terse: terse)
                    items.append(.object(json.pairs + [("updated", .string(Timestamps.plain(node.modified)))]))
                }
                after = n.flatMap { ListCursor.decode($0, emulator.signer) }
            } while items.isEmpty && next != nil
            return .ok([
                ("nodes", .obj([("count", .int(Int64(items.count))), ("items", .array(items))])),
                ("pagination", .obj([("has_more", .bool(next != nil)), ("next_cursor", .str(next)), ("page_size", .int(Int64(pageSize)))])),
            ])
        }
    }

    func search(_ c: Call, _ scope: Scope) async throws -> Reply {
        let q = try c.required("search")
        if scope.rootFolder != nil { throw APIError.notFound("Search is not available for workspace folder shares.") }
        let p = try Pagination.params(c)
        return try await db.read { db -> Reply in
            let pattern = "%" + q.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
            let total = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM nodes WHERE storage_id = ? AND trashed = 0 AND lower(name) LIKE ? ESCAPE '\\'",
                arguments: [scope.storageId, pattern]) ?? 0
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM nodes WHERE storage_id = ? AND trashed = 0 AND lower(name) LIKE ? ESCAPE '\\' ORDER BY name, id LIMIT ? OFFSET ?",
                arguments: [scope.storageId, pattern, p.limit, p.offset])
            var files: [(String, JSON)] = []
            for row in rows {
                let n = NodeRow(row: row)
                var o: [(String, JSON)] = [("name", .string(n.name)), ("parent_id", .string(scope.displayParent(n.parentId))), ("type", .string(n.type))]
                if n.hasContent { o.append(("size", .int(n.size ?? 0))) }
                files.append((Identifiers.display(n.id), .object(o)))
            }
            return .ok([("files", .object(files)), ("pagination", Pagination.json(total: total, limit: p.limit, offset: p.offset))])
        }
    }

    func details(_ c: Call, _ scope: Scope, ids raw: String) async throws -> Reply {
        let parts = raw.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let terse = try OutputLevel(c) == .terse
        if parts.count == 1 {
            return try await db.read { db -> Reply in
                let n = try NodeLookup.node(db, scope, raw)
                let lock = try NodeLookup.lock(db, n.id, now: Timestamps.nowMicros())
                return .ok([("format", "single"), ("node", NodeJSON.render(n, scope: scope, lock: lock, terse: terse))])
            }
        }
        var seen = Set<String>()
        let unique = parts.filter { seen.insert(Identifiers.canonical($0) ?? $0.lowercased()).inserted }
        if unique.count > 25 {
            throw APIError(status: .badRequest, code: 115519, name: "APP_ERROR_INPUT_INVALID", text: "Too many node ids: at most 25 per request.")
        }
        return try await db.read { db -> Reply in
            var nodes: [JSON] = []
            var errors: [JSON] = []
            let now = Timestamps.nowMicros()
            for id in unique {
                do {
                    guard Identifiers.canonical(id) != nil else {
                        errors.append(.obj([("node_id", .string(id)), ("code", 191878), ("message", "Invalid node id.")]))
                        continue
                    }
                    let n = try NodeLookup.node(db, scope, id)
                    nodes.append(NodeJSON.render(n, scope: scope, lock: try NodeLookup.lock(db, n.id, now: now), terse: terse))
                } catch is APIError {
                    errors.append(.obj([("node_id", .string(id)), ("code", 133123), ("message", "Node does not exist.")]))
                }
            }
            let status: HTTPResponse.Status = nodes.isEmpty ? .notFound : .ok
            return .json(status, [("format", "multi"), ("nodes", .array(nodes)), ("errors", .array(errors))], wrappable: true)
        }
    }
}

import Hummingbird
