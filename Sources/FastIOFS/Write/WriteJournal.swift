import Foundation

/// One pending upload as the journal keeps it: enough to send the spooled bytes after a crash.
///
/// Invariant: when the record was written, `dataFile` (a name in the spool directory) held the
/// bytes of the file's last commit, synced to disk; it may have been written further since (a file
/// written again after a `close`), so its content then is the commit's or a later one, and that is
/// what a resume sends. `size` is the size at that commit (for status only). `remoteID` nil means a
/// new file to place in `folderID` as `name`.
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
    /// A chunked session already started (resume from the server's chunk map).
    var uploadID: String?
    var chunkSize: Int64?
    /// The data file whose content the session carries (absent in older records: `dataFile`).
    var sessionDataFile: String?
    /// The file is a Fast.io note (written with `updatenote`); absent in older records.
    var isNote: Bool?

    init(key: String, profileKind: String, profileID: String, fields: JournalRecordFields) {
        self.key = key
        self.profileKind = profileKind
        self.profileID = profileID
        remoteID = fields.remoteID
        folderID = fields.folderID
        name = fields.name
        size = fields.size
        baseVersion = fields.baseVersion
        dataFile = fields.dataFile
        uploadID = fields.session?.uploadID
        chunkSize = fields.session?.chunkSize
        sessionDataFile = fields.session?.dataFile
        isNote = fields.isNote ? true : nil
    }
}

/// The write journal: one small JSON file per pending upload under `<cache>/write/journal/`.
///
/// Invariants: a record reaches its final name only by a rename of a temporary file that was
/// written and fdatasync'ed first (a crash leaves the old record or the new one, never a torn one);
/// the directory is fsynced after each rename or removal before the change is relied on. The order
/// of records of one file is decided by its owner (`SpoolFile` publishes them in sequence order),
/// so this type holds no lock: temporary names are unique per sequence.
struct WriteJournal: Sendable {
    let directory: String

    init(directory: String) throws(FSError) {
        self.directory = directory
        do {
            try PrivateDirectory.prepare(directory)
        } catch {
            throw FSError(EACCES, detail: "the journal directory: \(error)")
        }
    }

    func path(_ key: String) -> String { directory + "/" + key + ".json" }

    /// Writes `record` to a temporary file and syncs it; `publish` renames it into place.
    func prepare(_ record: JournalRecord, sequence: UInt64) throws(FSError) -> String {
        let data: Data
        do { data = try JSONEncoder().encode(record) } catch { throw FSError(EIO, detail: "journal encode: \(error)") }
        let temporary = path(record.key) + ".\(sequence).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FSError(errno, detail: "journal open") }
        defer { close(fd) }
        do throws(FSError) {
            let written = data.withUnsafeBytes { raw in
                Result { () throws(FSError) in try SpoolDirectory.writeAll(fd, raw, at: 0) }
            }
            try written.get()
            try SpoolDirectory.syncData(fd)
        } catch {
            unlink(temporary)
            throw error
        }
        return temporary
    }

    /// Renames a prepared record into place (the caller holds its file's lock: order matters).
    func publish(_ temporary: String, key: String) throws(FSError) {
        guard rename(temporary, path(key)) == 0 else {
            let failure = FSError(errno, detail: "journal rename")
            unlink(temporary)
            throw failure
        }
    }

    /// Drops a prepared record that a newer one superseded.
    func discard(_ temporary: String) {
        unlink(temporary)
    }

    /// Removes `key`'s record (the caller holds its file's lock); one already gone counts as removed.
    func remove(_ key: String) throws(FSError) {
        guard unlink(path(key)) == 0 || errno == ENOENT else { throw FSError(errno, detail: "journal unlink") }
    }

    func syncDirectory() throws(FSError) {
        try SpoolDirectory.syncDirectory(directory)
    }

    /// Moves the record file `fileName` out of the journal's sight (`<fileName>.rejected`, beside it,
    /// for the user to inspect): a record this mount will not act on.
    func setAside(_ fileName: String) throws(FSError) {
        let from = directory + "/" + fileName
        guard rename(from, from + ".rejected") == 0 else { throw FSError(errno, detail: "journal set aside \(fileName)") }
    }

    /// Every complete record with its file name, the records set aside earlier (`.rejected`: only
    /// so that the data files they name are kept; one that does not decode keeps nothing and is named
    /// in `undecodedSetAside`), and what could not be read (temporary files of a crash are dropped).
    func records() -> (records: [(fileName: String, record: JournalRecord)], setAside: [JournalRecord],
                       undecodedSetAside: [String], unreadable: [(name: String, reason: String)]) {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            return ([], [], [], [(directory, "cannot list: \(error)")])
        }
        var records: [(String, JournalRecord)] = []
        var setAside: [JournalRecord] = []
        var undecodedSetAside: [String] = []
        var unreadable: [(String, String)] = []
        for name in names.sorted() {
            let full = directory + "/" + name
            if name.hasSuffix(".tmp") {
                unlink(full)
                continue
            }
            if name.hasSuffix(".json.rejected") {
                do {
                    guard let data = FileManager.default.contents(atPath: full) else { throw FSError(EIO, detail: "cannot read") }
                    setAside.append(try JSONDecoder().decode(JournalRecord.self, from: data))
                } catch {
                    undecodedSetAside.append(name)
                }
                continue
            }
            guard name.hasSuffix(".json") else { continue }
            guard let data = FileManager.default.contents(atPath: full) else {
                unreadable.append((name, "cannot read"))
                continue
            }
            do {
                records.append((name, try JSONDecoder().decode(JournalRecord.self, from: data)))
            } catch {
                unreadable.append((name, "not a journal record: \(error)"))
            }
        }
        return (records, setAside, undecodedSetAside, unreadable)
    }
}
