import Foundation
import Glibc
import Logging

/// The daemon's descriptor limit: FUSE clones, connections, open files and uploads all need
/// descriptors, and the default soft limit (1024) is the kernel's compatibility value, not a
/// resource budget: the soft limit is raised to the hard one at start.
enum ResourceLimits {
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
