import Foundation
import Testing

/// Whether mount tests can run here. They skip only when /dev/fuse is absent, and with
/// `FASTIOFS_REQUIRE_FUSE=1` (CI) they run anyway and fail, so CI never silently skips them.
enum FuseAvailability {
    static let devicePresent = FileManager.default.fileExists(atPath: "/dev/fuse")
    static let required = ProcessInfo.processInfo.environment["FASTIOFS_REQUIRE_FUSE"] == "1"
    /// For `.enabled(if:)`: run when FUSE exists, or when it is required (so the absence fails).
    static let shouldRun = devicePresent || required

    /// Fails the test when FUSE is required but absent.
    static func require() throws {
        try #require(devicePresent, "/dev/fuse is absent but FASTIOFS_REQUIRE_FUSE=1 requires mount tests to run")
    }
}
