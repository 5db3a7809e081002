import CFuseShim  // only for <sys/xattr.h>, which Glibc's module does not export
import Foundation
import Glibc

/// Thin, errno-preserving wrappers over the system calls the tests make through the kernel.
struct SyscallError: Error, Equatable, CustomStringConvertible {
    let errno: Int32
    let call: String
    var description: String { "\(call): \(String(cString: strerror(errno))) (\(errno))" }
}

enum POSIX {
    static func stat(_ path: String) throws -> Glibc.stat {
        var st = Glibc.stat.init()
        guard systemStat(path, &st) == 0 else { throw SyscallError(errno: errno, call: "stat \(path)") }
        return st
    }

    static func lstat(_ path: String) throws -> Glibc.stat {
        var st = Glibc.stat.init()
        guard systemLstat(path, &st) == 0 else { throw SyscallError(errno: errno, call: "lstat \(path)") }
        return st
    }

    /// Reads `count` bytes at `offset` with one pread loop (short only at EOF).
    static func pread(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw SyscallError(errno: errno, call: "open \(path)") }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 { throw SyscallError(errno: errno, call: "pread \(path)") }
            if n == 0 { break }
            done += n
        }
        return Array(out[0..<done])
    }

    /// Reads a whole file with reads of `chunk` bytes.
    static func readAll(_ path: String, chunk: Int = 1 << 20) throws -> [UInt8] {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw SyscallError(errno: errno, call: "open \(path)") }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, chunk) }
            if n < 0 { throw SyscallError(errno: errno, call: "read \(path)") }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// Maps the whole file at `path` and locks its pages in memory while `body` runs, so no reclaim
    /// (this VM runs DAMON's proactive pageout) evicts them from the page cache meanwhile. Locking
    /// reads every page in first: through FUSE, before `body` starts.
    static func withPagesLocked<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let fd = Glibc.open(path, O_RDONLY)
        guard fd >= 0 else { throw SyscallError(errno: errno, call: "open \(path)") }
        var st = Glibc.stat.init()
        guard fstat(fd, &st) == 0, st.st_size > 0 else {
            close(fd)
            throw SyscallError(errno: errno == 0 ? EINVAL : errno, call: "fstat \(path) (an empty file has no pages)")
        }
        let length = Int(st.st_size)
        let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0)
        close(fd)  // the mapping keeps the file open
        guard let mapped, mapped != MAP_FAILED else { throw SyscallError(errno: errno, call: "mmap \(path)") }
        defer { munmap(mapped, length) }
        guard mlock(mapped, length) == 0 else { throw SyscallError(errno: errno, call: "mlock \(path)") }
        defer { munlock(mapped, length) }
        return try body()
    }

    /// The errno a call fails with, or 0 when it succeeds.
    static func errnoOf(_ body: () -> Int32) -> Int32 {
        errno = 0
        return body() < 0 ? errno : 0
    }

    /// Directory entry names except `.` and `..`, in readdir order.
    static func listNames(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw SyscallError(errno: errno, call: "opendir \(path)") }
        defer { closedir(dir) }
        var names: [String] = []
        while true {
            errno = 0
            // A NULL with errno set is a failed listing (EIO, say), not its end.
            guard let entry = readdir(dir) else {
                if errno != 0 { throw SyscallError(errno: errno, call: "readdir \(path)") }
                return names
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }
}

enum XAttr {
    /// The value of `name`; a value that grows between the size query and the read (e.g. the live
    /// `user.fastio.status`) is read again.
    static func get(_ path: String, _ name: String) throws -> [UInt8] {
        for _ in 0..<20 {
            let size = getxattr(path, name, nil, 0)
            guard size >= 0 else { throw SyscallError(errno: errno, call: "getxattr \(name)") }
            var buf = [UInt8](repeating: 0, count: size + 256)
            let n = buf.withUnsafeMutableBytes { getxattr(path, name, $0.baseAddress, $0.count) }
            if n < 0 && errno == ERANGE { continue }
            guard n >= 0 else { throw SyscallError(errno: errno, call: "getxattr \(name)") }
            return Array(buf[0..<n])
        }
        throw SyscallError(errno: ERANGE, call: "getxattr \(name)")
    }

    static func string(_ path: String, _ name: String) throws -> String {
        String(decoding: try get(path, name), as: UTF8.self)
    }

    static func list(_ path: String) throws -> [String] {
        let size = listxattr(path, nil, 0)
        guard size >= 0 else { throw SyscallError(errno: errno, call: "listxattr") }
        var buf = [CChar](repeating: 0, count: max(size, 1))
        let n = listxattr(path, &buf, size)
        guard n >= 0 else { throw SyscallError(errno: errno, call: "listxattr") }
        return buf[0..<n].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    }
}

/// The libc calls under names that do not collide with `POSIX.stat`/`POSIX.lstat`.
private func systemStat(_ path: String, _ st: inout Glibc.stat) -> Int32 { stat(path, &st) }
private func systemLstat(_ path: String, _ st: inout Glibc.stat) -> Int32 { lstat(path, &st) }
