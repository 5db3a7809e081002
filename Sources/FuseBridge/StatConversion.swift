import CFuseShim
import FastIOFS
import Glibc

/// Conversions from the core's value types to the C structs libfuse sends to the kernel.
///
/// Invariant: a field the core does not model is zero, except `st_blocks`, which is always
/// ceil(size / 512) because `du` and `ls -s` read it.
extension stat {
    init(_ attributes: FileAttributes) {
        self.init()
        st_ino = __ino_t(attributes.ino)
        st_mode = attributes.mode
        st_nlink = __nlink_t(attributes.nlink)
        st_uid = attributes.uid
        st_gid = attributes.gid
        st_size = off_t(clamping: attributes.size)
        st_blksize = blksize_t(attributes.blockSize)
        st_blocks = blkcnt_t(clamping: (attributes.size + 511) / 512)
        st_atim = timespec(attributes.atime)
        st_mtim = timespec(attributes.mtime)
        st_ctim = timespec(attributes.ctime)
    }
}

extension timespec {
    init(_ time: FSTime) {
        self.init(tv_sec: time.seconds, tv_nsec: time.nanoseconds)
    }
}

extension FSTime {
    init(_ time: timespec) {
        self.init(seconds: time.tv_sec, nanoseconds: time.tv_nsec)
    }
}

extension fuse_entry_param {
    /// A positive entry: the kernel takes one reference on `entry.attributes.ino`.
    init(_ entry: Entry) {
        self.init()
        ino = fuse_ino_t(entry.attributes.ino)
        generation = entry.generation
        attr = stat(entry.attributes)
        attr_timeout = entry.attributeTimeout
        entry_timeout = entry.entryTimeout
    }

    /// A readdirplus entry that carries no reference: `ino == 0` tells the kernel to only use the
    /// name and type (what passthrough_ll sends for `.` and `..`).
    init(unreferencedInode ino: UInt64, mode: UInt32) {
        self.init()
        attr.st_ino = __ino_t(ino)
        attr.st_mode = mode
    }
}

extension statvfs {
    init(_ statistics: FilesystemStatistics) {
        self.init()
        f_bsize = UInt(statistics.blockSize)
        f_frsize = UInt(statistics.blockSize)
        f_blocks = fsblkcnt_t(statistics.blocks)
        f_bfree = fsblkcnt_t(statistics.freeBlocks)
        f_bavail = fsblkcnt_t(statistics.availableBlocks)
        f_files = fsfilcnt_t(statistics.files)
        f_ffree = fsfilcnt_t(statistics.freeFiles)
        f_favail = fsfilcnt_t(statistics.freeFiles)
        f_namemax = UInt(statistics.maxNameLength)
    }
}
