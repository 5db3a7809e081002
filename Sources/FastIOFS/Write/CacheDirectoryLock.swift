import FastIO
import Foundation

/// One writable mount per cache directory: an exclusive `flock` on `<cache>/write/lock`, held for
/// the life of the process (the kernel releases it when the process ends, crash included). The lock
/// file names its holder, so a second mount is refused with a message naming the first.
///
/// Invariant: while an instance exists its descriptor holds the lock (close-on-exec: a spawned
/// child does not inherit it); two live instances for one directory cannot exist on one machine.
final class CacheDirectoryLock: Sendable {
    let path: String
    private let descriptor: Locked<Int32?>

    init(directory: String, mountpoint: String) throws(FSError) {
        path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FSError(errno, detail: "cannot open the cache lock \(path)") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let failure = errno
            let holder = Self.holder(fd)
            close(fd)
            guard failure == EWOULDBLOCK else { throw FSError(failure, detail: "cannot lock \(path)") }
            throw FSError(EBUSY, detail: "the cache directory \((directory as NSString).deletingLastPathComponent) is in use by "
                          + (holder ?? "another fastiofs mount") + "; give this mount its own --cache-dir")
        }
        descriptor = Locked(fd)
        let text = "fastiofs mount at \(mountpoint) (pid \(getpid()))\n"
        // Best effort: the lock holds whatever the file says; the text only names the holder.
        if ftruncate(fd, 0) != 0 || pwrite(fd, text, text.utf8.count, 0) != text.utf8.count {
            FileHandle.standardError.write(Data("fastiofs: cannot record the holder in \(path): \(String(cString: strerror(errno)))\n".utf8))
        }
    }

    deinit { release() }

    /// Gives the directory up (the mount is ending); idempotent.
    func release() {
        if let fd = descriptor.withLock({ held -> Int32? in defer { held = nil }; return held }) { close(fd) }
    }

    /// What the lock file says about its holder.
    private static func holder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
