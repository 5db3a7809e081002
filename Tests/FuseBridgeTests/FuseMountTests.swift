import Foundation
import Glibc
import Testing

/// All tests that mount through the real kernel. Serialized: libfuse's signal handlers are
/// process-wide (one session at a time), and each test mounts its own session.
@Suite(.serialized, .enabled(if: FuseTestEnvironment.shouldRun, "needs /dev/fuse (FASTIOFS_REQUIRE_FUSE=1 makes this a failure)"))
struct FuseMountTests {
    /// Mounts a fresh InMemoryFilesystem, runs `body`, and unmounts even when `body` throws.
    static func withMount(_ body: (MountedFilesystem, InMemoryFilesystem) throws -> Void) throws {
        let filesystem = InMemoryFilesystem()
        let mount = try MountedFilesystem(filesystem)
        defer { mount.unmount() }
        try body(mount, filesystem)
    }
}

/// errno after a failing Glibc call, as a value #expect can compare.
func failure(_ result: Int) -> Int32? { result < 0 ? errno : nil }
