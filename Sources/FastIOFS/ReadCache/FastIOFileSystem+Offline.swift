import FastIO
import Foundation

/// Reads while the server cannot be reached: a file whose blocks are in the read cache, and the
/// folders on its path, keep the metadata the mount last had for them (logged as stale), so the file
/// stays readable from the cache; everything else fails with its errno as before.
extension FastIOFileSystem {
    /// Errnos that mean "no answer from the server" (as opposed to an answer that refuses).
    static let unreachableErrnos: Set<Int32> = [EIO, ETIMEDOUT, ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH]

    /// True when `record`'s last metadata may stand in for the server's after `error`: the server is
    /// unreachable, and the node is a folder or a file with cached blocks of its version.
    func mayServeStale(_ record: NodeRecord, after error: FSError) -> Bool {
        mayServeStale(name: record.name, identity: record.identity, metadata: record.metadata, after: error)
    }

    func mayServeStale(name: String, identity: NodeIdentity, metadata: NodeMetadata, after error: FSError) -> Bool {
        guard let readCache, Self.unreachableErrnos.contains(error.errno) else { return false }
        switch metadata.kind {
        case .directory:
            break
        case .file:
            guard case .remote(_, let id) = identity, let version = metadata.version,
                  readCache.hasBlocks(of: BlockCache.Key(nodeID: id, versionID: version)) else { return false }
        case .symlink:
            return false
        }
        logger.notice("server unreachable: using the last known metadata (stale)",
                      metadata: ["name": "\(name)", "error": "\(error)"])
        return true
    }

    /// The entry `name` of `directory`'s last listing, however old, when the server cannot be reached
    /// and the entry may be served stale.
    func staleListedEntry(_ name: String, in directory: UInt64, after error: FSError) -> ListedEntry? {
        guard let entry = listings.cached(directory)?.entry(named: name),
              mayServeStale(name: name, identity: entry.identity, metadata: entry.metadata, after: error) else { return nil }
        return entry
    }
}
