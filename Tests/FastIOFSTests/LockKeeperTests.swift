import FastIO
@testable import FastIOFS
import Foundation
import Logging
import Testing

/// The lock keeper's rounds with an injected clock and a scripted server (no thread, no wait).
@Suite struct LockKeeperTests {
    final class ManualClock: WriteClock {
        let value = Locked(0.0)
        func now() -> Double { value.withLock { $0 } }
        func set(_ seconds: Double) { value.withLock { $0 = seconds } }
    }

    final class ScriptedServer: Sendable {
        struct State {
            var heartbeats: [String] = []
            var acquires = 0
            var releases: [String] = []
            var failHeartbeat = false
            var version = "v1"
        }
        let state = Locked(State())

        var server: LockKeeper.Server {
            LockKeeper.Server(
                heartbeat: { [self] _, _, grant in
                    try state.withLock { state in
                        state.heartbeats.append(grant.lockToken)
                        if state.failHeartbeat { throw FSError(ENOENT, detail: "lock expired") }
                    }
                    return nil
                },
                acquire: { [self] _, _ in
                    state.withLock { state in
                        state.acquires += 1
                        return LockGrant(lockToken: "again\(state.acquires)", expiresAt: nil)
                    }
                },
                version: { [self] _, _ in state.withLock { $0.version } },
                release: { [self] _, _, grant in state.withLock { $0.releases.append(grant.lockToken) } },
                perform: { [self] _, effects in
                    for case .releaseLock(let grant, _) in effects {
                        state.withLock { $0.releases.append(grant.lockToken) }
                    }
                })
        }
    }

    func spoolFile(lockedAt now: Double) throws -> SpoolFile {
        let base = NSTemporaryDirectory() + "fastiofs-keeper-" + UUID().uuidString
        var machine = SpoolFileMachine.existing(key: "k", remoteID: "2node", address: ServerAddress(folderID: "root", name: "f"),
                                                size: 1, mtime: FSTime(seconds: 0), version: "v1")
        _ = machine.attach(.writer)
        _ = machine.beginLockAcquire()
        let timing = SpoolFileMachine.LockTiming(expiresAt: nil, wallNow: Date())
        _ = machine.lockAcquired(LockGrant(lockToken: "first", expiresAt: nil), timing: timing, now: now, draining: false)
        return SpoolFile(machine: machine, profileIndex: 0, profile: StorageProfile(kind: .workspace, id: "1"),
                         spool: try SpoolDirectory(path: base + "/data"), journal: try WriteJournal(directory: base + "/journal"))
    }

    @Test func heartbeatsComeAtHalfTheLockDurationAndNotBefore() throws {
        let clock = ManualClock()
        let script = ScriptedServer()
        let keeper = LockKeeper(clock: clock, logger: testLogger, server: script.server)
        let file = try spoolFile(lockedAt: 0)
        keeper.track(file)
        clock.set(59)
        #expect(keeper.keepDueLocks([file], now: 59) == 60)
        #expect(script.state.withLock { $0.heartbeats }.isEmpty)
        clock.set(60)
        #expect(keeper.keepDueLocks([file], now: 60) == 120)
        #expect(script.state.withLock { $0.heartbeats } == ["first"])
    }

    @Test func aLostLockIsTakenAgainAndNoLongerLostWhenNobodyChangedTheFile() throws {
        let clock = ManualClock()
        let script = ScriptedServer()
        script.state.withLock { $0.failHeartbeat = true }
        let keeper = LockKeeper(clock: clock, logger: testLogger, server: script.server)
        let file = try spoolFile(lockedAt: 0)
        clock.set(60)
        keeper.keepDueLocks([file], now: 60)
        guard case .held(let grant, let due, _) = file.machine.lock else {
            Issue.record("not held again: \(file.machine.lock)")
            return
        }
        #expect(grant.lockToken == "again1" && due == 120)
        #expect(script.state.withLock { $0.releases }.isEmpty)
    }

    @Test func aLostLockIsGivenBackWhenSomeoneElseChangedTheFile() throws {
        let clock = ManualClock()
        let script = ScriptedServer()
        script.state.withLock { $0.failHeartbeat = true; $0.version = "v2" }
        let keeper = LockKeeper(clock: clock, logger: testLogger, server: script.server)
        let file = try spoolFile(lockedAt: 0)
        clock.set(60)
        keeper.keepDueLocks([file], now: 60)
        #expect(file.machine.lock == .lost)
        #expect(script.state.withLock { $0.releases } == ["again1"])
    }
}
