import ArgumentParser
import Foundation
import Glibc

/// `fastiofs unmount MOUNTPOINT`: `fusermount3 -u`, then waits until the daemon serving it exited.
/// (Waiting for pending uploads comes with the write path.)
struct UnmountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmount",
        abstract: "Unmount a fastiofs mount and wait for its daemon to finish.")

    @Argument(help: "The mountpoint given to `fastiofs mount`.")
    var mountpoint: String

    func run() throws {
        let path = AbsolutePath.make(mountpoint)
        let daemons = DaemonProcesses.serving(mountpoint: path)
        guard MountTable.isMountPoint(path) else {
            if daemons.isEmpty { throw CommandFailure("\(path) is not mounted") }
            return try wait(for: daemons, path: path)
        }
        // A stale mount (its daemon is gone) cannot be unmounted normally: detach it lazily.
        let stale = MountpointProbe.isStale(path)
        let result = ExternalCommand.run("/usr/bin/fusermount3", stale ? ["-u", "-z", path] : ["-u", path])
        guard result.status == 0 else {
            throw CommandFailure("cannot unmount \(path): \(result.output.isEmpty ? "fusermount3 failed" : result.output)")
        }
        try wait(for: daemons, path: path)
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
