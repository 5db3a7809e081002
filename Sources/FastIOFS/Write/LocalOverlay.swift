import FastIO

/// What this mount changed in server folders that a server listing may not show yet, per folder
/// (the counterpart of rclone's `Dir.virtual`): names it put there and nodes it took away. Every
/// listing of a server folder passes through `view(of:)` before anyone sees it (pages, complete
/// listings, lookups, the activity refresh), so the server's lag shows nowhere.
///
/// Rules:
/// - A change made at `since` describes the folder until a listing started after `since` shows
///   the server's word (which then wins: it may hold other users' later changes), or until it
///   expires `lifetime` seconds later.
/// - A spooled file (created here, not placed yet) is listed while it is spooled, whatever the
///   server says; a name under which an upload is placing a file this mount has renamed or deleted
///   meanwhile is hidden until its uploader clears it.
/// - A pending identity of a placed file resolves to its node (`alias`) for `lifetime` seconds, for
///   inodes and cached listings made from the pending identity at the wrong moment.
///
/// Invariants (bounded by construction): timed entries live in one FIFO of at most `capacity`
/// entries, each dropped when it expires or is pushed out; spooled and placing entries are removed
/// by their owner and number at most the spool's live files. No I/O under the lock, which is taken
/// inside `ListingCache`'s (see docs/ARCHITECTURE.md) and never around another.
final class LocalOverlay: Sendable {
    static let defaultLifetime: Double = 60
    static let defaultCapacity = 10_000

    struct FolderKey: Hashable, Sendable {
        let profile: Int
        let folderID: String
    }

    /// A name this mount put in a folder.
    struct Presence: Sendable {
        let identity: NodeIdentity
        let metadata: NodeMetadata
        /// When the change was made; nil for a spooled file (listed whatever a listing says).
        let since: Double?
        /// The spool key of a spooled file.
        let key: String?
    }

    private struct Folder: Sendable {
        var present: [String: Presence] = [:]
        /// The name of each node's timed presence (so a new change replaces the old one at once).
        var nameOf: [NodeIdentity: String] = [:]
        /// Node id -> when this mount removed it from here (+infinity while the request runs).
        var absent: [String: Double] = [:]
        /// Names an upload is placing here for a file renamed or deleted since (name -> spool key).
        var placingAway: [String: String] = [:]
        var isEmpty: Bool { present.isEmpty && absent.isEmpty && placingAway.isEmpty }
    }

    private enum Timed: Sendable {
        case present(FolderKey, name: String, since: Double)
        case absent(FolderKey, id: String, since: Double)
        case alias(key: String, since: Double)
    }

    private struct Alias: Sendable {
        let identity: NodeIdentity
        let metadata: NodeMetadata
        let since: Double
    }

    private struct State: Sendable {
        var folders: [FolderKey: Folder] = [:]
        var spooled: [String: (folder: FolderKey, name: String)] = [:]
        var placing: [String: (folder: FolderKey, name: String)] = [:]
        var aliases: [String: Alias] = [:]
        var timed: [(at: Double, entry: Timed)] = []
        var head = 0
    }

    let lifetime: Double
    let capacity: Int
    private let state = Locked(State())

    init(lifetime: Double = LocalOverlay.defaultLifetime, capacity: Int = LocalOverlay.defaultCapacity) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    // MARK: - spooled files

    /// A file created here (not on the server yet) is listed as `name` in `folder`.
    func addSpooled(key: String, identity: NodeIdentity, in folder: FolderKey, name: String, metadata: NodeMetadata) {
        state.withLock { state in
            Self.dropSpooled(key, &state)
            state.folders[folder, default: Folder()].present[name] = Presence(identity: identity, metadata: metadata,
                                                                              since: nil, key: key)
            state.spooled[key] = (folder, name)
        }
    }

    /// The spooled file `key` is no longer listed from the spool (placed, or deleted).
    func removeSpooled(key: String) {
        state.withLock { Self.dropSpooled(key, &$0) }
    }

    // MARK: - changes of server nodes

    /// Node `id` is `name` in `folder` with `metadata` since `now` (created, moved or renamed here,
    /// placed by an upload, or given a new version).
    func noteNode(_ identity: NodeIdentity, in folder: FolderKey, name: String, metadata: NodeMetadata, now: Double) {
        state.withLock { state in
            prune(&state, now: now)
            var entries = state.folders[folder, default: Folder()]
            if let old = entries.nameOf[identity], entries.present[old]?.key == nil { entries.present[old] = nil }
            if let replaced = entries.present[name], replaced.key == nil { entries.nameOf[replaced.identity] = nil }
            entries.present[name] = Presence(identity: identity, metadata: metadata, since: now, key: nil)
            entries.nameOf[identity] = name
            // A removal under way or made later than this change stands.
            if case .remote(_, let id) = identity, let removed = entries.absent[id], removed < now { entries.absent[id] = nil }
            state.folders[folder] = entries
            push(.present(folder, name: name, since: now), at: now, &state)
        }
    }

    /// This mount is removing node `id` from `folder` (delete, or moved away): hidden from listings
    /// from now on; `removed` or `removalFailed` follows once the request returned.
    func noteRemoving(_ id: String, from folder: FolderKey, name: String?) {
        state.withLock { state in
            var entries = state.folders[folder, default: Folder()]
            entries.absent[id] = .infinity
            if let name, let presence = entries.present[name], case .remote(_, id) = presence.identity {
                entries.present[name] = nil
                if presence.key == nil { entries.nameOf[presence.identity] = nil }
            }
            state.folders[folder] = entries
        }
    }

    /// The removal of `id` from `folder` was done at `now`.
    func removed(_ id: String, from folder: FolderKey, now: Double) {
        state.withLock { state in
            prune(&state, now: now)
            guard state.folders[folder]?.absent[id] != nil else { return }
            state.folders[folder]?.absent[id] = now
            push(.absent(folder, id: id, since: now), at: now, &state)
        }
    }

    /// The removal of `id` failed: the node stays, and listings show it again.
    func removalFailed(_ id: String, from folder: FolderKey) {
        state.withLock { state in
            state.folders[folder]?.absent[id] = nil
            Self.dropIfEmpty(folder, &state)
        }
    }

    // MARK: - uploads placing a file under an old address

    /// An upload is placing spooled file `key` as `name` in `folder`, though the file has been
    /// renamed or deleted since: hide that name until `clearPlacingAway(key:)`.
    func notePlacingAway(key: String, in folder: FolderKey, name: String) {
        state.withLock { state in
            Self.dropPlacing(key, &state)
            state.folders[folder, default: Folder()].placingAway[name] = key
            state.placing[key] = (folder, name)
        }
    }

    func clearPlacingAway(key: String) {
        state.withLock { Self.dropPlacing(key, &$0) }
    }

    /// Names hidden in `folder` because an upload places them for a file renamed or deleted since
    /// (except `key`'s own).
    func namesPlacedAway(in folder: FolderKey, except key: String? = nil) -> Set<String> {
        state.withLock { state in
            Set((state.folders[folder]?.placingAway ?? [:]).filter { $0.value != key }.keys)
        }
    }

    /// True while node `id` is being or was just removed from `folder` by this mount.
    func isRemoving(_ id: String, from folder: FolderKey, now: Double) -> Bool {
        state.withLock { state in
            prune(&state, now: now)
            return state.folders[folder]?.absent[id] != nil
        }
    }

    // MARK: - aliases

    /// Pending identity `key` is node `identity` from now on.
    func addAlias(pendingKey key: String, identity: NodeIdentity, metadata: NodeMetadata, now: Double) {
        state.withLock { state in
            prune(&state, now: now)
            state.aliases[key] = Alias(identity: identity, metadata: metadata, since: now)
            push(.alias(key: key, since: now), at: now, &state)
        }
    }

    /// The node a placed pending file became, while its alias lives.
    func alias(of identity: NodeIdentity) -> (identity: NodeIdentity, metadata: NodeMetadata)? {
        guard case .pending(_, let key) = identity else { return nil }
        return state.withLock { state in state.aliases[key].map { ($0.identity, $0.metadata) } }
    }

    // MARK: - views

    /// The overlay of one folder as of now, to apply to listings of it.
    func view(of folder: FolderKey, now: Double) -> FolderView {
        state.withLock { state in
            prune(&state, now: now)
            guard let entries = state.folders[folder] else { return FolderView(present: [:], absent: [:], placingAway: []) }
            return FolderView(present: entries.present, absent: entries.absent, placingAway: Set(entries.placingAway.keys))
        }
    }

    /// Number of entries of every kind (for tests of the bound).
    var count: (timed: Int, folders: Int, aliases: Int) {
        state.withLock { ($0.timed.count - $0.head, $0.folders.count, $0.aliases.count) }
    }

    // MARK: - private

    private func push(_ entry: Timed, at now: Double, _ state: inout State) {
        state.timed.append((now + lifetime, entry))
        while state.timed.count - state.head > capacity { popFront(&state) }
    }

    /// Drops what expired (the FIFO is in expiry order: every entry lives `lifetime`).
    private func prune(_ state: inout State, now: Double) {
        while state.head < state.timed.count, state.timed[state.head].at <= now { popFront(&state) }
    }

    private func popFront(_ state: inout State) {
        let entry = state.timed[state.head].entry
        state.head += 1
        if state.head >= 1024 && state.head * 2 >= state.timed.count {
            state.timed.removeFirst(state.head)
            state.head = 0
        }
        switch entry {
        case .present(let folder, let name, let since):
            if let presence = state.folders[folder]?.present[name], presence.since == since {
                state.folders[folder]?.present[name] = nil
                if state.folders[folder]?.nameOf[presence.identity] == name { state.folders[folder]?.nameOf[presence.identity] = nil }
            }
            Self.dropIfEmpty(folder, &state)
        case .absent(let folder, let id, let since):
            if state.folders[folder]?.absent[id] == since { state.folders[folder]?.absent[id] = nil }
            Self.dropIfEmpty(folder, &state)
        case .alias(let key, let since):
            if state.aliases[key]?.since == since { state.aliases[key] = nil }
        }
    }

    private static func dropSpooled(_ key: String, _ state: inout State) {
        guard let (folder, name) = state.spooled.removeValue(forKey: key) else { return }
        if state.folders[folder]?.present[name]?.key == key { state.folders[folder]?.present[name] = nil }
        dropIfEmpty(folder, &state)
    }

    private static func dropPlacing(_ key: String, _ state: inout State) {
        guard let (folder, name) = state.placing.removeValue(forKey: key) else { return }
        if state.folders[folder]?.placingAway[name] == key { state.folders[folder]?.placingAway[name] = nil }
        dropIfEmpty(folder, &state)
    }

    private static func dropIfEmpty(_ folder: FolderKey, _ state: inout State) {
        if state.folders[folder]?.isEmpty == true { state.folders[folder] = nil }
    }
}

/// The overlay of one folder, applied to what the server listed: the mount's view of the folder.
///
/// Invariant: applying it twice gives the same result as once (pages and complete listings both
/// pass through it); a listing started at `listedAt` takes a timed change only if it was made at or
/// after `listedAt` (an older change is already in the server's answer, or overtaken by someone else's).
struct FolderView: Sendable {
    fileprivate let present: [String: LocalOverlay.Presence]
    fileprivate let absent: [String: Double]
    fileprivate let placingAway: Set<String>

    var isEmpty: Bool { present.isEmpty && absent.isEmpty && placingAway.isEmpty }

    /// Server entries without what this mount removed, renamed away or re-added differently.
    func correct(_ entries: [ListedEntry], listedAt: Double) -> [ListedEntry] {
        guard !isEmpty else { return entries }
        let applicable = additions(listedAt: listedAt)
        let replacedNames = Set(applicable.map(\.name))
        let replacedIdentities = Set(applicable.map(\.identity))
        return entries.filter { entry in
            if case .remote(_, let id) = entry.identity, let since = absent[id], since >= listedAt { return false }
            if placingAway.contains(entry.name) { return false }
            return !replacedNames.contains(entry.name) && !replacedIdentities.contains(entry.identity)
        }
    }

    /// The entries this mount put here that a listing started at `listedAt` may lack.
    func additions(listedAt: Double) -> [ListedEntry] {
        present.compactMap { name, presence in
            if let since = presence.since, since < listedAt { return nil }
            if case .remote(_, let id) = presence.identity, let removed = absent[id], removed >= (presence.since ?? 0) {
                return nil
            }
            return ListedEntry(name: name, identity: presence.identity, metadata: presence.metadata)
        }.sorted { $0.name < $1.name }
    }

    /// A complete listing as the mount shows it.
    func apply(_ entries: [ListedEntry], listedAt: Double) -> [ListedEntry] {
        guard !isEmpty else { return entries }
        return correct(entries, listedAt: listedAt) + additions(listedAt: listedAt)
    }

    /// The spooled file (created here, not on the server yet) listed as `name`, if any.
    func spooledEntry(named name: String) -> ListedEntry? {
        guard let presence = present[name], presence.since == nil else { return nil }
        return ListedEntry(name: name, identity: presence.identity, metadata: presence.metadata)
    }
}
