import GRDB

/// Records changes: bumps activity keys (`storage:<id>`, bare `storage`, `upload:<id>`) with a unique, strictly
/// increasing microsecond timestamp on every channel that can see the change, and appends storage events.
enum ActivityLog {
    /// Channels that see a change to `nodes` under `parents` in a storage namespace.
    static func channels(_ db: Database, scope: Scope, nodes: [String], parents: [String]) throws -> [String] {
        if scope.share != nil, scope.rootFolder == nil { return [scope.profileId] }  // portal share
        var out = [scope.workspaceId]
        let folderShares = try Row.fetchAll(
            db, sql: "SELECT id, folder_node_id FROM shares WHERE workspace_id = ? AND storage_mode = 'workspace_folder'",
            arguments: [scope.workspaceId])
        for row in folderShares {
            guard let folder: String = row["folder_node_id"] else { continue }
            var visible = false
            for p in parents where try p == folder || (p != "root" && NodeLookup.isInside(db, p, folder: folder)) { visible = true }
            if !visible {
                for n in nodes where try n == folder || NodeLookup.isInside(db, n, folder: folder) { visible = true }
            }
            if visible { out.append(row["id"]) }
        }
        return out
    }

    static func bump(_ db: Database, channel: String, keys: [String], ts: Int64) throws {
        for key in keys {
            try db.execute(
                sql: "INSERT INTO activity(channel, key, ts) VALUES (?, ?, ?) ON CONFLICT(channel, key) DO UPDATE SET ts = excluded.ts",
                arguments: [channel, key, ts])
        }
    }

    /// Bumps storage keys for the nodes and their parent folders, and records one event.
    static func storage(
        _ db: Database, _ emulator: Emulator, scope: Scope, nodes: [String], parents: [String], event: String,
        objectId: String, user: String, data: [(String, JSON)]
    ) throws {
        let ts = emulator.clock.next()
        var keys = ["storage"]
        for id in nodes + parents where id != "root" { keys.append("storage:" + Identifiers.display(id)) }
        for channel in try channels(db, scope: scope, nodes: nodes, parents: parents) {
            try bump(db, channel: channel, keys: Array(Set(keys)), ts: ts)
        }
        try db.execute(
            sql: """
                INSERT INTO events(id, created, event, category, sub_category, object_id, calling_user, workspace_id, share_id, org_id, data)
                VALUES (?, ?, ?, ?, 'storage', ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                Identifiers.opaque("c"), ts, scope.eventPrefix + event, scope.kind.rawValue, Identifiers.display(objectId), user,
                scope.share == nil || scope.rootFolder != nil ? scope.workspaceId : nil, scope.share?.id, emulator.orgId,
                JSON.object(data).serialized(),
            ])
    }

    /// Bumps `upload:<id>` on the uploading user's channel.
    static func upload(_ db: Database, _ emulator: Emulator, uploadId: String, user: String) throws {
        try bump(db, channel: user, keys: ["upload:" + Identifiers.display(uploadId), "upload"], ts: emulator.clock.next())
    }
}
