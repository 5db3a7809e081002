import FastIO
import Foundation

/// Read-only `user.fastio.*` extended attributes.
extension FastIOFileSystem {
    static let idAttribute = "user.fastio.id"
    static let versionAttribute = "user.fastio.version"
    static let hashAttribute = "user.fastio.hash"
    static let hashAlgoAttribute = "user.fastio.hash_algo"
    static let mimetypeAttribute = "user.fastio.mimetype"
    static let requestsAttribute = "user.fastio.requests"
    static let requestsInFlightAttribute = "user.fastio.requests_in_flight"
    /// On the mount root: the upload queue, locks held and the last error, as JSON.
    static let statusAttribute = "user.fastio.status"
    /// On the mount root: the read cache's directory, size, hit ratio and evictions, as JSON.
    static let readCacheAttribute = "user.fastio.read_cache"

    public func getxattr(ino: UInt64, name: String) throws(FSError) -> [UInt8] {
        guard name.hasPrefix("user.fastio.") else { throw FSError(ENODATA) }
        if ino == 1, name.hasPrefix(WriteCoordinator.statusPagePrefix) {
            // The status's later queue pages (not listed by listxattr: there are as many as needed).
            guard let writes, let page = Int(name.dropFirst(WriteCoordinator.statusPagePrefix.count)), page >= 1 else {
                throw FSError(ENODATA)
            }
            return Array(writes.statusQueuePage(page).utf8)
        }
        guard let value = try extendedAttributes(ino: ino, only: name)[name] else { throw FSError(ENODATA) }
        return Array(value.utf8)
    }

    /// The read cache's state for `fastiofs status` and `fastiofs cache clear`.
    func readCacheJSON() -> String {
        guard let readCache else { return #"{"enabled":false}"# }
        let stats = readCache.statistics
        let lookups = stats.hits + stats.misses
        let document: [String: Any] = [
            "enabled": true, "directory": readCache.directory, "capacity_bytes": readCache.capacity,
            "minimum_free_bytes": readCache.minimumFree, "bytes": stats.bytes, "blocks": stats.blocks,
            "hits": stats.hits, "misses": stats.misses, "evictions": stats.evictions, "corrupt": stats.corrupt,
            "hit_ratio": lookups == 0 ? 0 : (Double(stats.hits) / Double(lookups) * 1000).rounded() / 1000,
            "indexed": stats.indexed,
        ]
        do {
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        } catch {
            logger.warning("the read cache status could not be encoded", metadata: ["error": "\(error)"])
            return #"{"enabled":true,"error":"status unavailable"}"#
        }
    }

    public func listxattr(ino: UInt64) throws(FSError) -> [String] {
        try extendedAttributes(ino: ino, only: nil).keys.sorted()
    }

    /// The attributes with a value; `only` names the one wanted, so that the id and the request
    /// counters never cost a details request.
    func extendedAttributes(ino: UInt64, only: String?) throws(FSError) -> [String: String] {
        guard let record = nodes.record(ino) else { throw FSError(ENOENT) }
        var values: [String: String] = [:]
        if ino == 1, let counting = api as? any RequestCounting {
            values[Self.requestsAttribute] = Self.json(counting.requestCounts())
            values[Self.requestsInFlightAttribute] = Self.json(counting.requestsInFlight())
        }
        if ino == 1 {
            values[Self.statusAttribute] = writes?.statusJSON()
                ?? #"{"locks":[],"pending_bytes":0,"pending_files":0,"queue":[],"read_only":true}"#
            values[Self.readCacheAttribute] = readCacheJSON()
        }
        guard case .remote(let profileIndex, let id) = record.identity, id != "root" else { return values }
        values[Self.idAttribute] = id
        let contentNames = [Self.versionAttribute, Self.hashAttribute, Self.hashAlgoAttribute, Self.mimetypeAttribute]
        guard record.metadata.kind == .file, only.map(contentNames.contains) ?? true else { return values }
        let now = MonotonicClock.now()
        let node: RemoteNode
        if let cached = detailsCache.fresh(ino, now: now) {
            node = cached
        } else {
            node = try details(profileIndex: profileIndex, id: id)
            detailsCache.store(node, for: ino, at: now)
        }
        let pairs = [(Self.versionAttribute, node.version), (Self.hashAttribute, node.hash),
                     (Self.hashAlgoAttribute, node.hashAlgo), (Self.mimetypeAttribute, node.mimetype)]
        for (name, value) in pairs {
            if let value, !value.isEmpty { values[name] = value }
        }
        return values
    }

    static func json(_ counts: [String: Int]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: counts, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }
}
