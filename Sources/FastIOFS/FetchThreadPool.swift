import Foundation

/// A small pool of plain threads running blocking jobs (range requests): urgent jobs (bytes a read
/// is waiting for) before the others, each kind in FIFO order.
///
/// Invariants: at most `maxThreads` threads, started on demand; jobs never run on Swift's cooperative
/// pool; a queued urgent job starts before any queued ordinary one; after `shutdown()` queued jobs are
/// dropped, no new job runs and the threads exit.
final class FetchThreadPool: @unchecked Sendable {  // unchecked: every var is guarded by `condition`
    typealias Job = @Sendable () -> Void
    let maxThreads: Int
    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var urgent = JobQueue()
    private var ordinary = JobQueue()
    private var threads = 0
    private var idle = 0
    private var stopped = false

    init(maxThreads: Int) { self.maxThreads = max(1, maxThreads) }

    func submit(urgent isUrgent: Bool = false, _ job: @escaping Job) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return }
        if isUrgent { urgent.append(job) } else { ordinary.append(job) }
        if urgent.count + ordinary.count > idle && threads < maxThreads {
            threads += 1
            let thread = Thread { [self] in run() }
            thread.name = "fastiofs-fetch"
            thread.start()
        }
        condition.signal()
    }

    func shutdown() {
        condition.lock()
        stopped = true
        urgent = JobQueue()
        ordinary = JobQueue()
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while urgent.count + ordinary.count == 0 && !stopped {
                idle += 1
                condition.wait()
                idle -= 1
            }
            if stopped { break }
            let job = (urgent.popFirst() ?? ordinary.popFirst())!
            condition.unlock()
            job()
            condition.lock()
        }
        threads -= 1
        condition.unlock()
    }
}

/// A FIFO of jobs: an array read from `head`. A taken job's slot is cleared at once (a finished
/// job's closure holds its part, and with it the part's buffer and budget reservation), and the
/// taken slots are dropped once they are half the array, so a queue that never drains stays bounded.
private struct JobQueue {
    private var jobs: [FetchThreadPool.Job?] = []
    private var head = 0

    var count: Int { jobs.count - head }

    mutating func append(_ job: @escaping FetchThreadPool.Job) { jobs.append(job) }

    mutating func popFirst() -> FetchThreadPool.Job? {
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        jobs[head] = nil
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64 && head * 2 >= jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return job
    }
}
