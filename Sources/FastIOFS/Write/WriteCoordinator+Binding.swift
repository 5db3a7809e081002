import FastIO
import Foundation
import Logging

/// After the server committed an upload: the node table, the cached listings, the overlay and the
/// kernel learn what the server now holds, before `fsync` returns and before the file may retire.
extension WriteCoordinator {
    func bind(_ file: SpoolFile, snapshot: SpoolFileMachine.Snapshot, placement: Placement) {
        let remote = NodeIdentity.remote(profile: file.profileIndex, id: placement.nodeID)
        var metadata = NodeMetadata(kind: .file, size: snapshot.size, mtime: file.machine.mtime, version: placement.version,
                                    isNote: snapshot.isNote)
        // A node this upload made (a new file, a conflict copy) is ours; a new version keeps its creator.
        if snapshot.remoteID == nil || placement.original != nil {
            metadata.creator = caller()
        } else if let ino = nodes.inode(of: remote), let known = nodes.record(ino)?.metadata {
            metadata.creator = known.creator
        }
        if let original = placement.original, let originalID = snapshot.remoteID {
            bindConflictCopy(file, copy: remote, metadata: metadata, placement: placement, original: original,
                             originalID: originalID)
            return
        }
        let address: ServerAddress
        if snapshot.remoteID == nil {
            address = bindPlacedFile(file, as: remote, metadata: metadata, snapshot: snapshot, placement: placement)
        } else {
            address = placement.address
            noteInOverlay(file, remote, in: address, metadata: metadata)
        }
        let now = clock.now()
        // A rename over another file may rebind the inode to that file at any moment: touch only what
        // still stands for this node.
        let pending = file.pendingIdentity
        if let ino = nodes.inode(of: remote), let record = nodes.record(ino), record.identity == remote {
            nodes.refresh(ino, metadata: metadata, at: now, identity: remote)
            listings.patch(record.parent) { entries in
                entries.map {
                    $0.identity == remote || $0.identity == pending
                        ? ListedEntry(name: $0.name, identity: remote, metadata: metadata) : $0
                }
            }
        }
        if let folder = nodes.inode(of: .remote(profile: file.profileIndex, id: address.folderID)) {
            listings.patch(folder) { entries in
                entries.map { $0.identity == pending ? ListedEntry(name: $0.name, identity: remote, metadata: metadata) : $0 }
            }
        }
    }

    /// A new file got its node: same inode, server identity; a rename or move made while it was
    /// being placed is applied on the server now. Answers where the node ends up.
    private func bindPlacedFile(_ file: SpoolFile, as remote: NodeIdentity, metadata: NodeMetadata,
                                snapshot: SpoolFileMachine.Snapshot, placement: Placement) -> ServerAddress {
        let pending = file.pendingIdentity
        let now = clock.now()
        // Not if it was discarded meanwhile (its node is being trashed): file lock, then registry.
        let live = file.mutate { machine -> Bool in
            guard machine.isBinding else { return false }
            register(file, as: remote)
            return true
        }
        overlay.addAlias(pendingKey: file.key, identity: remote, metadata: metadata, now: now)
        if let ino = nodes.inode(of: pending) { nodes.rebind(ino, to: remote, displacing: true, from: pending) }
        var settled = placement.address
        let wanted = file.machine.address
        if live, wanted != placement.address {
            settled = moveAfterPlacement(file, nodeID: placement.nodeID, from: placement.address, to: wanted)
        }
        // Listed as the node before it stops being listed as the spooled file (no gap a listing
        // stored meanwhile could fall into).
        noteInOverlay(file, remote, in: settled, metadata: metadata)
        overlay.clearPlacingAway(key: file.key)
        overlay.removeSpooled(key: file.key)
        var invalidations: [KernelInvalidation] = []
        if placement.address.name != snapshot.address.name,
           let folder = nodes.inode(of: .remote(profile: file.profileIndex, id: placement.address.folderID)) {
            // Placed under a conflict name: the old name is someone else's file now.
            listings.invalidate(folder)
            invalidations.append(.entry(parent: folder, name: PosixName.encode(snapshot.address.name)))
            invalidations.append(.entry(parent: folder, name: PosixName.encode(placement.address.name)))
            invalidations.append(.inode(folder))
            if let ino = nodes.inode(of: remote) {
                nodes.move(ino, toParent: folder, name: PosixName.encode(placement.address.name))
            }
        }
        if settled != wanted {
            // The server kept another name: show what it has.
            for folderID in Set([settled.folderID, wanted.folderID]) {
                if let folder = nodes.inode(of: .remote(profile: file.profileIndex, id: folderID)) {
                    listings.invalidate(folder)
                    invalidations.append(.inode(folder))
                }
            }
            if let folder = nodes.inode(of: .remote(profile: file.profileIndex, id: wanted.folderID)) {
                invalidations.append(.entry(parent: folder, name: PosixName.encode(wanted.name)))
            }
        }
        if !invalidations.isEmpty { invalidate(invalidations) }
        return settled
    }

    /// The node is at `address` with `metadata` as of now, for listings started before, unless the
    /// file was unlinked or renamed over while binding (its node is being trashed: not shown again).
    private func noteInOverlay(_ file: SpoolFile, _ node: NodeIdentity, in address: ServerAddress, metadata: NodeMetadata) {
        guard file.machine.isBinding else { return }
        overlay.noteNode(node, in: folderKey(file.profileIndex, address.folderID), name: PosixName.encode(address.name),
                         metadata: metadata, now: clock.now())
    }

    /// Moves and renames a just-placed node to where the file went meanwhile, retrying a little;
    /// answers where the node is. If the server keeps refusing, the node keeps its placed address
    /// (logged), the file's address follows it, and the caller shows the server's view.
    private func moveAfterPlacement(_ file: SpoolFile, nodeID: String, from: ServerAddress, to: ServerAddress) -> ServerAddress {
        var current = from
        for attempt in 0..<Self.readdressAttempts {
            do {
                if current.folderID != to.folderID {
                    try writer.move(file.profile, nodeID: nodeID, toParentID: to.folderID)
                    current.folderID = to.folderID
                }
                if current.name != to.name {
                    _ = try writer.rename(file.profile, nodeID: nodeID, to: to.name)
                    current.name = to.name
                }
                return current
            } catch {
                logger.warning("cannot move a just-uploaded file to where it was renamed; retrying",
                               metadata: ["from": "\(from.name)", "to": "\(to.name)", "error": "\(error)",
                                          "attempt": "\(attempt + 1)"])
                usleep(UInt32(250_000 << attempt))
            }
        }
        logger.error("the server kept refusing to rename a just-uploaded file; it keeps the name it has there",
                     metadata: ["name": "\(current.name)", "wanted": "\(to.name)"])
        let settled = current
        file.mutate { machine in
            if machine.address == to { machine.address = settled }
        }
        return settled
    }

    /// Our bytes went to a conflict copy because someone else changed the file while our lock was
    /// lost: the original keeps their version (node table, listing, kernel caches told), and this
    /// spool file stands for the copy from now on.
    private func bindConflictCopy(_ file: SpoolFile, copy: NodeIdentity, metadata: NodeMetadata, placement: Placement,
                                  original: RemoteNode, originalID: String) {
        let profileIndex = file.profileIndex
        let originalIdentity = NodeIdentity.remote(profile: profileIndex, id: originalID)
        let now = clock.now()
        file.mutate { machine in
            guard machine.isBinding else { return }
            registry.withLock { registry in
                if registry.byIdentity[originalIdentity] === file { registry.byIdentity[originalIdentity] = nil }
                registry.byIdentity[copy] = file
            }
        }
        let theirs = NodeMetadata(original)
        let copyName = PosixName.encode(placement.address.name)
        var invalidations: [KernelInvalidation] = []
        if let ino = nodes.inode(of: originalIdentity) {
            nodes.refresh(ino, metadata: theirs, at: now, identity: originalIdentity)
            invalidations.append(.inode(ino))
        }
        overlay.noteNode(originalIdentity, in: folderKey(profileIndex, original.parentID),
                         name: PosixName.encode(original.name), metadata: theirs, now: now)
        overlay.noteNode(copy, in: folderKey(profileIndex, placement.address.folderID), name: copyName,
                         metadata: metadata, now: now)
        if let folder = nodes.inode(of: .remote(profile: profileIndex, id: placement.address.folderID)) {
            listings.patch(folder) { entries in
                entries.filter { $0.name != copyName }.map {
                    $0.identity == originalIdentity ? ListedEntry(name: $0.name, identity: originalIdentity, metadata: theirs) : $0
                } + [ListedEntry(name: copyName, identity: copy, metadata: metadata)]
            }
            invalidations.append(.entry(parent: folder, name: copyName))
            invalidations.append(.inode(folder))
        }
        invalidate(invalidations)
    }
}
