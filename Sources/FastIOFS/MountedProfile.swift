import FastIO

/// One workspace or share of this mount, as resolved at mount time.
///
/// Invariant: `directoryName` is a valid POSIX name, unique among the mount's profiles of the same kind.
public struct MountedProfile: Sendable, Equatable {
    public let profile: StorageProfile
    /// The POSIX name of its directory under `workspaces/` or `shares/` (unused in a single layout).
    public let directoryName: String
    /// A share's rights for the mounting user, when the resolver's answer carried them.
    public let shareAccess: ShareAccess?
    public init(profile: StorageProfile, directoryName: String, shareAccess: ShareAccess? = nil) {
        self.profile = profile
        self.directoryName = directoryName
        self.shareAccess = shareAccess
    }
}
