import FastIO

/// The few facts about a node the filesystem keeps per inode (kept small: a folder of 100,000 entries
/// puts 100,000 of these in memory). Hash and MIME type are not kept; xattrs fetch them on demand.
///
/// Invariant: `version` is the content version the size and mtime belong to; `linkTargetID` is set
/// only for symlinks.
public struct NodeMetadata: Sendable, Equatable {
    public enum Kind: UInt8, Sendable { case directory, file, symlink }
    public var kind: Kind
    public var size: Int64
    public var mtime: FSTime
    public var version: String?
    public var linkTargetID: String?

    public init(kind: Kind, size: Int64 = 0, mtime: FSTime, version: String? = nil, linkTargetID: String? = nil) {
        self.kind = kind; self.size = size; self.mtime = mtime; self.version = version; self.linkTargetID = linkTargetID
    }

    /// From an API node: notes are regular files, links are symlinks; mtime is `modified`, else
    /// `created`, else the epoch.
    public init(_ node: RemoteNode) {
        let kind: Kind
        switch node.type {
        case .folder: kind = .directory
        case .file, .note: kind = .file
        case .link: kind = .symlink
        }
        let date = node.modified ?? node.created
        self.init(kind: kind, size: kind == .file ? max(0, node.size) : 0,
                  mtime: date.map(FSTime.init) ?? FSTime(seconds: 0),
                  version: kind == .file ? node.version : nil,
                  linkTargetID: kind == .symlink ? node.linkTargetID : nil)
    }
}
