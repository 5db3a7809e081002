import FastIO
import FastIOFS
import Foundation

/// An error carrying an errno, as the real client's errors do.
struct MockError: Error, ErrnoProviding, CustomStringConvertible {
    let errno: Int32
    var description: String { "mock error \(errno)" }
}

/// An in-memory Fast.io: workspaces and shares with trees of nodes and versioned contents. Counts
/// every call by route, can fail reads with an errno and delay reads. Thread-safe.
final class MockFastIO: FastIOAPI, RequestCounting, Sendable {
    struct Content: Sendable {
        var version: String
        var bytes: [UInt8]
    }
    struct Tree {
        var nodes: [String: RemoteNode] = [:]
        var children: [String: [String]] = [:]
        /// node id -> version id -> bytes (every version stays readable when pinned).
        var versions: [String: [String: [UInt8]]] = [:]
    }
    struct State {
        var workspaces: [WorkspaceInfo] = []
        var shares: [ShareInfo] = []
        var trees: [String: Tree] = [:]
        var counts: [String: Int] = [:]
        var nextID = 1
        var failReadsWith: Int32?
        var readDelay: Double = 0
    }
    let state = Locked(State())
    /// The write half's state (MockFastIO+Write.swift). Stored here, one per mock: kept in a global
    /// table keyed by `ObjectIdentifier`, a new mock at a freed mock's address inherited its locks.
    let writes = MockWriteState()
    /// Holds single-call uploads after placement, when a test asks for it.
    let placementHold = PlacementHold()
    /// Folders whose listing misbehaves like a broken server's.
    let listingFault = ListingFault()

    // MARK: - fixture building

    @discardableResult
    func addWorkspace(id: String, folderName: String) -> StorageProfile {
        state.withLock {
            $0.workspaces.append(WorkspaceInfo(id: id, folderName: folderName, name: folderName))
            $0.trees[id] = Tree()
        }
        return StorageProfile(kind: .workspace, id: id)
    }

    @discardableResult
    func addShare(id: String, customName: String?, access: ShareAccess? = nil) -> StorageProfile {
        state.withLock {
            $0.shares.append(ShareInfo(id: id, customName: customName, title: nil, isWorkspaceFolder: false,
                                       access: access))
            $0.trees[id] = Tree()
        }
        return StorageProfile(kind: .share, id: id)
    }

    @discardableResult
    func addFolder(_ profile: StorageProfile, parent: String = "root", name: String) -> String {
        add(profile, RemoteNode(id: "", name: name, type: .folder, parentID: parent,
                                modified: Date(timeIntervalSince1970: 1_700_000_000)), bytes: nil)
    }

    @discardableResult
    func addFile(_ profile: StorageProfile, parent: String = "root", name: String, bytes: [UInt8],
                 type: NodeType = .file, creator: String? = nil) -> String {
        add(profile, RemoteNode(id: "", name: name, type: type, parentID: parent, size: Int64(bytes.count),
                                created: Date(timeIntervalSince1970: 1_600_000_000),
                                modified: Date(timeIntervalSince1970: 1_700_000_123.5),
                                hash: "h-\(bytes.count)", hashAlgo: "sha256", mimetype: "application/octet-stream",
                                creator: creator),
            bytes: bytes)
    }

    @discardableResult
    func addLink(_ profile: StorageProfile, parent: String = "root", name: String, shareID: String) -> String {
        add(profile, RemoteNode(id: "", name: name, type: .link, parentID: parent, linkTargetID: shareID), bytes: nil)
    }

    /// Replaces a file's content with a new version (the old one stays readable by version id).
    func replaceContent(_ profile: StorageProfile, id: String, bytes: [UInt8]) {
        state.withLock { state in
            let version = Self.makeID(prefix: "3", &state.nextID)
            state.trees[profile.id]!.versions[id]![version] = bytes
            state.trees[profile.id]!.nodes[id]!.version = version
            state.trees[profile.id]!.nodes[id]!.size = Int64(bytes.count)
        }
    }

    /// Removes a node from its folder (as a delete by someone else would).
    func removeNode(_ profile: StorageProfile, id: String) {
        state.withLock { state in
            guard let node = state.trees[profile.id]!.nodes.removeValue(forKey: id) else { return }
            state.trees[profile.id]!.children[node.parentID]?.removeAll { $0 == id }
        }
    }

    /// Renames and/or moves a node (as someone else would).
    func moveNode(_ profile: StorageProfile, id: String, to parent: String? = nil, name: String? = nil) {
        state.withLock { state in
            guard var node = state.trees[profile.id]!.nodes[id] else { return }
            if let parent, parent != node.parentID {
                state.trees[profile.id]!.children[node.parentID]?.removeAll { $0 == id }
                state.trees[profile.id]!.children[parent, default: []].append(id)
                node.parentID = parent
            }
            if let name { node.name = name }
            state.trees[profile.id]!.nodes[id] = node
        }
    }

    func failReads(with errno: Int32?) { state.withLock { $0.failReadsWith = errno } }
    func delayReads(seconds: Double) { state.withLock { $0.readDelay = seconds } }

    func count(_ route: String) -> Int { state.withLock { $0.counts[route] ?? 0 } }
    var totalRequests: Int { state.withLock { $0.counts.values.reduce(0, +) } }
    func requestCounts() -> [String: Int] { state.withLock { $0.counts } }
    func requestsInFlight() -> [String: Int] { [:] }

    private func add(_ profile: StorageProfile, _ template: RemoteNode, bytes: [UInt8]?) -> String {
        state.withLock { state in
            var node = template
            node.id = Self.makeID(prefix: "2", &state.nextID)
            if let bytes {
                let version = Self.makeID(prefix: "3", &state.nextID)
                node.version = version
                state.trees[profile.id]!.versions[node.id] = [version: bytes]
            }
            state.trees[profile.id]!.nodes[node.id] = node
            state.trees[profile.id]!.children[node.parentID, default: []].append(node.id)
            return node.id
        }
    }

    static func makeID(prefix: String, _ next: inout Int) -> String {
        defer { next += 1 }
        let digits = String(next)
        return prefix + String(repeating: "0", count: 28 - digits.count) + digits
    }

    private func counted(_ route: String) {
        state.withLock { $0.counts[route, default: 0] += 1 }
    }

    // MARK: - FastIOAPI

    func authCheck() throws -> String { counted("GET auth/check"); return "1" }

    func listWorkspaces() throws -> [WorkspaceInfo] {
        counted("GET workspaces/all")
        return state.withLock { $0.workspaces }
    }

    func workspaceDetails(_ idOrFolderName: String) throws -> WorkspaceInfo {
        counted("GET workspace/details")
        guard let found = state.withLock({ $0.workspaces.first { $0.id == idOrFolderName || $0.folderName == idOrFolderName } })
        else { throw MockError(errno: ENOENT) }
        return found
    }

    func listShares() throws -> [ShareInfo] {
        counted("GET shares/all")
        return state.withLock { $0.shares }
    }

    func shareDetails(_ idOrCustomName: String) throws -> ShareInfo {
        counted("GET share/details")
        guard let found = state.withLock({ $0.shares.first { $0.id == idOrCustomName || $0.customName == idOrCustomName } })
        else { throw MockError(errno: ENOENT) }
        return found
    }

    func listFolder(_ profile: StorageProfile, folderID: String, pageSize: Int, cursor: String?) throws -> FolderPage {
        counted("GET storage/list")
        if listingFault.shouldFail(folderID, cursor: cursor) { throw MockError(errno: EIO) }
        if let faulted = listingFault.page(folderID) { return faulted }
        return try state.withLock { state throws -> FolderPage in
            guard let tree = state.trees[profile.id] else { throw MockError(errno: ENOENT) }
            guard folderID == "root" || tree.nodes[folderID]?.type == .folder else { throw MockError(errno: ENOENT) }
            let ids = tree.children[folderID] ?? []
            let start = cursor.flatMap(Int.init) ?? 0
            let end = min(ids.count, start + pageSize)
            let items = ids[start..<end].compactMap { tree.nodes[$0] }
            return FolderPage(items: items, nextCursor: end < ids.count ? String(end) : nil)
        }
    }

    func nodeDetails(_ profile: StorageProfile, nodeID: String) throws -> RemoteNode {
        counted("GET storage/details")
        guard let node = state.withLock({ $0.trees[profile.id]?.nodes[nodeID] }) else { throw MockError(errno: ENOENT) }
        return node
    }

    func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
              into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        counted("GET storage/read")
        let (delay, failure) = state.withLock { ($0.readDelay, $0.failReadsWith) }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        if let failure { throw MockError(errno: failure) }
        let bytes: [UInt8] = try state.withLock { state throws -> [UInt8] in
            guard let tree = state.trees[profile.id], let node = tree.nodes[nodeID] else { throw MockError(errno: ENOENT) }
            guard let version = versionID ?? node.version, let bytes = tree.versions[nodeID]?[version]
            else { throw MockError(errno: ENOENT) }
            return bytes
        }
        guard offset < Int64(bytes.count) else { return 0 }
        let count = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + Int(offset), byteCount: count)
        }
        return count
    }

    func pollActivity(profileID: String, wait: Int, lastActivity: String?) throws -> ActivityPoll {
        counted("GET activity/poll")
        return ActivityPoll(keys: [], lastActivity: lastActivity)
    }
}
