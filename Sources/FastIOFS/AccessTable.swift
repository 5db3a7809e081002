import Foundation
import Logging
import Synchronization

/// The mounting user's rights in each mounted profile, learned from the server on first need and
/// learned again after the profile's membership changed (`member:`/`members` activity).
///
/// Invariants: a profile's rights cost one request per learning (none when the resolver already
/// had them), never sent under the lock; a failed learning counts as `ProfileAccess.unrestricted` (the
/// server decides, as it always does) for `retryAfter` seconds and is logged; `forget` makes the next
/// use ask again. The caller's id is learned once per mount.
final class AccessTable: Sendable {
    /// How the rights of a profile are fetched: (profile index, caller id) -> rights.
    typealias Learn = @Sendable (_ profile: Int, _ callerID: @Sendable () throws -> String) throws -> ProfileAccess

    private struct Learned {
        let access: ProfileAccess
        /// Monotonic time after which a fallback is asked again; nil for an answer of the server.
        let retryAt: Double?
    }

    private struct State {
        var rights: [Learned?]
        var callerID: String?
        /// Monotonic time before which a failed caller lookup is not repeated.
        var callerRetryAt: Double?
    }

    private let state: Mutex<State>
    private let learn: Learn
    private let whoAmI: @Sendable () throws -> String
    private let retryAfter: Double
    private let logger: Logger

    init(profileCount: Int, known: [Int: ProfileAccess], retryAfter: Double = 60, logger: Logger,
         whoAmI: @escaping @Sendable () throws -> String, learn: @escaping Learn) {
        var rights = [Learned?](repeating: nil, count: profileCount)
        for (index, access) in known where rights.indices.contains(index) {
            rights[index] = Learned(access: access, retryAt: nil)
        }
        state = Mutex(State(rights: rights, callerID: nil, callerRetryAt: nil))
        self.learn = learn
        self.whoAmI = whoAmI
        self.retryAfter = retryAfter
        self.logger = logger
    }

    /// The rights in profile `index` (unrestricted for an index out of range).
    func rights(_ index: Int) -> ProfileAccess {
        let now = MonotonicClock.now()
        enum Cached { case outOfRange, current(ProfileAccess), due }
        let cached: Cached = state.withLock { state in
            guard state.rights.indices.contains(index) else { return .outOfRange }
            guard let known = state.rights[index], known.retryAt.map({ now < $0 }) ?? true else { return .due }
            return .current(known.access)
        }
        switch cached {
        case .outOfRange: return .unrestricted
        case .current(let access): return access
        case .due: break
        }
        let learned: Learned
        do {
            let access = try learn(index) { [self] in try callerID() }
            learned = Learned(access: access, retryAt: nil)
            logger.info("rights learned", metadata: ["profile": "\(index)", "rights": "\(access)"])
        } catch {
            logger.warning("could not learn the rights of a mounted profile; the server decides each change",
                           metadata: ["profile": "\(index)", "error": "\(error)"])
            learned = Learned(access: .unrestricted, retryAt: now + retryAfter)
        }
        state.withLock { $0.rights[index] = learned }
        return learned.access
    }

    /// The mounting user's id as a creator tag (`unknown` while it cannot be learned; asked again
    /// `retryAfter` seconds after a failure).
    func caller() -> CreatorTag {
        let now = MonotonicClock.now()
        let known: (id: String?, due: Bool) = state.withLock { state in
            (state.callerID, state.callerRetryAt.map { now >= $0 } ?? true)
        }
        if let id = known.id { return CreatorTag(id) }
        guard known.due else { return .unknown }
        do {
            return CreatorTag(try callerID())
        } catch {
            logger.warning("could not learn the mounting user's id", metadata: ["error": "\(error)"])
            state.withLock { $0.callerRetryAt = now + retryAfter }
            return .unknown
        }
    }

    /// Makes the next use of profile `index` ask the server again (its membership changed).
    func forget(_ index: Int) {
        state.withLock { state in
            guard state.rights.indices.contains(index) else { return }
            state.rights[index] = nil
        }
    }

    private func callerID() throws -> String {
        if let known = state.withLock({ $0.callerID }) { return known }
        let id = try whoAmI()
        state.withLock { $0.callerID = id }
        return id
    }
}
