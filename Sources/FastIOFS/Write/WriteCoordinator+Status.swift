import Foundation

/// The status document `fastiofs status` reads through the `user.fastio.status` xattr of the root.
extension WriteCoordinator {
    func statusJSON() -> String {
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
            if let error = machine.lastError { item["last_error"] = error.description }
            queue.append(item)
        }
        queue.sort { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        var document: [String: Any] = ["pending_files": queue.count, "queue": queue, "locks": locks.sorted()]
        document["pending_bytes"] = queue.reduce(Int64(0)) {
            $0 + (($1["bytes_total"] as? Int64 ?? 0) - ($1["bytes_done"] as? Int64 ?? 0))
        }
        let now = clock.now()
        if let last = registry.withLock({ $0.lastError }) {
            document["last_error"] = last.error.description
            document["last_error_age_seconds"] = Int(max(0, now - last.at))
        }
        do {
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        } catch {
            logger.error("cannot encode the status document", metadata: ["error": "\(error)"])
            return #"{"error":"status unavailable"}"#
        }
    }
}
