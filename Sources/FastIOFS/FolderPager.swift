import FastIO
import Logging

/// Fetches one folder's listing page by page (keyset cursor), converting items to `ListedEntry`,
/// and shows each page as the mount sees the folder: corrected by the local overlay (what this
/// mount changed that the server may not show yet).
///
/// Invariants: one call = one `listFolder` request; errors arrive as `FSError`; a page's
/// `listedAt` is the monotonic second its request started; `complete` of the concatenated pages
/// adds what this mount put in the folder, so pages and complete listings agree. Whole listings go
/// through a `FolderWalk`, which ends one that makes no progress.
struct FolderPager: Sendable {
    static let pageSize = 500

    struct Page: Sendable {
        let entries: [ListedEntry]
        let nextCursor: String?
        let listedAt: Double
        /// Entries the server sent (before the overlay's corrections): what paging progress counts.
        let serverItemCount: Int
    }

    let api: any FastIOAPI
    let profile: StorageProfile
    let profileIndex: Int
    let folderID: String
    /// This mount's local changes (nil on a read-only mount: there are none).
    var overlay: LocalOverlay?
    let logger: Logger

    func page(cursor: String?) throws(FSError) -> Page {
        let listedAt = MonotonicClock.now()
        let page: FolderPage
        do {
            page = try api.listFolder(profile, folderID: folderID, pageSize: Self.pageSize, cursor: cursor)
        } catch {
            throw FSError.from(error)
        }
        let entries = page.items.compactMap { ListedEntry($0, profile: profileIndex) }
        return Page(entries: view?.correct(entries, listedAt: listedAt) ?? entries, nextCursor: page.nextCursor,
                    listedAt: listedAt, serverItemCount: page.items.count)
    }

    /// What this mount put in the folder that a listing started at `listedAt` may lack.
    func additions(listedAt: Double) -> [ListedEntry] {
        view?.additions(listedAt: listedAt) ?? []
    }

    /// A complete listing (corrected pages, started at `listedAt`) as the mount shows it.
    func complete(_ entries: [ListedEntry], listedAt: Double) -> [ListedEntry] {
        view?.apply(entries, listedAt: listedAt) ?? entries
    }

    private var view: FolderView? {
        guard let overlay else { return nil }
        let view = overlay.view(of: LocalOverlay.FolderKey(profile: profileIndex, folderID: folderID),
                                now: MonotonicClock.now())
        return view.isEmpty ? nil : view
    }
}
