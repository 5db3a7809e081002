import Foundation
import Synchronization

/// One pending upload as the journal keeps it: enough to send the spooled bytes after a crash.
///
/// Invariant: `dataFile` (relative to the spool directory) held exactly `size` bytes, synced to disk,
/// when the record was written; `remoteID` nil means a new file to place in `folderID` as `name`.
struct JournalRecord: Codable, Sendable, Equatable {
    var key: String
    var profileKind: String
    var profileID: String
    var remoteID: String?
    var folderID: String
    var name: String
    var size: Int64
    var baseVersion: String?
    var dataFile: String
    /// A chunked session already started for this content (resume from the server's chunk map).
    var uploadID: String?
    var chunkSize: Int64?
    /// The file is a Fast.io note (written with `updatenote`); absent in older records.
    var isNote: Bool?
}

/// The write journal: one small JSON file per pending upload under `<cache>/write/journal/`.
///
/// Invariants: a record is written with write-to-temp, fsync, rename (a crash leaves the old record
/// or the new one, never a torn one); it is removed only once its content is durable on the server.
/// Thread-safe: writes and removals of one key are serialized (striped locks), so concurrent writers
/// of a record never share a temp file and a removal is never undone by an older write in flight.
struct WriteJournal: Sendable {
    let directory: String
    private let stripes: [KeyStripe] = (0..<32).map { _ in KeyStripe() }

    /// One of the locks that serialize the journal operations of the keys hashed to it.
    private final class KeyStripe: Sendable {
        let mutex = Mutex(())
    }

    private func stripe(_ key: String) -> KeyStripe {
        stripes[Int(UInt(bitPattern: key.hashValue) % UInt(stripes.count))]
    }

    init(directory: String) throws(FSError) {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FSError(EIO, detail: "cannot create the journal directory \(directory): \(error)")
        }
    }

    func path(_ key: String) -> String { directory + "/" + key + ".json" }

    func write(_ record: JournalRecord) throws(FSError) {
        try stripe(record.key).mutex.withLock { (_: inout Void) throws(FSError) in try writeLocked(record) }
    }

    private func writeLocked(_ record: JournalRecord) throws(FSError) {
        let data: Data
        do { data = try JSONEncoder().encode(record) } catch { throw FSError(EIO, detail: "journal encode") }
        let temporary = path(record.key) + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FSError(errno, detail: "journal open") }
        defer { close(fd) }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        guard written == data.count else { throw FSError(written < 0 ? errno : ENOSPC, detail: "journal write") }
        guard fdatasync(fd) == 0 else { throw FSError(errno, detail: "journal fsync") }
        guard rename(temporary, path(record.key)) == 0 else { throw FSError(errno, detail: "journal rename") }
    }

    func remove(_ key: String) {
        stripe(key).mutex.withLock { _ in _ = unlink(path(key)) }
    }

    /// Every complete record (unreadable files are skipped: they were never renamed into place).
    func records() -> [JournalRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return nil }
            return try? JSONDecoder().decode(JournalRecord.self, from: data)
        }
    }
}
