import Foundation

/// The status document `fastiofs status` reads through the `user.fastio.status` xattr of the root.
extension WriteCoordinator {
    func statusJSON() -> String {
        let files = registry.withLock { registry in
            Array(registry.files.values.reduce(into: [ObjectIdentifier: SpoolFile]()) { $0[ObjectIdentifier($1)] = $1 }.values)
        }
        var queue: [[String: Any]] = []
        var locks: [String] = []
        for file in files {
            let state = file.snapshotState()
            if state.lock != nil { locks.append(state.name) }
            guard !state.discarded, state.generation > state.durableGeneration else { continue }
            var item: [String: Any] = [
                "name": state.name, "bytes_total": state.size, "bytes_done": state.uploading ? state.bytesDone : 0,
                "uploading": state.uploading, "retries": state.retries, "new_file": state.remoteID == nil,
            ]
            if let error = state.lastError { item["last_error"] = error.description }
            queue.append(item)
        }
        queue.sort { ($0["name"] as? String ?? "") < ($1["name"] as? String ?? "") }
        var document: [String: Any] = ["pending_files": queue.count, "queue": queue, "locks": locks.sorted()]
        document["pending_bytes"] = queue.reduce(Int64(0)) {
            $0 + (($1["bytes_total"] as? Int64 ?? 0) - ($1["bytes_done"] as? Int64 ?? 0))
        }
        if let last = registry.withLock({ $0.lastError }) {
            document["last_error"] = last.error.description
            document["last_error_age_seconds"] = Int(MonotonicClock.now() - last.at)
        }
        guard let data = try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]),
              let text = String(data: data, encoding: .utf8) else { return "{}" }
        return text
    }
}
