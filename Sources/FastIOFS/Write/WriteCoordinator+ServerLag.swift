import Foundation

/// What the server still shows that this mount has already changed, so that no listing brings it
/// back: nodes this mount deleted moments ago (a listing fetched around the delete may hold them),
/// and names under which an upload is placing a file that has since been renamed, moved or deleted
/// here (the uploader applies that once the node exists). Git's lock files (`config.lock`, written
/// and renamed over `config` a dozen times in a second) live in that window: without this, a
/// listing refreshed by the activity poller showed `config.lock` again and git's next
/// `open(O_EXCL)` failed with EEXIST.
extension WriteCoordinator {
    /// How long a deleted node stays hidden from server listings.
    static let tombstoneSeconds: Double = 30

    /// Hides server node `id` from listings for `tombstoneSeconds` (it is being deleted).
    func noteDeleting(_ id: String) {
        let now = MonotonicClock.now()
        registry.withLock { registry in
            registry.tombstones = registry.tombstones.filter { $0.value > now }
            registry.tombstones[id] = now + Self.tombstoneSeconds
        }
    }

    /// The delete of `id` failed: the node stays, so listings show it again.
    func deleteFailed(_ id: String) {
        _ = registry.withLock { $0.tombstones.removeValue(forKey: id) }
    }

    func isDeleting(_ id: String) -> Bool {
        let now = MonotonicClock.now()
        return registry.withLock { ($0.tombstones[id] ?? -.infinity) > now }
    }

    /// Names (as listed) in folder `folderID` that an upload is placing for a file this mount has
    /// renamed, moved or deleted meanwhile, except `file`'s own.
    func namesBeingPlacedAway(profileIndex: Int, folderID: String, except file: SpoolFile? = nil) -> Set<String> {
        let files = registry.withLock { registry in
            Array(registry.files.values) + Array(registry.retiring.values)
        }
        var names = Set<String>()
        for candidate in files where candidate.profileIndex == profileIndex && candidate !== file {
            let state = candidate.snapshotState()
            guard let placing = state.placingAs, placing.folderID == folderID else { continue }
            if state.discarded || state.name != placing.name || state.folderID != placing.folderID {
                names.insert(PosixName.encode(placing.name))
            }
        }
        return names
    }

    /// `entries`, a page of folder `folderID` as the server sent it, without what this mount has
    /// already removed from there.
    func withoutLocalRemovals(_ entries: [ListedEntry], profileIndex: Int, folderID: String) -> [ListedEntry] {
        let now = MonotonicClock.now()
        let deleting = registry.withLock { registry in registry.tombstones.filter { $0.value > now } }
        let away = namesBeingPlacedAway(profileIndex: profileIndex, folderID: folderID)
        guard !deleting.isEmpty || !away.isEmpty else { return entries }
        return entries.filter { entry in
            if case .remote(_, let id) = entry.identity, deleting[id] != nil { return false }
            return !away.contains(entry.name)
        }
    }
}
