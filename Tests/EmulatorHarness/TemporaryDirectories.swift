import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The temporary directories the test helpers made, removed when the test process exits.
///
/// Invariant: a directory registered as a mountpoint is only ever `rmdir`ed (never removed
/// recursively: if a mount were still live there, a recursive removal would delete the mounted
/// files); every other one is removed with its contents. Thread-safe; the exit hook is installed once.
public enum TemporaryDirectories {
    /// Guards `registeredPaths` (an NSLock, a pthread mutex ThreadSanitizer sees).
    private static let lock = NSLock()
    nonisolated(unsafe) private static var registeredPaths: [(path: String, isMountpoint: Bool)] = []  // under `lock`
    private static let hookInstalled = Atomic<Bool>(false)

    public static func register(_ url: URL, isMountpoint: Bool) {
        lock.withLock { registeredPaths.append((url.path, isMountpoint)) }
        if !hookInstalled.exchange(true, ordering: .acquiringAndReleasing) {
            atexit { TemporaryDirectories.removeAll() }
        }
    }

    static func removeAll() {
        let all = lock.withLock {
            defer { registeredPaths.removeAll() }
            return registeredPaths
        }
        for entry in all {
            if entry.isMountpoint || isMountpoint(entry.path) {
                _ = rmdir(entry.path)   // fails while something is still mounted there: left alone
            } else {
                try? FileManager.default.removeItem(atPath: entry.path)
            }
        }
    }

    /// True when `path` is on another device than its parent (something is mounted there).
    private static func isMountpoint(_ path: String) -> Bool {
        var own = stat(), parent = stat()
        guard stat(path, &own) == 0, stat((path as NSString).deletingLastPathComponent, &parent) == 0 else { return true }
        return own.st_dev != parent.st_dev
    }
}
