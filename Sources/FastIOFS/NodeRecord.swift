/// One inode the kernel knows (or a pinned synthetic directory), with where it sits in the tree.
///
/// Invariant: `lookups` is the number of kernel references (entries replied minus forgotten);
/// a record with `pinned == false` exists only while `lookups > 0`. Where the node sits is only its
/// `parent` and `name`: anything derived from the path (the depth, for link targets) is computed from
/// the parent chain when asked (`NodeTable.depth(of:)`), so a rename of an ancestor never leaves it stale.
public struct NodeRecord: Sendable {
    public let ino: UInt64
    public let identity: NodeIdentity
    /// Parent inode (the root's parent is itself).
    public var parent: UInt64
    /// POSIX name in the parent.
    public var name: String
    public var metadata: NodeMetadata
    /// Monotonic seconds when `metadata` came from the server (nil: synthetic, never stale).
    public var refreshedAt: Double?
    public var lookups: UInt64
    public let pinned: Bool
    /// The content version of the last `open` of this inode in this mount (for keep-cache decisions).
    public var lastOpenedVersion: String?
}
