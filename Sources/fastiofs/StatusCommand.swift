import ArgumentParser
import Foundation
import FuseBridge

/// `fastiofs status MOUNTPOINT [--json]`: the upload queue, each upload's bytes done and total,
/// retries, last error and locks held, read from the mount root's `user.fastio.status` attribute.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the upload queue, locks held and the last error of a mount.")

    @Argument(help: "The mountpoint given to `fastiofs mount`.")
    var mountpoint: String

    @Flag(help: "Print the raw JSON document.")
    var json = false

    func run() throws {
        let path = AbsolutePath.make(mountpoint)
        guard let document = MountStatus.read(path) else { throw CommandFailure("\(path) is not a live fastiofs mount") }
        if json {
            print(String(decoding: document.raw, as: UTF8.self))
            return
        }
        print("pending uploads: \(document.pendingFiles) file(s), \(document.pendingBytes) byte(s)")
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
    }
}

/// The parsed `user.fastio.status` document.
struct MountStatus {
    let raw: [UInt8]
    let pendingFiles: Int
    let pendingBytes: Int
    let queue: [[String: Any]]
    let locks: [String]
    let lastError: String?

    static func read(_ mountpoint: String) -> MountStatus? {
        guard let raw = ExtendedAttributeReader.read(path: mountpoint, name: "user.fastio.status"),
              let object = try? JSONSerialization.jsonObject(with: Data(raw)) as? [String: Any] else { return nil }
        return MountStatus(raw: raw, pendingFiles: object["pending_files"] as? Int ?? 0,
                           pendingBytes: object["pending_bytes"] as? Int ?? 0,
                           queue: object["queue"] as? [[String: Any]] ?? [],
                           locks: object["locks"] as? [String] ?? [], lastError: object["last_error"] as? String)
    }
}
