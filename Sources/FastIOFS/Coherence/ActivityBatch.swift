import FastIO

/// What one or more activity-poll answers of a profile ask the cache to do, decided from their keys.
///
/// Invariants: `nodeIDs` are canonical OpaqueIds (lowercase, no hyphens) from `storage:<id>` keys;
/// `refreshAll` is set when a key says "storage changed" without naming a node (bare `storage` with
/// no `storage:<id>` beside it) or when a key is not understood; keys known to be unrelated to
/// storage contents (previews, comments, members, uploads ...) change nothing in the listings;
/// `membershipChanged` is set by `member`/`member:<id>`/`members` keys (the caller's rights may differ).
public struct ActivityBatch: Sendable, Equatable {
    public private(set) var nodeIDs: Set<String> = []
    public private(set) var refreshAll = false
    public private(set) var membershipChanged = false
    private var sawBareStorage = false
    private var sawUnknown = false

    /// Key names (the part before `:`) that never change what a storage listing shows.
    static let unrelatedNames: Set<String> = [
        "preview", "metadata", "comments", "comment", "member", "members", "upload", "ai_chat", "ai_state",
        "settings", "details", "shares", "share", "workflow", "task", "tasks", "todo", "todos", "approval",
    ]

    public init() {}

    public init(keys: [String]) {
        self.init()
        add(keys)
    }

    /// Merges more keys (coalescing: a node named twice is refreshed once).
    public mutating func add(_ keys: [String]) {
        for key in keys {
            let trimmed = key.trimmingCharacters(in: .whitespaces)
            let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts.first.map(String.init)?.lowercased() ?? ""
            if name == "storage" {
                if parts.count == 2, !parts[1].isEmpty {
                    nodeIDs.insert(OpaqueID.canonical(String(parts[1])))
                } else {
                    sawBareStorage = true
                }
            } else if name == "member" || name == "members" {
                membershipChanged = true
            } else if !Self.unrelatedNames.contains(name) {
                sawUnknown = true
            }
        }
        refreshAll = sawUnknown || (sawBareStorage && nodeIDs.isEmpty)
    }

    public mutating func merge(_ other: ActivityBatch) {
        nodeIDs.formUnion(other.nodeIDs)
        sawBareStorage = sawBareStorage || other.sawBareStorage
        sawUnknown = sawUnknown || other.sawUnknown
        membershipChanged = membershipChanged || other.membershipChanged
        refreshAll = sawUnknown || (sawBareStorage && nodeIDs.isEmpty)
    }

    /// Forces a refresh of everything cached for the profile, the caller's rights included (used after
    /// polling recovers: a membership change may have gone unseen).
    public static var everything: ActivityBatch { ActivityBatch(keys: ["storage", "members"]) }

    public var isEmpty: Bool { nodeIDs.isEmpty && !refreshAll && !membershipChanged }
}
