import ArgumentParser
import Foundation
import Glibc

/// `fastiofs unmount MOUNTPOINT`: waits until every pending upload is on the server (a progress line,
/// updated in place on a terminal), `fusermount3 -u` (retried for a few seconds while the mount is
/// busy), then waits until the daemon serving it exited. Exits non-zero, saying where the bytes are,
/// when the server refused some files for good (they were set aside, not uploaded).
struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount",
        abstract: "Unmount a fastiofs mount and wait for its daemon to finish.")

    @Argument(help: "The mountpoint given to `fastiofs mount`.")
    var mountpoint: String

    func run() throws {
        let path = AbsolutePath.make(mountpoint)
        let daemons = DaemonProcesses.serving(mountpoint: path)
        if !MountTable.isMountPoint(path) {
            if daemons.isEmpty { throw CommandFailure("\(path) is not mounted") }
            // A daemon still starting up mounts within moments, and is then unmounted like any
            // other; one already unmounted is finishing, and is waited for.
            guard try waitUntilMountedOrExited(daemons, path: path) else { return }
        }
        // A stale mount (its daemon is gone) cannot be unmounted normally: detach it lazily.
        let stale = MountpointProbe.isStale(path)
        let refused = stale ? nil : waitForUploads(path)
        let result = detach(path, lazily: stale)
        guard result.status == 0 else {
            let busy = result.output.contains("busy")
                ? " (a process still has a file or its working directory there: `fuser -vm \(path)` names it)" : ""
            throw CommandFailure("cannot unmount \(path): \(result.output.isEmpty ? "fusermount3 failed" : result.output)\(busy)")
        }
        try wait(for: daemons, path: path)
        if let refused, refused.unsentCount > 0 {
            throw CommandFailure("unmounted \(path), but the server refused \(refused.unsentCount) file(s) for good: "
                                 + "their bytes are in \(refused.unsentDirectory ?? "the cache directory's unsent/"), "
                                 + "listed in manifest.jsonl there")
        }
    }

    /// Seconds an unmount keeps retrying while the mount is busy: a process that just closed its
    /// last file there, or exits, lets go within moments; one that keeps it open gets reported.
    static let busyRetrySeconds = 10.0

    /// `fusermount3 -u` (`-z` for a stale mount), repeated while it answers EBUSY, up to `busyRetrySeconds`.
    private func detach(_ path: String, lazily: Bool) -> ExternalCommand.Result {
        let deadline = Date().addingTimeInterval(Self.busyRetrySeconds)
        var announced = false
        while true {
            let result = ExternalCommand.run("/usr/bin/fusermount3", lazily ? ["-u", "-z", path] : ["-u", path])
            guard result.status != 0, result.output.contains("busy"), Date() < deadline else { return result }
            if !announced {
                FileHandle.standardError.write(Data("\(path) is busy; retrying for up to \(Int(Self.busyRetrySeconds)) s\n".utf8))
                announced = true
            }
            usleep(250_000)
        }
    }

    /// Waits, showing progress, until the mount's upload queue is empty (every write is durable, or
    /// set aside because the server refused it for good); answers the last status read.
    private func waitForUploads(_ path: String) -> MountStatus? {
        let terminal = isatty(STDERR_FILENO) == 1
        var lastLine = ""
        var status = MountStatus.read(path)
        while let current = status, current.pendingFiles > 0 {
            let line = "waiting for \(current.pendingFiles) upload(s), \(ByteCount.text(current.pendingBytes)) left"
                + current.rateText + (current.lastError.map { " (last error: \($0))" } ?? "")
            if line != lastLine {
                // On a terminal the line is rewritten in place; in a log, one line per change.
                FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
                lastLine = line
            }
            usleep(200_000)
            status = MountStatus.read(path)
        }
        if terminal && !lastLine.isEmpty { FileHandle.standardError.write(Data("\n".utf8)) }
        return status
    }

    /// True once `path` is mounted, false once every daemon exited without it being mounted.
    private func waitUntilMountedOrExited(_ daemons: [pid_t], path: String) throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while true {
            if MountTable.isMountPoint(path) { return true }
            if !daemons.contains(where: ProcessState.isRunning) { return false }
            guard Date() < deadline else {
                throw CommandFailure("\(path) is not mounted and its daemon (pid \(daemons.map(String.init).joined(separator: ", "))) has neither mounted nor exited after 60 s")
            }
            usleep(100_000)
        }
    }

    private func wait(for daemons: [pid_t], path: String) throws {
        let deadline = Date().addingTimeInterval(60)
        var running = daemons
        while !running.isEmpty {
            running = running.filter(ProcessState.isRunning)
            if running.isEmpty { break }
            guard Date() < deadline else {
                throw CommandFailure("\(path) is unmounted but its daemon (pid \(running.map(String.init).joined(separator: ", "))) has not exited after 60 s")
            }
            usleep(100_000)
        }
    }
}
