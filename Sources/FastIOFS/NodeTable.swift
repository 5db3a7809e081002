import FastIO

/// The inodes the kernel holds references to, keyed both ways (inode <-> identity).
///
/// Invariants: inode numbers come from `InodeHasher` over the identity's key (deterministic probing
/// on collision), the root identity is always inode 1; `retain` adds exactly one kernel reference and
/// `forget` removes them, dropping a non-pinned record at zero; a record's metadata is never replaced
/// by server data fetched before its current metadata was. Thread-safe (one mutex, no I/O inside).
public final class NodeTable: Sendable {
    private struct State {
        var records: [UInt64: NodeRecord] = [:]
        var inodes: [NodeIdentity: UInt64] = [:]
        /// (parent, name) -> inode, for lookups the kernel repeats after its entry timeout.
        var children: [ChildKey: UInt64] = [:]
    }
    private struct ChildKey: Hashable {
        let parent: UInt64
        let name: String
    }
    private let state = Locked(State())
    private let profiles: [MountedProfile]

    public init(profiles: [MountedProfile], root: NodeIdentity, rootMetadata: NodeMetadata) {
        self.profiles = profiles
        let record = NodeRecord(ino: 1, identity: root, parent: 1, name: "", metadata: rootMetadata,
                                refreshedAt: nil, lookups: 0, pinned: true, lastOpenedVersion: nil)
        state.withLock {
            $0.records[1] = record
            $0.inodes[root] = 1
        }
    }

    /// Inserts a synthetic or profile-root directory that stays for the life of the mount.
    @discardableResult
    public func pin(_ identity: NodeIdentity, parent: UInt64, name: String, metadata: NodeMetadata) -> UInt64 {
        insertOrUpdate(identity, parent: parent, name: name, metadata: metadata, refreshedAt: nil,
                       addLookup: false, pinned: true)
    }

    /// Records (or refreshes) a node and adds one kernel reference. Returns its inode.
    public func retain(_ identity: NodeIdentity, parent: UInt64, name: String, metadata: NodeMetadata,
                       refreshedAt: Double?) -> UInt64 {
        insertOrUpdate(identity, parent: parent, name: name, metadata: metadata, refreshedAt: refreshedAt,
                       addLookup: true, pinned: false)
    }

    /// Removes `count` kernel references; drops the record at zero unless pinned. Returns true when
    /// the record was dropped.
    @discardableResult
    public func forget(_ ino: UInt64, count: UInt64) -> Bool {
        state.withLock { state in
            guard var record = state.records[ino] else { return false }
            record.lookups -= min(record.lookups, count)
            if record.lookups == 0 && !record.pinned {
                state.records[ino] = nil
                if state.inodes[record.identity] == ino { state.inodes[record.identity] = nil }
                let key = ChildKey(parent: record.parent, name: record.name)
                if state.children[key] == ino { state.children[key] = nil }
                return true
            }
            state.records[ino] = record
            return false
        }
    }

    public func record(_ ino: UInt64) -> NodeRecord? {
        state.withLock { $0.records[ino] }
    }

    /// The known child `name` of `parent`, if the kernel holds a reference to it.
    public func child(of parent: UInt64, named name: String) -> NodeRecord? {
        state.withLock { state in
            state.children[ChildKey(parent: parent, name: name)].flatMap { state.records[$0] }
        }
    }

    public func inode(of identity: NodeIdentity) -> UInt64? {
        state.withLock { $0.inodes[identity] }
    }

    /// Replaces a known node's metadata with fresher server data (no reference change); with
    /// `identity`, only while the inode still stands for that node (it may be rebound concurrently).
    public func refresh(_ ino: UInt64, metadata: NodeMetadata, at time: Double, identity: NodeIdentity? = nil) {
        state.withLock { state in
            guard let record = state.records[ino], identity == nil || record.identity == identity else { return }
            state.records[ino]!.metadata = metadata
            state.records[ino]!.refreshedAt = time
        }
    }

    /// Notes an `open` of `ino` at `version`; true when the previous open saw the same version
    /// (so the kernel may keep its page cache).
    public func noteOpen(_ ino: UInt64, version: String?) -> Bool {
        state.withLock { state in
            guard state.records[ino] != nil else { return false }
            let previous = state.records[ino]!.lastOpenedVersion
            state.records[ino]!.lastOpenedVersion = version
            return version != nil && previous == version
        }
    }

    /// Moves a known node to `parent`/`name` after a rename (no reference change).
    public func move(_ ino: UInt64, toParent parent: UInt64, name: String) {
        state.withLock { state in
            guard var record = state.records[ino] else { return }
            let oldKey = ChildKey(parent: record.parent, name: record.name)
            if state.children[oldKey] == ino { state.children[oldKey] = nil }
            record.parent = parent
            record.name = name
            state.children[ChildKey(parent: parent, name: name)] = ino
            state.records[ino] = record
        }
    }

    /// Drops the (parent, name) -> inode shortcut of a node that left that name (unlink, rmdir).
    public func detach(_ ino: UInt64) {
        state.withLock { state in
            guard let record = state.records[ino] else { return }
            let key = ChildKey(parent: record.parent, name: record.name)
            if state.children[key] == ino { state.children[key] = nil }
        }
    }

    /// Gives a known inode a new identity (a pending file the server has just placed), keeping the
    /// inode number the kernel knows. Returns false when the inode is gone or the identity is taken,
    /// unless `displacing`: then an inode that already has `identity` (made from a listing that saw
    /// the placed file first) stays valid as an alias, and `ino` becomes the one lookups find. With
    /// `from`, only while the inode still has that identity.
    @discardableResult
    public func rebind(_ ino: UInt64, to identity: NodeIdentity, displacing: Bool = false,
                       from expected: NodeIdentity? = nil) -> Bool {
        state.withLock { state in
            guard let record = state.records[ino], displacing || state.inodes[identity] == nil,
                  expected == nil || record.identity == expected else { return false }
            if let other = state.inodes[identity], other != ino, let alias = state.records[other] {
                let key = ChildKey(parent: alias.parent, name: alias.name)
                if state.children[key] == other { state.children[key] = nil }
            }
            state.inodes[record.identity] = nil
            state.inodes[identity] = ino
            state.children[ChildKey(parent: record.parent, name: record.name)] = ino
            state.records[ino] = NodeRecord(ino: ino, identity: identity, parent: record.parent, name: record.name,
                                            metadata: record.metadata,
                                            refreshedAt: record.refreshedAt, lookups: record.lookups,
                                            pinned: record.pinned, lastOpenedVersion: record.lastOpenedVersion)
            return true
        }
    }

    /// The children of `parent` the kernel holds references to (name -> record), for coherence diffs.
    public func children(of parent: UInt64) -> [NodeRecord] {
        state.withLock { state in
            state.children.compactMap { key, ino in key.parent == parent ? state.records[ino] : nil }
        }
    }

    /// Drops the name `parent`/`name` from the name index (the node is gone from that directory); the
    /// record itself stays until the kernel forgets it.
    public func unlinkChild(parent: UInt64, name: String) {
        _ = state.withLock { $0.children.removeValue(forKey: ChildKey(parent: parent, name: name)) }
    }

    /// Every inode of profile `profile` (remote and pending nodes, the profile root included).
    public func inodes(profile: Int) -> [UInt64] {
        state.withLock { state in
            state.records.values.compactMap { record in record.identity.profileIndex == profile ? record.ino : nil }
        }
    }

    /// Inodes of the directories of profile `profile` the node table holds (including its root).
    public func remoteDirectories(profile: Int) -> [UInt64] {
        state.withLock { state in
            state.records.values.compactMap { record in
                guard case .remote(profile, _) = record.identity, record.metadata.kind == .directory else { return nil }
                return record.ino
            }
        }
    }

    /// Marks a node's metadata as due for revalidation (the next getattr asks the server).
    public func expire(_ ino: UInt64) {
        state.withLock { state in
            guard state.records[ino]?.refreshedAt != nil else { return }
            state.records[ino]!.refreshedAt = -Double.infinity
        }
    }

    /// The path of `ino` below the mount root (`a/b/c`; "" for the root); nil when an ancestor is not
    /// known (the kernel forgot it).
    public func path(of ino: UInt64) -> String? {
        state.withLock { state in
            var names: [String] = []
            var current = ino
            while current != 1 {
                guard let record = state.records[current], names.count < 4_096 else { return nil }
                names.append(record.name)
                current = record.parent
            }
            return names.reversed().joined(separator: "/")
        }
    }

    /// Directories between the mount root and `ino` (root 0, its children 1, ...), walked up the
    /// parent chain as it is now; nil when an ancestor is not known (the kernel forgot it).
    public func depth(of ino: UInt64) -> Int? {
        state.withLock { state in
            var depth = 0
            var current = ino
            while current != 1 {
                guard let record = state.records[current], depth < 4_096 else { return nil }
                depth += 1
                current = record.parent
            }
            return depth
        }
    }

    /// Number of records (kernel-referenced plus pinned), for tests and statistics.
    public var count: Int { state.withLock { $0.records.count } }

    private func insertOrUpdate(_ identity: NodeIdentity, parent: UInt64, name: String, metadata: NodeMetadata,
                                refreshedAt: Double?, addLookup: Bool, pinned: Bool) -> UInt64 {
        state.withLock { state in
            if let ino = state.inodes[identity], var record = state.records[ino] {
                if ino != 1 && (record.parent != parent || record.name != name) {
                    let oldKey = ChildKey(parent: record.parent, name: record.name)
                    if state.children[oldKey] == ino { state.children[oldKey] = nil }
                    state.children[ChildKey(parent: parent, name: name)] = ino
                    record.parent = parent
                    record.name = name
                }
                // A listing fetched before the node last changed (our own upload committed meanwhile)
                // must not bring its old version back.
                let older = refreshedAt.map { fetched in record.refreshedAt.map { fetched < $0 } ?? false } ?? false
                if !older {
                    record.metadata = metadata
                    if refreshedAt != nil { record.refreshedAt = refreshedAt }
                }
                if addLookup { record.lookups += 1 }
                state.records[ino] = record
                return ino
            }
            let key = identity.inodeKey(profiles: profiles)
            var attempt = 0
            var ino = InodeHasher.inode(forKey: key)
            while state.records[ino] != nil {
                attempt += 1
                ino = InodeHasher.inode(forKey: key, attempt: attempt)
            }
            state.records[ino] = NodeRecord(ino: ino, identity: identity, parent: parent, name: name,
                                            metadata: metadata, refreshedAt: refreshedAt,
                                            lookups: addLookup ? 1 : 0, pinned: pinned, lastOpenedVersion: nil)
            state.inodes[identity] = ino
            state.children[ChildKey(parent: parent, name: name)] = ino
            return ino
        }
    }
}
