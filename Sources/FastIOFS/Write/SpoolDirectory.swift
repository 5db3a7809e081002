import Foundation

/// The directory of spooled data files (`<cache>/write/data/`) and the local I/O on them: whole
/// reads and writes that survive EINTR and short counts, copies, and syncs of files and of the
/// directory itself (so a file created there survives a crash before a journal record names it).
///
/// Invariant: `path` is a `PrivateDirectory` (only this user can plant files there); every name is a
/// plain file name inside `path` (no separator; names read back from a journal record are checked by
/// `JournalRecord.problem(fileName:)` and `dataFileProblem(in:)` before use); errors come back as
/// `FSError` with the errno of the failing call. Holds no state besides the path: thread-safe.
struct SpoolDirectory: Sendable {
    let path: String

    init(path: String) throws(FSError) {
        self.path = path
        do {
            try PrivateDirectory.prepare(path)
        } catch {
            throw FSError(EACCES, detail: "the spool directory: \(error)")
        }
    }

    func filePath(_ name: String) -> String { path + "/" + name }

    /// Opens (creating if needed) data file `name` for reading and writing.
    func open(_ name: String) throws(FSError) -> Int32 {
        let fd = Glibc.open(filePath(name), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FSError(errno, detail: "spool open \(name)") }
        return fd
    }

    /// Unlinks data files; one already gone counts as removed.
    func remove(_ names: [String]) -> [(name: String, error: FSError)] {
        var failures: [(String, FSError)] = []
        for name in names where unlink(filePath(name)) != 0 && errno != ENOENT {
            failures.append((name, FSError(errno, detail: "spool unlink \(name)")))
        }
        return failures
    }

    /// Makes the directory's entries (files created or renamed in it) durable.
    func syncDirectory() throws(FSError) {
        try Self.syncDirectory(path)
    }

    static func syncDirectory(_ path: String) throws(FSError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FSError(errno, detail: "open directory \(path)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FSError(errno, detail: "fsync directory \(path)") }
    }

    static func syncData(_ fd: Int32) throws(FSError) {
        guard fdatasync(fd) == 0 else { throw FSError(errno, detail: "spool fdatasync") }
    }

    static func writeAll(_ fd: Int32, _ data: UnsafeRawBufferPointer, at offset: Int64) throws(FSError) {
        guard let base = data.baseAddress else { return }
        var done = 0
        while done < data.count {
            let n = pwrite(fd, base + done, data.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FSError(errno, detail: "spool write")
            }
            done += n
        }
    }

    /// Reads up to `buffer.count` bytes from `offset`; fewer only at the end of the file.
    static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(FSError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FSError(errno, detail: "spool read")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func truncate(_ fd: Int32, to size: Int64) throws(FSError) {
        guard size >= 0 else { throw FSError(EINVAL, detail: "negative size") }
        guard ftruncate(fd, off_t(size)) == 0 else { throw FSError(errno, detail: "spool truncate") }
    }

    /// Copies the first `length` bytes of `source` into `target` (which ends up exactly that long).
    static func copy(from source: Int32, to target: Int32, length: Int64) throws(FSError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: Int64 = 0
        while offset < length {
            let want = Int(min(Int64(buffer.count), length - offset))
            let got = try readAll(source, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]), at: offset)
            if got == 0 { break }
            try writeAll(target, UnsafeRawBufferPointer(rebasing: buffer[0..<got]), at: offset)
            offset += Int64(got)
        }
        try truncate(target, to: length)
    }
}
