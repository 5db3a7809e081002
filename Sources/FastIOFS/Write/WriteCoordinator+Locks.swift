import FastIO
import Foundation
import Logging

/// Server locks of files open for writing: taken before `open` returns, heartbeated at half their
/// duration by one keeper thread, released once the content is committed.
extension WriteCoordinator {
    func ensureLock(_ file: SpoolFile, remoteID: String) throws(FSError) {
        guard file.snapshotState().lock == nil else { return }
        let profile = profiles[file.profileIndex].profile
        do {
            let grant = try writer.acquireLock(profile, nodeID: remoteID, durationSeconds: Self.lockDuration,
                                               clientInfo: Self.clientInfo)
            file.state.withLock { state in
                state.lock = grant
                state.lockDue = MonotonicClock.now() + Double(Self.lockDuration) / 2
            }
        } catch {
            let failure = FSError.from(error)
            if failure.errno == EBUSY {
                logger.warning("cannot open for writing: the file is locked by another user",
                               metadata: ["name": "\(file.snapshotState().name)", "node": "\(remoteID)",
                                          "holder": "\(failure.detail ?? "another user")"])
            }
            throw failure
        }
    }

    /// Names this host and fastiofs' version in every lock we take.
    static let clientInfo: LockClientInfo = {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown host"
        return LockClientInfo(deviceName: host, clientVersion: "fastiofs \(FastIOFSVersion.current)")
    }()

    func releaseLock(_ file: SpoolFile) {
        let (grant, remoteID) = file.state.withLock { state -> (LockGrant?, String?) in
            defer { state.lock = nil }
            return (state.lock, state.remoteID)
        }
        guard let grant, let remoteID else { return }
        do {
            try writer.releaseLock(profiles[file.profileIndex].profile, nodeID: remoteID, lockToken: grant.lockToken)
        } catch {
            logger.debug("lock release failed (it expires by itself)", metadata: ["node": "\(remoteID)", "error": "\(error)"])
        }
    }

    func startLockKeeper() {
        let thread = Thread { [self] in
            while !registry.withLock({ $0.stopping }) {
                heartbeatDueLocks()
                wakeup.lock()
                _ = wakeup.wait(until: Date(timeIntervalSinceNow: 1))
                wakeup.unlock()
            }
        }
        thread.name = "fastiofs-locks"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Heartbeats every lock past its due time; a lock that cannot be kept is marked lost (the
    /// upload then checks the server version first and writes a conflict copy if it changed).
    func heartbeatDueLocks() {
        let now = MonotonicClock.now()
        let files = registry.withLock { Array($0.files.values) }
        var seen = Set<ObjectIdentifier>()
        for file in files where seen.insert(ObjectIdentifier(file)).inserted {
            let state = file.snapshotState()
            guard let grant = state.lock, let remoteID = state.remoteID, state.lockDue <= now else { continue }
            let profile = profiles[file.profileIndex].profile
            do {
                _ = try writer.heartbeatLock(profile, nodeID: remoteID, lockToken: grant.lockToken)
                file.state.withLock { $0.lockDue = now + Double(Self.lockDuration) / 2 }
            } catch {
                logger.warning("lost the lock of a file being written", metadata: ["name": "\(state.name)",
                                                                                 "error": "\(error)"])
                file.state.withLock { $0.lock = nil; $0.lockLost = true }
                try? ensureLock(file, remoteID: remoteID)
            }
        }
    }
}
