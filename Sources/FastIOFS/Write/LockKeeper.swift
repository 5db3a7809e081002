import FastIO
import Foundation
import Logging

/// Keeps the server locks of files open for writing: one thread heartbeats each held lock at half
/// its duration and tries to take a lost one again (held again only when the server's version is
/// still ours). Network calls run with no lock held, one file at a time, so a file that is slow
/// to fetch or sync never delays another file's heartbeat.
///
/// Invariants: a file is tracked from its lock being granted until it is released (untracked files
/// are skipped at their turn; the keeper's lock is taken before a file's, never after); the thread sleeps on the keeper's condition until the earliest due
/// time or a change, and exits after `stop`.
final class LockKeeper: Sendable {
    /// The server side of the keeper's work (the coordinator's client and profile mapping).
    struct Server: Sendable {
        /// Renews the lock; answers its new expiry (nil: not said).
        let heartbeat: @Sendable (SpoolFile, _ nodeID: String, LockGrant) throws -> Date?
        let acquire: @Sendable (SpoolFile, _ nodeID: String) throws -> LockGrant
        let version: @Sendable (SpoolFile, _ nodeID: String) throws -> String?
        /// Gives a grant back (only while the file's lock is `.lost`, so no acquire of it runs).
        let release: @Sendable (SpoolFile, _ nodeID: String, LockGrant) -> Void
        /// Performs the effects a lock transition asked for (the coordinator's driver).
        let perform: @Sendable (SpoolFile, [SpoolEffect]) -> Void
    }

    private struct State: Sendable {
        var files: [ObjectIdentifier: SpoolFile] = [:]
        var stopping = false
        var running = false
        var changes: UInt64 = 0
    }

    let clock: any WriteClock
    let logger: Logger
    private let server: Server
    private let state = ConditionLocked(State())

    init(clock: any WriteClock, logger: Logger, server: Server) {
        self.clock = clock
        self.logger = logger
        self.server = server
    }

    func track(_ file: SpoolFile) {
        state.withLock { state in
            state.files[ObjectIdentifier(file)] = file
            state.changes += 1
        }
    }

    func untrack(_ file: SpoolFile) {
        state.withLock { state in
            state.files[ObjectIdentifier(file)] = nil
            state.changes += 1
        }
    }

    /// Untracks `file` unless its lock needs the keeper (checked under the keeper's lock, then the
    /// file's: a lock granted meanwhile is not dropped from the keeper's care).
    private func untrackIfUnlocked(_ file: SpoolFile, now: Double) {
        state.withLock { state in
            let machine = file.machine
            guard machine.lockAttention(now: now) == nil, machine.lock != .acquiring else { return }
            state.files[ObjectIdentifier(file)] = nil
        }
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "fastiofs-locks"
        thread.stackSize = 1 << 20
        state.withLock { $0.running = true }
        thread.start()
    }

    /// Stops the thread and waits (at most `timeout` seconds) until it has exited.
    func stop(timeout: Double = 5) {
        state.withLock { state in
            state.stopping = true
            state.changes += 1
        }
        _ = state.wait(until: Date(timeIntervalSinceNow: timeout)) { $0.running ? nil : true }
    }

    private func run() {
        while true {
            let (files, seen, stopping) = state.peek { state in (Array(state.files.values), state.changes, state.stopping) }
            if stopping { break }
            let next = keepDueLocks(files, now: clock.now())
            let seconds = min(5, max(0.01, (next ?? (clock.now() + 5)) - clock.now()))
            _ = state.wait(until: Date(timeIntervalSinceNow: seconds)) { state -> Bool? in
                state.changes != seen || state.stopping ? true : nil
            }
        }
        state.withLock { $0.running = false }
    }

    /// One round: heartbeats what is due, retakes what was lost; answers the next due time. Also
    /// called directly by tests.
    @discardableResult
    func keepDueLocks(_ files: [SpoolFile], now: Double) -> Double? {
        var next: Double?
        for file in files {
            let machine = file.machine
            guard let remoteID = machine.remoteID, let attention = machine.lockAttention(now: now) else {
                untrackIfUnlocked(file, now: now)
                continue
            }
            if machine.lockLapsed(wallNow: Date()) {
                logger.warning("a lock lapsed before it was renewed (the mount was stopped or asleep); checking the file",
                               metadata: ["name": "\(machine.address.name)"])
                file.mutate { $0.lockLapsed() }
                relock(file, remoteID: remoteID)
                if let after = file.machine.lockAttention(now: clock.now()) { next = min(next ?? after, after) }
                continue
            }
            guard attention <= now else {
                next = min(next ?? attention, attention)
                continue
            }
            switch machine.lock {
            case .held(let grant, _, _): heartbeat(file, remoteID: remoteID, grant: grant)
            case .lost: relock(file, remoteID: remoteID)
            case .none, .acquiring, .releasing: break
            }
            if let after = file.machine.lockAttention(now: clock.now()) { next = min(next ?? after, after) }
        }
        return next
    }

    private func heartbeat(_ file: SpoolFile, remoteID: String, grant: LockGrant) {
        var succeeded = true
        var expiry: Date?
        do {
            expiry = try server.heartbeat(file, remoteID, grant)
        } catch {
            succeeded = false
            logger.warning("lost the lock of a file being written; taking it again",
                           metadata: ["name": "\(file.machine.address.name)", "error": "\(error)"])
        }
        let now = clock.now()
        let timing = SpoolFileMachine.LockTiming(expiresAt: expiry, wallNow: Date())
        file.mutate { $0.heartbeat(grant, succeeded: succeeded, timing: timing, now: now) }
        if !succeeded { relock(file, remoteID: remoteID) }
    }

    /// Takes a lost lock again; held again only while the server still has the version our content
    /// is based on (otherwise the upload makes a conflict copy, and the grant goes back).
    private func relock(_ file: SpoolFile, remoteID: String) {
        var grant: LockGrant?
        var version: String?
        do {
            let taken = try server.acquire(file, remoteID)
            grant = taken
            version = try server.version(file, remoteID)
        } catch {
            logger.debug("cannot take a lost lock again yet", metadata: ["name": "\(file.machine.address.name)",
                                                                       "error": "\(error)"])
            if let taken = grant {
                server.release(file, remoteID, taken)
                grant = nil
            }
        }
        let now = clock.now()
        let timing = SpoolFileMachine.LockTiming(expiresAt: grant?.expiresAt, wallNow: Date())
        let effects = file.mutate { $0.relocked(grant, serverVersion: version, timing: timing, now: now) }
        if grant != nil, version != nil, file.machine.lock == .lost {
            logger.warning("the file changed on the server while our lock was lost; the upload keeps both",
                           metadata: ["name": "\(file.machine.address.name)"])
        }
        server.perform(file, effects)
    }
}
