import FastIO
import Foundation

/// Fast.io notes look like `.md` files on the mount; their content can only change through
/// `updatenote` (the `update from` of an upload is refused for notes).
extension WriteCoordinator {
    /// Marks `file` as a note when the server says so. Only names ending in `.md` are asked about
    /// (one details request when such a file is first opened for writing).
    func markIfNote(_ file: SpoolFile, remoteID: String) throws(FSError) {
        let machine = file.machine
        guard !machine.isNote, machine.address.name.lowercased().hasSuffix(".md") else { return }
        let node: RemoteNode
        do {
            node = try api.nodeDetails(profiles[file.profileIndex].profile, nodeID: remoteID)
        } catch {
            throw FSError.from(error)
        }
        if node.type == .note { file.mutate { $0.markNote() } }
    }
}

extension UploadProcedure {
    /// The snapshot as the new content of note `nodeID` (UTF-8 text; other bytes are refused with
    /// EINVAL, a standing error: the data stays in the journal).
    func updateNote(nodeID: String, name: String) throws -> Outcome {
        guard let data = FileManager.default.contents(atPath: path), Int64(data.count) == size else {
            throw FSError(EIO, detail: "cannot read the spooled note \(name)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw UnsendableContent(description: "note \(name) is not UTF-8 text")
        }
        let node = try writer.updateNote(profile, nodeID: nodeID, name: nil, content: text, ifVersionID: nil)
        onProgress(size)
        return Outcome(nodeID: node.id, version: node.version)
    }
}
