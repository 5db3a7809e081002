import Dispatch
import FastIOFS
import Foundation
import FuseBridge
import Glibc
import Logging

/// A FuseSession mounted on a fresh temporary directory, served by a background thread.
///
/// Invariant: `unmount()` (call it in `defer`) always leaves nothing mounted and the serving thread
/// finished, and is safe to call twice.
final class MountedFilesystem: Sendable {
    let path: String
    let session: FuseSession
    private let finished = DispatchSemaphore(value: 0)

    init(_ filesystem: any FilesystemOperations, options: FuseMountOptions = .init(),
         observer: (any FuseOperationObserver)? = nil) throws {
        path = try Self.makeTemporaryDirectory()
        var logger = Logger(label: "FuseBridgeTests")
        logger.logLevel = .warning
        session = try FuseSession(filesystem: filesystem, options: options, logger: logger, observer: observer)
        do {
            try session.mount(at: path)
        } catch {
            rmdir(path)
            throw error
        }
        let session = self.session
        let finished = self.finished
        let thread = Thread {
            do { try session.run() } catch { print("FUSE loop failed: \(error)") }
            finished.signal()
        }
        thread.start()
        // The first stat waits for INIT and getattr to be answered by the loop.
        var st = stat()
        guard stat(path, &st) == 0 else {
            let code = errno
            unmount()
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
    }

    func url(_ relative: String) -> String { path + "/" + relative }

    /// `fusermount3 -u`, then waits for the loop to return (it unmounts and destroys the session).
    func unmount() {
        if isMounted {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/fusermount3")
            process.arguments = ["-u", path]
            try? process.run()
            process.waitUntilExit()
            if isMounted {
                let lazy = Process()
                lazy.executableURL = URL(fileURLWithPath: "/usr/bin/fusermount3")
                lazy.arguments = ["-u", "-z", path]
                try? lazy.run()
                lazy.waitUntilExit()
            }
        }
        if finished.wait(timeout: .now() + 15) == .success { finished.signal() }
        rmdir(path)
    }

    /// True once `run()` returned (the session ended by itself: requestExit, a signal) within `timeout`.
    func waitUntilFinished(timeout: TimeInterval) -> Bool {
        guard finished.wait(timeout: .now() + timeout) == .success else { return false }
        finished.signal()
        return true
    }

    var isMounted: Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first.map(String.init) == path }
    }

    private static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/fuse-bridge-test-XXXXXX".utf8CString)
        guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw POSIXError(.EIO)
        }
        return String(cString: result)
    }
}
