import CFuseShim
import FastIOFS
import Glibc

// Open-file callbacks. The core's handle travels in `fuse_file_info.fh`.

/// Kernel contract: if the open reply cannot be delivered (the caller was interrupted), the kernel
/// never sees the handle and will never send release for it, so we release it ourselves.
func fuseOpen(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return FuseRequest.replyError(req, EINVAL) }
    let filesystem = FuseBridgeContext.of(req).filesystem
    do throws(FSError) {
        // With FUSE_CAP_ATOMIC_O_TRUNC (libfuse's default) the flags may include O_TRUNC.
        let opened = try filesystem.open(ino: ino, flags: fi.pointee.flags, context: FuseRequest.context(req))
        FuseRequest.fill(fi, with: opened)
        if fuse_reply_open(req, fi) != 0 {
            filesystem.release(ino: ino, handle: opened.handle)
        }
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

/// create = lookup + open in one request: one reference and one handle, both given back if the
/// reply cannot be delivered.
func fuseCreate(_ req: fuse_req_t?, _ parent: fuse_ino_t, _ cName: UnsafePointer<CChar>?, _ mode: mode_t,
                _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return FuseRequest.replyError(req, EINVAL) }
    guard let name = FuseRequest.name(cName) else { return FuseRequest.replyError(req, EINVAL) }
    let filesystem = FuseBridgeContext.of(req).filesystem
    do throws(FSError) {
        let (entry, opened) = try filesystem.create(parent: parent, name: name, mode: mode, flags: fi.pointee.flags,
                                                    context: FuseRequest.context(req))
        FuseRequest.fill(fi, with: opened)
        var param = fuse_entry_param(entry)
        if fuse_reply_create(req, &param, fi) != 0 {
            filesystem.release(ino: entry.attributes.ino, handle: opened.handle)
            filesystem.forget(ino: entry.attributes.ino, lookups: 1)
        }
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

/// The core hands its bytes to `reply` exactly once; we send them with `fuse_reply_buf` straight from
/// its buffer (no copy here). A short reply means end of file. Should the core break the contract
/// (no reply, or a reply and then an error), the request still gets exactly one reply.
func fuseRead(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
              _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return FuseRequest.replyError(req, EINVAL) }
    let bridge = FuseBridgeContext.of(req)
    var replied = false
    do throws(FSError) {
        try bridge.filesystem.read(ino: ino, handle: fi.pointee.fh, offset: Int64(offset), size: size) { bytes in
            guard !replied else { return }
            replied = true
            // The kernel rejects a reply longer than it asked for; never send more than `size`.
            _ = fuse_reply_buf(req, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), min(bytes.count, size))
        }
        if !replied {
            bridge.logger.error("read of inode \(ino) returned without data; replying EIO")
            FuseRequest.replyError(req, EIO)
        }
    } catch {
        if replied {
            bridge.logger.error("read of inode \(ino) failed after replying: \(error)")
        } else {
            FuseRequest.replyError(req, error.errno)
        }
    }
}

func fuseWrite(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ buffer: UnsafePointer<CChar>?, _ size: Int, _ offset: off_t,
               _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        let data = UnsafeRawBufferPointer(start: buffer, count: buffer == nil ? 0 : size)
        let written = try FuseBridgeContext.of(req).filesystem.write(ino: ino, handle: fi.pointee.fh, offset: Int64(offset), data: data)
        _ = fuse_reply_write(req, written)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

/// Called on every close() of a descriptor (several times for dup'd fds); not the last close.
func fuseFlush(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        try FuseBridgeContext.of(req).filesystem.flush(ino: ino, handle: fi.pointee.fh)
        FuseRequest.replyError(req, 0)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

/// Called exactly once per successful open/create, after the last close; its error is ignored by
/// the kernel, so it always replies 0.
func fuseRelease(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    if let fi {
        FuseBridgeContext.of(req).filesystem.release(ino: ino, handle: fi.pointee.fh)
    }
    FuseRequest.replyError(req, 0)
}

func fuseFsync(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ dataSync: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return FuseRequest.replyError(req, EINVAL) }
    do throws(FSError) {
        try FuseBridgeContext.of(req).filesystem.fsync(ino: ino, handle: fi.pointee.fh, dataOnly: dataSync != 0)
        FuseRequest.replyError(req, 0)
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}
