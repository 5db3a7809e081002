import CFuseShim
import FastIOFS
import Glibc

/// Small helpers shared by the callbacks: request context, names, and the reply idioms.
///
/// Invariant (libfuse's contract): every request except forget/forget_multi gets exactly one
/// `fuse_reply_*` call; forget gets `fuse_reply_none`. The helpers below each send exactly one reply.
enum FuseRequest {
    /// Who made the request (uid/gid/pid of the calling process).
    static func context(_ req: fuse_req_t?) -> RequestContext {
        guard let ctx = fuse_req_ctx(req) else { return RequestContext(uid: 0, gid: 0, pid: 0) }
        return RequestContext(uid: ctx.pointee.uid, gid: ctx.pointee.gid, pid: ctx.pointee.pid)
    }

    /// A name from the kernel. Names that are not valid UTF-8 cannot exist on the server, so the
    /// callers answer them without asking the core (ENOENT for lookups, EINVAL for creations).
    static func name(_ cName: UnsafePointer<CChar>?) -> String? {
        guard let cName else { return nil }
        return String(validatingCString: cName)
    }

    static func replyError(_ req: fuse_req_t?, _ errno: Int32) {
        _ = fuse_reply_err(req, errno)
    }

    /// Replies with `entry`. Kernel contract: the reference the core counted for this entry only exists
    /// if the kernel accepted the reply; if it did not (the request was interrupted), give it back.
    static func replyEntry(_ req: fuse_req_t?, _ entry: Entry, filesystem: any FilesystemOperations) {
        var param = fuse_entry_param(entry)
        if fuse_reply_entry(req, &param) != 0 {
            filesystem.forget(ino: entry.attributes.ino, lookups: 1)
        }
    }

    static func replyAttributes(_ req: fuse_req_t?, _ attributes: FileAttributes, timeout: Double) {
        var st = stat(attributes)
        _ = fuse_reply_attr(req, &st, timeout)
    }

    /// Stores the handle and cache flags of `opened` into the kernel's file info.
    static func fill(_ fi: UnsafeMutablePointer<fuse_file_info>, with opened: OpenedFile) {
        fi.pointee.fh = opened.handle
        fi.pointee.keep_cache = opened.keepCache ? 1 : 0
        fi.pointee.direct_io = opened.directIO ? 1 : 0
    }
}
