import FastIO
import Foundation
import Logging
import Synchronization

/// The filesystem core: maps the inode-level POSIX surface onto Fast.io storage (read path).
///
/// Invariants: inode 1 is the mount root (the layout root, or the single profile's storage root);
/// every `Entry` returned adds exactly one reference in `nodes`, which `forget` removes; metadata is
/// trusted for `metadataTTL` seconds (kernel timeouts, cached listings, node attributes), synthetic
/// layout directories for the life of the mount; no operation sends a request that changes anything
/// (write operations fail with EROFS until the write path exists; symlink/link with EPERM on
/// writable mounts). Thread-safe: all state is behind per-structure locks, no lock is held across a
/// request except a directory handle's own.
public final class FastIOFileSystem: FilesystemOperations {
    /// Kernel timeout for what cannot change during the mount (the synthetic layout directories).
    static let permanentTimeout: Double = 86_400
    /// Lookups list at most this many entries into a cached complete listing.
    static let cachedListingLimit = 20_000
    /// Seconds `destroy` (unmount, SIGTERM) waits for the upload queue; the journal keeps the rest.
    static let unmountUploadGrace: Double = 30

    let api: any FastIOAPI
    public let configuration: MountConfiguration
    let logger: Logger
    let profiles: [MountedProfile]
    let isSingleLayout: Bool
    let nodes: NodeTable
    let listings: ListingCache
    let attributeBuilder: AttributeBuilder
    let budget: ReadBudget
    let pool: FetchThreadPool
    let listingFlights = SingleFlight<UInt64, CompleteListing?>()
    let detailsCache: DetailsCache
    let shareNames: ShareNameDirectory
    /// Children of the synthetic directories, fixed at mount time.
    let syntheticChildren: [NodeIdentity: [ListedEntry]]
    let mountTime: FSTime
    let handles = HandleTable()
    /// The write API when the client has one (nil: every change is EROFS).
    let writer: (any FastIOWriteAPI)?
    /// The spool, uploader and lock keeper; nil on read-only mounts.
    let writes: WriteCoordinator?
    /// Activity polling, freshness per profile and the kernel invalidation queue (Coherence/).
    let coherence: CoherenceController
    /// The mounting user's rights per profile (what may be changed where).
    let access: AccessTable
    /// The persistent read cache (nil: off, or `-o direct_io`, whose reads are read-once data).
    let readCache: BlockCache?

    public init(api: any FastIOAPI, configuration: MountConfiguration, logger: Logger) throws(FSError) {
        self.api = api
        self.configuration = configuration
        self.logger = logger
        profiles = try ProfileResolver.resolve(configuration.layout, api: api)
        if case .single = configuration.layout { isSingleLayout = true } else { isSingleLayout = false }
        mountTime = FSTime(Date())
        let directory = NodeMetadata(kind: .directory, mtime: mountTime)
        let root: NodeIdentity = isSingleLayout ? .remote(profile: 0, id: "root") : .layoutRoot
        nodes = NodeTable(profiles: profiles, root: root, rootMetadata: directory)
        coherence = CoherenceController(profileCount: profiles.count, configuration: configuration, logger: logger)
        listings = ListingCache(ttl: max(configuration.metadataTTL, configuration.activityPolling ? configuration.coherentTTL : 0),
                                maxEntriesPerListing: Self.cachedListingLimit)
        attributeBuilder = AttributeBuilder(configuration: configuration)
        budget = ReadBudget(limit: configuration.readAheadBudget)
        pool = FetchThreadPool(maxThreads: configuration.fetchThreads)
        detailsCache = DetailsCache(ttl: configuration.metadataTTL)
        shareNames = ShareNameDirectory(api: api, mounted: profiles, logger: logger)
        let accessTable = Self.makeAccessTable(api: api, profiles: profiles, logger: logger)
        access = accessTable

        var children: [NodeIdentity: [ListedEntry]] = [:]
        if !isSingleLayout {
            children[.layoutRoot] = [
                ListedEntry(name: "workspaces", identity: .workspacesDirectory, metadata: directory),
                ListedEntry(name: "shares", identity: .sharesDirectory, metadata: directory),
            ]
            var workspaces: [ListedEntry] = []
            var shares: [ListedEntry] = []
            for (index, mounted) in profiles.enumerated() {
                let entry = ListedEntry(name: mounted.directoryName, identity: .remote(profile: index, id: "root"),
                                        metadata: directory)
                if mounted.profile.kind == .workspace { workspaces.append(entry) } else { shares.append(entry) }
            }
            children[.workspacesDirectory] = workspaces
            children[.sharesDirectory] = shares
            for (container, name) in [(NodeIdentity.workspacesDirectory, "workspaces"), (.sharesDirectory, "shares")] {
                let containerIno = nodes.pin(container, parent: 1, name: name, metadata: directory)
                for entry in children[container] ?? [] {
                    nodes.pin(entry.identity, parent: containerIno, name: entry.name, metadata: directory)
                }
            }
        }
        syntheticChildren = children
        writer = api as? any FastIOWriteAPI
        if let writer, !configuration.readOnly {
            let invalidations = coherence.invalidations
            writes = try WriteCoordinator(writer: writer, api: api, profiles: profiles, nodes: nodes,
                                          listings: listings, configuration: configuration, logger: logger,
                                          caller: { accessTable.caller() },
                                          invalidate: { invalidations.enqueue($0) })
        } else {
            writes = nil
        }
        // After the write path took the cache directory's lock: a mount refused for a directory in use
        // never touches the other mount's read cache.
        if configuration.readCacheSize > 0 && !configuration.directIO {
            let base = configuration.cacheDirectory
                ?? (FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/fastiofs")
            readCache = try BlockCache(directory: base + "/read", capacity: configuration.readCacheSize,
                                       minimumFree: configuration.readCacheMinimumFree, logger: logger)
        } else {
            readCache = nil
        }
        learnAccessAtStart()
        logger.info("fastiofs core ready", metadata: [
            "profiles": "\(profiles.map(\.profile.description))", "readOnly": "\(configuration.readOnly)",
        ])
    }

    // MARK: - inodes

    public func lookup(parent: UInt64, name: String) throws(FSError) -> Entry {
        guard let directory = nodes.record(parent) else { throw FSError(ENOENT) }
        guard directory.metadata.kind == .directory else { throw FSError(ENOTDIR) }
        if let fixed = syntheticChildren[directory.identity] {
            guard let child = fixed.first(where: { $0.name == name }) else { throw FSError(ENOENT) }
            return retainEntry(child, parent: parent, fetchedAt: nil)
        }
        guard case .remote(let profileIndex, let folderID) = directory.identity else { throw FSError(ENOENT) }
        return try lookupRemote(parent: parent, name: name, profileIndex: profileIndex, folderID: folderID)
    }

    public func forget(ino: UInt64, lookups: UInt64) {
        // Activity refreshes only reach directories in the node table: a listing kept for a dropped
        // inode would be served, stale, when the same node is looked up again (same inode number).
        if nodes.forget(ino, count: lookups) {
            listings.invalidate(ino)
            detailsCache.invalidate(ino)
        }
    }

    public func getattr(ino: UInt64) throws(FSError) -> (FileAttributes, timeout: Double) {
        let record = try freshRecord(ino)
        return (attributes(of: record), timeout(for: record.identity))
    }

    public func readlink(ino: UInt64) throws(FSError) -> String {
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        guard record.metadata.kind == .symlink else { throw FSError(EINVAL) }
        guard let target = linkTarget(of: record) else {
            logger.warning("a link node has no valid share id as its target; readlink answers EIO",
                           metadata: ["name": "\(record.name)",
                                      "target": "\(String(reflecting: record.metadata.linkTargetID ?? ""))"])
            throw FSError(EIO, detail: "link without a valid target")
        }
        return target
    }

    public func statfs(ino: UInt64) throws(FSError) -> FilesystemStatistics {
        let blockSize: UInt64 = 4096
        let blocks: UInt64 = (1 << 50) / blockSize  // 1 PiB: the server's capacity is not exposed
        let free = configuration.readOnly ? 0 : blocks
        return FilesystemStatistics(blockSize: blockSize, blocks: blocks, freeBlocks: free, availableBlocks: free,
                                    files: 1 << 32, freeFiles: configuration.readOnly ? 0 : 1 << 31,
                                    maxNameLength: 255)
    }

    public func destroy() {
        writes?.shutdown(grace: Self.unmountUploadGrace)
        stopCoherence()
        readCache?.stop()
        handles.closeAll()
        pool.shutdown()
    }

    // MARK: - shared helpers

    /// Adds a kernel reference to `entry` (a child of `parent`) and returns its lookup answer.
    func retainEntry(_ listed: ListedEntry, parent: UInt64, fetchedAt: Double?) -> Entry {
        let entry = adoptingPlacement(listed)
        let refreshed = entry.identity.isRemoteNode ? (fetchedAt ?? MonotonicClock.now()) : nil
        let ino = nodes.retain(entry.identity, parent: parent, name: entry.name, metadata: entry.metadata,
                               refreshedAt: refreshed)
        let record = nodes.record(ino)
        let attributes = record.map(attributes(of:))
            ?? attributeBuilder.attributes(ino: ino, metadata: entry.metadata)
        let seconds = timeout(for: entry.identity)
        return Entry(attributes: attributes, entryTimeout: seconds, attributeTimeout: seconds)
    }

    func attributes(of record: NodeRecord) -> FileAttributes {
        // A link without a valid target shows size 0 (its readlink answers EIO).
        let linkLength = record.metadata.kind == .symlink ? (linkTarget(of: record)?.utf8.count ?? 0) : 0
        var metadata = record.metadata
        if let local = writes?.overlay(record.identity) {
            metadata.size = local.size
            metadata.mtime = local.mtime
        }
        return attributeBuilder.attributes(ino: record.ino, metadata: metadata,
                                           writable: showsWritable(record), symlinkLength: linkLength)
    }

    func timeout(for identity: NodeIdentity) -> Double {
        metadataTTL(for: identity)
    }

    /// The record of `ino`, refreshed from the server first when its metadata is older than the TTL.
    func freshRecord(_ ino: UInt64) throws(FSError) -> NodeRecord {
        adoptPlacement(ino)
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        guard case .remote(let profileIndex, let id) = record.identity, id != "root",
              let refreshedAt = record.refreshedAt else { return record }
        let now = MonotonicClock.now()
        guard now - refreshedAt >= metadataTTL(for: record.identity) else { return record }
        let node: RemoteNode
        do {
            node = try details(profileIndex: profileIndex, id: id)
        } catch {
            if mayServeStale(record, after: error) { return record }
            throw error
        }
        nodes.refresh(ino, metadata: NodeMetadata(node), at: now)
        return nodes.record(ino) ?? record
    }

    func details(profileIndex: Int, id: String) throws(FSError) -> RemoteNode {
        do {
            return try api.nodeDetails(profiles[profileIndex].profile, nodeID: id)
        } catch {
            throw FSError.from(error)
        }
    }

    /// `../` up to the mount root from the link's directory (counted up the parent chain as it is now,
    /// so a rename of any ancestor is followed), then `shares/<name>`: a path that stays inside the
    /// mount, because the name is one escaped component. Nil for a link whose target is not a valid
    /// share id (server input: `/` or `..` in it would point out of the mount) or whose ancestors the
    /// kernel no longer holds.
    func linkTarget(of record: NodeRecord) -> String? {
        guard let shareID = record.metadata.linkTargetID, let name = shareNames.name(of: shareID),
              let depth = nodes.depth(of: record.ino) else { return nil }
        let up = String(repeating: "../", count: max(0, depth - 1))
        return up + "shares/" + name
    }
}

extension NodeIdentity {
    /// A node of a profile's storage (including the profile root), as opposed to a layout directory.
    var isRemote: Bool {
        switch self {
        case .remote, .pending: return true
        case .layoutRoot, .workspacesDirectory, .sharesDirectory: return false
        }
    }

    /// The profile index of a remote or pending node.
    var profileIndex: Int? {
        switch self {
        case .remote(let profile, _), .pending(let profile, _): return profile
        case .layoutRoot, .workspacesDirectory, .sharesDirectory: return nil
        }
    }

    /// A server node proper (not a profile root): its metadata comes from and goes stale on the server.
    var isRemoteNode: Bool { isRemote && !isProfileRoot }
}
