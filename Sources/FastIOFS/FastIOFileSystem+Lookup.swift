import FastIO
import Foundation

/// Name resolution inside a profile's storage.
extension FastIOFileSystem {
    /// Answers from a fresh complete listing (a miss there is ENOENT without a request), else
    /// revalidates a child the kernel already knows with one details request, else lists the folder
    /// (one shared listing per directory at a time, cached when it has at most 20,000 entries; bigger
    /// folders are scanned page by page until the name turns up).
    func lookupRemote(parent: UInt64, name: String, profileIndex: Int, folderID: String) throws(FSError) -> Entry {
        if let listing = freshListing(parent, identity: .remote(profile: profileIndex, id: folderID)) {
            guard let entry = listing.entry(named: name) else { throw FSError(ENOENT) }
            if case .pending = entry.identity, writes?.file(entry.identity) == nil,
               writes?.overlay.alias(of: entry.identity) == nil {
                // A spooled file that is gone since (deleted): the listing is stale.
                listings.invalidate(parent)
                return try lookupRemote(parent: parent, name: name, profileIndex: profileIndex, folderID: folderID)
            }
            return retainEntry(entry, parent: parent, fetchedAt: listing.fetchedAt)
        }
        guard PosixName.decode(name) != nil else { throw FSError(ENOENT) }
        // A file created here and not on the server yet answers without a request.
        if let writes, let spooled = writes.overlay.view(of: writes.folderKey(profileIndex, folderID),
                                                         now: MonotonicClock.now()).spooledEntry(named: name),
           writes.file(spooled.identity) != nil {
            return retainEntry(spooled, parent: parent, fetchedAt: nil)
        }
        if let known = nodes.child(of: parent, named: name), case .remote(_, let id) = known.identity {
            do {
                let node = try details(profileIndex: profileIndex, id: id)
                if node.parentID == folderID, PosixName.encode(node.name) == name,
                   let entry = ListedEntry(node, profile: profileIndex) {
                    return retainEntry(entry, parent: parent, fetchedAt: nil)
                }
            } catch where error.errno == ENOENT {
                // Gone or moved: the listing below decides.
            } catch {
                if let record = nodes.record(known.ino), mayServeStale(record, after: error) {
                    return retainEntry(ListedEntry(name: name, identity: record.identity, metadata: record.metadata),
                                       parent: parent, fetchedAt: nil)
                }
                throw error
            }
        }
        let pager = folderPager(profileIndex, folderID)
        let complete: CompleteListing?
        do {
            complete = try loadCompleteListing(directory: parent, pager: pager)
        } catch {
            if let stale = staleListedEntry(name, in: parent, after: error) {
                return retainEntry(stale, parent: parent, fetchedAt: nil)
            }
            throw error
        }
        if let listing = complete {
            guard let entry = listing.entry(named: name) else { throw FSError(ENOENT) }
            return retainEntry(entry, parent: parent, fetchedAt: listing.fetchedAt)
        }
        // Too big to cache: scan it page by page until the name turns up.
        var walk = FolderWalk(pager)
        while let page = try walk.next() {
            if let entry = page.entries.first(where: { $0.name == name }) {
                return retainEntry(entry, parent: parent, fetchedAt: nil)
            }
        }
        if let entry = pager.additions(listedAt: walk.listedAt ?? MonotonicClock.now()).first(where: { $0.name == name }) {
            return retainEntry(entry, parent: parent, fetchedAt: nil)
        }
        throw FSError(ENOENT)
    }

    /// The complete listing of `directory` as the mount shows it (cached), or nil when it has more
    /// entries than are cached.
    func loadCompleteListing(directory: UInt64, pager: FolderPager) throws(FSError) -> CompleteListing? {
        try listingFlights.run(directory) { () throws(FSError) -> CompleteListing? in
            if let cached = freshListing(directory, identity: .remote(profile: pager.profileIndex, id: pager.folderID)) {
                return cached
            }
            var entries: [ListedEntry] = []
            var walk = FolderWalk(pager)
            while let page = try walk.next() {
                entries.append(contentsOf: page.entries)
                if entries.count > listings.maxEntriesPerListing { return nil }
            }
            let started = walk.listedAt ?? MonotonicClock.now()
            return Self.storeListing(CompleteListing(entries: entries, fetchedAt: started), for: directory, pager: pager,
                                     listings: listings, nodes: nodes)
        }
    }
}
