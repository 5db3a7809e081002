import Foundation

/// Which workspace or share to mount, by what the user typed (an id or a name).
public enum ProfileSelector: Sendable, Hashable {
    /// A workspace by 19-digit id or `folder_name`.
    case workspace(String)
    /// A share by 19-digit id or `custom_name`.
    case share(String)
}

/// How the mount root is laid out.
public enum MountLayout: Sendable, Hashable {
    /// The mount root IS the storage root of one workspace or share.
    case single(ProfileSelector)
    /// The root holds `workspaces/<folder_name>/` and `shares/<custom_name>/`. An empty list means
    /// "everything the token can see" for that kind.
    case multi(workspaces: [String], shares: [String])

    /// DESIGN.md's rule: exactly one `--workspace` or `--share` in total -> `.single`, else `.multi`.
    public static func from(workspaces: [String], shares: [String]) -> MountLayout {
        if workspaces.count == 1 && shares.isEmpty { return .single(.workspace(workspaces[0])) }
        if shares.count == 1 && workspaces.isEmpty { return .single(.share(shares[0])) }
        return .multi(workspaces: workspaces, shares: shares)
    }
}

/// Everything that shapes one mount's behaviour, fixed for the life of the mount.
///
/// Invariant: sizes are positive and `maxWindow <= readAheadBudget` after `init` (clamped there).
public struct MountConfiguration: Sendable {
    public var layout: MountLayout
    /// Every write operation fails with EROFS and no changing request is sent.
    public var readOnly: Bool
    /// Owner reported for every inode.
    public var uid: UInt32
    public var gid: UInt32
    /// Permission bits removed from every mode (applied after the 0644/0755 or 0444/0555 defaults).
    public var umask: UInt32
    /// Seconds metadata (kernel entry/attr timeouts, cached listings, node attributes) is trusted.
    public var metadataTTL: Double
    /// Reads of remote files bypass the kernel page cache (FOPEN_DIRECT_IO): nothing is cached between
    /// opens, every read reaches the streamer. For data read once (backups): no page-cache pages to
    /// fill and evict. Files with local changes are read through the spool either way.
    public var directIO = false
    /// Bytes of prefetched file data held at once, shared by all open handles.
    public var readAheadBudget: Int
    /// Largest prefetch window of one handle, in bytes.
    public var maxWindow: Int
    /// Bytes the kernel reads ahead of a sequential reader on its own (the mount raises the bdi's
    /// read_ahead_kb to this): its reads of one stream arrive in parallel, in any order, over that span.
    public var kernelReadahead = MountConfiguration.defaultKernelReadahead
    public static let defaultKernelReadahead = 16 << 20
    /// Absolute path of the mountpoint (informational; link targets are relative).
    public var mountpoint: String
    /// Threads fetching ranges for all handles (blocking API calls run on these, never on Swift's pool).
    public var fetchThreads: Int
    /// Where the write spool and its journal live (`<dir>/write/`); nil: `~/.cache/fastiofs`.
    /// Pending uploads resume at the next mount with the same directory.
    public var cacheDirectory: String?
    /// Files uploaded at once by the write-back uploader.
    public var uploadWorkers: Int
    /// Long-poll each profile's activity and invalidate exactly what changed (`startCoherence`).
    public var activityPolling = true
    /// Seconds metadata is trusted while a profile's activity polling is healthy (never less than
    /// `metadataTTL`); `metadataTTL` applies before the first poll and while polling fails.
    public var coherentTTL: Double = 300
    /// Long-poll `wait` in seconds (0...95).
    public var activityWait = 90
    /// Seconds between the starts of two polls of one profile (coalesces bursts of changes).
    public var activityMinimumInterval = 0.25
    /// Bytes the persistent read cache (`<cache-dir>/read/`) may hold; 0 turns it off (the default
    /// here; `fastiofs mount` sets its own default from the cache filesystem's size).
    public var readCacheSize: Int64 = 0
    /// Bytes the read cache leaves free on its filesystem (it evicts below that).
    public var readCacheMinimumFree: Int64 = 1 << 30

    public init(layout: MountLayout = .multi(workspaces: [], shares: []), mountpoint: String,
                readOnly: Bool = false, uid: UInt32 = getuid(), gid: UInt32 = getgid(), umask: UInt32 = 0o022,
                metadataTTL: Double = 10, readAheadBudget: Int = 64 << 20, maxWindow: Int = 16 << 20,
                fetchThreads: Int = 8, cacheDirectory: String? = nil, uploadWorkers: Int = 8) {
        self.layout = layout
        self.mountpoint = mountpoint
        self.readOnly = readOnly
        self.uid = uid
        self.gid = gid
        self.umask = umask & 0o777
        self.metadataTTL = max(0, metadataTTL)
        self.readAheadBudget = max(1 << 20, readAheadBudget)
        self.maxWindow = min(max(256 << 10, maxWindow), self.readAheadBudget)
        self.fetchThreads = max(1, fetchThreads)
        self.cacheDirectory = cacheDirectory
        self.uploadWorkers = max(1, uploadWorkers)
    }
}
