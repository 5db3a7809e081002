import FastIO

/// Fetches one folder's listing page by page (keyset cursor), converting items to `ListedEntry`.
///
/// Invariant: one call = one `listFolder` request; errors arrive as `FSError`.
struct FolderPager: Sendable {
    static let pageSize = 500
    let api: any FastIOAPI
    let profile: StorageProfile
    let profileIndex: Int
    let folderID: String

    func page(cursor: String?) throws(FSError) -> (entries: [ListedEntry], nextCursor: String?) {
        let page: FolderPage
        do {
            page = try api.listFolder(profile, folderID: folderID, pageSize: Self.pageSize, cursor: cursor)
        } catch {
            throw FSError.from(error)
        }
        return (page.items.compactMap { ListedEntry($0, profile: profileIndex) }, page.nextCursor)
    }
}
