import CFuseShim

/// Builds the `fuse_lowlevel_ops` table from the top-level callbacks.
///
/// Invariant: every entry is a capture-free function (never a closure literal, and never in
/// main.swift, where it would be inferred @MainActor and trap on a FUSE thread); context comes only
/// from the request's userdata. Operations left nil (access, locks, ioctl, poll, fallocate,
/// copy_file_range, lseek, bmap) get libfuse's ENOSYS, which the kernel remembers.
enum FuseOperationTable {
    static func make() -> fuse_lowlevel_ops {
        var ops = fuse_lowlevel_ops()
        ops.`init` = fuseInit
        ops.destroy = fuseDestroy
        ops.lookup = fuseLookup
        ops.forget = fuseForget
        ops.forget_multi = fuseForgetMulti
        ops.getattr = fuseGetattr
        ops.setattr = fuseSetattr
        ops.readlink = fuseReadlink
        ops.mknod = fuseMknod
        ops.mkdir = fuseMkdir
        ops.unlink = fuseUnlink
        ops.rmdir = fuseRmdir
        ops.symlink = fuseSymlink
        ops.rename = fuseRename
        ops.link = fuseLink
        ops.open = fuseOpen
        ops.read = fuseRead
        ops.write = fuseWrite
        ops.flush = fuseFlush
        ops.release = fuseRelease
        ops.fsync = fuseFsync
        ops.opendir = fuseOpendir
        ops.readdir = fuseReaddir
        ops.readdirplus = fuseReaddirplus
        ops.releasedir = fuseReleasedir
        ops.fsyncdir = fuseFsyncdir
        ops.statfs = fuseStatfs
        ops.setxattr = fuseSetxattr
        ops.getxattr = fuseGetxattr
        ops.listxattr = fuseListxattr
        ops.removexattr = fuseRemovexattr
        ops.create = fuseCreate
        return ops
    }
}
