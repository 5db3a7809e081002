import CFuseShim
import FastIOFS
import Logging

/// What every FUSE callback reaches through `fuse_req_userdata` (or the `init`/`destroy` userdata).
///
/// Invariant: one instance per session, retained by `FuseSession` from `fuse_session_new` until after
/// `fuse_session_destroy` returns, so the unretained loads in the callbacks never dangle.
final class FuseBridgeContext: Sendable {
    let filesystem: any FilesystemOperations
    let tuning: FuseConnectionTuning
    let logger: Logger

    init(filesystem: any FilesystemOperations, tuning: FuseConnectionTuning, logger: Logger) {
        self.filesystem = filesystem
        self.tuning = tuning
        self.logger = logger
    }

    /// The context of the session that received `req`.
    @inline(__always)
    static func of(_ req: fuse_req_t?) -> FuseBridgeContext {
        fromUserdata(fuse_req_userdata(req))
    }

    @inline(__always)
    static func fromUserdata(_ userdata: UnsafeMutableRawPointer?) -> FuseBridgeContext {
        Unmanaged<FuseBridgeContext>.fromOpaque(userdata!).takeUnretainedValue()
    }
}
