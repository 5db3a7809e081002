import FastIO
import Foundation
import Glibc

/// Gives memory the allocator keeps after a burst (thousands of uploads through many threads leave
/// free chunks in many arenas) back to the system, at most once every `interval` seconds, when the
/// mount goes idle: a mount's RSS then follows what it holds, not the biggest burst so far.
///
/// Invariant: `malloc_trim` runs only from `trimIfDue`, never more often than `interval`.
final class MemoryTrim: Sendable {
    let interval: Double
    private let last = Locked<Double>(-.infinity)

    init(interval: Double = 10) { self.interval = interval }

    func trimIfDue(now: Double) {
        let due = last.withLock { last -> Bool in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
        if due, let trim = Self.mallocTrim { _ = trim(0) }
    }

    private typealias MallocTrim = @convention(c) (Int) -> Int32
    /// glibc's `malloc_trim` (not in Swift's Glibc module; looked up once, nil without glibc).
    private static let mallocTrim: MallocTrim? = {
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: MallocTrim.self)
    }()
}
