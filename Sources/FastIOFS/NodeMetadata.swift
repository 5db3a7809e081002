import FastIO
import Foundation

/// The few facts about a node the filesystem keeps per inode (kept small: a folder of 100,000 entries
/// puts 100,000 of these in memory). Hash and MIME type are not kept; xattrs fetch them on demand.
///
/// Invariant: `version` is the content version the size and mtime belong to; `linkTargetID` is set
/// only for symlinks; `isNote` only for files; `creator` is `CreatorTag.unknown` unless the server
/// named the node's creator.
public struct NodeMetadata: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case directory, file, symlink }
    public var kind: Kind
    /// A Fast.io note (shown as a regular file; its content changes only through `updatenote`).
    public var isNote: Bool
    public var size: Int64
    public var mtime: FSTime
    public var version: String?
    public var linkTargetID: String?
    /// Who created the node (`origin.creator`), for rights limited to one's own nodes.
    public var creator: CreatorTag

    public init(kind: Kind, size: Int64 = 0, mtime: FSTime, version: String? = nil, linkTargetID: String? = nil,
                isNote: Bool = false, creator: CreatorTag = .unknown) {
        self.kind = kind; self.size = size; self.mtime = mtime; self.version = version; self.linkTargetID = linkTargetID
        self.isNote = isNote && kind == .file; self.creator = creator
    }

    /// From an API node: notes are regular files, links are symlinks; mtime is `modified`, else
    /// `created`, else the epoch, and within `APITimestamp.earliest...latest` (the client decodes
    /// times that way; a node made elsewhere is held to it too). A negative size reads as 0.
    public init(_ node: RemoteNode) {
        let kind: Kind
        switch node.type {
        case .folder: kind = .directory
        case .file, .note: kind = .file
        case .link: kind = .symlink
        }
        let date = node.modified ?? node.created
        self.init(kind: kind, size: kind == .file ? max(0, node.size) : 0,
                  mtime: date.map { FSTime(min(max($0, APITimestamp.earliest), APITimestamp.latest)) } ?? FSTime(seconds: 0),
                  version: kind == .file ? node.version : nil,
                  linkTargetID: kind == .symlink ? node.linkTargetID : nil,
                  isNote: node.type == .note, creator: CreatorTag(node.creator))
    }
}
