import FastIO
@testable import FastIOFS
import Foundation
import Synchronization
import Testing

/// The fetch pool runs the parts a read waits for before queued read-ahead.
@Suite struct FetchThreadPoolTests {
    @Test func urgentJobsStartBeforeQueuedOrdinaryOnes() {
        let pool = FetchThreadPool(maxThreads: 1)
        defer { pool.shutdown() }
        let blocker = DispatchSemaphore(value: 0)
        let running = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let order = Locked<[String]>([])
        pool.submit { running.signal(); blocker.wait() }  // occupies the only thread
        running.wait()
        for name in ["read-ahead 1", "read-ahead 2"] {
            pool.submit { order.withLock { $0.append(name) }; finished.signal() }
        }
        for name in ["demand 1", "demand 2"] {
            pool.submit(urgent: true) { order.withLock { $0.append(name) }; finished.signal() }
        }
        blocker.signal()
        for _ in 0..<4 { #expect(finished.wait(timeout: .now() + 10) == .success) }
        #expect(order.withLock { $0 } == ["demand 1", "demand 2", "read-ahead 1", "read-ahead 2"])
    }

    /// A finished job's closure holds its part (buffer and budget reservation): it must go as soon as
    /// the job has run, even while the queue never drains.
    @Test func aFinishedJobIsReleasedWhileOthersAreStillQueued() {
        final class Payload: Sendable {
            let freed: DispatchSemaphore
            init(freed: DispatchSemaphore) { self.freed = freed }
            deinit { freed.signal() }
        }
        let pool = FetchThreadPool(maxThreads: 1)
        defer { pool.shutdown() }
        let first = DispatchSemaphore(value: 0), second = DispatchSemaphore(value: 0)
        let secondRunning = DispatchSemaphore(value: 0), freed = DispatchSemaphore(value: 0)
        pool.submit { first.wait() }
        do {
            let payload = Payload(freed: freed)
            pool.submit { _ = payload }
        }
        pool.submit { secondRunning.signal(); second.wait() }
        pool.submit {}  // still queued while the second blocker runs
        first.signal()
        #expect(secondRunning.wait(timeout: .now() + 10) == .success)
        #expect(freed.wait(timeout: .now() + 5) == .success, "the finished job's closure was kept")
        second.signal()
    }

    @Test func jobsQueuedAtShutdownNeverRun() {
        let pool = FetchThreadPool(maxThreads: 1)
        let blocker = DispatchSemaphore(value: 0)
        let running = DispatchSemaphore(value: 0)
        let ran = Atomic(0)
        pool.submit { running.signal(); blocker.wait() }
        running.wait()
        pool.submit(urgent: true) { ran.add(1, ordering: .relaxed) }
        pool.submit { ran.add(1, ordering: .relaxed) }
        pool.shutdown()
        blocker.signal()
        pool.submit { ran.add(1, ordering: .relaxed) }
        usleep(100_000)
        #expect(ran.load(ordering: .relaxed) == 0)
    }
}
