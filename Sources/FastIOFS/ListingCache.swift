import FastIO

/// A complete listing of one directory, in server order, with a name index.
///
/// Invariant: `entries` is every entry of the directory as of `fetchedAt`; `positions[name]` is the
/// index of the first entry with that name.
public struct CompleteListing: Sendable {
    public let entries: [ListedEntry]
    private let positions: [String: Int]
    public let fetchedAt: Double

    public init(entries: [ListedEntry], fetchedAt: Double) {
        self.entries = entries
        var positions = [String: Int](minimumCapacity: entries.count)
        for (index, entry) in entries.enumerated() where positions[entry.name] == nil {
            positions[entry.name] = index
        }
        self.positions = positions
        self.fetchedAt = fetchedAt
    }

    public func entry(named name: String) -> ListedEntry? {
        positions[name].map { entries[$0] }
    }
}

/// Complete listings of recently listed directories, trusted for the metadata TTL, as the mount
/// shows them (server entries with this mount's local changes applied).
///
/// Invariants: only listings of at most `maxEntriesPerListing` entries are kept (a patch that grows
/// one past it drops it); the total number of cached entries stays at most `maxTotalEntries`
/// (oldest listings evicted first); `fresh` never returns a listing older than the TTL. A listing is
/// stored with the local overlay applied under this cache's lock, and local changes patch it under
/// the same lock after entering the overlay, so no change is lost between a server listing and its
/// storing (lock order: this cache, then `LocalOverlay`). Thread-safe.
public final class ListingCache: Sendable {
    public let ttl: Double
    public let maxEntriesPerListing: Int
    public let maxTotalEntries: Int
    private struct State {
        var listings: [UInt64: CompleteListing] = [:]
        var order: [UInt64] = []
        var totalEntries = 0
    }
    private let state = Locked(State())

    public init(ttl: Double, maxEntriesPerListing: Int = 20_000, maxTotalEntries: Int = 200_000) {
        self.ttl = ttl
        self.maxEntriesPerListing = maxEntriesPerListing
        self.maxTotalEntries = max(maxTotalEntries, maxEntriesPerListing)
    }

    /// The cached listing of directory `ino` if it is younger than the TTL at `now`.
    public func fresh(_ ino: UInt64, now: Double) -> CompleteListing? {
        state.withLock { state in
            guard let listing = state.listings[ino] else { return nil }
            return now - listing.fetchedAt < ttl ? listing : nil
        }
    }

    /// The cached listing of `ino` if it is younger than `maxAge` (capped by the cache's TTL) at `now`.
    public func fresh(_ ino: UInt64, now: Double, maxAge: Double) -> CompleteListing? {
        state.withLock { state in
            guard let listing = state.listings[ino] else { return nil }
            return now - listing.fetchedAt < min(ttl, maxAge) ? listing : nil
        }
    }

    /// The cached listing of `ino` whatever its age (what the mount last believed; coherence diffs).
    public func cached(_ ino: UInt64) -> CompleteListing? {
        state.withLock { $0.listings[ino] }
    }

    /// Stores `listing` as the cached listing of `ino`; `local` (the mount's overlay of that folder)
    /// is applied to it under the cache's lock. Answers the listing as stored.
    @discardableResult
    public func store(_ listing: CompleteListing, for ino: UInt64,
                      applying local: (([ListedEntry]) -> [ListedEntry])? = nil) -> CompleteListing {
        guard ttl > 0 else { return local.map { CompleteListing(entries: $0(listing.entries), fetchedAt: listing.fetchedAt) } ?? listing }
        return state.withLock { state in
            let listing = local.map { CompleteListing(entries: $0(listing.entries), fetchedAt: listing.fetchedAt) } ?? listing
            remove(ino, from: &state)
            guard listing.entries.count <= maxEntriesPerListing else { return listing }
            state.listings[ino] = listing
            state.order.append(ino)
            state.totalEntries += listing.entries.count
            while state.totalEntries > maxTotalEntries, let oldest = state.order.first {
                remove(oldest, from: &state)
            }
            return listing
        }
    }

    /// Applies a local change to the cached listing of `ino` (if any), keeping its age: our own
    /// creates, renames and deletes stay visible without listing the folder again.
    public func patch(_ ino: UInt64, _ change: ([ListedEntry]) -> [ListedEntry]) {
        state.withLock { state in
            guard let old = state.listings[ino] else { return }
            let entries = change(old.entries)
            guard entries.count <= maxEntriesPerListing else {
                remove(ino, from: &state)
                return
            }
            state.totalEntries += entries.count - old.entries.count
            state.listings[ino] = CompleteListing(entries: entries, fetchedAt: old.fetchedAt)
        }
    }

    public func invalidate(_ ino: UInt64) {
        state.withLock { remove(ino, from: &$0) }
    }

    private func remove(_ ino: UInt64, from state: inout State) {
        guard let old = state.listings.removeValue(forKey: ino) else { return }
        state.totalEntries -= old.entries.count
        state.order.removeAll { $0 == ino }
    }
}
