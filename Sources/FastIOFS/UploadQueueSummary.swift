/// What the upload queue holds right now, for status lines (systemd's `STATUS=`).
///
/// Invariant: counts are of one walk over the live spool files: `files` pending an upload, `bytes`
/// of theirs not yet sent, `locks` server locks held.
public struct UploadQueueSummary: Sendable, Equatable {
    public var files: Int
    public var bytes: Int64
    public var locks: Int

    public init(files: Int, bytes: Int64, locks: Int) {
        self.files = files; self.bytes = bytes; self.locks = locks
    }
}

extension WriteCoordinator {
    func queueSummary() -> UploadQueueSummary {
        var summary = UploadQueueSummary(files: 0, bytes: 0, locks: 0)
        for file in allFiles() {
            let machine = file.machine
            if case .held = machine.lock { summary.locks += 1 }
            guard machine.isPending else { continue }
            summary.files += 1
            summary.bytes += max(0, machine.size - (machine.isUploading ? machine.bytesDone : 0))
        }
        return summary
    }
}

extension FastIOFileSystem {
    /// The upload queue now; nil on a mount that writes nothing.
    public func uploadQueueSummary() -> UploadQueueSummary? {
        writes?.queueSummary()
    }
}
