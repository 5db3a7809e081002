import Foundation
import Glibc
import Logging

/// The daemon's process-wide resource settings, applied once at start, before the mount starts its threads:
/// - descriptors: FUSE clones, connections, open files and uploads all need them, and the default
///   soft limit (1024) is the kernel's compatibility value, not a resource budget: the soft limit is
///   raised to the hard one;
/// - malloc arenas: glibc gives each new thread its own arena (up to 8 per core), and a burst of
///   uploads through many threads leaves free memory stranded in all of them, so a long-lived mount's
///   RSS would follow its busiest moment; the arenas are bounded by the core count (at least 2).
enum ResourceLimits {
    static func boundMallocArenas(logger: Logger) {
        /// glibc's `mallopt` (declared in malloc.h, which Swift's Glibc module does not import).
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let arenaMaxParameter: Int32 = -8  // M_ARENA_MAX in glibc's malloc.h
        guard let symbol = dlsym(nil, "mallopt") else {
            logger.debug("no glibc mallopt; malloc arenas left at the allocator's default")
            return
        }
        let arenas = Int32(clamping: max(2, ProcessInfo.processInfo.activeProcessorCount))
        if unsafeBitCast(symbol, to: Mallopt.self)(arenaMaxParameter, arenas) != 1 {
            logger.warning("cannot bound malloc arenas; memory after bursts may stay high", metadata: ["arenas": "\(arenas)"])
        }
    }

    static func raiseOpenFiles(logger: Logger) {
        var limit = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limit) == 0 else {
            logger.warning("cannot read the open-files limit", metadata: ["error": "\(String(cString: strerror(errno)))"])
            return
        }
        guard limit.rlim_cur < limit.rlim_max else { return }
        let before = limit.rlim_cur
        limit.rlim_cur = limit.rlim_max
        if setrlimit(resource, &limit) == 0 {
            logger.debug("raised the open-files limit", metadata: ["from": "\(before)", "to": "\(limit.rlim_max)"])
        } else {
            logger.warning("cannot raise the open-files limit", metadata: ["limit": "\(before)",
                                                                           "error": "\(String(cString: strerror(errno)))"])
        }
    }
}
