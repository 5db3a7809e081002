import CFuseShim
import FastIOFS
import Glibc

// Inode callbacks: lookup/forget counting, attributes, symlink targets, statfs.
// Each is a capture-free top-level function so it converts to a `@convention(c)` pointer.

/// Kernel contract: a successful entry reply adds one reference (nlookup) to the inode; the kernel
/// returns it later through forget. Errors carry no reference.
func fuseLookup(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?) {
    let bridge = FuseBridgeContext.of(req)
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, ENOENT) }
    do throws(FSError) {
        let entry = try bridge.filesystem.lookup(parent: parent, name: name)
        FuseRequest.replyEntry(req, entry, filesystem: bridge.filesystem)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

/// Kernel contract: forget returns `nlookup` references; it has no reply (`fuse_reply_none`).
/// The root inode is never forgotten.
func fuseForget(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ nlookup: UInt64) {
    FuseBridgeContext.of(req).filesystem.forget(ino: ino, lookups: nlookup)
    fuse_reply_none(req)
}

/// The batched form the kernel uses (e.g. on cache pressure): same contract as forget.
func fuseForgetMulti(_ req: fuse_req_t?, _ count: Int, _ forgets: UnsafeMutablePointer<fuse_forget_data>?) {
    let filesystem = FuseBridgeContext.of(req).filesystem
    if let forgets {
        for item in UnsafeBufferPointer(start: forgets, count: count) {
            filesystem.forget(ino: item.ino, lookups: item.nlookup)
        }
    }
    fuse_reply_none(req)
}

func fuseGetattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    do throws(FSError) {
        let (attributes, timeout) = try FuseBridgeContext.of(req).filesystem.getattr(ino: ino)
        FuseRequest.replyAttributes(req, attributes, timeout: timeout)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

/// chmod/chown/truncate/utimens. `fi` is set when the change comes through an open file (ftruncate).
func fuseSetattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ attr: UnsafeMutablePointer<stat>?, _ toSet: Int32,
                 _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let attr else { return FuseRequest.replyError(req, EINVAL) }
    let changes = AttributeChangesDecoder.decode(toSet: toSet, attr: attr.pointee, fileInfo: fi)
    do throws(FSError) {
        let (attributes, timeout) = try FuseBridgeContext.of(req).filesystem.setattr(
            ino: ino, changes: changes, context: FuseRequest.context(req))
        FuseRequest.replyAttributes(req, attributes, timeout: timeout)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseReadlink(_ req: fuse_req_t?, _ ino: fuse_ino_t) {
    do throws(FSError) {
        let target = try FuseBridgeContext.of(req).filesystem.readlink(ino: ino)
        _ = fuse_reply_readlink(req, target)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseStatfs(_ req: fuse_req_t?, _ ino: fuse_ino_t) {
    do throws(FSError) {
        var statistics = statvfs(try FuseBridgeContext.of(req).filesystem.statfs(ino: ino))
        _ = fuse_reply_statfs(req, &statistics)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}
