import FastIO

/// An open directory: serves entries by index, holding only the current listing page in memory.
///
/// Invariants: `entry(at:)` for an index before the current page restarts the listing from the first
/// page (backward seek); the last page ends with what this mount put in the folder that the server
/// may not list yet (the pager's additions, as of the listing's start); the entries of a listing that
/// completes with at most `collectLimit` entries are handed to `onComplete` once with the start time
/// (to fill the listing cache); a fixed source (synthetic directory or a cached complete listing)
/// never makes a request; a listing that makes no progress ends in EIO (`FolderWalk`), and a page
/// that failed is asked for again by the next read of an index it holds. Thread-safe (requests run
/// under the handle's own lock, so one handle never fetches the same page twice at once).
final class DirectoryStream: Sendable {
    enum Source: Sendable {
        case fixed([ListedEntry])
        case remote(FolderPager)
    }
    private struct State {
        var pageStart = 0
        var page: [ListedEntry] = []
        /// The listing being read (nil before the first page).
        var walk: FolderWalk?
        var exhausted = false
        var collected: [ListedEntry]? = []
    }
    let directory: UInt64
    let parent: UInt64
    /// When a fixed source's entries came from the server (nil: fetched as they are read, or synthetic).
    let fetchedAt: Double?
    private let source: Source
    private let collectLimit: Int
    private let onComplete: @Sendable (FolderPager, [ListedEntry], _ listedAt: Double) -> Void
    private let state: Locked<State>

    init(directory: UInt64, parent: UInt64, source: Source, fetchedAt: Double? = nil, collectLimit: Int,
         onComplete: @escaping @Sendable (FolderPager, [ListedEntry], _ listedAt: Double) -> Void) {
        self.directory = directory
        self.parent = parent
        self.fetchedAt = fetchedAt
        self.source = source
        self.collectLimit = collectLimit
        self.onComplete = onComplete
        var initial = State()
        if case .fixed(let entries) = source {
            initial.page = entries
            initial.exhausted = true
            initial.collected = nil
        }
        state = Locked(initial)
    }

    /// The entry at `index` (0-based, server entries only), or nil past the end.
    func entry(at index: Int) throws(FSError) -> ListedEntry? {
        guard case .remote(let pager) = source else {
            return state.withLock { index < $0.page.count ? $0.page[index] : nil }
        }
        var completed: (entries: [ListedEntry], listedAt: Double)?
        let found: ListedEntry? = try state.withLock { (state: inout State) throws(FSError) -> ListedEntry? in
            if state.walk == nil || index < state.pageStart {
                state = State()
                state.walk = FolderWalk(pager)
            }
            while index >= state.pageStart + state.page.count && !state.exhausted {
                // The page read is left behind before the next is asked for: should that fail, a
                // retry asks for it again rather than serving the old page at the new indices.
                state.pageStart += state.page.count
                state.page = []
                try Self.load(pager, into: &state, limit: collectLimit, completed: &completed)
            }
            let offset = index - state.pageStart
            return offset >= 0 && offset < state.page.count ? state.page[offset] : nil
        }
        if let completed { onComplete(pager, completed.entries, completed.listedAt) }
        return found
    }

    private static func load(_ pager: FolderPager, into state: inout State, limit: Int,
                             completed: inout (entries: [ListedEntry], listedAt: Double)?) throws(FSError) {
        guard let page = try state.walk?.next(), let listedAt = state.walk?.listedAt else {
            state.exhausted = true
            return
        }
        state.page = page.entries
        state.exhausted = page.nextCursor == nil
        if state.collected != nil {
            // The cache gets the server's pages; its store adds the local entries as they are then.
            state.collected!.append(contentsOf: page.entries)
            if state.collected!.count > limit { state.collected = nil }
        }
        if state.exhausted { state.page += pager.additions(listedAt: listedAt) }
        if state.exhausted, let all = state.collected {
            completed = (all, listedAt)
            state.collected = nil
        }
    }
}
