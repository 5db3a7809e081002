import FastIO
import Foundation

/// Fast.io notes look like `.md` files on the mount; their content can only change through
/// `updatenote` (the `update from` of an upload is refused for notes).
extension WriteCoordinator {
    /// Marks `file` as a note when the server says so. Only names ending in `.md` are asked about
    /// (one details request when such a file is first opened for writing).
    func markIfNote(_ file: SpoolFile, remoteID: String) throws(FSError) {
        let state = file.snapshotState()
        guard !state.isNote, state.name.lowercased().hasSuffix(".md") else { return }
        let node: RemoteNode
        do {
            node = try api.nodeDetails(profiles[file.profileIndex].profile, nodeID: remoteID)
        } catch {
            throw FSError.from(error)
        }
        if node.type == .note { file.state.withLock { $0.isNote = true } }
    }
}

extension UploadProcedure {
    /// The snapshot as the new content of note `nodeID` (UTF-8 text; other bytes are refused with
    /// EINVAL, a standing error: the data stays in the journal).
    func updateNote(nodeID: String) throws -> Outcome {
        guard let data = FileManager.default.contents(atPath: snapshot.path), Int64(data.count) == snapshot.size else {
            throw FSError(EIO, detail: "cannot read the spooled note \(snapshot.name)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FSError(EINVAL, detail: "note \(snapshot.name) is not UTF-8 text")
        }
        let node = try writer.updateNote(profile, nodeID: nodeID, name: nil, content: text, ifVersionID: nil)
        onProgress(snapshot.size)
        return Outcome(nodeID: node.id, version: node.version)
    }
}
