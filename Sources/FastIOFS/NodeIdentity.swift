/// What an inode stands for: a synthetic directory of the layout, or one server node of one profile.
///
/// Invariant: two inodes never share an identity; `.remote(profile:id:)` uses the canonical OpaqueId
/// (or `root` for a profile's storage root) and the index of the profile in the mount's profile list.
public enum NodeIdentity: Sendable, Hashable {
    /// The root of a multi-profile mount.
    case layoutRoot
    /// `workspaces/` of a multi-profile mount.
    case workspacesDirectory
    /// `shares/` of a multi-profile mount.
    case sharesDirectory
    /// A server node (or `root`) in the profile at `profile` of the mount's profile list.
    case remote(profile: Int, id: String)
    /// A file created on this mount whose upload has not placed it yet (`key` names its spool entry);
    /// rebound to `.remote` under the same inode once the server gave it an id.
    case pending(profile: Int, key: String)

    /// The key the inode number is derived from, stable across mounts of the same profiles.
    func inodeKey(profiles: [MountedProfile]) -> String {
        switch self {
        case .layoutRoot: return "fastiofs:/"
        case .workspacesDirectory: return "fastiofs:/workspaces"
        case .sharesDirectory: return "fastiofs:/shares"
        case .remote(let profile, let id): return "\(profiles[profile].profile.pathPrefix)/\(id)"
        case .pending(let profile, let key): return "\(profiles[profile].profile.pathPrefix)/pending:\(key)"
        }
    }

    var isProfileRoot: Bool {
        if case .remote(_, "root") = self { return true }
        return false
    }
}
