import Crypto
import Foundation
import GRDB

/// Opens DATA/meta.sqlite (WAL via DatabasePool), migrates it, and provides the org/user bootstrap.
/// Invariant: one org per data dir; the primary user is the row with is_primary = 1 (name `owner`).
struct Store: Sendable {
    static let primaryName = "owner"

    let pool: DatabasePool
    let blobs: BlobStore
    let orgId: String
    let signingKey: [UInt8]

    init(dataDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: dataDirectory + "/meta.sqlite", configuration: config)
        try Schema.migrator().migrate(pool)
        blobs = try BlobStore(root: dataDirectory)
        let (org, key) = try pool.write { db -> (String, String) in
            func meta(_ key: String, _ make: () -> String) throws -> String {
                if let v = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) { return v }
                let v = make()
                try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?)", arguments: [key, v])
                return v
            }
            let org = try meta("org_id") { Identifiers.profileId() }
            let key = try meta("hmac_key") { Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }
            return (org, key)
        }
        orgId = org
        signingKey = Array(Data(base64Encoded: key)!)
        _ = try ensureUser(name: Store.primaryName, primary: true)
    }

    /// Returns the stable id of the user called `name`, creating it on first sight.
    func ensureUser(name: String, primary: Bool = false) throws -> String {
        try pool.write { db in
            if let id = try String.fetchOne(db, sql: "SELECT id FROM users WHERE name = ?", arguments: [name]) { return id }
            let id = Identifiers.profileId()
            try db.execute(
                sql: "INSERT INTO users(id, name, email, is_primary, created) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, name, "\(name)@emulator.local", primary ? 1 : 0, Timestamps.nowMicros()])
            return id
        }
    }

    var primaryUserId: String {
        get throws { try pool.read { db in try String.fetchOne(db, sql: "SELECT id FROM users WHERE is_primary = 1")! } }
    }
}
