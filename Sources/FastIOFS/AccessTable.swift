import FastIO
import Foundation
import Logging

/// The mounting user's rights in each mounted profile, learned from the server on first need and
/// learned again after the profile's membership changed (`member:`/`members` activity).
///
/// Invariants: a profile's rights cost one request per learning (none when the resolver already
/// had them), never sent under the lock, and one learning per profile at a time (meanwhile the last
/// answer, or `unrestricted`, stands); an answer is trusted for `lifetime` seconds (rights also change
/// through share settings, which no `member:` key announces); a failed learning counts as
/// `ProfileAccess.unrestricted` (the server decides, as it always does) for `retryAfter` seconds and is
/// logged; `forget` makes the next use ask again, also when a learning was running (its answer may
/// predate the change). The caller's id is learned once per mount.
final class AccessTable: Sendable {
    /// How the rights of a profile are fetched: (profile index, caller id) -> rights.
    typealias Learn = @Sendable (_ profile: Int, _ callerID: @Sendable () throws -> String) throws -> ProfileAccess

    private struct Learned {
        let access: ProfileAccess
        /// Monotonic time after which it is asked again.
        let dueAt: Double
    }

    private struct State {
        var rights: [Learned?]
        /// Profiles being learned now.
        var learning: Set<Int> = []
        /// Bumped by `forget`: a learning that started before answers for an older membership.
        var generations: [Int]
        var callerID: String?
        /// Monotonic time before which a failed caller lookup is not repeated.
        var callerRetryAt: Double?
    }

    private let state: Locked<State>
    private let learn: Learn
    private let whoAmI: @Sendable () throws -> String
    private let retryAfter: Double
    private let lifetime: Double
    private let logger: Logger

    init(profileCount: Int, known: [Int: ProfileAccess], retryAfter: Double = 60, lifetime: Double = 600,
         logger: Logger, whoAmI: @escaping @Sendable () throws -> String, learn: @escaping Learn) {
        var rights = [Learned?](repeating: nil, count: profileCount)
        let now = MonotonicClock.now()
        for (index, access) in known where rights.indices.contains(index) {
            rights[index] = Learned(access: access, dueAt: now + lifetime)
        }
        state = Locked(State(rights: rights, generations: [Int](repeating: 0, count: profileCount),
                            callerID: nil, callerRetryAt: nil))
        self.learn = learn
        self.whoAmI = whoAmI
        self.retryAfter = retryAfter
        self.lifetime = lifetime
        self.logger = logger
    }

    /// The rights in profile `index` (unrestricted for an index out of range), learned now when due.
    func rights(_ index: Int) -> ProfileAccess {
        let now = MonotonicClock.now()
        enum Cached { case current(ProfileAccess), learn(generation: Int) }
        let cached: Cached = state.withLock { state in
            guard state.rights.indices.contains(index) else { return .current(.unrestricted) }
            if let known = state.rights[index], now < known.dueAt { return .current(known.access) }
            if state.learning.contains(index) { return .current(state.rights[index]?.access ?? .unrestricted) }
            state.learning.insert(index)
            return .learn(generation: state.generations[index])
        }
        guard case .learn(let generation) = cached else {
            if case .current(let access) = cached { return access }
            return .unrestricted
        }
        let learned: Learned
        do {
            let access = try learn(index) { [self] in try callerID() }
            learned = Learned(access: access, dueAt: now + lifetime)
            logger.info("rights learned", metadata: ["profile": "\(index)", "rights": "\(access)"])
        } catch {
            logger.warning("could not learn the rights of a mounted profile; the server decides each change",
                           metadata: ["profile": "\(index)", "error": "\(error)"])
            learned = Learned(access: .unrestricted, dueAt: now + retryAfter)
        }
        state.withLock { state in
            state.learning.remove(index)
            let current = state.generations[index] == generation
            state.rights[index] = current ? learned : Learned(access: learned.access, dueAt: now)
        }
        return learned.access
    }

    /// The rights last learned for profile `index`, without asking (nil: none yet).
    func known(_ index: Int) -> ProfileAccess? {
        state.withLock { state in state.rights.indices.contains(index) ? state.rights[index]?.access : nil }
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
            state.generations[index] += 1
        }
    }

    private func callerID() throws -> String {
        if let known = state.withLock({ $0.callerID }) { return known }
        let id = try whoAmI()
        state.withLock { $0.callerID = id }
        return id
    }
}
