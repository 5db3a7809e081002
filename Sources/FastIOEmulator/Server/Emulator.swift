import Foundation
import GRDB
import Logging

/// The running emulator's shared state: configuration, store, clock, signer, token table and in-flight gates.
/// Invariant: all persistent state lives in `store` (SQLite + blob files); the rest is derived or per-process.
final class Emulator: Sendable {
    let config: EmulatorConfig
    let store: Store
    let clock: MonotonicClock
    let signer: Signer
    /// Bearer token -> user, loaded once at start: users never change while the server runs, and a
    /// synchronous database read per request would block Swift's cooperative threads (two on two
    /// cores) while GRDB waits for a free reader, which deadlocked the server under parallel reads.
    let users: [String: UserRow]
    let chunkGate = InFlightGate(limit: 3)
    let assembly = IncrementalAssembly()
    let faults: FaultInjector
    let rateWindow = RateLimitWindow()
    let logger: Logger
    let stopping = StopFlag()

    var db: DatabasePool { store.pool }
    var blobs: BlobStore { store.blobs }
    var orgId: String { store.orgId }
    var envelope: EnvelopeMode { config.envelope }

    init(config: EmulatorConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        store = try Store(dataDirectory: config.dataDirectory)
        var tokens: [String: String] = [:]
        if let t = config.primaryToken { tokens[t] = try store.primaryUserId }
        for u in config.users { tokens[u.token] = try store.ensureUser(name: u.name) }
        users = try store.pool.read { db in
            try tokens.mapValues { id in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]) else {
                    throw DatabaseError(message: "user \(id) missing")
                }
                return UserRow(row: row)
            }
        }
        let floor = try store.pool.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(ts) FROM activity") ?? 0 }
        clock = MonotonicClock(floor: floor)
        signer = Signer(keyBytes: store.signingKey)
        faults = FaultInjector(failRate: config.failRate, rateLimitRate: config.rateLimitRate,
                               uploadFailRate: config.uploadFailRate)
    }

    func user(forToken token: String) -> UserRow? { users[token] }
}

/// Set once shutdown starts, so long-polls return promptly.
final class StopFlag: Sendable {
    private let value = Locked(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Counts in-flight operations per key and refuses more than `limit` at once.
final class InFlightGate: Sendable {
    private let counts = Locked<[String: Int]>([:])
    let limit: Int
    init(limit: Int) { self.limit = limit }

    func enter(_ key: String) -> Bool {
        counts.withLock { c in
            let n = c[key, default: 0]
            if n >= limit { return false }
            c[key] = n + 1
            return true
        }
    }

    func leave(_ key: String) {
        counts.withLock { c in
            let n = c[key, default: 1] - 1
            c[key] = n <= 0 ? nil : n
        }
    }
}
