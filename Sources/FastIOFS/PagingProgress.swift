import Glibc

/// Watches the pages of one listing for a server that makes no progress: a cursor it already sent
/// (the listing would go round in circles), `maximumEmptyPages` pages in a row without an entry that
/// still point at another page, or more than `maximumPages` pages in all.
///
/// Invariant: `admit` accepts a page only while the listing advances; at the first page that does not,
/// it throws EIO saying why, and the caller logs it and ends the listing there. Pure: no I/O, no clock.
struct PagingProgress: Sendable {
    /// Empty pages with a cursor tolerated in a row (a server may filter a page down to nothing now
    /// and then); the next one ends the listing.
    static let maximumEmptyPages = 3
    /// A folder listed past this many pages (5,000,000 entries at 500 a page) is treated as endless.
    static let maximumPages = 10_000

    private var followed: Set<String> = []
    private var emptyRun = 0
    private var pages = 0

    /// Takes one page (`itemCount` entries, pointing at `nextCursor`; nil: the last page).
    mutating func admit(itemCount: Int, nextCursor: String?) throws(FSError) {
        pages += 1
        guard let nextCursor else { return }
        emptyRun = itemCount == 0 ? emptyRun + 1 : 0
        if emptyRun >= Self.maximumEmptyPages {
            throw FSError(EIO, detail: "the server sent \(emptyRun) empty pages in a row, each with a cursor")
        }
        guard followed.insert(nextCursor).inserted else {
            throw FSError(EIO, detail: "the server sent again a cursor it had sent before (page \(pages))")
        }
        if pages >= Self.maximumPages {
            throw FSError(EIO, detail: "the listing did not end within \(Self.maximumPages) pages")
        }
    }
}
