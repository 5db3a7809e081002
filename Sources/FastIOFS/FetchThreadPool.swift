import Foundation

/// A small pool of plain threads running blocking jobs (range requests) in FIFO order.
///
/// Invariants: at most `maxThreads` threads, started on demand; jobs never run on Swift's cooperative
/// pool; after `shutdown()` queued jobs are dropped, no new job runs and the threads exit.
final class FetchThreadPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void
    let maxThreads: Int
    // All mutable state below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var head = 0
    private var threads = 0
    private var idle = 0
    private var stopped = false

    init(maxThreads: Int) { self.maxThreads = max(1, maxThreads) }

    func submit(_ job: @escaping Job) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopped else { return }
        queue.append(job)
        if queue.count - head > idle && threads < maxThreads {
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
        queue.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            while head == queue.count && !stopped {
                idle += 1
                condition.wait()
                idle -= 1
            }
            if stopped { break }
            let job = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job()
            condition.lock()
        }
        threads -= 1
        condition.unlock()
    }
}
