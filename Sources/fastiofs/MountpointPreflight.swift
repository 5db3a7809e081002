import Foundation
import Glibc
import Logging

/// Checks a mountpoint before mounting and repairs the one thing that is safe to repair: a stale
/// mount left by a crashed daemon ("Transport endpoint is not connected") is lazily unmounted.
///
/// Invariant: on success the path is an existing directory, not a mount point, and empty (unless
/// `allowNonEmpty`), and /dev/fuse is usable.
enum MountpointPreflight {
    static func check(_ path: String, allowNonEmpty: Bool, logger: Logger) throws(CommandFailure) {
        guard access("/dev/fuse", R_OK | W_OK) == 0 else {
            throw CommandFailure("FUSE is not available: /dev/fuse is missing or not accessible (install fuse3, load the fuse module, or give the container --device /dev/fuse)")
        }
        guard access("/usr/bin/fusermount3", X_OK) == 0 else {
            throw CommandFailure("fusermount3 is missing (install the fuse3 package)")
        }
        if MountpointProbe.isStale(path) {
            logger.warning("\(path) is a stale mount (transport endpoint is not connected); detaching it")
            let result = ExternalCommand.run("/usr/bin/fusermount3", ["-u", "-z", path])
            guard result.status == 0, !MountpointProbe.isStale(path) else {
                throw CommandFailure("\(path) is a stale mount and could not be detached: \(result.output)")
            }
        }
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            if code == ENOENT { throw CommandFailure("mountpoint \(path) does not exist (create it with: mkdir -p \(path))") }
            throw CommandFailure("cannot use mountpoint \(path): \(String(cString: strerror(code)))")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw CommandFailure("mountpoint \(path) is not a directory") }
        if MountTable.isMountPoint(path) {
            throw CommandFailure("\(path) is already mounted (unmount it first: fastiofs unmount \(path))")
        }
        if !allowNonEmpty, let entries = try? FileManager.default.contentsOfDirectory(atPath: path), !entries.isEmpty {
            throw CommandFailure("mountpoint \(path) is not empty; use an empty directory (or -o nonempty to hide its contents)")
        }
    }
}
