import Logging

/// One listing of a folder, from its first page to its last, as `FolderPager` shows it.
///
/// Invariants: `next` returns pages in order and nil once a page without a cursor was returned; a
/// page that makes no progress (`PagingProgress`) ends the walk with EIO, logged once, and every later
/// `next` throws the same error; a failed request leaves the walk where it was (the next call asks for
/// the same page again).
struct FolderWalk: Sendable {
    let pager: FolderPager
    private var progress = PagingProgress()
    private var cursor: String?
    private var finished = false
    private var failure: FSError?
    /// When the first page's request started (nil before it).
    private(set) var listedAt: Double?

    init(_ pager: FolderPager) { self.pager = pager }

    mutating func next() throws(FSError) -> FolderPager.Page? {
        if let failure { throw failure }
        guard !finished else { return nil }
        let page = try pager.page(cursor: cursor)
        listedAt = listedAt ?? page.listedAt
        do {
            try progress.admit(itemCount: page.serverItemCount, nextCursor: page.nextCursor)
        } catch {
            failure = error
            pager.logger.warning("listing of \(pager.profile) folder \(pager.folderID) ended with EIO: \(error.detail ?? "no progress")")
            throw error
        }
        cursor = page.nextCursor
        finished = cursor == nil
        return page
    }
}
