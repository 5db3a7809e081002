@testable import FuseBridge
import Testing

/// The worker loop's counting, without threads: when a worker starts, and when the loop may end.
@Suite struct FuseWorkerPoolTests {
    @Test func beginsWithOneIdleWorkerOnce() {
        var pool = FuseWorkerPool(limit: 4)
        let action1 = pool.begin()
        #expect(action1 == .startWorker)
        #expect(pool == .serving(workers: 1, idle: 1, limit: 4))
        let action2 = pool.begin()
        #expect(action2 == .none)
    }

    /// Like libfuse's loop: the last idle worker taking a request starts another, so a slow request
    /// never leaves the device without a reader, up to the limit.
    @Test func theLastIdleWorkerTakingARequestStartsAnotherUpToTheLimit() {
        var pool = FuseWorkerPool(limit: 2)
        _ = pool.begin()
        let action3 = pool.tookRequest()
        #expect(action3 == .startWorker)
        #expect(pool == .serving(workers: 2, idle: 1, limit: 2))
        let action4 = pool.tookRequest()
        #expect(action4 == .none, "at the limit")
        #expect(pool == .serving(workers: 2, idle: 0, limit: 2))
        pool.finishedRequest()
        pool.finishedRequest()
        #expect(pool == .serving(workers: 2, idle: 2, limit: 2))
        let action5 = pool.tookRequest()
        #expect(action5 == .none, "another worker is still idle")
    }

    @Test func idleNeverExceedsWorkers() {
        var pool = FuseWorkerPool(limit: 3)
        _ = pool.begin()
        pool.finishedRequest()
        #expect(pool == .serving(workers: 1, idle: 1, limit: 3))
    }

    @Test func finishesOnlyWhenStoppedAndEveryWorkerLeft() {
        var pool = FuseWorkerPool(limit: 8)
        _ = pool.begin()
        _ = pool.tookRequest()
        #expect(!pool.isFinished)
        let action6 = pool.stop()
        #expect(action6)
        let stoppedAgain = pool.stop()
        #expect(!stoppedAgain, "the second stop wakes nobody again")
        #expect(pool.isStopping)
        let action7 = pool.tookRequest()
        #expect(action7 == .none, "no worker starts once stopping")
        pool.workerLeft()
        #expect(!pool.isFinished)
        pool.workerLeft()
        #expect(pool.isFinished)
    }

    @Test func aWorkerWhoseThreadWasRefusedIsTakenBack() {
        var pool = FuseWorkerPool(limit: 8)
        _ = pool.begin()
        let action8 = pool.tookRequest()
        #expect(action8 == .startWorker)
        pool.startFailed()
        #expect(pool == .serving(workers: 1, idle: 0, limit: 8))
        #expect(pool.workers == 1)
        pool.finishedRequest()
        let action9 = pool.stop()
        #expect(action9)
        pool.workerLeft()
        #expect(pool.isFinished)
    }

    /// When even the first thread is refused, nobody would ever read the device: the loop sees
    /// zero workers and fails instead of waiting forever.
    @Test func aRefusedFirstWorkerLeavesNone() {
        var pool = FuseWorkerPool(limit: 8)
        _ = pool.begin()
        pool.startFailed()
        #expect(pool.workers == 0)
        let stopped = pool.stop()
        #expect(stopped)
        #expect(pool.isFinished)
    }

    @Test func aZeroLimitStillServesWithOneWorker() {
        var pool = FuseWorkerPool(limit: 0)
        let action10 = pool.begin()
        #expect(action10 == .startWorker)
        let action11 = pool.tookRequest()
        #expect(action11 == .none)
    }
}
