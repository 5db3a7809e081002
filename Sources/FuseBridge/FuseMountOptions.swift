/// How `FuseSession` creates and mounts the session: libfuse/kernel mount options and loop settings.
///
/// Invariant: the generated `-o` list always carries `fsname=fastio`, `subtype=fastiofs`,
/// `default_permissions` (the kernel checks modes, so the core never sees a forbidden request) and
/// `max_read=` equal to `tuning.maxRead` (libfuse wants it both as a mount option and in init).
public struct FuseMountOptions: Sendable, Equatable {
    public var readOnly: Bool
    public var allowOther: Bool
    /// Options we do not interpret, passed to libfuse verbatim (it rejects ones it does not know).
    public var passthrough: [String]
    /// Worker threads of the loop (`FuseWorkerLoop`). libfuse 3.14 defaults to 10, which serializes
    /// slow (network) requests; 64 lets that many block at once.
    public var maxThreads: UInt32
    public var tuning: FuseConnectionTuning
    /// libfuse's own request trace (`-d`), to stderr.
    public var debug: Bool

    public init(readOnly: Bool = false, allowOther: Bool = false, passthrough: [String] = [],
                maxThreads: UInt32 = 64, tuning: FuseConnectionTuning = .init(),
                debug: Bool = false) {
        self.readOnly = readOnly
        self.allowOther = allowOther
        self.passthrough = passthrough
        self.maxThreads = maxThreads
        self.tuning = tuning
        self.debug = debug
    }

    /// The comma-separated `-o` value handed to `fuse_session_new`.
    public var optionString: String {
        var list = ["fsname=fastio", "subtype=fastiofs", "default_permissions", "max_read=\(tuning.maxRead)"]
        if readOnly { list.append("ro") }
        if allowOther { list.append("allow_other") }
        list += passthrough
        return list.joined(separator: ",")
    }

    /// argv for `fuse_session_new` (argv[0] is only a program name).
    var libfuseArguments: [String] {
        var arguments = ["fastiofs", "-o", optionString]
        if debug { arguments.append("-d") }
        return arguments
    }
}
