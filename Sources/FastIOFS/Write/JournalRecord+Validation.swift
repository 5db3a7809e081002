import Glibc

/// Which journal records a resume may act on. A record is read back from disk, so it is input: one
/// written by someone else (a cache directory that was writable by others) must not make this mount
/// upload or delete a file outside the spool with the user's token, nor call the API with ids that
/// step through its paths.
///
/// Invariant: `problem(fileName:)` is nil only when the record sits under its own name
/// (`<key>.json`), its key is a plain token, its data files are `<key>.<n>` (a plain name in the spool,
/// n of at most 9 digits), its ids are plain tokens, its profile kind is known, its sizes are in range
/// and its name is one the server can hold; `dataFileProblem(in:)` is nil only when the data file is
/// a regular file (not a symlink) whose resolved path is inside the resolved spool directory.
extension JournalRecord {
    /// Bytes no spooled file reaches (1 PiB); anything larger is not a size this mount wrote.
    static let sizeLimit: Int64 = 1 << 50
    /// The largest chunk an upload session uses is far below this (1 GiB).
    static let chunkSizeLimit: Int64 = 1 << 30

    /// Why the record cannot be trusted, or nil (no file system access).
    func problem(fileName: String) -> String? {
        guard Self.isToken(key, maximum: 64) else { return "its key is not a plain token" }
        guard fileName == key + ".json" else { return "its key \(String(reflecting: key)) does not match its file name" }
        guard profileKind == "workspace" || profileKind == "share" else { return "unknown profile kind" }
        guard Self.isToken(profileID, maximum: 64) else { return "its profile id is not a plain token" }
        let ids: [(String, String?)] = [("node id", remoteID), ("folder id", folderID), ("base version", baseVersion),
                                        ("upload id", uploadID)]
        for (what, id) in ids {
            if let id, !Self.isToken(id, maximum: 64) { return "its \(what) is not a plain token" }
        }
        let files: [(String, String?)] = [("data file", dataFile), ("session data file", sessionDataFile)]
        for (what, file) in files {
            if let file, !isOwnDataFile(file) { return "its \(what) \(String(reflecting: file)) is not one of its spool files" }
        }
        guard (0...Self.sizeLimit).contains(size) else { return "its size \(size) is out of range" }
        if let chunkSize, !(1...Self.chunkSizeLimit).contains(chunkSize) {
            return "its chunk size \(chunkSize) is out of range"
        }
        let scalars = name.unicodeScalars
        guard !scalars.isEmpty, scalars.count <= ServerNameRules.maximumLength, name != ".", name != "..",
              !scalars.contains("\u{0}") else { return "its name is not a file name" }
        if remoteID == nil, let refusal = ServerNameRules.refusal(of: name) {
            return "its name cannot be placed on the server: \(refusal)"
        }
        return nil
    }

    /// Why the record's data file cannot be sent, or nil; ENOENT (the bytes are gone) is reported by
    /// the caller's own stat, so here a missing file is no problem.
    func dataFileProblem(in spool: SpoolDirectory) -> String? {
        let path = spool.filePath(dataFile)
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        guard st.st_mode & S_IFMT == S_IFREG else { return "its data file is not a regular file" }
        guard let resolved = Self.resolved(path), let directory = Self.resolved(spool.path),
              resolved.hasPrefix(directory + "/"), !resolved.dropFirst(directory.count + 1).contains("/") else {
            return "its data file does not resolve to a file in the spool directory"
        }
        return nil
    }

    /// `<key>.<n>`: how `SpoolFileMachine` names every data file it makes.
    private func isOwnDataFile(_ file: String) -> Bool {
        guard file.hasPrefix(key + ".") else { return false }
        let number = file.utf8.dropFirst(key.utf8.count + 1)
        return (1...9).contains(number.count) && number.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// ASCII letters, digits, `-` and `_`, 1 to `maximum` of them: nothing a path or URL could step with.
    static func isToken(_ text: String, maximum: Int) -> Bool {
        let bytes = text.utf8
        return (1...maximum).contains(bytes.count) && bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    /// `realpath(3)`: `..` and symlinks resolved; nil when it fails.
    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
