import FastIO
import Foundation

/// Directory handles: `opendir`, `readdir`/`readdirplus` streamed page by page, `releasedir`.
extension FastIOFileSystem {
    public func opendir(ino: UInt64) throws(FSError) -> UInt64 {
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        guard record.metadata.kind == .directory else { throw FSError(ENOTDIR) }
        let source: DirectoryStream.Source
        var fetchedAt: Double?
        if let fixed = syntheticChildren[record.identity] {
            source = .fixed(fixed)
        } else if let listing = freshListing(ino, identity: record.identity) {
            source = .fixed(listing.entries)
            fetchedAt = listing.fetchedAt
        } else if case .remote(let profileIndex, let folderID) = record.identity {
            source = .remote(folderPager(profileIndex, folderID))
        } else {
            throw FSError(EIO)
        }
        let listings = self.listings
        let nodes = self.nodes
        let stream = DirectoryStream(directory: ino, parent: record.parent, source: source, fetchedAt: fetchedAt,
                                     collectLimit: Self.cachedListingLimit) { pager, entries, listedAt in
            Self.storeListing(CompleteListing(entries: entries, fetchedAt: listedAt), for: ino, pager: pager,
                              listings: listings, nodes: nodes)
        }
        return handles.add(stream)
    }

    /// Stores a complete listing of `directory` with the local overlay applied, unless the kernel
    /// forgot the directory meanwhile: the forget dropped the cached listing, and one stored after it
    /// would stay until evicted (checked after the store, so a forget at any moment is covered).
    @discardableResult
    static func storeListing(_ listing: CompleteListing, for directory: UInt64, pager: FolderPager,
                             listings: ListingCache, nodes: NodeTable) -> CompleteListing {
        let stored = listings.store(listing, for: directory) { pager.complete($0, listedAt: listing.fetchedAt) }
        if nodes.record(directory) == nil { listings.invalidate(directory) }
        return stored
    }

    /// Pages of a server folder as this mount must see them (its local changes applied).
    func folderPager(_ profileIndex: Int, _ folderID: String) -> FolderPager {
        FolderPager(api: api, profile: profiles[profileIndex].profile, profileIndex: profileIndex, folderID: folderID,
                    overlay: writes?.overlay, logger: logger)
    }

    /// Offsets are entry indices: 0 is `.`, 1 is `..`, then the server's entries; each entry carries
    /// the index after it. With `plus`, each entry the sink takes gains one lookup reference (the dots
    /// never do, and an entry the sink refuses is released again).
    public func readdir(ino: UInt64, handle: UInt64, offset: Int64, plus: Bool,
                        sink: (DirectoryEntry, _ nextOffset: Int64) -> Bool) throws(FSError) {
        guard let stream = handles.directory(handle) else { throw FSError(EBADF) }
        var index = Int(max(0, offset))
        while true {
            let entry: DirectoryEntry
            var referenced: UInt64?
            if index < 2 {
                entry = DirectoryEntry(name: index == 0 ? "." : "..", ino: index == 0 ? stream.directory : stream.parent,
                                       mode: UInt32(S_IFDIR), entry: nil)
            } else {
                guard let listed = try stream.entry(at: index - 2) else { return }
                let mode = Self.typeBits(listed.metadata.kind)
                if plus {
                    let answer = retainEntry(listed, parent: ino, fetchedAt: stream.fetchedAt)
                    referenced = answer.attributes.ino
                    entry = DirectoryEntry(name: listed.name, ino: answer.attributes.ino, mode: mode, entry: answer)
                } else {
                    let known = nodes.inode(of: listed.identity)
                        ?? InodeHasher.inode(forKey: listed.identity.inodeKey(profiles: profiles))
                    entry = DirectoryEntry(name: listed.name, ino: known, mode: mode, entry: nil)
                }
            }
            guard sink(entry, Int64(index + 1)) else {
                if let referenced { nodes.forget(referenced, count: 1) }
                return
            }
            index += 1
        }
    }

    public func releasedir(ino: UInt64, handle: UInt64) {
        handles.removeDirectory(handle)
    }

    static func typeBits(_ kind: NodeMetadata.Kind) -> UInt32 {
        switch kind {
        case .directory: UInt32(S_IFDIR)
        case .file: UInt32(S_IFREG)
        case .symlink: UInt32(S_IFLNK)
        }
    }
}
