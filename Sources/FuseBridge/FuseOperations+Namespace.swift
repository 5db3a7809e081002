import CFuseShim
import FastIOFS
import Glibc

// Callbacks that add, remove or move names. Those that create an inode answer with an entry, which
// (like lookup) gives the kernel one reference.

func fuseMknod(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?, _ mode: mode_t, _ rdev: dev_t) {
    let bridge = FuseBridgeContext.of(req)
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        let entry = try bridge.filesystem.mknod(parent: parent, name: name, mode: mode, context: FuseRequest.context(req))
        FuseRequest.replyEntry(req, entry, filesystem: bridge.filesystem)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseMkdir(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?, _ mode: mode_t) {
    let bridge = FuseBridgeContext.of(req)
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        let entry = try bridge.filesystem.mkdir(parent: parent, name: name, mode: mode, context: FuseRequest.context(req))
        FuseRequest.replyEntry(req, entry, filesystem: bridge.filesystem)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseUnlink(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?) {
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, ENOENT) }
    do throws(FSError) {
        try FuseBridgeContext.of(req).filesystem.unlink(parent: parent, name: name)
        FuseRequest.replyError(req, 0)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseRmdir(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?) {
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, ENOENT) }
    do throws(FSError) {
        try FuseBridgeContext.of(req).filesystem.rmdir(parent: parent, name: name)
        FuseRequest.replyError(req, 0)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseSymlink(_ req: fuse_req_t?, _ cTarget: UnsafePointer<CChar>?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?) {
    let bridge = FuseBridgeContext.of(req)
    guard let name = FuseRequest.name(cName), let target = FuseRequest.name(cTarget) else {
        return FuseRequest.replyError(req, EINVAL)
    }
    do throws(FSError) {
        let entry = try bridge.filesystem.symlink(target: target, parent: parent, name: name, context: FuseRequest.context(req))
        FuseRequest.replyEntry(req, entry, filesystem: bridge.filesystem)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

/// `flags` is renameat2's (RENAME_NOREPLACE, RENAME_EXCHANGE), passed through for the core to honour
/// or refuse with EINVAL.
func fuseRename(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?, _ newParent: fuse_ino_t,
                _ cNewName: UnsafePointer<CChar>?, _ flags: UInt32) {
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, ENOENT) }
    guard let newName = FuseRequest.name(cNewName) else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        try FuseBridgeContext.of(req).filesystem.rename(parent: parent, name: name, newParent: newParent,
                                                        newName: newName, flags: flags)
        FuseRequest.replyError(req, 0)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseLink(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ newParent: fuse_ino_t, _ cNewName: UnsafePointer<CChar>?) {
    let bridge = FuseBridgeContext.of(req)
    guard let newName = FuseRequest.name(cNewName) else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        let entry = try bridge.filesystem.link(ino: ino, newParent: newParent, newName: newName)
        FuseRequest.replyEntry(req, entry, filesystem: bridge.filesystem)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}
