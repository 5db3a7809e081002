import ArgumentParser
import Foundation
import FuseBridge

/// `fastiofs status MOUNTPOINT [--json]`: the upload queue (every page of it), each upload's bytes
/// done and total, retries, last error, the upload rate and ETA, locks held and files the server
/// refused for good, read from the mount root's `user.fastio.status` attributes.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the upload queue, locks held and the last error of a mount.")

    @Argument(help: "The mountpoint given to `fastiofs mount`.")
    var mountpoint: String

    @Flag(help: "Print the raw JSON document (the whole queue).")
    var json = false

    func run() throws {
        let path = AbsolutePath.make(mountpoint)
        guard let document = MountStatus.read(path, wholeQueue: true) else {
            throw CommandFailure("\(path) is not a live fastiofs mount")
        }
        let cache = MountStatus.readCache(path)
        if json {
            print(document.jsonText(readCache: cache))
            return
        }
        print("pending uploads: \(document.pendingFiles) file(s), \(ByteCount.text(document.pendingBytes))"
              + document.rateText)
        for item in document.queue {
            let done = item["bytes_done"] as? Int ?? 0
            let total = item["bytes_total"] as? Int ?? 0
            let retries = item["retries"] as? Int ?? 0
            var line = "  \(item["name"] as? String ?? "?"): \(done)/\(total) bytes"
            if retries > 0 { line += ", \(retries) retries" }
            if let error = item["last_error"] as? String { line += ", last error: \(error)" }
            print(line)
        }
        print("locks held: \(document.locks.isEmpty ? "none" : document.locks.joined(separator: ", "))")
        if let error = document.lastError { print("last error: \(error)") }
        if document.unsentCount > 0 {
            print("refused by the server for good: \(document.unsentCount) file(s), set aside in \(document.unsentDirectory ?? "?")"
                  + " (listed in manifest.jsonl there)")
            for item in document.unsent {
                print("  \(item["path"] as? String ?? "?"): \(item["size"] as? Int ?? 0) bytes, \(item["reason"] as? String ?? "")")
            }
        }
        if let cache, cache["enabled"] as? Bool == true {
            let ratio = (cache["hit_ratio"] as? Double ?? 0) * 100
            print("read cache: \(ByteCount.text(cache["bytes"] as? Int ?? 0)) of \(ByteCount.text(cache["capacity_bytes"] as? Int ?? 0))"
                  + " in \(cache["directory"] as? String ?? "?"), hit ratio \(String(format: "%.1f", ratio)) %"
                  + " (\(cache["hits"] as? Int ?? 0) hits, \(cache["misses"] as? Int ?? 0) misses),"
                  + " \(cache["evictions"] as? Int ?? 0) evictions, \(cache["corrupt"] as? Int ?? 0) damaged blocks dropped")
        } else {
            print("read cache: off")
        }
    }
}

/// The parsed status attributes of a mount root.
struct MountStatus {
    static let attribute = "user.fastio.status"
    static let pagePrefix = "user.fastio.status.queue."

    let object: [String: Any]
    let pendingFiles: Int
    let pendingBytes: Int
    let queue: [[String: Any]]
    let locks: [String]
    let lastError: String?
    let unsentCount: Int
    let unsentDirectory: String?
    let unsent: [[String: Any]]
    let rateBytes: Int?
    let etaSeconds: Int?

    /// The status of the mount at `mountpoint`; with `wholeQueue`, every page of the queue (else
    /// only its first page: the totals are always whole).
    static func read(_ mountpoint: String, wholeQueue: Bool = false) -> MountStatus? {
        guard var object = json(mountpoint, attribute) as? [String: Any] else { return nil }
        var queue = object["queue"] as? [[String: Any]] ?? []
        if wholeQueue {
            let pages = object["queue_pages"] as? Int ?? 0
            for page in stride(from: 1, through: pages, by: 1) {
                guard let more = json(mountpoint, pagePrefix + String(page)) as? [[String: Any]], !more.isEmpty else { break }
                queue += more
            }
            object["queue"] = queue
            object.removeValue(forKey: "queue_pages")
        }
        return MountStatus(object: object, pendingFiles: object["pending_files"] as? Int ?? 0,
                           pendingBytes: object["pending_bytes"] as? Int ?? 0, queue: queue,
                           locks: object["locks"] as? [String] ?? [], lastError: object["last_error"] as? String,
                           unsentCount: object["unsent_count"] as? Int ?? 0,
                           unsentDirectory: object["unsent_directory"] as? String,
                           unsent: object["unsent"] as? [[String: Any]] ?? [],
                           rateBytes: object["upload_rate_bytes_per_second"] as? Int,
                           etaSeconds: object["eta_seconds"] as? Int)
    }

    /// The mount's `user.fastio.read_cache` document (nil from a mount without it).
    static func readCache(_ mountpoint: String) -> [String: Any]? {
        json(mountpoint, "user.fastio.read_cache") as? [String: Any]
    }

    private static func json(_ mountpoint: String, _ name: String) -> Any? {
        guard let raw = ExtendedAttributeReader.read(path: mountpoint, name: name) else { return nil }
        do {
            return try JSONSerialization.jsonObject(with: Data(raw))
        } catch {
            FileHandle.standardError.write(Data("fastiofs: \(name) is not JSON: \(error)\n".utf8))
            return nil
        }
    }

    func jsonText(readCache: [String: Any]? = nil) -> String {
        var object = self.object
        if let readCache { object["read_cache"] = readCache }
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        } catch {
            return #"{"error":"cannot encode the status"}"#
        }
    }

    /// ", 3.2 MB/s, about 12 s left" (empty before the first upload finished).
    var rateText: String {
        guard let rateBytes else { return "" }
        var text = ", \(ByteCount.text(rateBytes))/s"
        if let etaSeconds, pendingFiles > 0 { text += ", about \(ByteCount.duration(etaSeconds)) left" }
        return text
    }
}

/// Sizes and durations for people.
enum ByteCount {
    static func text(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f %@", value, units[unit])
    }

    static func duration(_ seconds: Int) -> String {
        if seconds < 90 { return "\(seconds) s" }
        if seconds < 5_400 { return "\(seconds / 60) min" }
        return String(format: "%.1f h", Double(seconds) / 3_600)
    }
}
