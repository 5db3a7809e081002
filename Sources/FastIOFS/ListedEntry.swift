import FastIO

/// One directory entry as a listing produced it: POSIX name, identity and metadata.
///
/// Invariant: `name` is `PosixName.encode` of the server name (never empty, never `.`/`..`).
public struct ListedEntry: Sendable {
    public let name: String
    public let identity: NodeIdentity
    public let metadata: NodeMetadata

    public init(name: String, identity: NodeIdentity, metadata: NodeMetadata) {
        self.name = name; self.identity = identity; self.metadata = metadata
    }

    /// The entry for an API node in profile `profile`, or nil when the server name is unusable (empty).
    init?(_ node: RemoteNode, profile: Int) {
        guard !node.name.isEmpty else { return nil }
        self.init(name: PosixName.encode(node.name), identity: .remote(profile: profile, id: node.id),
                  metadata: NodeMetadata(node))
    }
}
