import Glibc

/// A value reached only under a pthread mutex: the project's one lock type for state shared between
/// threads (a drop-in for `Synchronization.Mutex`, whose futex-based lock ThreadSanitizer cannot see,
/// so every access under it read as a race; pthread mutexes are intercepted, so `scripts/tsan.sh`
/// reports only real races).
///
/// Invariant: `value` is read or written only inside `withLock`, with `mutex` held; the lock is
/// never held across a call that may block on the network or the disk. (The client's `FastIO.Locked`
/// is the same type: the emulator shares no code with the client.)
final class Locked<Value>: @unchecked Sendable {  // unchecked: `value` is touched only under `mutex`
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, the lock held; not reentrant (a nested call on the same lock deadlocks).
    @inline(__always)
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
