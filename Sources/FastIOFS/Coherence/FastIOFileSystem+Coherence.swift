import FastIO
import Foundation
import Logging
import Synchronization

/// Activity-driven coherence: the pollers' answers become cache refreshes and kernel invalidations.
///
/// Invariants: a refresh lists a directory from the server (with this mount's local overlay applied,
/// so a folder with files being written is refreshed like any other) and compares it with what the
/// mount believed (the cached listing, else the children the kernel knows): names gone -> notify_delete
/// (inval_entry when the inode is unknown), new names -> inval_entry, same node with other metadata
/// -> node table updated + inval_inode; nothing unchanged is invalidated (so our own changes, already
/// applied to the caches by the write path, cost at most a listing). Invalidations only go through
/// `coherence.invalidations` (never sent from here). Requests per batch are bounded: one listing per
/// dirty directory, at most `maxListedDirectoriesPerBatch` directories; beyond that, directories are
/// expired without requests.
extension FastIOFileSystem {
    static let maxListedDirectoriesPerBatch = 64

    /// Gives the core the kernel notifier (call after the FUSE session exists, before `startCoherence`).
    public func attach(notifier: any KernelNotifier) {
        coherence.invalidations.attach(notifier)
    }

    /// Starts one activity long-poll loop per mounted profile (call once the mount is live, after FUSE
    /// init). No-op when polling is disabled in the configuration or already started.
    public func startCoherence() {
        guard configuration.activityPolling else { return }
        let pollers = profiles.indices.map(makePoller)
        if coherence.start(pollers) {
            logger.info("activity polling started", metadata: ["profiles": "\(profiles.count)",
                                                               "wait": "\(configuration.activityWait)"])
        }
    }

    /// Stops the pollers and the invalidation thread (from `destroy`, or earlier); waits at most a few
    /// seconds (the running polls are cancelled, not waited for).
    public func stopCoherence() {
        coherence.stop()
    }

    /// The write path calls this before changing `nodeID` (and each parent folder it touches) of
    /// `profile`, so the activity report of our own change refreshes nothing.
    public func expectOwnChange(profile: StorageProfile, nodeID: String) {
        guard let index = profiles.firstIndex(where: { $0.profile == profile }) else { return }
        coherence.ownChanges.expect(profile: index, nodeID: nodeID)
    }

    /// Seconds metadata of `identity` may be trusted: long while its profile's polling is healthy.
    func metadataTTL(for identity: NodeIdentity) -> Double {
        guard case .remote(let profile, _) = identity else { return Self.permanentTimeout }
        return coherence.freshness.ttl(profile: profile)
    }

    /// A cached listing of `directory` still within its profile's TTL.
    func freshListing(_ directory: UInt64, identity: NodeIdentity) -> CompleteListing? {
        listings.fresh(directory, now: MonotonicClock.now(), maxAge: metadataTTL(for: identity))
    }

    private func makePoller(profileIndex: Int) -> ActivityPoller {
        let profile = profiles[profileIndex].profile
        let api = self.api
        let wait = configuration.activityWait
        let freshness = coherence.freshness
        let name = profile.description
        // The first poll asks for the server's `lastactivity` without waiting (the documented start of
        // the polling workflow): a poll without one waits for news after its own arrival, so a change
        // made before it arrived would be missed. Should the server answer without a `lastactivity`,
        // later polls wait as usual (its default is the current time).
        let baselineAsked = Atomic<Bool>(false)
        let callbacks = ActivityPoller.Callbacks(
            poll: { lastActivity, cancellation in
                let firstPoll = lastActivity == nil && !baselineAsked.exchange(true, ordering: .relaxed)
                let wait = firstPoll ? 0 : wait
                if let cancellable = api as? any CancellableActivityPolling {
                    return try cancellable.pollActivity(profileID: profile.id, wait: wait, lastActivity: lastActivity,
                                                        cancellation: cancellation)
                }
                return try api.pollActivity(profileID: profile.id, wait: wait, lastActivity: lastActivity)
            },
            onKeys: { [weak self] keys in
                guard let self else { return }
                _ = self.applyActivity(ActivityBatch(keys: keys), profileIndex: profileIndex)
            },
            onSuccess: { [weak self] in
                if freshness.pollSucceeded(profile: profileIndex, name: name), let self {
                    // Polling was down: whatever the kernel was told during the outage may be stale.
                    _ = self.applyActivity(.everything, profileIndex: profileIndex)
                }
            },
            onFailure: { error in freshness.pollFailed(profile: profileIndex, name: name, error: error) })
        return ActivityPoller(name: name, minimumInterval: configuration.activityMinimumInterval, logger: logger,
                              callbacks: callbacks)
    }

    /// Refreshes what `batch` says changed in profile `profileIndex` and queues the kernel
    /// invalidations; returns them (for tests).
    @discardableResult
    public func applyActivity(_ batch: ActivityBatch, profileIndex: Int) -> [KernelInvalidation] {
        guard profileIndex >= 0, profileIndex < profiles.count else { return [] }
        let rootIdentity = NodeIdentity.remote(profile: profileIndex, id: "root")
        var dirty = Set<UInt64>()
        var unknownNode = false
        var out: [KernelInvalidation] = []
        if batch.membershipChanged, writes != nil {
            out += membershipChanged(profileIndex: profileIndex)
        }
        if batch.refreshAll {
            dirty.formUnion(nodes.remoteDirectories(profile: profileIndex))
        }
        for id in batch.nodeIDs.sorted() {
            if coherence.ownChanges.consume(profile: profileIndex, nodeID: id) { continue }
            guard let ino = nodes.inode(of: .remote(profile: profileIndex, id: id)), let record = nodes.record(ino) else {
                unknownNode = true
                continue
            }
            detailsCache.invalidate(ino)
            if record.metadata.kind == .directory { dirty.insert(ino) }
            if let parent = nodes.record(record.parent), case .remote(profileIndex, _) = parent.identity {
                dirty.insert(parent.ino)
            }
        }
        // A node we never saw: its parent may be the root, which has no activity key of its own.
        if unknownNode, let root = nodes.inode(of: rootIdentity) { dirty.insert(root) }
        var listed = 0
        for directory in dirty.sorted() {
            if listed < Self.maxListedDirectoriesPerBatch {
                listed += 1
                out += refreshDirectory(directory, profileIndex: profileIndex)
            } else {
                out += expireDirectory(directory)
            }
        }
        coherence.invalidations.enqueue(out)
        if !out.isEmpty {
            logger.debug("activity in \(profiles[profileIndex].profile): \(dirty.count) directories, \(out.count) invalidations")
        }
        return out
    }

    /// Lists `directory` again and turns the differences into cache updates and invalidations.
    func refreshDirectory(_ directory: UInt64, profileIndex: Int) -> [KernelInvalidation] {
        guard let record = nodes.record(directory), case .remote(profileIndex, let folderID) = record.identity,
              record.metadata.kind == .directory else {
            listings.invalidate(directory)
            return []
        }
        let believed = believedEntries(of: directory)
        let pager = folderPager(profileIndex, folderID)
        var entries: [ListedEntry] = []
        var walk = FolderWalk(pager)
        do {
            while let page = try walk.next() {
                entries += page.entries
                if entries.count > listings.maxEntriesPerListing { return expireDirectory(directory) }
            }
        } catch {
            logger.debug("refresh of \(profiles[profileIndex].profile) folder \(folderID) failed: \(error)")
            return expireDirectory(directory)
        }
        // What this mount changed there and the server may not show yet (files still spooled, names
        // renamed or deleted moments ago) is applied where the listing is stored, under the cache's
        // lock, so a change made while this listing was fetched is not lost.
        let started = walk.listedAt ?? MonotonicClock.now()
        entries = Self.storeListing(CompleteListing(entries: entries, fetchedAt: started), for: directory, pager: pager,
                                    listings: listings, nodes: nodes).entries
        let diff = ListingDiff(old: believed, new: entries)
        var out: [KernelInvalidation] = []
        for gone in diff.removed where !hasLocalState(gone.identity) {
            if let child = nodes.child(of: directory, named: gone.name), child.identity == gone.identity {
                nodes.unlinkChild(parent: directory, name: gone.name)
                out.append(.delete(parent: directory, child: child.ino, name: gone.name))
            } else {
                out.append(.entry(parent: directory, name: gone.name))
            }
        }
        for name in diff.added { out.append(.entry(parent: directory, name: name)) }
        // Changed metadata: against the node table too (it may be newer or older than the listing).
        var changed = Set(diff.changed.map(\.identity))
        for entry in entries {
            if let ino = nodes.inode(of: entry.identity), let known = nodes.record(ino), known.metadata != entry.metadata {
                changed.insert(entry.identity)
            }
        }
        for entry in entries where changed.contains(entry.identity) && !hasLocalState(entry.identity) {
            guard let ino = nodes.inode(of: entry.identity) else { continue }
            nodes.refresh(ino, metadata: entry.metadata, at: started)
            detailsCache.invalidate(ino)
            out.append(.inode(ino))
        }
        if !diff.added.isEmpty || !diff.removed.isEmpty { out.append(.inode(directory)) }
        return out
    }

    /// True for a file being written through this mount (spooled, pending or uploading): its local
    /// state is newer than anything the server reports until its upload is committed.
    private func hasLocalState(_ identity: NodeIdentity) -> Bool {
        if case .pending = identity { return true }
        return writes?.file(identity) != nil
    }

    /// Forgets what is cached about `directory` without asking the server: its listing, its known
    /// children's freshness, and the kernel's dentries for them.
    func expireDirectory(_ directory: UInt64) -> [KernelInvalidation] {
        listings.invalidate(directory)
        var out: [KernelInvalidation] = [.inode(directory)]
        for child in nodes.children(of: directory) {
            nodes.expire(child.ino)
            out.append(.entry(parent: directory, name: child.name))
        }
        return out
    }

    /// What the mount currently believes `directory` holds: its cached listing (of any age), plus
    /// the children the kernel knows that the listing does not name.
    private func believedEntries(of directory: UInt64) -> [ListedEntry] {
        var entries = listings.cached(directory)?.entries ?? []
        let names = Set(entries.map(\.name))
        for child in nodes.children(of: directory) where !names.contains(child.name) {
            entries.append(ListedEntry(name: child.name, identity: child.identity, metadata: child.metadata))
        }
        return entries
    }
}
