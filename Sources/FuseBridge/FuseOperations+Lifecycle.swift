import CFuseShim
import FastIOFS

/// FUSE `init`: negotiate capabilities and sizes (see FuseConnectionTuning).
func fuseInit(_ userdata: UnsafeMutableRawPointer?, _ conn: UnsafeMutablePointer<fuse_conn_info>?) {
    guard let conn else { return }
    let bridge = FuseBridgeContext.fromUserdata(userdata)
    let offeredReadahead = conn.pointee.max_readahead
    bridge.tuning.apply(to: &conn.pointee)
    bridge.logger.info("""
        FUSE init: protocol \(conn.pointee.proto_major).\(conn.pointee.proto_minor), \
        max_read=\(conn.pointee.max_read) max_write=\(conn.pointee.max_write) \
        max_readahead=\(conn.pointee.max_readahead) (kernel offered \(offeredReadahead)) \
        max_background=\(conn.pointee.max_background) want=0x\(String(conn.pointee.want, radix: 16))
        """)
}

/// FUSE `destroy`: called once, from `fuse_session_destroy`, after the last request.
func fuseDestroy(_ userdata: UnsafeMutableRawPointer?) {
    FuseBridgeContext.fromUserdata(userdata).filesystem.destroy()
}
