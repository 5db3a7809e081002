import CFuseShim

/// The connection parameters negotiated in FUSE `init`.
///
/// Invariant: only capabilities the kernel offers (`capable`) are requested, only for operations the
/// table implements; READDIRPLUS_AUTO is off (every listing is readdirplus, so `ls -l` costs no
/// lookups), EXPORT_SUPPORT stays off (inodes are not valid across NFS re-exports), writeback cache off.
public struct FuseConnectionTuning: Sendable, Equatable {
    public var maxRead: UInt32 = 1 << 20
    public var maxWrite: UInt32 = 1 << 20
    /// The kernel caps this at its own offer; `FuseSession.raiseKernelReadahead` lifts the bdi limit.
    public var maxReadahead: UInt32 = 16 << 20
    public var maxBackground: UInt32 = 64
    public var congestionThreshold: UInt32 = 48

    public init() {}

    static let wanted = UInt32(FUSE_CAP_ASYNC_READ | FUSE_CAP_READDIRPLUS | FUSE_CAP_PARALLEL_DIROPS
                               | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE)
    static let unwanted = UInt32(FUSE_CAP_READDIRPLUS_AUTO | FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_WRITEBACK_CACHE)

    func apply(to conn: inout fuse_conn_info) {
        conn.want |= conn.capable & Self.wanted
        conn.want &= ~Self.unwanted
        conn.max_write = maxWrite
        // Must match the `max_read=` mount option FuseMountOptions passes (libfuse requires both).
        conn.max_read = maxRead
        conn.max_readahead = maxReadahead
        conn.max_background = maxBackground
        conn.congestion_threshold = min(congestionThreshold, maxBackground)
    }
}
