import Foundation
import Glibc

/// Whether the kernel tests can run: they need /dev/fuse. With FASTIOFS_REQUIRE_FUSE=1 they run
/// regardless, so a CI machine without FUSE fails instead of silently skipping.
enum FuseTestEnvironment {
    static var fuseDeviceAvailable: Bool { access("/dev/fuse", R_OK | W_OK) == 0 }
    static var fuseRequired: Bool { ProcessInfo.processInfo.environment["FASTIOFS_REQUIRE_FUSE"] == "1" }
    static var shouldRun: Bool { fuseDeviceAvailable || fuseRequired }
}
