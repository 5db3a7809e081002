/// What the core holds and has done, read at one moment (the source of the mount's metrics).
///
/// Invariant: plain values copied from the core's own state under each structure's own lock, one
/// structure at a time (never two locks at once); the cumulative fields (`uploadedFiles`,
/// `uploadedBytes`, `invalidationsDelivered`) only grow during a mount, the others go up and down.
public struct CoreStatistics: Sendable, Equatable {
    /// One mounted profile's activity channel.
    public struct ActivityChannel: Sendable, Equatable {
        /// `workspace/<id>` or `share/<id>`.
        public var profile: String
        /// Its directory name in the mount.
        public var name: String
        /// The last poll succeeded (false before the first answer and after a failure).
        public var healthy: Bool
        public init(profile: String, name: String, healthy: Bool) {
            self.profile = profile; self.name = name; self.healthy = healthy
        }
    }

    /// Files with changes the server lacks, and the bytes still to send for them.
    public var uploadQueueFiles: Int = 0
    public var uploadQueueBytes: Int64 = 0
    /// Uploads finished this mount, and their bytes.
    public var uploadedFiles: Int = 0
    public var uploadedBytes: Int64 = 0
    /// Read-ahead budget reserved now, and its limit.
    public var readBudgetReservedBytes: Int = 0
    public var readBudgetLimitBytes: Int = 0
    /// Kernel invalidations handed to the notifier, by kind.
    public var invalidationsDelivered: [KernelInvalidation.Kind: Int] = [:]
    /// One per mounted profile while activity polling is on; empty when it is off.
    public var activityChannels: [ActivityChannel] = []

    public init() {}
}

extension FastIOFileSystem {
    /// The core's counts and levels now; cheap enough for every scrape (the upload queue is walked
    /// once, each file under its own lock).
    public func statistics() -> CoreStatistics {
        var statistics = CoreStatistics()
        if let writes {
            let pending = writes.pendingTotals()
            statistics.uploadQueueFiles = pending.files
            statistics.uploadQueueBytes = pending.bytes
            let uploaded = writes.uploadTotals()
            statistics.uploadedFiles = uploaded.files
            statistics.uploadedBytes = uploaded.bytes
        }
        statistics.readBudgetReservedBytes = budget.reserved
        statistics.readBudgetLimitBytes = budget.limit
        statistics.invalidationsDelivered = coherence.invalidations.deliveredByKind
        if configuration.activityPolling {
            statistics.activityChannels = profiles.enumerated().map { index, mounted in
                CoreStatistics.ActivityChannel(profile: mounted.profile.description, name: mounted.directoryName,
                                               healthy: coherence.freshness.health(profile: index) == .healthy)
            }
        }
        return statistics
    }
}
