import Foundation
import GRDB

/// Activity long-poll (`/activity/poll/[{profile_id}/]`) and `/events/search/`.
extension Router {
    /// Whether `user` may watch `channel`: own user id, the org, a visible workspace or share.
    private func canWatch(_ db: Database, channel: String, user: String) throws -> Bool {
        if channel == user || channel == emulator.orgId { return true }
        if let ws = try Access.workspace(db, channel), ws.id == channel { return try Access.canUseWorkspace(db, ws, user: user) }
        if let s = try Access.share(db, channel), s.id == channel { return try Access.canUseShare(db, s, user: user) }
        return false
    }

    func activityPoll(_ c: Call, profile: String?) async throws -> Reply {
        let me = try c.me
        let channel = profile ?? me.id
        let wait = try c.int("wait") ?? 0
        guard (0...95).contains(wait) else { throw APIError.invalid("wait must be 0-95", param: "wait") }
        var fields: [String] = []
        if let f = c.param("fields"), !f.isEmpty {
            fields = f.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if fields.count > 30 { throw APIError.invalid("At most 30 fields", param: "fields") }
        }
        guard Identifiers.isProfileId(channel), try await db.read({ db in try canWatch(db, channel: channel, user: me.id) }) else {
            throw APIError.invalid("Invalid profile id or insufficient permissions.", param: "profile_id")
        }
        // Without `lastactivity` the poll waits like any other, from the time the request arrived (the documents'
        // default "Current time"); on timeout it answers that time.
        let lastRaw: String
        let since: Int64
        if let given = c.param("lastactivity").flatMap({ $0.isEmpty ? nil : $0 }) {
            guard let parsed = Timestamps.parse(given) else { throw APIError.invalid("Invalid lastactivity", param: "lastactivity") }
            lastRaw = given
            since = parsed
        } else {
            since = emulator.clock.current
            lastRaw = Timestamps.micro(since)
        }
        let deadline = Date().addingTimeInterval(TimeInterval(wait))
        while true {
            let rows = try await db.read { db in
                try Row.fetchAll(db, sql: "SELECT key, ts FROM activity WHERE channel = ? AND ts > ? ORDER BY ts", arguments: [channel, since])
                    .map { ($0["key"] as String, $0["ts"] as Int64) }
            }
            let matching = rows.filter { row in
                fields.isEmpty || fields.contains { row.0 == $0 || row.0.hasPrefix($0 + ":") }
            }
            if !matching.isEmpty {
                var pairs: [(String, JSON)] = []
                var latest: Int64 = 0
                for (key, ts) in matching {
                    pairs.append((key, .string(Timestamps.micro(ts))))
                    latest = max(latest, ts)
                }
                return .top([("results", .int(Int64(pairs.count))), ("activity", .object(pairs)), ("lastactivity", .string(Timestamps.micro(latest)))])
            }
            if Date() >= deadline || emulator.stopping.isSet || Task.isCancelled {
                return .top([("results", 0), ("activity", []), ("lastactivity", .string(lastRaw))])
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func eventsSearch(_ c: Call) async throws -> Reply {
        let me = try c.me
        let level = try OutputLevel(c)
        let p = try Pagination.params(c, maxLimit: 250)
        var conditions: [String] = []
        var args: [any DatabaseValueConvertible] = []
        if let u = c.param("user_id") {
            conditions.append("e.calling_user = ?"); args.append(u)
        } else if let o = c.param("org_id") {
            guard o == emulator.orgId else { throw APIError.denied("Token scope does not include the requested profile.") }
            conditions.append("e.org_id = ?"); args.append(o)
        } else if let w = c.param("workspace_id") {
            let ws = try await db.read { db in try Access.workspace(db, w) }
            guard let ws, try await db.read({ db in try Access.canUseWorkspace(db, ws, user: me.id) }) else {
                throw APIError.denied("Token scope does not include the requested profile.")
            }
            conditions.append("e.workspace_id = ?"); args.append(ws.id)
        } else if let s = c.param("share_id") {
            let share = try await db.read { db in try Access.share(db, s) }
            guard let share, try await db.read({ db in try Access.canUseShare(db, share, user: me.id) }) else {
                throw APIError.denied("Token scope does not include the requested profile.")
            }
            conditions.append("e.share_id = ?"); args.append(share.id)
        } else {
            throw APIError.invalid("Event profile was missing.")
        }
        for (param, column) in [("event", "event"), ("category", "category"), ("subcategory", "sub_category"), ("calling_user_id", "calling_user")] {
            if let v = c.param(param), !v.isEmpty { conditions.append("e.\(column) = ?"); args.append(v) }
        }
        if let o = c.param("object_id"), !o.isEmpty { conditions.append("e.object_id = ?"); args.append(Identifiers.display(Identifiers.canonical(o) ?? o)) }
        var minTs: Int64?
        if let v = c.param("created-min"), !v.isEmpty {
            guard let t = Timestamps.parse(v) else { throw APIError.invalid("Invalid created-min", param: "created-min") }
            minTs = t; conditions.append("e.created >= ?"); args.append(t)
        }
        if let v = c.param("created-max"), !v.isEmpty {
            guard let t = Timestamps.parse(v) else { throw APIError.invalid("Invalid created-max", param: "created-max") }
            if let minTs, minTs > t { throw APIError.invalid("created-min is greater than created-max") }
            conditions.append("e.created <= ?"); args.append(t)
        }
        // Events the caller cannot access are excluded: only its own, or those of a workspace or share it can use.
        let (workspaces, shares) = try await db.read { db in try visibleProfiles(db, user: me.id) }
        var visible = ["e.calling_user = ?"]
        args.append(me.id)
        if !workspaces.isEmpty {
            visible.append("e.workspace_id IN (\(Array(repeating: "?", count: workspaces.count).joined(separator: ",")))")
            args += workspaces.map { $0 as any DatabaseValueConvertible }
        }
        if !shares.isEmpty {
            visible.append("e.share_id IN (\(Array(repeating: "?", count: shares.count).joined(separator: ",")))")
            args += shares.map { $0 as any DatabaseValueConvertible }
        }
        conditions.append("(" + visible.joined(separator: " OR ") + ")")
        let sql = "SELECT e.*, u.name AS uname FROM events e LEFT JOIN users u ON u.id = e.calling_user WHERE "
            + conditions.joined(separator: " AND ") + " ORDER BY e.seq DESC LIMIT \(p.limit) OFFSET \(p.offset)"
        let dbArgs = args.map { $0.databaseValue }
        let events = try await db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(dbArgs)).map { Router.eventJSON($0, level: level) }
        }
        return .top([("events", .array(events))])
    }

    /// Ids of the workspaces and shares `user` can use (owner, member, or member of the share's workspace).
    private func visibleProfiles(_ db: Database, user: String) throws -> ([String], [String]) {
        let workspaces = try String.fetchAll(
            db, sql: "SELECT id FROM workspaces WHERE owner_id = ? OR id IN (SELECT profile_id FROM members WHERE user_id = ?)",
            arguments: [user, user])
        let shares = try String.fetchAll(
            db,
            sql: """
                SELECT id FROM shares WHERE owner_id = ? OR id IN (SELECT profile_id FROM members WHERE user_id = ?)
                OR workspace_id IN (SELECT id FROM workspaces WHERE owner_id = ? OR id IN (SELECT profile_id FROM members WHERE user_id = ?))
                """, arguments: [user, user, user, user])
        return (workspaces, shares)
    }

    /// GET `event/{event_id}/details/`: the caller must have triggered the event or see its workspace/share.
    func eventDetails(_ c: Call, _ raw: String) async throws -> Reply {
        let me = try c.me
        let level = try OutputLevel(c)
        guard let id = Identifiers.canonical(raw) else { throw APIError.invalid("Event ID missing or not a valid OpaqueId.", param: "event_id") }
        let event = try await db.read { db -> JSON in
            guard let row = try Row.fetchOne(
                db, sql: "SELECT e.*, u.name AS uname FROM events e LEFT JOIN users u ON u.id = e.calling_user WHERE e.id = ?", arguments: [id])
            else { throw APIError.notFound("No event exists with the provided ID.") }
            var allowed = (row["calling_user"] as String) == me.id
            if !allowed, let w: String = row["workspace_id"], let ws = try Access.workspace(db, w) {
                allowed = try Access.canUseWorkspace(db, ws, user: me.id)
            }
            if !allowed, let s: String = row["share_id"], let share = try Access.share(db, s) {
                allowed = try Access.canUseShare(db, share, user: me.id)
            }
            guard allowed else { throw APIError.invalid("You do not have permission to view this event.") }
            return Router.eventJSON(row, level: level)
        }
        return .top([("event", event)])
    }

    /// Keys kept at each `output` level (events-activity-realtime.md "Compact Responses"); `full` keeps everything.
    static let terseEventKeys: Set<String> = ["event_id", "event", "category", "object_id", "created"]
    static let standardEventKeys: Set<String> = terseEventKeys.union([
        "sub_category", "calling_user", "org_id", "workspace_id", "user_id", "share_id", "acknowledged", "template", "severity",
        "visibility", "notification",
    ])

    static func eventJSON(_ row: Row, level: OutputLevel) -> JSON {
        let full = eventJSON(row)
        switch level {
        case .full: return full
        case .standard: return .object(full.pairs.filter { standardEventKeys.contains($0.0) })
        case .terse: return .object(full.pairs.filter { terseEventKeys.contains($0.0) })
        }
    }

    static func eventJSON(_ row: Row) -> JSON {
            var o: [(String, JSON)] = [
                ("event_id", .string(Identifiers.display(row["id"]))), ("created", .string(Timestamps.plain(row["created"]))),
                ("acknowledged", false), ("event", .string(row["event"])), ("category", .string(row["category"])),
                ("sub_category", .string(row["sub_category"])), ("object_id", .str(row["object_id"])),
                ("calling_user", .string(row["calling_user"])), ("calling_user_name", .str(row["uname"])),
                ("org_id", .str(row["org_id"])),
            ]
            if let w: String = row["workspace_id"] { o.append(("workspace_id", .string(w))) }
            if let s: String = row["share_id"] { o.append(("share_id", .string(s))) }
            if let data = JSON.parse(row["data"]) {
                for (k, v) in data.pairs where !o.contains(where: { $0.0 == k }) { o.append((k, v)) }
                // The documented example names these `filename` / `file_size`.
                if let name = data["name"] { o.append(("filename", name)) }
                if let size = data["size"] { o.append(("file_size", size)) }
            }
            return .object(o)
    }
}
