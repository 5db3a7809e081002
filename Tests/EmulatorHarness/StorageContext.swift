/// Where storage routes live: a workspace or a share, addressed by id (or folder_name / custom_name).
/// Invariant: `storagePath` has no leading or trailing slash, e.g. `workspace/123/storage`.
public enum StorageContext: Sendable, Hashable, CustomStringConvertible {
    case workspace(String)
    case share(String)

    public var profileId: String {
        switch self {
        case .workspace(let id), .share(let id): return id
        }
    }

    /// `workspace` or `share` (the upload `profile_type`).
    public var profileType: String {
        switch self {
        case .workspace: return "workspace"
        case .share: return "share"
        }
    }

    public var storagePath: String { "\(profileType)/\(profileId)/storage" }

    /// `<ctx>/storage/<node>/<action>/` (action may contain slashes, e.g. `lock/heartbeat`).
    public func node(_ nodeId: String, _ action: String) -> String {
        "\(storagePath)/\(nodeId)/\(action)/"
    }

    public var description: String { storagePath }
}
