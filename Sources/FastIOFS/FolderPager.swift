import FastIO

/// Fetches one folder's listing page by page (keyset cursor), converting items to `ListedEntry`.
///
/// Invariant: one call = one `listFolder` request; errors arrive as `FSError`; each page passes
/// through `correction` (what this mount changed that the server may not show yet) when set.
struct FolderPager: Sendable {
    static let pageSize = 500
    let api: any FastIOAPI
    let profile: StorageProfile
    let profileIndex: Int
    let folderID: String
    var correction: (@Sendable ([ListedEntry]) -> [ListedEntry])?

    func page(cursor: String?) throws(FSError) -> (entries: [ListedEntry], nextCursor: String?) {
        let page: FolderPage
        do {
            page = try api.listFolder(profile, folderID: folderID, pageSize: Self.pageSize, cursor: cursor)
        } catch {
            throw FSError.from(error)
        }
        let entries = page.items.compactMap { ListedEntry($0, profile: profileIndex) }
        return (correction?(entries) ?? entries, page.nextCursor)
    }
}
