import FastIO

/// Hostile listings for `MockFastIO`: a folder whose pages never end, the way a broken server's would.
///
/// Invariant: a faulted folder answers every `listFolder` from its `Pattern` instead of the tree, and
/// after `safetyStop` pages gives a last page (no cursor), so a client that does not notice the fault
/// finishes (wrongly, and the test says so) instead of spinning for ever. Separately, the next
/// request for a later page (one with a cursor) of a folder can be made to fail once.
final class ListingFault: Sendable {
    enum Pattern: Sendable {
        /// Empty pages, each with a new cursor.
        case emptyPagesWithCursors
        /// The same `items` again and again, always with cursor `"again"`.
        case repeatedCursor(items: [RemoteNode])
    }

    static let safetyStop = 200

    private struct Faulted {
        var pattern: Pattern
        var served = 0
    }
    private let folders = Locked<[String: Faulted]>([:])
    private let failing = Locked<Set<String>>([])

    /// The next request with a cursor for `folderID` fails (EIO), once.
    func failNextLaterPage(folderID: String) { _ = failing.withLock { $0.insert(folderID) } }

    /// True (once) when this request is the one to fail.
    func shouldFail(_ folderID: String, cursor: String?) -> Bool {
        guard cursor != nil else { return false }
        return failing.withLock { $0.remove(folderID) != nil }
    }

    func set(_ pattern: Pattern, folderID: String) {
        folders.withLock { $0[folderID] = Faulted(pattern: pattern) }
    }

    /// Pages served so far for the faulted `folderID`.
    func served(_ folderID: String) -> Int { folders.withLock { $0[folderID]?.served ?? 0 } }

    /// The page to answer for `folderID`, or nil when that folder is not faulted.
    func page(_ folderID: String) -> FolderPage? {
        folders.withLock { folders -> FolderPage? in
            guard var faulted = folders[folderID] else { return nil }
            faulted.served += 1
            folders[folderID] = faulted
            let last = faulted.served >= Self.safetyStop
            switch faulted.pattern {
            case .emptyPagesWithCursors:
                return FolderPage(items: [], nextCursor: last ? nil : "page-\(faulted.served)")
            case .repeatedCursor(let items):
                return FolderPage(items: items, nextCursor: last ? nil : "again")
            }
        }
    }
}
