import CFuseShim
import FastIO
import FastIOFS
import Glibc
import Logging

/// Serves one libfuse session's requests on worker threads that all end by themselves: the
/// replacement for `fuse_session_loop_mt`, whose exit cancels workers blocked in `read(2)` with
/// `pthread_cancel` (which ThreadSanitizer cannot follow, and which kills a request half read).
///
/// How: /dev/fuse is non-blocking; each worker waits in its own epoll set for the device (added
/// with EPOLLEXCLUSIVE, so one request wakes one idle worker, as a blocking read would) or for the
/// stop eventfd (level-triggered, never drained: once written, every worker wakes and leaves). A
/// worker reads requests until the device has none (EAGAIN), answering each before the next.
/// Workers start on demand per `FuseWorkerPool`, up to the limit.
///
/// Invariants: the loop ends on unmount (ENODEV: libfuse marks the session exited), a device error,
/// or `stop()`; `run()` returns only after every worker thread was joined, so nothing touches the
/// session afterwards; a request already read when the stop comes is still answered.
final class FuseWorkerLoop: Sendable {
    private let sessionBits: UInt
    private let deviceFD: Int32
    private let stopFD: Int32
    private let pool: ConditionLocked<FuseWorkerPool>
    /// Worker threads to join (each adds itself), and the first device error (a negative errno), if any.
    private let threads = Locked<(started: [pthread_t], failure: Int32)>(([], 0))
    private let logger: Logger

    /// Fails when the eventfd cannot be made or the device cannot be switched to non-blocking.
    init(session: OpaquePointer, maxThreads: Int, logger: Logger) throws(FuseSessionError) {
        let device = fuse_session_fd(session)
        let flags = fcntl(device, F_GETFL)
        guard device >= 0, flags >= 0, fcntl(device, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw .loopFailed(reason: "cannot make /dev/fuse non-blocking: \(String(cString: strerror(errno)))")
        }
        let stop = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard stop >= 0 else {
            throw .loopFailed(reason: "cannot create the stop eventfd: \(String(cString: strerror(errno)))")
        }
        self.sessionBits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))
        self.deviceFD = device
        self.stopFD = stop
        self.pool = ConditionLocked(FuseWorkerPool(limit: maxThreads))
        self.logger = logger
    }

    deinit {
        close(stopFD)
    }

    /// Serves until the loop stops, then joins every worker. Returns 0, or the device's negative
    /// errno when reading it failed. A signal handled on this thread (libfuse's handlers, in a
    /// process that does not route signals) ends the loop too.
    func run() -> Int32 {
        if pool.withLock({ $0.begin() }) == .startWorker { startWorker() }
        waitForStop()
        _ = pool.wait { $0.isFinished ? true : nil }
        let (started, failure) = threads.withLock { ($0.started, $0.failure) }
        for thread in started { pthread_join(thread, nil) }
        return failure
    }

    /// Ends the loop from any thread; never blocks. Workers answer the request they hold, then leave.
    func stop() {
        guard pool.withLock({ $0.stop() }) else { return }
        var one: UInt64 = 1
        if write(stopFD, &one, MemoryLayout<UInt64>.size) != MemoryLayout<UInt64>.size {
            // Only an overflowing counter fails (2^64 - 1 writes); the value stays readable anyway.
            logger.warning("stop eventfd write failed: \(String(cString: strerror(errno)))")
        }
    }

    private var session: OpaquePointer { OpaquePointer(bitPattern: sessionBits)! }

    /// Sleeps until the stop eventfd is written; a signal that interrupts the wait ends the loop when
    /// its handler marked the session exited.
    private func waitForStop() {
        var entry = pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)
        while true {
            let ready = poll(&entry, 1, -1)
            if ready > 0 { return }
            if ready < 0, errno != EINTR {
                logger.error("waiting for the FUSE loop's stop failed: \(String(cString: strerror(errno))); stopping")
                return stop()
            }
            if fuse_session_exited(session) != 0 { stop() }
        }
    }

    private func startWorker() {
        let box = Unmanaged.passRetained(WorkerBox(self))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let loop = Unmanaged<WorkerBox>.fromOpaque(raw!).takeRetainedValue().loop
            loop.serve()
            return nil
        }, box.toOpaque())
        guard rc != 0 else { return }
        box.release()
        let nobodyServes = pool.withLock { pool in
            pool.startFailed()
            return pool.workers == 0
        }
        if nobodyServes {
            fail(-rc, "starting the first FUSE worker thread")
        } else {
            logger.warning("cannot start a FUSE worker thread: \(String(cString: strerror(rc))); serving with fewer")
        }
    }

    /// One worker: waits, then reads and answers requests until the device is empty; leaves once the
    /// loop stops. Termination signals are blocked here (as libfuse's workers do): they belong to the
    /// thread that runs the loop or to the process's signal thread.
    private func serve() {
        // Registered by the thread itself, before it can leave: `run()` reads the list only after
        // the last worker left, so it joins every thread that ever started.
        threads.withLock { $0.started.append(pthread_self()) }
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT] { sigaddset(&mask, signal) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)

        var buffer = fuse_buf()
        let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        defer {
            if epoll >= 0 { close(epoll) }
            free(buffer.mem)
            pool.withLock { $0.workerLeft() }
        }
        guard epoll >= 0 else { return fail(-errno, "epoll_create1") }
        var added = cfuse_epoll_add(epoll, deviceFD, 1)
        if added == 0 { added = cfuse_epoll_add(epoll, stopFD, 0) }
        guard added == 0 else { return fail(added, "epoll_ctl") }

        while true {
            let ready = cfuse_epoll_wait(epoll, deviceFD, stopFD)
            if ready == -EINTR {
                if fuse_session_exited(session) != 0 { return stop() }
                continue
            }
            guard ready >= 0 else { return fail(ready, "epoll_wait") }
            if ready & CFUSE_STOP_READY != 0 { return }
            if ready & CFUSE_DEVICE_READY != 0, !readUntilEmpty(&buffer) { return }
        }
    }

    /// Reads and answers requests until the device has none; false when the worker must leave.
    private func readUntilEmpty(_ buffer: inout fuse_buf) -> Bool {
        while true {
            let received = fuse_session_receive_buf(session, &buffer)
            if received == -EAGAIN { return !pool.peek { $0.isStopping } }
            if received == -EINTR { continue }
            if received == 0 {
                // ENODEV: unmounted, or the connection was aborted; libfuse marked the session exited.
                stop()
                return false
            }
            if received < 0 {
                fail(received, "reading /dev/fuse")
                return false
            }
            if pool.withLock({ $0.tookRequest() }) == .startWorker { startWorker() }
            fuse_session_process_buf(session, &buffer)
            pool.withLock { $0.finishedRequest() }
            if fuse_session_exited(session) != 0 {
                stop()
                return false
            }
        }
    }

    /// Records the first error, ends the session and the loop.
    private func fail(_ negativeErrno: Int32, _ step: String) {
        logger.error("FUSE worker: \(step) failed: \(String(cString: strerror(-negativeErrno)))")
        threads.withLock { if $0.failure == 0 { $0.failure = negativeErrno } }
        fuse_session_exit(session)
        stop()
    }
}

/// Carries the loop into the C thread entry point.
private final class WorkerBox: Sendable {
    let loop: FuseWorkerLoop
    init(_ loop: FuseWorkerLoop) { self.loop = loop }
}
