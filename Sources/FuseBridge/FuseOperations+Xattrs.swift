import CFuseShim
import FastIOFS
import Glibc

// Extended attributes, with the kernel's size-probing protocol (see XattrReplyPlan).

func fuseGetxattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ cName: UnsafePointer<CChar>?, _ size: Int) {
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, ENODATA) }
    do throws(FSError) {
        let value = try FuseBridgeContext.of(req).filesystem.getxattr(ino: ino, name: name)
        replyXattr(req, value, requestedSize: size)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseListxattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int) {
    do throws(FSError) {
        let names = try FuseBridgeContext.of(req).filesystem.listxattr(ino: ino)
        replyXattr(req, XattrReplyPlan.nameList(names), requestedSize: size)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseSetxattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ cName: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?,
                  _ size: Int, _ flags: Int32) {
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        let bytes = UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : size)
        try FuseBridgeContext.of(req).filesystem.setxattr(ino: ino, name: name, value: bytes, flags: flags)
        FuseRequest.replyError(req, 0)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseRemovexattr(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ cName: UnsafePointer<CChar>?) {
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, ENODATA) }
    do throws(FSError) {
        try FuseBridgeContext.of(req).filesystem.removexattr(ino: ino, name: name)
        FuseRequest.replyError(req, 0)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

private func replyXattr(_ req: fuse_req_t?, _ value: [UInt8], requestedSize: Int) {
    switch XattrReplyPlan(valueLength: value.count, requestedSize: requestedSize) {
    case .reportSize(let length):
        _ = fuse_reply_xattr(req, length)
    case .rangeError:
        FuseRequest.replyError(req, ERANGE)
    case .sendValue:
        value.withUnsafeBytes { bytes in
            _ = fuse_reply_buf(req, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
        }
    }
}
