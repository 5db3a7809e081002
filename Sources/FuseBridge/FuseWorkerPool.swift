/// The FUSE loop's workers as counts: how many exist, how many wait for a request, and when one more
/// must start. Pure: `FuseWorkerLoop` drives it under its lock and carries out the actions.
///
/// Invariants: while serving, `0 <= idle <= workers <= limit`, and a worker starts only when the one
/// that just took a request was the last idle one (as libfuse's own loop: a slow request never
/// leaves the queue without a reader while the limit allows another); once stopping, none starts and
/// the pool is finished when the last worker left.
enum FuseWorkerPool: Equatable, Sendable {
    case serving(workers: Int, idle: Int, limit: Int)
    case stopping(workers: Int)

    enum Action: Equatable, Sendable {
        case none
        case startWorker
    }

    /// A pool that has started nothing yet; `begin()` starts its first worker.
    init(limit: Int) {
        self = .serving(workers: 0, idle: 0, limit: max(1, limit))
    }

    /// The loop begins with one worker.
    mutating func begin() -> Action {
        guard case .serving(0, 0, let limit) = self else { return .none }
        self = .serving(workers: 1, idle: 1, limit: limit)
        return .startWorker
    }

    /// A worker received a request and is busy until `finishedRequest()`.
    mutating func tookRequest() -> Action {
        guard case .serving(let workers, let idle, let limit) = self else { return .none }
        let stillIdle = max(0, idle - 1)
        if stillIdle == 0, workers < limit {
            self = .serving(workers: workers + 1, idle: 1, limit: limit)
            return .startWorker
        }
        self = .serving(workers: workers, idle: stillIdle, limit: limit)
        return .none
    }

    /// A worker answered its request and waits again.
    mutating func finishedRequest() {
        guard case .serving(let workers, let idle, let limit) = self else { return }
        self = .serving(workers: workers, idle: min(workers, idle + 1), limit: limit)
    }

    /// No worker starts any more; true the first time (the caller then wakes the waiting workers).
    mutating func stop() -> Bool {
        guard case .serving(let workers, _, _) = self else { return false }
        self = .stopping(workers: workers)
        return true
    }

    /// A worker that could not be started (its thread was refused) is taken back.
    mutating func startFailed() {
        switch self {
        case .serving(let workers, let idle, let limit):
            self = .serving(workers: max(0, workers - 1), idle: max(0, idle - 1), limit: limit)
        case .stopping(let workers):
            self = .stopping(workers: max(0, workers - 1))
        }
    }

    /// A worker ended (only after `stop()`: a worker leaves only when the loop stops).
    mutating func workerLeft() {
        switch self {
        case .serving(let workers, let idle, let limit):
            self = .serving(workers: max(0, workers - 1), idle: max(0, min(idle, workers - 1)), limit: limit)
        case .stopping(let workers):
            self = .stopping(workers: max(0, workers - 1))
        }
    }

    /// Stopped, and every worker left: the loop may return and the session be torn down.
    var isFinished: Bool { self == .stopping(workers: 0) }

    /// Worker threads that exist (started and not yet left).
    var workers: Int {
        switch self {
        case .serving(let workers, _, _), .stopping(let workers): workers
        }
    }

    /// Whether the workers should leave.
    var isStopping: Bool {
        if case .stopping = self { return true }
        return false
    }
}
