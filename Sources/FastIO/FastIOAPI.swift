import Foundation

/// The operations the filesystem core needs from Fast.io, as blocking calls.
///
/// Invariant: every method is safe to call from any thread at the same time (FUSE worker threads,
/// prefetch threads, the poller); each throws `FastIOError`, whose `errno` is what the kernel sees.
/// Node ids passed in may be canonical or hyphenated; node ids returned are always canonical
/// (`OpaqueID.canonical`). `FastIOClient` is the libcurl implementation; tests of the core use a mock.
public protocol FastIOAPI: Sendable {
    /// `GET /user/auth/check/`: validates the token, returns the user id.
    func authCheck() throws -> String

    /// `GET /workspaces/all/` (all pages).
    func listWorkspaces() throws -> [WorkspaceInfo]
    /// `GET /workspace/{id_or_folder_name}/details/`.
    func workspaceDetails(_ idOrFolderName: String) throws -> WorkspaceInfo
    /// `GET /shares/all/` (all pages).
    func listShares() throws -> [ShareInfo]
    /// `GET /share/{id_or_custom_name}/details/`.
    func shareDetails(_ idOrCustomName: String) throws -> ShareInfo

    /// `GET /{ctx}/{id}/storage/{folder}/list/`: one keyset page. `folderID` is an OpaqueId or `root`.
    func listFolder(_ profile: StorageProfile, folderID: String, pageSize: Int, cursor: String?) throws -> FolderPage
    /// `GET /{ctx}/{id}/storage/{node}/details/`.
    func nodeDetails(_ profile: StorageProfile, nodeID: String) throws -> RemoteNode

    /// `GET /{ctx}/{id}/storage/{node}/read/` with `Range: bytes=offset-(offset+buffer.count-1)`,
    /// pinned to `versionID` when given. Fills `buffer` from its start and returns the byte count,
    /// which is short only at end of file (0 when `offset` is at or past the end).
    func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
              into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// `GET /activity/poll/{profile_id}/`: long-polls up to `wait` seconds (0...95).
    /// `lastActivity` must be the previous answer's `lastActivity`, verbatim.
    func pollActivity(profileID: String, wait: Int, lastActivity: String?) throws -> ActivityPoll
}

/// A storage root the API addresses as `workspace/{id}` or `share/{id}`.
public struct StorageProfile: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable { case workspace, share }
    public let kind: Kind
    /// The 19-digit profile id.
    public let id: String
    public init(kind: Kind, id: String) { self.kind = kind; self.id = id }
    /// The path prefix under `/current/`, e.g. `workspace/3117763504443666597`.
    public var pathPrefix: String { "\(kind.rawValue)/\(id)" }
    public var description: String { pathPrefix }
}

public enum NodeType: String, Sendable, Hashable { case file, folder, note, link }

/// A storage node as the API describes it.
public struct RemoteNode: Sendable, Equatable {
    /// Canonical OpaqueId (lowercase, no hyphens).
    public var id: String
    public var name: String
    public var type: NodeType
    /// Canonical parent OpaqueId, or `"root"`.
    public var parentID: String
    public var size: Int64
    public var created: Date?
    public var modified: Date?
    /// Version OpaqueId; changes on every content change. Nil for folders.
    public var version: String?
    public var hash: String?
    public var hashAlgo: String?
    public var mimetype: String?
    /// For `link` nodes: the id of the share the link points to.
    public var linkTargetID: String?
    public var locked: Bool
    /// The user id in `origin.creator` (who created the node), when the server says.
    public var creator: String?

    public init(id: String, name: String, type: NodeType, parentID: String, size: Int64 = 0,
                created: Date? = nil, modified: Date? = nil, version: String? = nil, hash: String? = nil,
                hashAlgo: String? = nil, mimetype: String? = nil, linkTargetID: String? = nil, locked: Bool = false,
                creator: String? = nil) {
        self.id = id; self.name = name; self.type = type; self.parentID = parentID; self.size = size
        self.created = created; self.modified = modified; self.version = version; self.hash = hash
        self.hashAlgo = hashAlgo; self.mimetype = mimetype; self.linkTargetID = linkTargetID; self.locked = locked
        self.creator = creator
    }
}

/// One page of a folder listing.
public struct FolderPage: Sendable {
    public var items: [RemoteNode]
    /// Nil on the last page.
    public var nextCursor: String?
    public init(items: [RemoteNode], nextCursor: String?) { self.items = items; self.nextCursor = nextCursor }
}

public struct WorkspaceInfo: Sendable, Equatable {
    public var id: String
    public var folderName: String
    public var name: String
    public init(id: String, folderName: String, name: String) { self.id = id; self.folderName = folderName; self.name = name }
}

public struct ShareInfo: Sendable, Equatable {
    public var id: String
    /// The URL name; may be nil for shares without one.
    public var customName: String?
    public var title: String?
    /// True when the share is a live view of a workspace folder (`workspace_folder`).
    public var isWorkspaceFolder: Bool
    /// What the caller may change in it (`share_level` + `filesystem`), when the answer says.
    public var access: ShareAccess?
    public init(id: String, customName: String?, title: String?, isWorkspaceFolder: Bool, access: ShareAccess? = nil) {
        self.id = id; self.customName = customName; self.title = title; self.isWorkspaceFolder = isWorkspaceFolder
        self.access = access
    }
}

/// The caller's rights in a share as its details state them: `share_level` and the `filesystem`
/// object (`file_creation`, `file_modification`, `folder_creation`, `folder_modification`).
///
/// Invariant: built only from a `filesystem` object whose four fields were all understood; a share
/// whose answer lacks one has no `ShareAccess` (the server alone decides, at the call).
public struct ShareAccess: Sendable, Equatable {
    /// Which existing nodes a modification right covers.
    public enum Reach: String, Sendable, Equatable {
        case all
        /// Only nodes whose `origin.creator` is the caller.
        case owned
        case none
    }
    /// `owner`, `guest`, `public`, `excluded` (lowercased), or nil when absent.
    public var level: String?
    public var fileCreation: Bool
    public var folderCreation: Bool
    public var fileModification: Reach
    public var folderModification: Reach

    public init(level: String?, fileCreation: Bool, folderCreation: Bool, fileModification: Reach,
                folderModification: Reach) {
        self.level = level; self.fileCreation = fileCreation; self.folderCreation = folderCreation
        self.fileModification = fileModification; self.folderModification = folderModification
    }
}

/// The caller's role in a workspace, for clients that can ask (the libcurl client can).
public protocol WorkspaceRoleDiscovering: Sendable {
    /// `GET /workspace/{id}/member/{user_id}/details/` -> `member.permissions`, lowercased
    /// (`owner`, `admin`, `member`, `guest`, `view`).
    func workspaceRole(workspaceID: String, userID: String) throws -> String
}

/// The answer of one activity long-poll.
public struct ActivityPoll: Sendable, Equatable {
    /// Keys that changed, e.g. `storage:2abc…`, `storage`, `members`.
    public var keys: [String]
    /// Echo verbatim in the next poll. Nil when the server sent none (no activity).
    public var lastActivity: String?
    public init(keys: [String], lastActivity: String?) { self.keys = keys; self.lastActivity = lastActivity }
}

/// Ranged reads whose caller may use the first bytes while the rest is still arriving.
public protocol ProgressiveRangeReading: Sendable {
    /// As `FastIOAPI.read`, calling `progress` (on the reading thread) with the count of bytes from the
    /// buffer's start that are final, every time it grows.
    func read(_ profile: StorageProfile, nodeID: String, versionID: String?, offset: Int64,
              into buffer: UnsafeMutableRawBufferPointer, progress: ((Int) -> Void)?) throws -> Int
}
