import CFuseShim
import FastIO
import FastIOFS
import Glibc
import Logging

/// One libfuse low-level session driving a `FilesystemOperations`: create, mount, run the
/// worker loop, then unmount and destroy.
///
/// Lifecycle (each step at most once, in this order):
/// `init` (fuse_session_new) -> `mount(at:)` -> `run()` [blocks; returns after unmount or
/// SIGTERM/SIGINT/SIGHUP or `requestExit()`; then detaches the notifier, unmounts, destroys,
/// which calls `FilesystemOperations.destroy()`]. A session dropped without `run()` is unmounted and
/// destroyed in `deinit`.
///
/// Invariant: the bridge context (userdata of every callback) lives as long as this object, and
/// `fuse_session_destroy` happens before this object is gone.
public final class FuseSession: Sendable {
    private struct State {
        var sessionBits: UInt
        var mountpoint: String?
        var destroyed = false
    }

    private let context: FuseBridgeContext
    private let options: FuseMountOptions
    private let control: FuseSessionControl
    private let state: Locked<State>
    private let logger: Logger
    /// Kernel invalidation for the core; inert until mounted and after the session ends.
    public let notifier: FuseKernelNotifier

    /// With an `observer`, every call into the core is timed and reported to it (see
    /// `FuseOperationObserver`); without one the callbacks reach `filesystem` directly.
    public init(filesystem: any FilesystemOperations, options: FuseMountOptions, logger: Logger,
                observer: (any FuseOperationObserver)? = nil) throws(FuseSessionError) {
        LibfuseLog.install(logger)
        let served: any FilesystemOperations = observer.map { MeasuredFilesystem(filesystem, observer: $0) } ?? filesystem
        self.context = FuseBridgeContext(filesystem: served, tuning: options.tuning, logger: logger)
        self.options = options
        self.logger = logger
        let control = FuseSessionControl(logger: logger)
        self.control = control
        self.notifier = FuseKernelNotifier(control: control, logger: logger)

        // fuse_session_new parses (and may keep pointers into) argv: give it heap copies, freed below
        // once libfuse has replaced them with its own allocated copy.
        let arguments = options.libfuseArguments
        let argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
        for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
        argv[arguments.count] = nil
        defer {
            for index in 0..<arguments.count { free(argv[index]) }
            argv.deallocate()
        }
        var args = cfuse_args_init(Int32(arguments.count), argv)
        defer { fuse_opt_free_args(&args) }
        var operations = FuseOperationTable.make()   // fuse_session_new copies the table
        let userdata = Unmanaged.passUnretained(context).toOpaque()
        guard let session = fuse_session_new(&args, &operations, MemoryLayout<fuse_lowlevel_ops>.size, userdata) else {
            throw .creationFailed(LibfuseLog.takeLastError() ?? "fuse_session_new failed (options: \(options.optionString))")
        }
        self.state = Locked(State(sessionBits: UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))))
        control.attach(session)
    }

    deinit {
        if let session = takeSessionForTeardown() { teardown(session) }
    }

    /// Mounts at `mountpoint` (an existing directory). Afterwards the kernel queues requests, but none
    /// is answered until `run()` starts (a stat of the mountpoint blocks until then).
    public func mount(at mountpoint: String) throws(FuseSessionError) {
        guard let session = currentSession() else { throw .notAvailable }
        guard fuse_session_mount(session, mountpoint) == 0 else {
            throw .mountFailed(mountpoint: mountpoint, reason: LibfuseLog.takeLastError() ?? "fuse_session_mount failed")
        }
        state.withLock { $0.mountpoint = mountpoint }
        logger.info("mounted at \(mountpoint) (-o \(options.optionString))")
    }

    /// Serves requests on up to `maxThreads` worker threads (`FuseWorkerLoop`; the calling thread
    /// waits) until the filesystem is unmounted, `requestExit()` is called or a termination signal
    /// is handled on the calling thread; then unmounts and destroys the session.
    public func run() throws(FuseSessionError) {
        guard let session = currentSession(), state.withLock({ $0.mountpoint }) != nil else { throw .notAvailable }
        // SIGTERM/SIGINT/SIGHUP -> fuse_session_exit (noticed by the loop when the signal lands on
        // this thread; the daemon routes them to `requestExit` instead); SIGPIPE ignored. Only
        // replaces default handlers.
        guard fuse_set_signal_handlers(session) == 0 else {
            throw .loopFailed(reason: "cannot install signal handlers")
        }
        defer { fuse_remove_signal_handlers(session) }
        let loop = try FuseWorkerLoop(session: session, maxThreads: Int(options.maxThreads), logger: logger)
        control.setLoop(loop)
        let rc = loop.run()
        control.setLoop(nil)
        logger.info("FUSE loop ended\(rc < 0 ? " (\(String(cString: strerror(-rc))))" : ""); unmounting")
        if let session = takeSessionForTeardown() { teardown(session) }
        if rc < 0 { throw .loopFailed(reason: String(cString: strerror(-rc))) }
    }

    /// Ends `run()` from any thread (e.g. when a readiness check fails, or on SIGTERM); never blocks:
    /// the loop stops once the kernel notifications running now ended (see `FuseSessionControl`).
    public func requestExit() {
        control.requestExit()
    }

    /// Lifts the kernel's readahead for this mount (the bdi's read_ahead_kb; FUSE init can only lower
    /// it). Call once the mount answered a request (after init). Needs root; returns false otherwise.
    @discardableResult
    public func raiseKernelReadahead(kilobytes: Int) -> Bool {
        guard let mountpoint = state.withLock({ $0.mountpoint }) else { return false }
        var st = stat()
        guard stat(mountpoint, &st) == 0 else { return false }
        let device = UInt64(st.st_dev)
        let major = ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff))
        let minor = (device & 0xff) | ((device >> 12) & ~UInt64(0xff))
        let path = "/sys/class/bdi/\(major):\(minor)/read_ahead_kb"
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else {
            logger.debug("cannot raise readahead: \(path): \(String(cString: strerror(errno)))")
            return false
        }
        defer { close(fd) }
        let text = "\(kilobytes)\n"
        let written = text.withCString { write(fd, $0, strlen($0)) }
        if written > 0 { logger.debug("readahead of \(mountpoint) set to \(kilobytes) KiB") }
        return written > 0
    }

    private func currentSession() -> OpaquePointer? {
        state.withLock { $0.destroyed ? nil : OpaquePointer(bitPattern: $0.sessionBits) }
    }

    /// Claims the session for teardown exactly once.
    private func takeSessionForTeardown() -> OpaquePointer? {
        state.withLock { state in
            guard !state.destroyed else { return nil }
            state.destroyed = true
            return OpaquePointer(bitPattern: state.sessionBits)
        }
    }

    /// Notifier off first (it waits for running notifications; unmount closes the fd they write to),
    /// then unmount, then destroy (which calls the filesystem's destroy once if init happened).
    private func teardown(_ session: OpaquePointer) {
        control.detach()
        if state.withLock({ $0.mountpoint }) != nil {
            fuse_session_unmount(session)
        }
        fuse_session_destroy(session)
        withExtendedLifetime(context) {}
    }
}

/// Why a session could not be created, mounted or run. Messages never contain credentials.
public enum FuseSessionError: Error, Equatable, CustomStringConvertible {
    case creationFailed(String)
    case mountFailed(mountpoint: String, reason: String)
    case loopFailed(reason: String)
    case notAvailable

    public var description: String {
        switch self {
        case .creationFailed(let reason): "cannot create the FUSE session: \(reason)"
        case .mountFailed(let mountpoint, let reason): "cannot mount at \(mountpoint): \(reason)"
        case .loopFailed(let reason): "the FUSE loop failed: \(reason)"
        case .notAvailable: "the FUSE session is not mounted or already ended"
        }
    }
}
