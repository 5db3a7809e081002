import CFuseShim
import FastIOFS
import Glibc

// Directory-handle callbacks. readdir and readdirplus fill one buffer of the size the kernel asked for.

func fuseOpendir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    guard let fi else { return FuseRequest.replyError(req, EINVAL) }
    let filesystem = FuseBridgeContext.of(req).filesystem
    do throws(FSError) {
        fi.pointee.fh = try filesystem.opendir(ino: ino)
        // Same contract as open: an undelivered reply means no releasedir will ever come.
        if fuse_reply_open(req, fi) != 0 {
            filesystem.releasedir(ino: ino, handle: fi.pointee.fh)
        }
    } catch {
        FuseRequest.replyError(req, error.errno)
    }
}

func fuseReaddir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
                 _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    DirectoryBufferFiller.fill(req, ino: ino, size: size, offset: offset, fileInfo: fi, plus: false)
}

func fuseReaddirplus(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ size: Int, _ offset: off_t,
                     _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    DirectoryBufferFiller.fill(req, ino: ino, size: size, offset: offset, fileInfo: fi, plus: true)
}

func fuseReleasedir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    if let fi {
        FuseBridgeContext.of(req).filesystem.releasedir(ino: ino, handle: fi.pointee.fh)
    }
    FuseRequest.replyError(req, 0)
}

/// Directories hold nothing to make durable (every namespace change is synchronous on the server).
func fuseFsyncdir(_ req: fuse_req_t?, _ ino: fuse_ino_t, _ dataSync: Int32, _ fi: UnsafeMutablePointer<fuse_file_info>?) {
    FuseRequest.replyError(req, 0)
}

/// Fills a readdir/readdirplus reply buffer from the core's entry stream.
///
/// Invariants (kernel contracts, as in passthrough_ll):
/// - the buffer is never larger than the kernel's `size`; the first entry that does not fit is
///   refused (the sink returns false), so the core counts no reference for it and resumes there;
/// - with plus, each accepted entry other than `.`/`..` that carries an `Entry` is one kernel
///   reference; `.`/`..` and entries without `Entry` are sent with ino 0, which the kernel does not count;
/// - an error is replied only if nothing was buffered; otherwise the buffered entries are sent and the
///   next call (starting after them) meets the error again;
/// - if the reply cannot be delivered, the references of the buffered entries are given back;
/// - an entry user space or the kernel cannot take (a name that is empty, over NAME_MAX bytes, or
///   holds `/` or NUL; past the kernel's own limit it answers EIO for the whole buffer and never
///   links the entries after it) or that does not fit even an empty buffer (which used to end the
///   listing there) is skipped with a log line: the sink takes it, so the listing goes on after it,
///   and its reference (with plus) is given back once the core's readdir returned.
enum DirectoryBufferFiller {
    /// NAME_MAX: what a directory entry's name may hold for user space (the kernel itself takes
    /// more from a FUSE server: 1024 bytes on older kernels, 4095 on recent ones).
    static let nameLimit = 255

    static func fill(_ req: fuse_req_t?, ino: fuse_ino_t, size: Int, offset: off_t,
                     fileInfo fi: UnsafeMutablePointer<fuse_file_info>?, plus: Bool) {
        guard let fi else { return FuseRequest.replyError(req, EINVAL) }
        let context = FuseBridgeContext.of(req)
        let filesystem = context.filesystem
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(size, 1))
        defer { buffer.deallocate() }
        var used = 0
        var referenced: [UInt64] = []
        var skipped: [UInt64] = []
        // Taken entries hold their reference once the sink returned: a skipped one is given back after.
        defer { for ino in skipped { filesystem.forget(ino: ino, lookups: 1) } }
        do throws(FSError) {
            try filesystem.readdir(ino: ino, handle: fi.pointee.fh, offset: Int64(offset), plus: plus) { item, nextOffset in
                let remaining = size - used
                let isDot = item.name == "." || item.name == ".."
                let skip = { (reason: String) -> Bool in
                    context.logger.warning("a directory entry is left out of the listing: \(reason)", metadata: [
                        "directory": "\(ino)", "bytes": "\(item.name.utf8.count)",
                        "name": "\(String(item.name.prefix(64)))…",
                    ])
                    if plus, !isDot, let entry = item.entry { skipped.append(entry.attributes.ino) }
                    return true
                }
                if let problem = kernelRefusal(of: item.name) { return skip(problem) }
                let needed: Int = item.name.withCString { cName in
                    if plus {
                        var param = if let entry = item.entry, !isDot {
                            fuse_entry_param(entry)
                        } else {
                            fuse_entry_param(unreferencedInode: item.ino, mode: item.mode)
                        }
                        return fuse_add_direntry_plus(req, buffer + used, remaining, cName, &param, off_t(nextOffset))
                    } else {
                        var st = stat()
                        st.st_ino = __ino_t(item.ino)
                        st.st_mode = item.mode
                        return fuse_add_direntry(req, buffer + used, remaining, cName, &st, off_t(nextOffset))
                    }
                }
                // fuse_add_direntry* report the size the entry needs; it was written only if it fit.
                if needed > size { return skip("it does not fit the kernel's buffer of \(size) bytes") }
                guard needed <= remaining else { return false }
                used += needed
                if plus, !isDot, let entry = item.entry { referenced.append(entry.attributes.ino) }
                return true
            }
        } catch {
            if used == 0 { return FuseRequest.replyError(req, error.errno) }
        }
        if fuse_reply_buf(req, buffer, used) != 0 {
            for ino in referenced { filesystem.forget(ino: ino, lookups: 1) }
        }
    }

    /// Why the kernel would refuse `name` in a directory entry, or nil when it takes it.
    static func kernelRefusal(of name: String) -> String? {
        let bytes = name.utf8
        if bytes.isEmpty { return "an empty name" }
        if bytes.count > nameLimit { return "a name of \(bytes.count) bytes (more than NAME_MAX, \(nameLimit))" }
        if bytes.contains(UInt8(ascii: "/")) || bytes.contains(0) { return "a name holding '/' or NUL" }
        return nil
    }
}
