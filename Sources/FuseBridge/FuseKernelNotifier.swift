import CFuseShim
import FastIOFS
import Glibc
import Logging

/// `KernelNotifier` over `fuse_lowlevel_notify_*`: drops the kernel's cached attributes, pages and
/// dentries when the core learns of a remote change.
///
/// Invariants: safe to call from any thread, before the mount is live (ignored) and once the session
/// is ending or ended (ignored); the call into libfuse holds no lock (`FuseSessionControl` only counts
/// it). Must not be called from inside a FUSE operation or while holding a lock an operation or the
/// teardown needs (libfuse's deadlock rule; the core queues notifications and sends them from its own
/// thread). ENOENT from the kernel (it had already forgotten the inode/name) is not an error.
public final class FuseKernelNotifier: KernelNotifier {
    private let control: FuseSessionControl
    private let logger: Logger

    init(control: FuseSessionControl, logger: Logger) {
        self.control = control
        self.logger = logger
    }

    public func invalidateInode(_ ino: UInt64, offset: Int64, length: Int64) {
        let rc = control.withAttachedSession { fuse_lowlevel_notify_inval_inode($0, ino, off_t(offset), off_t(length)) }
        report(rc, "invalidate inode \(ino)")
    }

    public func invalidateEntry(parent: UInt64, name: String) {
        let rc = control.withAttachedSession { session in
            name.withCString { fuse_lowlevel_notify_inval_entry(session, parent, $0, strlen($0)) }
        }
        report(rc, "invalidate entry \(parent)/\(name)")
    }

    public func notifyDelete(parent: UInt64, child: UInt64, name: String) {
        let rc = control.withAttachedSession { session in
            name.withCString { fuse_lowlevel_notify_delete(session, parent, child, $0, strlen($0)) }
        }
        report(rc, "notify delete \(parent)/\(name)")
    }

    private func report(_ rc: Int32?, _ what: @autoclosure () -> String) {
        guard let rc else { return }
        // -ENOENT: not cached; -ENOTCONN/-EBADF/-ENODEV: mount not (or no longer) live.
        if rc == 0 || rc == -ENOENT || rc == -ENOTCONN || rc == -EBADF || rc == -ENODEV { return }
        logger.warning("kernel notification failed: \(what()): errno \(-rc)")
    }
}
