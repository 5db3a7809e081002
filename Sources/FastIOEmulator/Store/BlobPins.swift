
/// Blob hashes that were just written (or found already present) and are not yet referenced by a committed row.
/// Invariant: a pinned blob is never deleted; a hash stays pinned from `BlobStore.commit` until its writer has
/// committed the row that references it (or given up), so garbage collection cannot race an upload or note write.
final class BlobPins: Sendable {
    private let counts = Locked<[String: Int]>([:])

    /// Pins `hash` and runs `body` while holding the lock (a removal cannot interleave with it).
    func pin(_ hash: String, while body: () -> Int32) -> Int32 {
        counts.withLock { c in
            c[hash, default: 0] += 1
            return body()
        }
    }

    func unpin(_ hash: String) {
        counts.withLock { c in
            let n = c[hash, default: 1] - 1
            c[hash] = n <= 0 ? nil : n
        }
    }

    /// Runs `remove` unless `hash` is pinned; true if it ran.
    func unlessPinned(_ hash: String, _ remove: () -> Void) -> Bool {
        counts.withLock { c in
            if c[hash] != nil { return false }
            remove()
            return true
        }
    }
}
