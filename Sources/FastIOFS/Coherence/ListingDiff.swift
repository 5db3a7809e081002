/// The difference between what the mount believed a directory held and what the server lists now.
///
/// Invariants: a name is in `removed` when it is gone or now names another node (then it is in
/// `added` too); `added` holds names that are new or name another node than before; `changed` holds
/// entries whose node is the same under the same name but whose metadata (size, mtime, version,
/// kind, link target) differs. A name appearing twice in a listing counts once (the first entry).
public struct ListingDiff: Sendable {
    public struct Removed: Sendable, Equatable {
        public let name: String
        public let identity: NodeIdentity
    }
    public private(set) var removed: [Removed] = []
    public private(set) var added: [String] = []
    public private(set) var changed: [ListedEntry] = []

    public init(old: [ListedEntry], new: [ListedEntry]) {
        var before: [String: ListedEntry] = [:]
        for entry in old where before[entry.name] == nil { before[entry.name] = entry }
        var seen = Set<String>()
        for entry in new where seen.insert(entry.name).inserted {
            guard let previous = before[entry.name] else {
                added.append(entry.name)
                continue
            }
            if previous.identity != entry.identity {
                removed.append(Removed(name: entry.name, identity: previous.identity))
                added.append(entry.name)
            } else if previous.metadata != entry.metadata {
                changed.append(entry)
            }
        }
        for (name, entry) in before where !seen.contains(name) {
            removed.append(Removed(name: name, identity: entry.identity))
        }
        removed.sort { $0.name < $1.name }
    }

    public var isEmpty: Bool { removed.isEmpty && added.isEmpty && changed.isEmpty }
}
