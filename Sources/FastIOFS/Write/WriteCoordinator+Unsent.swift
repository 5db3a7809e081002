import FastIO
import Foundation
import Logging

/// Bytes the server refused for good (`UploadRefusal`) leave the spool for `<cache>/unsent/`, with a
/// line in `<cache>/unsent/manifest.jsonl` naming the workspace or share, the path, the size and the
/// reason; the log and `fastiofs status` name the file, and `fastiofs unmount` says where they are.
/// Nothing is deleted silently, and nothing refused for good keeps the queue (or an unmount) waiting.
extension WriteCoordinator {
    /// One file set aside (what status shows).
    struct UnsentFile: Sendable {
        let name: String
        let path: String
        let size: Int64
        let reason: String
        /// Where the bytes are now.
        let file: String
    }

    /// At most this many set-aside files are kept in memory for status (the manifest has them all).
    static let unsentShown = 1_000

    var unsentDirectory: String { cacheDirectory + "/unsent" }

    /// Moves `dataFile` (the newest bytes of `file`) to the unsent directory and records it in the
    /// manifest (appended, synced, before this returns).
    func setAside(_ file: SpoolFile, dataFile: String, size: Int64, reason: FSError) throws(FSError) -> UnsentFile {
        let machine = file.machine
        do {
            try FileManager.default.createDirectory(atPath: unsentDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw FSError(EIO, detail: "cannot create \(unsentDirectory): \(error)")
        }
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!,
                                                formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let safeName = String(machine.address.name.map { $0 == "/" || $0 == "\0" ? "_" : $0 }.prefix(180))
        let target = unsentDirectory + "/" + stamp + "-" + file.key.prefix(8) + "-" + safeName
        guard rename(spool.filePath(dataFile), target) == 0 else {
            throw FSError(errno, detail: "cannot move the refused bytes of \(machine.address.name) to \(target)")
        }
        try SpoolDirectory.syncDirectory(unsentDirectory)
        try spool.syncDirectory()
        let path = mountPath(file)
        let mounted = profiles[file.profileIndex]
        let line: [String: Any] = [
            "time": ISO8601DateFormatter().string(from: Date()),
            "profile": mounted.profile.description, "profile_name": mounted.directoryName,
            "path": path, "size": size, "reason": reason.description, "file": (target as NSString).lastPathComponent,
        ]
        do {
            var data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
            data.append(0x0A)
            let fd = open(unsentDirectory + "/manifest.jsonl", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw FSError(errno, detail: "cannot open the unsent manifest") }
            defer { close(fd) }
            let written = data.withUnsafeBytes { raw in
                Result { () throws(FSError) in try SpoolDirectory.writeAll(fd, raw, at: 0) }
            }
            // O_APPEND: the offset is ignored, every line lands at the end.
            try written.get()
            try SpoolDirectory.syncData(fd)
        } catch {
            // The bytes are in place; only their manifest line is missing: say so loudly.
            logger.error("cannot record refused bytes in the unsent manifest", metadata: ["file": "\(target)",
                                                                                          "error": "\(error)"])
        }
        let unsent = UnsentFile(name: machine.address.name, path: path, size: size, reason: reason.description,
                                file: target)
        registry.withLock { registry in
            registry.unsent.append(unsent)
            registry.unsentCount += 1
            if registry.unsent.count > Self.unsentShown { registry.unsent.removeFirst(registry.unsent.count - Self.unsentShown) }
        }
        logger.error("the server refused an upload for good; its bytes are set aside",
                     metadata: ["path": "\(path)", "bytes": "\(size)", "reason": "\(reason)", "file": "\(target)"])
        return unsent
    }

    /// The file's path below the mount root (its folder as the mount shows it, or showed it last,
    /// then its name).
    private func mountPath(_ file: SpoolFile) -> String {
        let address = file.machine.address
        let folder = nodes.inode(of: .remote(profile: file.profileIndex, id: address.folderID)).flatMap { nodes.path(of: $0) }
            ?? registry.withLock { $0.folderPaths[ObjectIdentifier(file)] }
        let name = PosixName.encode(address.name)
        guard let folder else { return "(folder \(address.folderID))/\(name)" }
        return folder.isEmpty ? name : folder + "/" + name
    }
}
