import FastIO
import Foundation

/// A file created on the mount is known under a pending identity until its first upload places it.
/// The uploader rebinds the inode it knows, but an inode or a cached listing entry made from the
/// pending identity at the wrong moment can outlive its spool file: these helpers send such a
/// name to the server node instead of answering ENOENT.
extension WriteCoordinator {
    /// The server node a pending file was placed as, once its spool file is gone.
    func placement(of identity: NodeIdentity) -> (identity: NodeIdentity, metadata: NodeMetadata)? {
        guard case .pending(let profile, let key) = identity, file(identity) == nil,
              let placed = registry.withLock({ $0.placements[key] }) else { return nil }
        return (.remote(profile: profile, id: placed.id), placed.metadata)
    }
}

extension FastIOFileSystem {
    /// Rebinds inode `ino` to its server node when it still names a placed pending file.
    func adoptPlacement(_ ino: UInt64) {
        guard let writes, let record = nodes.record(ino), let placed = writes.placement(of: record.identity) else { return }
        nodes.rebind(ino, to: placed.identity, displacing: true, from: record.identity)
        nodes.refresh(ino, metadata: placed.metadata, at: MonotonicClock.now(), identity: placed.identity)
    }

    /// `entry` with the server identity when it names a placed pending file.
    func adoptingPlacement(_ entry: ListedEntry) -> ListedEntry {
        guard let writes, let placed = writes.placement(of: entry.identity) else { return entry }
        return ListedEntry(name: entry.name, identity: placed.identity, metadata: placed.metadata)
    }
}
