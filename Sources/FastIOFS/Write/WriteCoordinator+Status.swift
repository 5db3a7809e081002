import Foundation

/// The status document `fastiofs status` and `fastiofs unmount` read through extended attributes of
/// the mount root: `user.fastio.status` holds the totals, the upload rate and ETA, the locks, the
/// files set aside and the first `statusPageSize` entries of the queue; `user.fastio.status.queue.N`
/// (N >= 1) holds the next pages. Every value stays far below the kernel's 64 KiB cap on an
/// attribute (names are at most 255 characters, errors are cut to 300), so the status works with
/// any number of pending files.
extension WriteCoordinator {
    static let statusPageSize = 32
    static let statusPagePrefix = "user.fastio.status.queue."
    /// Seconds of upload history the rate is measured over.
    static let rateWindow: Double = 20

    /// What the uploads have done so far (for the rate).
    struct UploadTally: Sendable {
        var bytes: Int64 = 0
        var files = 0
        /// (monotonic second, bytes, files) at each finished upload of the last `rateWindow` seconds.
        var samples: [(at: Double, bytes: Int64, files: Int)] = []
    }

    /// An upload of `bytes` finished.
    func tallyUpload(bytes: Int64) {
        let now = clock.now()
        registry.withLock { registry in
            registry.tally.bytes += bytes
            registry.tally.files += 1
            registry.tally.samples.append((now, registry.tally.bytes, registry.tally.files))
            let old = registry.tally.samples.firstIndex { $0.at >= now - Self.rateWindow } ?? registry.tally.samples.count
            if old > 1 { registry.tally.samples.removeFirst(old - 1) }
        }
    }

    /// Files and bytes uploaded so far this mount (each finished upload once).
    func uploadTotals() -> (files: Int, bytes: Int64) {
        registry.withLock { ($0.tally.files, $0.tally.bytes) }
    }

    func statusJSON() -> String {
        let (queue, locks) = queueEntries()
        let now = clock.now()
        var document: [String: Any] = [
            "pending_files": queue.count, "locks": locks, "queue": Array(queue.prefix(Self.statusPageSize)),
            "spool_files": allFiles().count,
            "queue_pages": max(0, (queue.count - 1) / Self.statusPageSize),
        ]
        let pendingBytes = queue.reduce(Int64(0)) {
            $0 + (($1["bytes_total"] as? Int64 ?? 0) - ($1["bytes_done"] as? Int64 ?? 0))
        }
        document["pending_bytes"] = pendingBytes
        let inProgress = queue.reduce(Int64(0)) { $0 + ($1["bytes_done"] as? Int64 ?? 0) }
        let (registryState, rate) = registry.withLock { registry -> ((FSError, Double)?, (bytes: Double, files: Double)?) in
            let last = registry.lastError.map { ($0.error, $0.at) }
            guard let first = registry.tally.samples.first else { return (last, nil) }
            let span = max(1, now - first.at)
            let bytes = Double(registry.tally.bytes + inProgress - first.bytes) / span
            let files = Double(registry.tally.files - first.files) / span
            return (last, (bytes, files))
        }
        if let rate {
            document["upload_rate_bytes_per_second"] = Int64(rate.bytes)
            document["upload_rate_files_per_second"] = (rate.files * 10).rounded() / 10
            var eta: Double = 0
            if pendingBytes > 0, rate.bytes > 0 { eta = max(eta, Double(pendingBytes) / rate.bytes) }
            if !queue.isEmpty, rate.files > 0 { eta = max(eta, Double(queue.count) / rate.files) }
            if queue.isEmpty || eta > 0 { document["eta_seconds"] = Int(eta.rounded(.up)) }
        }
        if let (error, at) = registryState {
            document["last_error"] = Self.cut(error.description)
            document["last_error_age_seconds"] = Int(max(0, now - at))
        }
        let (unsent, unsentCount) = registry.withLock { ($0.unsent.suffix(20), $0.unsentCount) }
        document["unsent_count"] = unsentCount
        if unsentCount > 0 {
            document["unsent_directory"] = unsentDirectory
            document["unsent"] = unsent.map { ["name": $0.name, "path": $0.path, "size": $0.size,
                                               "reason": Self.cut($0.reason), "file": $0.file] as [String: Any] }
        }
        return encode(document) ?? #"{"error":"status unavailable"}"#
    }

    /// Page `page` (>= 1) of the queue after the first `statusPageSize` entries: a JSON array (empty
    /// past the end: the queue shrinks while it is read).
    func statusQueuePage(_ page: Int) -> String {
        let (queue, _) = queueEntries()
        let start = page * Self.statusPageSize
        guard page >= 1, start < queue.count else { return "[]" }
        return encode(Array(queue[start..<min(queue.count, start + Self.statusPageSize)])) ?? "[]"
    }

    /// The pending files (sorted by name) and the names of locks held.
    private func queueEntries() -> (queue: [[String: Any]], locks: [String]) {
        var queue: [[String: Any]] = []
        var locks: [String] = []
        for file in allFiles() {
            let machine = file.machine
            if case .held = machine.lock { locks.append(machine.address.name) }
            guard machine.isPending else { continue }
            var item: [String: Any] = [
                "name": machine.address.name, "bytes_total": machine.size,
                "bytes_done": machine.isUploading ? machine.bytesDone : 0, "uploading": machine.isUploading,
                "retries": machine.retries, "new_file": machine.remoteID == nil,
            ]
            if let error = machine.lastError { item["last_error"] = Self.cut(error.description) }
            queue.append(item)
        }
        queue.sort { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        return (queue, locks.sorted())
    }

    private static func cut(_ text: String) -> String {
        text.count <= 300 ? text : String(text.prefix(297)) + "..."
    }

    private func encode(_ object: Any) -> String? {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        } catch {
            logger.error("cannot encode the status document", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
