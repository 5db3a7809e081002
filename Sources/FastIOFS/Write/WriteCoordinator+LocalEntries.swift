import Foundation

/// Server listings do not know files that are still spooled (not placed yet, or placed after the
/// listing was taken): a listing from the server is completed with them before anyone sees it.
extension WriteCoordinator {
    /// `entries` (a listing of folder `folderID` of profile `profileIndex` as the server sent it) plus
    /// every live spooled file addressed to that folder whose name the listing lacks.
    func mergingLocalFiles(_ entries: [ListedEntry], profileIndex: Int, folderID: String) -> [ListedEntry] {
        let local = localEntries(profileIndex: profileIndex, folderID: folderID)
        guard !local.isEmpty else { return entries }
        let listed = Set(entries.map(\.name))
        return entries + local.filter { !listed.contains($0.name) }
    }

    /// True when some live spooled file is addressed to the folder, or an upload is placing a file
    /// there under a name it no longer has (the server's listing of it is incomplete or stale).
    func hasLocalFiles(profileIndex: Int, folderID: String) -> Bool {
        !localEntries(profileIndex: profileIndex, folderID: folderID).isEmpty
            || !namesBeingPlacedAway(profileIndex: profileIndex, folderID: folderID).isEmpty
    }

    private func localEntries(profileIndex: Int, folderID: String) -> [ListedEntry] {
        let files = registry.withLock { registry in
            registry.files.values.reduce(into: [ObjectIdentifier: SpoolFile]()) { $0[ObjectIdentifier($1)] = $1 }.values
        }
        var entries: [ListedEntry] = []
        for file in files where file.profileIndex == profileIndex {
            let state = file.snapshotState()
            guard !state.discarded, state.folderID == folderID else { continue }
            let identity: NodeIdentity = state.remoteID.map { .remote(profile: profileIndex, id: $0) } ?? file.pendingIdentity
            entries.append(ListedEntry(name: PosixName.encode(state.name), identity: identity,
                                       metadata: NodeMetadata(kind: .file, size: state.size, mtime: state.mtime,
                                                              version: state.baseVersion)))
        }
        return entries
    }
}
