import FastIO
@testable import FastIOFS
import Foundation

/// The write half of the in-memory Fast.io: folders, uploads (single and chunked, placed or not),
/// update/move/delete, locks (with a switch for "another user holds this lock"), and a switch that
/// fails uploads with an errno. Deleted nodes leave the tree (the trash is not modelled).
final class MockWriteState: Sendable {
    struct Session: Sendable {
        var name: String
        var size: Int64
        var placement: UploadPlacement
        var chunks: [Int: [UInt8]] = [:]
        var status = "ready"
        var newFileID: String?
    }
    struct State: Sendable {
        var sessions: [String: Session] = [:]
        var locks: [String: String] = [:]
        var foreignLocks: Set<String> = []
        var lockClientInfo: [String: LockClientInfo?] = [:]
        var failUploadsWith: Int32?
        var nextSession = 1
    }
    let state = Locked(State())
}

/// Holds single-call uploads after the server placed their node: the window in which the server
/// lists a file the uploader has not heard back about.
final class PlacementHold: @unchecked Sendable {  // unchecked: every var is guarded by `condition`
    private let condition = NSCondition()
    private var holding = false
    private var held = 0

    func start() { condition.withLock { holding = true } }
    func release() { condition.withLock { holding = false; condition.broadcast() } }

    /// Called by an upload once its node is placed.
    func pass() {
        condition.withLock {
            guard holding else { return }
            held += 1
            condition.broadcast()
            while holding { condition.wait() }
        }
    }

    /// Waits until `count` uploads are being held; false on timeout.
    func waitHeld(_ count: Int, timeout: TimeInterval = 5) -> Bool {
        condition.withLock {
            let deadline = Date().addingTimeInterval(timeout)
            while held < count { if !condition.wait(until: deadline) { return held >= count } }
            return true
        }
    }
}

extension MockFastIO: FastIOWriteAPI {
    func failUploads(with errno: Int32?) { writes.state.withLock { $0.failUploadsWith = errno } }
    /// The `client_info` sent with the last lock of `nodeID`.
    func lockClientInfo(_ nodeID: String) -> LockClientInfo? { writes.state.withLock { $0.lockClientInfo[nodeID] ?? nil } }
    func lockAsAnotherUser(_ nodeID: String) { _ = writes.state.withLock { $0.foreignLocks.insert(nodeID) } }
    func heldLocks() -> [String] { writes.state.withLock { Array($0.locks.keys) } }
    func content(_ profile: StorageProfile, id: String) -> [UInt8]? {
        state.withLock { state in
            guard let node = state.trees[profile.id]?.nodes[id], let version = node.version else { return nil }
            return state.trees[profile.id]?.versions[id]?[version]
        }
    }
    func versionCount(_ profile: StorageProfile, id: String) -> Int {
        state.withLock { $0.trees[profile.id]?.versions[id]?.count ?? 0 }
    }
    func child(_ profile: StorageProfile, parent: String, name: String) -> RemoteNode? {
        state.withLock { state in
            let tree = state.trees[profile.id]!
            return (tree.children[parent] ?? []).compactMap { tree.nodes[$0] }.first { $0.name == name }
        }
    }

    private func tally(_ route: String) { state.withLock { $0.counts[route, default: 0] += 1 } }

    private func checkName(_ tree: MockFastIO.Tree, parent: String, name: String, except: String? = nil) throws {
        if name.contains("/") || name.isEmpty || name.count > 255 { throw MockError(errno: EINVAL) }
        if (tree.children[parent] ?? []).contains(where: { $0 != except && tree.nodes[$0]?.name == name }) {
            throw MockError(errno: EINVAL)
        }
    }

    private func place(_ profile: StorageProfile, parent: String, name: String, bytes: [UInt8]) throws -> String {
        try state.withLock { state throws -> String in
            try checkName(state.trees[profile.id]!, parent: parent, name: name)
            var node = RemoteNode(id: MockFastIO.makeID(prefix: "2", &state.nextID), name: name, type: .file,
                                  parentID: parent, size: Int64(bytes.count), modified: Date(), creator: "1")
            let version = MockFastIO.makeID(prefix: "3", &state.nextID)
            node.version = version
            state.trees[profile.id]!.nodes[node.id] = node
            state.trees[profile.id]!.children[parent, default: []].append(node.id)
            state.trees[profile.id]!.versions[node.id] = [version: bytes]
            return node.id
        }
    }

    private func finish(_ id: String) throws -> UploadSession {
        guard var session = writes.state.withLock({ $0.sessions[id] }) else { throw MockError(errno: ENOENT) }
        let bytes = session.chunks.keys.sorted().flatMap { session.chunks[$0]! }
        guard Int64(bytes.count) == session.size else { throw MockError(errno: EINVAL) }
        switch session.placement {
        case .newFile(let profile, let folderID):
            do {
                session.newFileID = try place(profile, parent: folderID, name: session.name, bytes: bytes)
                session.status = "stored"
            } catch {
                session.status = "store_failed"
            }
        case .newVersion(let profile, let fileID):
            replaceContent(profile, id: fileID, bytes: bytes)
            session.status = "stored"
            session.newFileID = fileID
        case .unplaced:
            session.status = "complete"
        }
        writes.state.withLock { $0.sessions[id] = session }
        return UploadSession(id: id, status: session.status, newFileID: session.newFileID)
    }

    private func readRange(_ source: FileRange) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: source.path) else { throw MockError(errno: ENOENT) }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(source.offset))
        let data = try handle.read(upToCount: Int(source.length)) ?? Data()
        return [UInt8](data)
    }

    private func newSession(name: String, size: Int64, placement: UploadPlacement) throws -> String {
        if let failure = writes.state.withLock({ $0.failUploadsWith }) { throw MockError(errno: failure) }
        return writes.state.withLock { state in
            defer { state.nextSession += 1 }
            let id = "u\(state.nextSession)"
            state.sessions[id] = MockWriteState.Session(name: name, size: size, placement: placement)
            return id
        }
    }

    func createFolder(_ profile: StorageProfile, parentID: String, name: String) throws -> RemoteNode {
        tally("POST storage/createfolder")
        if let existing = child(profile, parent: parentID, name: name), existing.type == .folder { return existing }
        let id = try state.withLock { state throws -> String in
            try checkName(state.trees[profile.id]!, parent: parentID, name: name)
            let node = RemoteNode(id: MockFastIO.makeID(prefix: "2", &state.nextID), name: name, type: .folder,
                                  parentID: parentID, modified: Date(), creator: "1")
            state.trees[profile.id]!.nodes[node.id] = node
            state.trees[profile.id]!.children[parentID, default: []].append(node.id)
            return node.id
        }
        return try nodeDetails(profile, nodeID: id)
    }

    func uploadSingle(name: String, source: FileRange, placement: UploadPlacement) throws -> UploadSession {
        tally("POST upload")
        let id = try newSession(name: name, size: source.length, placement: placement)
        let bytes = try readRange(source)
        writes.state.withLock { $0.sessions[id]!.chunks[1] = bytes }
        let session = try finish(id)
        if session.status == "store_failed" { throw MockError(errno: EINVAL) }
        if session.newFileID != nil, case .newFile = placement { placementHold.pass() }
        return session
    }

    func createUploadSession(name: String, size: Int64, placement: UploadPlacement) throws -> String {
        tally("POST upload")
        return try newSession(name: name, size: size, placement: placement)
    }

    func uploadChunk(uploadID: String, order: Int, source: FileRange) throws {
        tally("POST upload/chunk")
        if let failure = writes.state.withLock({ $0.failUploadsWith }) { throw MockError(errno: failure) }
        let bytes = try readRange(source)
        writes.state.withLock { $0.sessions[uploadID]?.chunks[order] = bytes; $0.sessions[uploadID]?.status = "uploading" }
    }

    func completeUpload(uploadID: String) throws {
        tally("POST upload/complete")
        _ = try finish(uploadID)
    }

    func uploadDetails(uploadID: String, wait: Int) throws -> UploadSession {
        tally("GET upload/details")
        guard let session = writes.state.withLock({ $0.sessions[uploadID] }) else { throw MockError(errno: ENOENT) }
        return UploadSession(id: uploadID, status: session.status, newFileID: session.newFileID,
                             chunks: session.chunks.mapValues { Int64($0.count) })
    }

    func cancelUpload(uploadID: String) throws { tally("DELETE upload") }

    func rename(_ profile: StorageProfile, nodeID: String, to newName: String) throws -> RemoteNode {
        tally("POST storage/update")
        try state.withLock { state throws in
            guard let node = state.trees[profile.id]!.nodes[nodeID] else { throw MockError(errno: ENOENT) }
            do {
                try checkName(state.trees[profile.id]!, parent: node.parentID, name: newName, except: nodeID)
            } catch { throw MockError(errno: newName.contains("/") ? EINVAL : EEXIST) }
            state.trees[profile.id]!.nodes[nodeID]!.name = newName
        }
        return try nodeDetails(profile, nodeID: nodeID)
    }

    func replaceContent(_ profile: StorageProfile, nodeID: String, uploadID: String, newName: String?) throws -> RemoteNode {
        tally("POST storage/update")
        guard let session = writes.state.withLock({ $0.sessions[uploadID] }), session.status == "complete"
        else { throw MockError(errno: EINVAL) }
        if writes.state.withLock({ $0.foreignLocks.contains(nodeID) }) { throw MockError(errno: EBUSY) }
        replaceContent(profile, id: nodeID, bytes: session.chunks.keys.sorted().flatMap { session.chunks[$0]! })
        return try nodeDetails(profile, nodeID: nodeID)
    }

    func move(_ profile: StorageProfile, nodeID: String, toParentID: String) throws {
        tally("POST storage/move")
        try state.withLock { state throws in
            guard let node = state.trees[profile.id]!.nodes[nodeID] else { throw MockError(errno: ENOENT) }
            try checkName(state.trees[profile.id]!, parent: toParentID, name: node.name, except: nodeID)
            state.trees[profile.id]!.children[node.parentID]?.removeAll { $0 == nodeID }
            state.trees[profile.id]!.children[toParentID, default: []].append(nodeID)
            state.trees[profile.id]!.nodes[nodeID]!.parentID = toParentID
        }
    }

    func delete(_ profile: StorageProfile, nodeID: String) throws {
        tally("DELETE storage/delete")
        try state.withLock { state throws in
            guard let node = state.trees[profile.id]!.nodes.removeValue(forKey: nodeID) else { throw MockError(errno: ENOENT) }
            state.trees[profile.id]!.children[node.parentID]?.removeAll { $0 == nodeID }
        }
    }

    func acquireLock(_ profile: StorageProfile, nodeID: String, durationSeconds: Int,
                     clientInfo: LockClientInfo?) throws -> LockGrant {
        tally("POST storage/lock")
        return try writes.state.withLock { state throws -> LockGrant in
            if state.foreignLocks.contains(nodeID) { throw MockError(errno: EBUSY) }
            state.lockClientInfo[nodeID] = clientInfo
            let token = state.locks[nodeID] ?? "token-\(nodeID)"
            state.locks[nodeID] = token
            return LockGrant(lockToken: token, expiresAt: Date().addingTimeInterval(Double(durationSeconds)))
        }
    }

    func heartbeatLock(_ profile: StorageProfile, nodeID: String, lockToken: String) throws -> Date? {
        tally("POST storage/lock/heartbeat")
        return Date().addingTimeInterval(120)
    }

    func releaseLock(_ profile: StorageProfile, nodeID: String, lockToken: String) throws {
        tally("DELETE storage/lock")
        _ = writes.state.withLock { $0.locks.removeValue(forKey: nodeID) }
    }

    func createNote(_ profile: StorageProfile, parentID: String, name: String, content: String) throws -> RemoteNode {
        throw MockError(errno: ENOTSUP)
    }

    func updateNote(_ profile: StorageProfile, nodeID: String, name: String?, content: String?,
                    ifVersionID: String?) throws -> RemoteNode {
        throw MockError(errno: ENOTSUP)
    }
}
