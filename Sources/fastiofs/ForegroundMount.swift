import Foundation
import FastIOFS
import FuseBridge
import Glibc
import Logging

/// Mounts and serves in this process until unmounted or signalled: the `--foreground` mode, which is
/// also what the daemon runs (then with a readiness channel, in its own session, logging to a file).
///
/// Order: the cache directory's check -> logging -> preflight (stale-mount recovery, clear errors) ->
/// wiring (client + core) -> session -> mount -> a watcher thread reports `ready` once a stat of the
/// mountpoint succeeds -> the FUSE loop on this (the main) thread -> unmount -> destroy -> exit 0.
struct ForegroundMount {
    let request: MountRequest
    let readiness: ReadinessChannel?

    func run() -> Int32 {
        // Before any thread exists: termination signals go to one waiter, not to a random thread.
        TerminationSignals.blockInEveryThread()
        let daemon = readiness != nil
        if daemon {
            setsid()            // leave the launcher's session: no terminal, no job-control signals
            chdir("/")          // do not pin the launcher's working directory (paths are absolute)
        }
        let logs: LogControl
        do {
            try CacheDirectoryPreflight.prepare(request.cacheDirectory)
            logs = try LogSetup.make(for: request, daemon: daemon, environment: ProcessInfo.processInfo.environment)
        } catch {
            return report(error.description, logger: nil)
        }
        let logger = logs.logger
        ResourceLimits.raiseOpenFiles(logger: logger)
        ResourceLimits.boundMallocArenas(logger: logger)
        do {
            try MountpointPreflight.check(request.mountpoint, allowNonEmpty: request.options.allowNonEmpty, logger: logger)
            let core = try MountWiring.makeCore(request, environment: ProcessInfo.processInfo.environment,
                                                logger: logger)
            let metrics = try MountWiring.startMetrics(request, core: core, logger: logger)
            defer { metrics?.stop() }
            let session = try FuseSession(filesystem: core.filesystem, options: fuseOptions, logger: logger,
                                          observer: metrics?.metrics)
            // Coherence: kernel invalidations go through the session; polling starts once the mount
            // is live (after FUSE init) and stops in the filesystem's destroy.
            let coherent = core.filesystem
            coherent.attach(notifier: session.notifier)
            try session.mount(at: request.mountpoint)
            // systemd (Type=notify) is told only by a real --foreground process, the one it started.
            let systemd = daemon ? nil : SystemdNotifier.fromEnvironment(ProcessInfo.processInfo.environment, logger: logger)
            TerminationSignals.startWaiter { signal in
                switch signal {
                case SIGUSR1:
                    logs.reopen()
                case SIGUSR2:
                    logs.cycleLevel()
                default:
                    logger.info("signal \(signal): unmounting")
                    systemd?.stopping(status: coherent.uploadQueueSummary())
                    session.requestExit()
                }
            }
            let readahead = coherent.configuration.kernelReadahead
            watchReadiness(session, readahead: readahead, logger: logger) {
                coherent.startCoherence()
                systemd?.ready { coherent.uploadQueueSummary() }
            }
            try session.run()
            systemd?.stopping(status: nil)
            logger.info("unmounted \(request.mountpoint); exiting")
            return 0
        } catch let error as CommandFailure {
            return report(error.description, logger: logger)
        } catch let error as FuseSessionError {
            return report(error.description, logger: logger)
        } catch {
            return report("\(error)", logger: logger)
        }
    }

    private var fuseOptions: FuseMountOptions {
        FuseMountOptions(readOnly: request.effectiveReadOnly, allowOther: request.options.allowOther,
                         passthrough: request.options.passthrough)
    }

    /// The mount is live once the kernel has completed INIT and answered a getattr of the root.
    private func watchReadiness(_ session: FuseSession, readahead: Int, logger: Logger,
                                onLive: @escaping @Sendable () -> Void) {
        let mountpoint = request.mountpoint
        let readiness = self.readiness
        let thread = Thread {
            let deadline = Date().addingTimeInterval(25)
            var st = stat()
            var lastError: Int32 = 0
            while Date() < deadline {
                if stat(mountpoint, &st) == 0 {
                    session.raiseKernelReadahead(kilobytes: readahead / 1024)
                    logger.info("mount at \(mountpoint) is live")
                    onLive()
                    readiness?.ready()
                    return
                }
                lastError = errno
                usleep(50_000)
            }
            let message = "the mount at \(mountpoint) did not answer: \(String(cString: strerror(lastError)))"
            logger.error("\(message)")
            readiness?.fail(message)
            session.requestExit()
        }
        thread.start()
    }

    /// Daemon: into the log and back to the launcher, which prints it. Foreground: to stderr.
    private func report(_ message: String, logger: Logger?) -> Int32 {
        if let readiness {
            logger?.error("\(message)")
            readiness.fail(message)
        } else {
            FileHandle.standardError.write(Data("fastiofs: \(message)\n".utf8))
        }
        return 1
    }
}
