import CFuseShim
import FastIOFS
import Foundation
import Glibc
import Logging

/// The live `struct fuse_session *` shared between the session owner, the kernel notifier and
/// `requestExit`, which may run on any thread.
///
/// Invariants:
/// - no kernel notification runs under this type's lock: a notification registers itself (under the
///   lock) and then runs with no lock held, because one can block in the kernel for as long as a
///   read it waits for (an `inval_inode` waits for the page locks of reads in flight), and teardown
///   and `requestExit` must never wait for it behind a lock;
/// - once `requestExit` or `detach` was called no notification starts;
/// - the FUSE loop is told to exit only after the notifications running at `requestExit` ended (or
///   `drainLimit` passed): the loop keeps serving meanwhile, so the reads they wait for are answered
///   (a loop stopped under a blocked notification would leave it blocked for good, and the device
///   could not be released);
/// - the pointer is detached, after the running notifications ended, before `fuse_session_unmount`
///   closes the device fd: no notification ever uses a closed or reused descriptor or a destroyed session.
final class FuseSessionControl: Sendable {
    private struct State {
        /// `struct fuse_session *` as bits (OpaquePointer is not Sendable); 0 when detached.
        var sessionBits: UInt = 0
        var loop: FuseWorkerLoop?
        /// No notification starts any more (the session is ending).
        var closing = false
        /// Notifications running now, each with no lock held.
        var running = 0
        var exitRequested = false
    }

    /// How long an exit waits for running notifications before stopping the loop anyway.
    static let drainLimit: TimeInterval = 20

    private let state = ConditionLocked(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func attach(_ session: OpaquePointer) {
        state.withLock { $0.sessionBits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session))) }
    }

    /// Stops new notifications and waits for the running ones, then forgets the session. Called after
    /// the loop ended, before the device is closed.
    func detach() {
        state.withLock { $0.closing = true }
        waitForNotifications(beforeGoingOn: "unmounting", orForever: true)
        state.withLock { $0.sessionBits = 0 }
    }

    func setLoop(_ loop: FuseWorkerLoop?) {
        state.withLock { $0.loop = loop }
    }

    /// Runs `body` with the attached session, with no lock held, or returns nil when the session is
    /// detached or ending.
    func withAttachedSession<T>(_ body: (OpaquePointer) -> T) -> T? {
        let session = state.withLock { state -> OpaquePointer? in
            guard !state.closing, let session = OpaquePointer(bitPattern: state.sessionBits) else { return nil }
            state.running += 1
            return session
        }
        guard let session else { return nil }
        defer { state.withLock { $0.running -= 1 } }
        return body(session)
    }

    /// Ends the loop without blocking the caller: no notification starts any more, and the loop is
    /// told to exit once the running ones ended (at once when none runs; otherwise from a thread of
    /// its own, so the loop serves the reads they wait for meanwhile).
    func requestExit() {
        let running = state.withLock { state -> Int? in
            guard state.sessionBits != 0, !state.exitRequested else { return nil }
            state.exitRequested = true
            state.closing = true
            return state.running
        }
        guard let running else { return }
        if running == 0 { return exitLoop() }
        let thread = Thread { [self] in
            waitForNotifications(beforeGoingOn: "stopping the FUSE loop", orForever: false)
            exitLoop()
        }
        thread.name = "fastiofs-exit"
        thread.start()
    }

    /// Waits until no notification runs, at most `drainLimit` unless `forever` (a step that cannot
    /// safely go on while one runs); a longer wait is logged.
    private func waitForNotifications(beforeGoingOn step: String, orForever forever: Bool) {
        let drained = state.wait(until: Date().addingTimeInterval(Self.drainLimit)) { $0.running == 0 ? true : nil }
        guard drained == nil else { return }
        let running = state.peek { $0.running }
        if forever {
            logger.error("\(running) kernel notification(s) still blocked after \(Int(Self.drainLimit)) s; \(step) waits for them")
            _ = state.wait { $0.running == 0 ? true : nil }
        } else {
            logger.error("\(running) kernel notification(s) still blocked after \(Int(Self.drainLimit)) s; \(step) anyway")
        }
    }

    /// Marks the session as exiting and stops the loop (its workers answer what they hold, then leave).
    private func exitLoop() {
        let loop = state.withLock { state -> FuseWorkerLoop? in
            guard let session = OpaquePointer(bitPattern: state.sessionBits) else { return nil }
            fuse_session_exit(session)
            return state.loop
        }
        loop?.stop()
    }
}
