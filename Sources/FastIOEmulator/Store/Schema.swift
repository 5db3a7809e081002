import GRDB

/// The SQLite schema (GRDB migrations). Nodes are keyed by canonical OpaqueId; a node's `storage_id` is the
/// workspace id (or portal share id) owning it; `parent_id` is `root` or a folder id; `trashed` is
/// 0 (live), 1 (trashed top-level item, listed in trash) or 2 (inside a trashed folder).
enum Schema {
    static func migrator() -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
                    is_primary INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);
                CREATE TABLE workspaces(id TEXT PRIMARY KEY, folder_name TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                    description TEXT, owner_id TEXT NOT NULL, perm_join TEXT NOT NULL, perm_member_manage TEXT NOT NULL,
                    intelligence INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL);
                CREATE TABLE shares(id TEXT PRIMARY KEY, custom_name TEXT NOT NULL UNIQUE, title TEXT,
                    description TEXT, workspace_id TEXT NOT NULL, owner_id TEXT NOT NULL, storage_mode TEXT NOT NULL,
                    folder_node_id TEXT, share_type TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
                CREATE TABLE members(profile_id TEXT NOT NULL, user_id TEXT NOT NULL, permissions TEXT NOT NULL,
                    created INTEGER NOT NULL, PRIMARY KEY(profile_id, user_id));
                CREATE TABLE invitations(id TEXT PRIMARY KEY, profile_id TEXT NOT NULL, email TEXT NOT NULL,
                    permissions TEXT NOT NULL, inviter TEXT NOT NULL, created INTEGER NOT NULL);
                CREATE TABLE nodes(id TEXT PRIMARY KEY, storage_id TEXT NOT NULL, parent_id TEXT NOT NULL,
                    name TEXT NOT NULL, type TEXT NOT NULL, size INTEGER, blob TEXT, version_id TEXT,
                    mimetype TEXT, mimecategory TEXT, created INTEGER NOT NULL, modified INTEGER NOT NULL,
                    trashed INTEGER NOT NULL DEFAULT 0, trashed_at INTEGER, creator TEXT NOT NULL,
                    upload_id TEXT, target_id TEXT);
                CREATE UNIQUE INDEX nodes_live_name ON nodes(storage_id, parent_id, name) WHERE trashed = 0;
                CREATE INDEX nodes_by_name ON nodes(storage_id, parent_id, name, id) WHERE trashed = 0;
                CREATE INDEX nodes_by_modified ON nodes(storage_id, parent_id, modified, id) WHERE trashed = 0;
                CREATE INDEX nodes_by_created ON nodes(storage_id, parent_id, created, id) WHERE trashed = 0;
                CREATE INDEX nodes_by_type ON nodes(storage_id, parent_id, type, name, id) WHERE trashed = 0;
                CREATE INDEX nodes_children ON nodes(parent_id);
                CREATE INDEX nodes_recent ON nodes(storage_id, modified, id) WHERE trashed = 0;
                CREATE INDEX nodes_trash ON nodes(storage_id, trashed);
                CREATE TABLE versions(id TEXT PRIMARY KEY, node_id TEXT NOT NULL, number INTEGER NOT NULL,
                    created INTEGER NOT NULL, operation TEXT NOT NULL, size INTEGER NOT NULL, hash TEXT NOT NULL,
                    name TEXT NOT NULL, blob TEXT NOT NULL);
                CREATE INDEX versions_node ON versions(node_id, number);
                CREATE TABLE uploads(id TEXT PRIMARY KEY, user_id TEXT NOT NULL, name TEXT NOT NULL, size INTEGER,
                    status TEXT NOT NULL, status_message TEXT, new_file_id TEXT, instance_id TEXT, folder_id TEXT,
                    profile_type TEXT, hash TEXT, hash_algo TEXT, stream INTEGER NOT NULL DEFAULT 0,
                    max_size INTEGER, action TEXT NOT NULL, file_id TEXT, blob TEXT, sha256 TEXT,
                    created INTEGER NOT NULL, updated INTEGER NOT NULL);
                CREATE TABLE upload_chunks(upload_id TEXT NOT NULL, ord INTEGER NOT NULL, size INTEGER NOT NULL,
                    PRIMARY KEY(upload_id, ord));
                CREATE TABLE locks(node_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, token TEXT NOT NULL,
                    locked_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, duration INTEGER NOT NULL,
                    client_info TEXT);
                CREATE TABLE activity(channel TEXT NOT NULL, key TEXT NOT NULL, ts INTEGER NOT NULL,
                    PRIMARY KEY(channel, key));
                CREATE INDEX activity_ts ON activity(channel, ts);
                CREATE TABLE events(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, created INTEGER NOT NULL,
                    event TEXT NOT NULL, category TEXT NOT NULL, sub_category TEXT NOT NULL, object_id TEXT,
                    calling_user TEXT NOT NULL, workspace_id TEXT, share_id TEXT, org_id TEXT, data TEXT NOT NULL);
                CREATE INDEX events_ws ON events(workspace_id, seq);
                CREATE INDEX events_share ON events(share_id, seq);
                """)
        }
        m.registerMigration("v2-blob-references") { db in
            // Blob garbage collection asks "does anything still reference this hash?" after purges and cancels.
            try db.execute(sql: """
                CREATE INDEX IF NOT EXISTS versions_blob ON versions(blob);
                CREATE INDEX IF NOT EXISTS uploads_sha256 ON uploads(sha256);
                """)
        }
        return m
    }
}
