import Foundation
import GRDB

/// File locks: acquire (duration 60-3600, default 300), heartbeat, status, release. Expiry is by wall clock;
/// locks persist in SQLite. Another user's lock → 409; wrong token → 403. Acquiring needs the right to modify the
/// node; heartbeat and release need guest or above in a workspace and only the token in a share.
extension Router {
    private func lockToken() -> String {
        (0..<32).map { _ in String(Identifiers.base36[Int.random(in: 0..<36)]) }.joined()
    }

    func lockAcquire(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let duration = try c.int("duration") ?? 300
        guard (60...3600).contains(duration) else { throw APIError.invalid("duration must be 60-3600 seconds", param: "duration") }
        let granted = min(duration, emulator.config.maxLockSeconds ?? duration)
        let clientInfo = c.param("client_info")
        if let ci = clientInfo, !ci.isEmpty, JSON.parse(ci) == nil { throw APIError.invalid("client_info must be JSON", param: "client_info") }
        return try await db.write { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            try scope.requireModify(n)
            let now = Timestamps.nowMicros()
            let expires = now + Int64(granted) * 1_000_000
            var token = lockToken()
            var lockedAt = now
            if let existing = try NodeLookup.lock(db, n.id, now: now) {
                guard existing.userId == me.id else { throw APIError.conflict("Node already locked by another user.") }
                token = existing.token
                lockedAt = existing.lockedAt
            }
            try db.execute(
                sql: """
                    INSERT INTO locks(node_id, user_id, token, locked_at, expires_at, duration, client_info) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(node_id) DO UPDATE SET user_id = excluded.user_id, token = excluded.token, locked_at = excluded.locked_at,
                        expires_at = excluded.expires_at, duration = excluded.duration, client_info = excluded.client_info
                    """, arguments: [n.id, me.id, token, lockedAt, expires, granted, clientInfo])
            try ActivityLog.bump(db, channel: scope.workspaceId, keys: ["storage:" + Identifiers.display(n.id)], ts: emulator.clock.next())
            return .ok([("lock_token", .string(token)), ("locked_at", .string(Timestamps.iso(lockedAt))),
                        ("expires_at", .string(Timestamps.iso(expires))), ("node_id", .string(Identifiers.display(n.id))),
                        ("time_remaining", .int(Int64(granted)))])
        }
    }

    func lockHeartbeat(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let token = try c.required("lock_token")
        try scope.require(.renewLock)
        return try await db.write { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM locks WHERE node_id = ?", arguments: [n.id]) else {
                throw APIError.notFound("No lock exists on this node.")
            }
            let lock = LockRow(row: row)
            let duration: Int64 = row["duration"]
            let now = Timestamps.nowMicros()
            guard lock.token == token else {
                if lock.expiresAt <= now { throw APIError.notFound("Lock has expired.") }
                throw APIError.denied("Lock token does not match.")
            }
            guard lock.userId == me.id else { throw APIError.denied("Lock token does not match.") }
            let expires = now + duration * 1_000_000
            try db.execute(sql: "UPDATE locks SET expires_at = ?, locked_at = CASE WHEN expires_at <= ? THEN ? ELSE locked_at END WHERE node_id = ?",
                           arguments: [expires, now, now, n.id])
            return .ok([("expires_at", .string(Timestamps.iso(expires))), ("time_remaining", .int(duration))])
        }
    }

    func lockStatus(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        try await db.read { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            let now = Timestamps.nowMicros()
            guard let l = try NodeLookup.lock(db, n.id, now: now) else { return .ok([("locked", false)]) }
            return .ok([("locked", true), ("locked_at", .string(Timestamps.iso(l.lockedAt))), ("expires_at", .string(Timestamps.iso(l.expiresAt))),
                        ("node_id", .string(Identifiers.display(n.id))), ("time_remaining", .int(max(0, (l.expiresAt - now) / 1_000_000))),
                        ("locker_uid", .string(l.userId))])
        }
    }

    func lockRelease(_ c: Call, _ scope: Scope, id: String) async throws -> Reply {
        let me = try c.me
        let token = try c.required("lock_token")
        try scope.require(.renewLock)
        return try await db.write { db -> Reply in
            let n = try NodeLookup.liveNode(db, scope, id)
            guard let l = try NodeLookup.lock(db, n.id, now: Timestamps.nowMicros()) else { throw APIError.notFound("No lock exists on this node.") }
            guard l.token == token, l.userId == me.id else { throw APIError.denied("Lock token does not match.") }
            try db.execute(sql: "DELETE FROM locks WHERE node_id = ?", arguments: [n.id])
            try ActivityLog.bump(db, channel: scope.workspaceId, keys: ["storage:" + Identifiers.display(n.id)], ts: emulator.clock.next())
            return .ok([("released", true)])
        }
    }
}
