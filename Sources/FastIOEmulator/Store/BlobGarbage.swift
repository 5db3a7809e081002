import GRDB

/// Deletes blob files nothing refers to any more. Every node's content is also its latest version's blob, so a
/// blob is referenced iff a `versions` row names it or an upload session holds it for placement (status
/// complete/store/storing). A `stored` session no longer holds its content: the node it created does.
/// Invariant: the reference check and the deletion run inside one write transaction (writers are serialized) and
/// pinned blobs are skipped, so a blob that a concurrent writer is about to reference is never deleted.
enum BlobGarbage {
    static func isReferenced(_ db: Database, _ hash: String) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM versions WHERE blob = ?) OR EXISTS(SELECT 1 FROM uploads WHERE sha256 = ? AND status IN ('complete', 'store', 'storing'))"),
            arguments: [hash, hash]) ?? true
    }

    /// Removes the unreferenced, unpinned blobs among `hashes`; returns how many files were deleted.
    @discardableResult
    static func collect(_ db: Database, _ blobs: BlobStore, _ hashes: Set<String>) throws -> Int {
        var removed = 0
        for hash in hashes where !(try isReferenced(db, hash)) {
            if blobs.removeUnlessPinned(hash) { removed += 1 }
        }
        return removed
    }

    /// Blob hashes of every version of the given nodes (collect after their rows are gone).
    static func blobs(ofNodes ids: [String], _ db: Database) throws -> Set<String> {
        var out = Set<String>()
        for id in ids {
            for h in try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT blob FROM versions WHERE node_id = ?"), arguments: [id]) {
                out.insert(h)
            }
        }
        return out
    }
}

extension Emulator {
    /// Deletes the unreferenced blobs among `hashes` in a write transaction of its own (after the change that
    /// dropped the references has committed). Failures are logged, never surfaced: the data stays consistent.
    func collectBlobs(_ hashes: Set<String>) async {
        guard !hashes.isEmpty else { return }
        let blobs = self.blobs
        do {
            _ = try await db.write { db in try BlobGarbage.collect(db, blobs, hashes) }
        } catch {
            logger.warning("blob garbage collection failed: \(error)")
        }
    }
}

extension Emulator {
    /// Runs `body`, which records a reference to the freshly committed (pinned) blob `hash`, then unpins it; if
    /// `body` fails the blob is collected again, so a rejected write (e.g. a duplicate name) leaves no file behind.
    func referencing<T>(_ hash: String?, _ body: () async throws -> T) async throws -> T {
        guard let hash else { return try await body() }
        do {
            let result = try await body()
            blobs.pins.unpin(hash)
            return result
        } catch {
            blobs.pins.unpin(hash)
            await collectBlobs([hash])
            throw error
        }
    }
}
