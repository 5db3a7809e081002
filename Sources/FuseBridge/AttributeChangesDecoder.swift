import CFuseShim
import FastIOFS
import Glibc

/// Decodes a setattr request (the `FUSE_SET_ATTR_*` bit set plus the `struct stat` it refers to) into
/// `AttributeChanges`. Pure: the clock is passed in, so the `*_NOW` bits are testable.
///
/// Invariant: a field of the result is non-nil exactly when its bit (or its `_NOW` variant) is set.
/// `mode` is passed as the kernel sent it (permission bits, possibly with the type bits).
public enum AttributeChangesDecoder {
    public static func decode(toSet: Int32, mode: UInt32, uid: UInt32, gid: UInt32, size: Int64,
                              atime: FSTime, mtime: FSTime, handle: UInt64?,
                              now: () -> FSTime) -> AttributeChanges {
        var changes = AttributeChanges(handle: handle)
        if toSet & FUSE_SET_ATTR_MODE != 0 { changes.mode = mode }
        if toSet & FUSE_SET_ATTR_UID != 0 { changes.uid = uid }
        if toSet & FUSE_SET_ATTR_GID != 0 { changes.gid = gid }
        if toSet & FUSE_SET_ATTR_SIZE != 0 { changes.size = UInt64(max(0, size)) }
        // utimensat(UTIME_NOW) arrives as *_NOW without a value: the filesystem supplies "now".
        if toSet & FUSE_SET_ATTR_ATIME_NOW != 0 {
            changes.atime = now()
        } else if toSet & FUSE_SET_ATTR_ATIME != 0 {
            changes.atime = atime
        }
        if toSet & FUSE_SET_ATTR_MTIME_NOW != 0 {
            changes.mtime = now()
        } else if toSet & FUSE_SET_ATTR_MTIME != 0 {
            changes.mtime = mtime
        }
        return changes
    }

    /// Decodes straight from the callback's arguments.
    static func decode(toSet: Int32, attr: stat, fileInfo: UnsafeMutablePointer<fuse_file_info>?) -> AttributeChanges {
        decode(toSet: toSet, mode: attr.st_mode, uid: attr.st_uid, gid: attr.st_gid, size: Int64(attr.st_size),
               atime: FSTime(attr.st_atim), mtime: FSTime(attr.st_mtim), handle: fileInfo?.pointee.fh,
               now: currentTime)
    }

    static func currentTime() -> FSTime {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return FSTime(now)
    }
}
