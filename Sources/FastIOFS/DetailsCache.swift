import FastIO

/// Recently fetched full node details (hash, MIME type ...), for xattr reads.
///
/// Invariants: an answer is never older than `ttl`; at most `capacity` nodes are kept (cleared
/// wholesale when full: xattr reads are rare, so simplicity beats LRU here). Thread-safe.
final class DetailsCache: Sendable {
    let ttl: Double
    let capacity: Int
    private let entries = Locked<[UInt64: (node: RemoteNode, fetchedAt: Double)]>([:])

    init(ttl: Double, capacity: Int = 256) {
        self.ttl = ttl
        self.capacity = capacity
    }

    func fresh(_ ino: UInt64, now: Double) -> RemoteNode? {
        entries.withLock { entries in
            guard let hit = entries[ino], now - hit.fetchedAt < ttl else { return nil }
            return hit.node
        }
    }

    func invalidate(_ ino: UInt64) {
        _ = entries.withLock { $0.removeValue(forKey: ino) }
    }

    func store(_ node: RemoteNode, for ino: UInt64, at time: Double) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[ino] = (node, time)
        }
    }
}
