import CFuseShim
import Glibc
import Synchronization

/// The live `struct fuse_session *` shared between the session owner, the kernel notifier and
/// `requestExit`, which may run on any thread.
///
/// Invariant: the pointer is attached after `fuse_session_new` and detached (under the same lock)
/// before `fuse_session_unmount` closes the device fd, so no notification ever uses a closed or
/// reused descriptor or a destroyed session.
final class FuseSessionControl: Sendable {
    private struct State {
        /// `struct fuse_session *` as bits (OpaquePointer is not Sendable); 0 when detached.
        var sessionBits: UInt = 0
        var loopThread: pthread_t?
    }

    private let state = Mutex(State())

    func attach(_ session: OpaquePointer) {
        state.withLock { $0.sessionBits = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session))) }
    }

    func detach() {
        state.withLock { $0.sessionBits = 0 }
    }

    func setLoopThread(_ thread: pthread_t?) {
        state.withLock { $0.loopThread = thread }
    }

    /// Runs `body` with the attached session while holding the lock, or returns nil when detached.
    func withAttachedSession<T>(_ body: (OpaquePointer) -> T) -> T? {
        state.withLock { state in
            guard let session = OpaquePointer(bitPattern: state.sessionBits) else { return nil }
            return body(session)
        }
    }

    /// Marks the session as exiting and wakes the loop: the loop thread waits in sem_wait, which a
    /// signal interrupts; SIGHUP runs libfuse's exit handler (installed by fuse_set_signal_handlers).
    func requestExit() {
        state.withLock { state in
            guard let session = OpaquePointer(bitPattern: state.sessionBits) else { return }
            fuse_session_exit(session)
            if let thread = state.loopThread, Self.hasSignalHandler(SIGHUP) {
                pthread_kill(thread, SIGHUP)
            }
        }
    }

    private static func hasSignalHandler(_ signal: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return false }
        let handler = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
        return handler != unsafeBitCast(SIG_DFL, to: Int.self) && handler != unsafeBitCast(SIG_IGN, to: Int.self)
    }
}
